"""pytest plugin loaded (``-p pytest_qemu_profile``) when the unit tests run under qemu-aarch64.

User-mode emulation runs Python some ten times slower than the host, and the host run already searches each
property as deeply as its test asks. The arm64 run is there to show the same code right on aarch64 (byte
order, float arithmetic, the extensions' ABI, Debian's library versions), for which a few dozen examples per
property do. So under emulation hypothesis runs at most ``MAX_EXAMPLES`` examples per test (fewer when a
test asks for fewer), with no per-example deadline, no example database (nothing written into the shared
tree) and a fixed derivation of examples, so that a failure here reproduces on the next run.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

PROFILE = "qemu-arm64"
MAX_EXAMPLES = 25

settings.register_profile(
    PROFILE,
    deadline=None,
    database=None,
    derandomize=True,
    max_examples=MAX_EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow],
)

# Where @settings leaves a test's own settings (the attribute hypothesis itself reads at each call).
_SETTINGS_ATTRIBUTE = "_hypothesis_internal_use_settings"


def cap_examples(test: object, limit: int = MAX_EXAMPLES) -> bool:
    """Lower a hypothesis test's ``max_examples`` to ``limit``; True when the test was changed."""
    own = getattr(test, _SETTINGS_ATTRIBUTE, None)
    if not isinstance(own, settings) or own.max_examples <= limit:
        return False
    setattr(test, _SETTINGS_ATTRIBUTE, settings(own, max_examples=limit))
    return True


def pytest_configure(config: pytest.Config) -> None:
    settings.load_profile(PROFILE)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        test = getattr(item, "obj", None)
        if test is not None and getattr(test, "is_hypothesis_test", False):
            cap_examples(test)
