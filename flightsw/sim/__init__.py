"""Truth dynamics and sensor models for the demo, the benchmarks and the rig."""

from flightsw.sim.imu import ErrorFloor, ImuScenario, ImuSpecs, attitude_error_floor, simulate_imu

__all__ = ["ErrorFloor", "ImuScenario", "ImuSpecs", "attitude_error_floor", "simulate_imu"]
