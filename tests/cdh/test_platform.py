from __future__ import annotations

import pytest

from flightsw.dictionary import Dictionary
from flightsw.sim.platform import ECLIPSE_FRACTION, ORBIT_PERIOD_S, PlatformModel


def test_battery_charges_in_sun_and_discharges_in_eclipse() -> None:
    model = PlatformModel(state_of_charge=0.5)
    model.sample(0.0)
    sunlit = model.sample(3600.0)
    assert sunlit["platform_battery_current"] == 0.8
    assert model.state_of_charge == pytest.approx(0.5 + 0.8 / 3.0)
    eclipse_start = ORBIT_PERIOD_S * (1 - ECLIPSE_FRACTION)
    model.sample(eclipse_start - 1)
    before = model.state_of_charge
    shadow = model.sample(eclipse_start + 600.0)
    assert shadow["platform_battery_current"] == -0.6
    assert model.state_of_charge == pytest.approx(before - 0.6 * 601 / 3600 / 3.0)


def test_nominal_values_are_within_the_dictionary_soft_limits(dictionary: Dictionary) -> None:
    model = PlatformModel()
    for t in range(0, int(2 * ORBIT_PERIOD_S), 60):
        for name, value in model.sample(float(t), cpu_load=0.3).items():
            limits = dictionary.parameter_by_name[name].limits
            assert limits is not None and limits.crossed(value) is None, (name, t, value)
