"""A simulated spacecraft platform for simulation mode: battery and thermal telemetry over a LEO orbit.

A 2S Li-ion battery (two cells in series, 3.0 Ah) charges in sunlight and discharges in eclipse; its
open-circuit voltage is taken linear in the state of charge between 6.8 V (empty) and 8.2 V (full) and the
terminal voltage adds the drop over an internal resistance. Temperatures follow the orbit (battery) and the
processor load (on-board computer). Deterministic: the same times give the same values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ORBIT_PERIOD_S = 5640.0  # a 500 km circular orbit
ECLIPSE_FRACTION = 0.36  # of the orbit in the Earth's shadow at that altitude, sun in the orbit plane


@dataclass
class PlatformModel:
    capacity_ah: float = 3.0
    charge_current_a: float = 0.8  # into the battery in sunlight, A
    load_current_a: float = 0.6  # out of the battery in eclipse, A
    internal_resistance_ohm: float = 0.1
    empty_v: float = 6.8
    full_v: float = 8.2
    state_of_charge: float = 0.7
    battery_mean_k: float = 288.0
    battery_swing_k: float = 5.0
    obc_idle_k: float = 300.0
    obc_per_load_k: float = 20.0
    _last_t: float | None = None

    def in_sunlight(self, t: float) -> bool:
        return (t % ORBIT_PERIOD_S) / ORBIT_PERIOD_S < 1.0 - ECLIPSE_FRACTION

    def sample(self, t: float, cpu_load: float = 0.0) -> dict[str, float]:
        """Telemetry at time ``t`` (s); the state of charge integrates the current since the last call."""
        current = self.charge_current_a if self.in_sunlight(t) else -self.load_current_a
        if self._last_t is not None and t > self._last_t:
            charge = current * (t - self._last_t) / 3600.0
            self.state_of_charge = min(1.0, max(0.0, self.state_of_charge + charge / self.capacity_ah))
        self._last_t = t
        if self.state_of_charge >= 1.0 and current > 0:
            current = 0.0  # the charge regulator stops at full
        open_circuit = self.empty_v + (self.full_v - self.empty_v) * self.state_of_charge
        phase = 2.0 * math.pi * (t % ORBIT_PERIOD_S) / ORBIT_PERIOD_S
        return {
            "platform_battery_voltage": open_circuit + current * self.internal_resistance_ohm,
            "platform_battery_current": current,
            "platform_battery_temperature": self.battery_mean_k + self.battery_swing_k * math.sin(phase),
            "platform_obc_temperature": self.obc_idle_k + self.obc_per_load_k * min(1.0, max(0.0, cpu_load)),
        }
