"""Flash, RAM and stack use of the firmware builds, printed by ``make firmware``.

Flash is what the image occupies in flash (vector table, code, read-only data, initial values of .data);
RAM is .data + .bss + .noinit plus the reserved stack. Stack: the largest frames from the compiler's
``-fstack-usage`` files (.su), and the worst case from its ``-fcallgraph-info=su`` files (.ci): the deepest
chain of direct calls from the reset handler (thread mode), plus, as if every exception handler nested on top
of it, each handler's deepest chain and its exception frame (26 words with the FP context, ARMv7-M ARM
B1.5.7, plus alignment). Functions called through pointers (the scheduler's tasks) are roots of their own;
the deepest of them is added on top of the thread chain, which over-estimates (the scheduler calls them
from main, not from the deepest point). Functions the linker dropped do not count.

    python footprint.py --size arm-none-eabi-size BOARD=BUILD_DIR [BOARD=BUILD_DIR ...]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

FLASH_SECTIONS = (".isr_vector", ".text", ".ARM.exidx", ".data")
RAM_SECTIONS = (".data", ".bss", ".noinit", ".stack")
_NODE = re.compile(r'node:\s*\{\s*title:\s*"([^"]+)"\s*label:\s*"([^"]*)"')
_EDGE = re.compile(r'edge:\s*\{\s*sourcename:\s*"([^"]+)"\s*targetname:\s*"([^"]+)"')
_FRAME = re.compile(r"(\d+) bytes \((\w+)")
EXCEPTION_FRAME_OCTETS = 26 * 4 + 4
THREAD_ROOT = "Reset_Handler"


def section_sizes(size_tool: str, elf: Path) -> dict[str, int]:
    out = subprocess.run([size_tool, "-A", str(elf)], check=True, capture_output=True, text=True).stdout
    sizes: dict[str, int] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def stack_frames(build_dirs: list[Path]) -> list[tuple[int, str, str]]:
    frames: list[tuple[int, str, str]] = []
    for directory in build_dirs:
        for su in directory.rglob("*.su"):
            for line in su.read_text().splitlines():
                fields = line.split("\t")
                if len(fields) == 3 and fields[1].isdigit():
                    function = fields[0].rsplit(":", 1)[-1]
                    frames.append((int(fields[1]), function, fields[2]))
    return sorted(frames, reverse=True)


def call_chains(build_dirs: list[Path]) -> tuple[dict[str, tuple[int, list[str]]], bool]:
    """Deepest sum of frames along direct calls from every root (a function nobody calls directly), and
    whether a dynamic frame or recursion made any of them a lower bound."""
    frame: dict[str, int] = {}
    calls: dict[str, set[str]] = {}
    uncertain = False
    for directory in build_dirs:
        for ci in directory.rglob("*.ci"):
            text = ci.read_text()
            for title, label in _NODE.findall(text):
                match = _FRAME.search(label)
                name = title.rsplit(":", 1)[-1]
                if match:
                    frame[name] = max(frame.get(name, 0), int(match.group(1)))
                    uncertain |= match.group(2) != "static"
                else:
                    frame.setdefault(name, 0)
            for source, target in _EDGE.findall(text):
                calls.setdefault(source.rsplit(":", 1)[-1], set()).add(target.rsplit(":", 1)[-1])
    memo: dict[str, tuple[int, list[str]]] = {}
    visiting: set[str] = set()

    def depth(name: str) -> tuple[int, list[str]]:
        nonlocal uncertain
        if name in memo:
            return memo[name]
        if name in visiting:
            uncertain = True
            return 0, []
        visiting.add(name)
        best: tuple[int, list[str]] = (0, [])
        for callee in sorted(calls.get(name, ())):
            candidate = depth(callee)
            if candidate[0] > best[0]:
                best = candidate
        visiting.discard(name)
        memo[name] = (frame.get(name, 0) + best[0], [name, *best[1]])
        return memo[name]

    called = {t for targets in calls.values() for t in targets}
    chains = {name: depth(name) for name in frame if name not in called}
    return chains, uncertain


def worst_stack(chains: dict[str, tuple[int, list[str]]]) -> tuple[int, list[str]]:
    """Thread chain (with the deepest pointer-called root on top of it) plus every handler nested."""
    thread, thread_path = chains.get(THREAD_ROOT, (0, []))
    handlers = {n: c for n, c in chains.items() if n != THREAD_ROOT and n.endswith("Handler")}
    tasks = {n: c for n, c in chains.items() if n != THREAD_ROOT and n not in handlers}
    task_name, (task_depth, _) = max(tasks.items(), key=lambda item: item[1][0], default=("", (0, [])))
    total = thread + task_depth + sum(depth + EXCEPTION_FRAME_OCTETS for depth, _ in handlers.values())
    parts = [f"thread {thread} B ({' > '.join(thread_path)})"]
    if task_name:
        parts.append(f"+ deepest function called through a pointer {task_depth} B ({task_name})")
    parts += [f"{name} {depth} + {EXCEPTION_FRAME_OCTETS} B" for name, (depth, _) in sorted(handlers.items())]
    return total, parts


def linked_functions(nm_tool: str, elf: Path) -> set[str]:
    out = subprocess.run([nm_tool, str(elf)], check=True, capture_output=True, text=True).stdout
    return {parts[2] for parts in (line.split() for line in out.splitlines())
            if len(parts) == 3 and parts[1] in "tTwW"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="arm-none-eabi-size")
    parser.add_argument("--nm", default="arm-none-eabi-nm")
    parser.add_argument("builds", nargs="+", metavar="BOARD=BUILD_DIR")
    args = parser.parse_args(argv)
    for spec in args.builds:
        board, _, directory = spec.partition("=")
        build = Path(directory)
        sizes = section_sizes(args.size, build / "adcs-node.elf")
        flash = sum(sizes.get(name, 0) for name in FLASH_SECTIONS)
        ram = sum(sizes.get(name, 0) for name in RAM_SECTIONS)
        stack_reserved = sizes.get(".stack", 0)
        dirs = [build, build.parent / "common"]
        frames = stack_frames(dirs)
        chains, uncertain = call_chains(dirs)
        linked = linked_functions(args.nm, build / "adcs-node.elf")
        total, parts = worst_stack({name: chain for name, chain in chains.items() if name in linked})
        static = ram - stack_reserved
        print(f"{board}: flash {flash} B, RAM {ram} B (static {static} B + stack {stack_reserved} B)")
        for size, function, qualifier in frames[:3]:
            print(f"  stack frame {size:5d} B  {function} ({qualifier})")
        if chains:
            note = " (a lower bound: dynamic frames or recursion)" if uncertain else ""
            print(f"  worst stack {total} B of {stack_reserved} B{note}:")
            for part in parts:
                print(f"    {part}")
            if total > stack_reserved:
                print(f"  error: the worst stack exceeds the {stack_reserved} B reserved", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
