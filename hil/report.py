"""The run's report: per target, ``<out>/<target>/junit.xml``, ``report.md`` and plots (attitude error
against its 3σ bound, link counters, command latencies) drawn from the measurement files the tests wrote
under ``<out>/<target>/data/``. Registered on the controlling process only, so with pytest-xdist the
report sees every worker's results.
"""

from __future__ import annotations

import json
import math
import statistics
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

NOT_COUNTERS = frozenset({"report_value", "clcws_age_s", "fop_state"})


@dataclass
class Outcome:
    nodeid: str
    target: str
    outcome: str  # passed, failed, skipped, error
    duration: float
    message: str


def folder_name(target_name: str) -> str:
    return target_name.replace("/", "_").replace(":", "_").strip("_")


def _short(report: pytest.TestReport) -> str:
    if report.passed:
        return ""
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message).splitlines()[0][:300]
    return str(report.longrepr).strip().splitlines()[-1][:300] if report.longrepr else ""


class ReportPlugin:
    def __init__(self, out_root: Path) -> None:
        self.out_root = out_root
        self.outcomes: dict[str, Outcome] = {}
        self.started = time.time()

    # -- collection of results ----------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        target = dict(report.user_properties).get("target")
        if target is None:
            return
        known = self.outcomes.get(report.nodeid)
        if report.when == "call" or known is None or report.outcome != "passed":
            if known is not None and known.outcome in ("failed", "error") and report.when == "teardown" \
                    and report.passed:
                return
            outcome: str = report.outcome
            if report.failed and report.when != "call":
                outcome = "error"
            duration = report.duration + (known.duration if known is not None else 0.0)
            self.outcomes[report.nodeid] = Outcome(report.nodeid, str(target), outcome, duration,
                                                   _short(report))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        by_target: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in self.outcomes.values():
            by_target[outcome.target].append(outcome)
        for target, outcomes in by_target.items():
            folder = self.out_root / folder_name(target)
            folder.mkdir(parents=True, exist_ok=True)
            write_junit(folder / "junit.xml", target, outcomes)
            write_markdown(folder, target, outcomes, time.time() - self.started)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        targets = sorted({o.target for o in self.outcomes.values()})
        for target in targets:
            terminalreporter.write_line(f"hil report: {self.out_root / folder_name(target) / 'report.md'}")


def write_junit(path: Path, target: str, outcomes: list[Outcome]) -> None:
    suite = ET.Element("testsuite", name=f"hil[{target}]", tests=str(len(outcomes)),
                       failures=str(sum(o.outcome == "failed" for o in outcomes)),
                       errors=str(sum(o.outcome == "error" for o in outcomes)),
                       skipped=str(sum(o.outcome == "skipped" for o in outcomes)),
                       time=f"{sum(o.duration for o in outcomes):.3f}")
    for o in sorted(outcomes, key=lambda o: o.nodeid):
        module, _, name = o.nodeid.partition("::")
        case = ET.SubElement(suite, "testcase", classname=module.removesuffix(".py").replace("/", "."),
                             name=name, time=f"{o.duration:.3f}")
        if o.outcome in ("failed", "error"):
            ET.SubElement(case, "failure" if o.outcome == "failed" else "error", message=o.message)
        elif o.outcome == "skipped":
            ET.SubElement(case, "skipped", message=o.message)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _counters(values: dict[str, Any]) -> dict[str, int]:
    """The non-zero event counts among a test's link statistics (not ages, states or sequence numbers)."""
    return {k: v for k, v in values.items() if isinstance(v, int) and not isinstance(v, bool) and v
            and k not in NOT_COUNTERS}


def _load(folder: Path) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in sorted((folder / "data").glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        out[str(data.get("kind", "other"))].append(data)
    return out


def plot_attitude(folder: Path, runs: list[dict[str, Any]]) -> Path | None:
    if not runs:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(runs), 1, figsize=(9, 3.2 * len(runs)), squeeze=False)
    for ax, run in zip(axes[:, 0], runs, strict=True):
        t = run["t"]
        ax.plot(t, run["error_deg"], ".", ms=3, label="attitude error (estimate vs truth)")
        ax.plot(t, run["bound_deg"], "-", lw=1.2, label="3σ from the estimator's covariance")
        if run.get("spec_bound_deg"):
            ax.axhline(run["spec_bound_deg"], color="grey", ls="--", lw=1, label="3σ floor from sensor specs")
        for start, end in run.get("rest_windows", []):
            ax.axvspan(start, end, color="green", alpha=0.08)
        ax.set_yscale("log")
        ax.set_xlabel("scenario time, s")
        ax.set_ylabel("degrees")
        ax.set_title(run["test"])
        ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    path = folder / "attitude_error.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_link(folder: Path, runs: list[dict[str, Any]]) -> Path | None:
    if not runs:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(runs), 1, figsize=(9, 3.4 * len(runs)), squeeze=False)
    for ax, run in zip(axes[:, 0], runs, strict=True):
        counters = _counters(run["counters"])
        names = sorted(counters)
        ax.barh(names, [counters[n] for n in names])
        ax.set_xscale("symlog")
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(run["test"])
    fig.tight_layout()
    path = folder / "link_counters.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_latency(folder: Path, runs: list[dict[str, Any]]) -> Path | None:
    if not runs:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.5))
    for run in runs:
        latencies = [1e3 * x for x in run["latencies_s"]]
        ax.plot(range(len(latencies)), latencies, "o-", ms=3, label=run["test"])
    ax.set_xlabel("command")
    ax.set_ylabel("send → completion report, ms")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = folder / "command_latency.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def write_markdown(folder: Path, target: str, outcomes: list[Outcome], wall_s: float) -> Path:
    data = _load(folder)
    counts = {k: sum(o.outcome == k for o in outcomes) for k in ("passed", "failed", "error", "skipped")}
    lines = [f"# HIL report: {target}", "",
             f"{len(outcomes)} tests: {counts['passed']} passed, {counts['failed']} failed, "
             f"{counts['error']} errors, {counts['skipped']} skipped; run took {wall_s:.0f} s.", "",
             "| test | outcome | s | note |", "|---|---|---:|---|"]
    for o in sorted(outcomes, key=lambda o: o.nodeid):
        note = o.message.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{o.nodeid.partition('::')[2]}` | {o.outcome} | {o.duration:.1f} | {note} |")
    attitude = plot_attitude(folder, data["attitude"])
    if attitude is not None:
        lines += ["", "## Attitude accuracy", ""]
        for run in data["attitude"]:
            lines.append(f"- {run['test']}: RMS error at rest {run['rest_rms_deg']:.3f}°, largest "
                         f"{run['rest_max_deg']:.3f}° against a 3σ bound of {run['rest_bound_deg']:.3f}° "
                         f"(sensor-spec 3σ floor {run['spec_bound_deg']:.3f}°)")
        lines += ["", f"![attitude error]({attitude.name})"]
    link = plot_link(folder, data["link"])
    if link is not None:
        lines += ["", "## Link counters", ""]
        for run in data["link"]:
            shown = ", ".join(f"{k} {v}" for k, v in sorted(_counters(run["counters"]).items()))
            lines.append(f"- {run['test']}: {shown}")
        lines += ["", f"![link counters]({link.name})"]
    latency = plot_latency(folder, data["latency"])
    if latency is not None:
        lines += ["", "## Command latency", ""]
        for run in data["latency"]:
            values = run["latencies_s"]
            median, p95 = 1e3 * statistics.median(values), 1e3 * _percentile(values, 0.95)
            lines.append(f"- {run['test']}: {len(values)} commands, median {median:.0f} ms, p95 {p95:.0f} ms")
        lines += ["", f"![command latency]({latency.name})"]
    path = folder / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
