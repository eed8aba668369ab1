"""The hypothesis adjustments of the arm64 run (targets/rpi/pytest_qemu_profile.py): a test asking for many
examples runs at most the cap under emulation, one asking for fewer keeps its number."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.rpi.rpi_targets import load

profile = load("pytest_qemu_profile")


def _counting_test(max_examples: int) -> tuple[object, list[int]]:
    calls: list[int] = []

    @settings(max_examples=max_examples, database=None, derandomize=True)
    @given(st.integers())
    def property_test(value: int) -> None:
        calls.append(value)

    return property_test, calls


def test_a_large_example_count_is_capped() -> None:
    test, calls = _counting_test(300)
    assert profile.cap_examples(test)
    test()  # type: ignore[operator]
    assert 0 < len(calls) <= profile.MAX_EXAMPLES


def test_without_the_cap_the_same_test_runs_many_more() -> None:
    test, calls = _counting_test(300)
    test()  # type: ignore[operator]
    assert len(calls) > 4 * profile.MAX_EXAMPLES


def test_a_small_example_count_is_kept() -> None:
    test, calls = _counting_test(5)
    assert not profile.cap_examples(test)
    test()  # type: ignore[operator]
    assert 0 < len(calls) <= 5


def test_plain_functions_are_left_alone() -> None:
    def plain() -> None:
        pass

    assert not profile.cap_examples(plain)


def test_the_profile_is_registered_without_deadline() -> None:
    emulated = settings.get_profile(profile.PROFILE)
    assert emulated.deadline is None
    assert emulated.database is None
    assert emulated.max_examples == profile.MAX_EXAMPLES
