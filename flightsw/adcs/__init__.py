"""Attitude determination and control subsystem: the cffi binding of the C attitude core (csrc/attitude).

- :class:`Mekf` / :class:`MekfConfig`: multiplicative extended Kalman filter and its 9-axis bench profile;
- :func:`estimate_batch`: the same filter over N samples in one C call;
- :mod:`flightsw.adcs.quaternion`: quaternion helpers, TRIAD and the q-method;
- :mod:`flightsw.adcs.reference`: an independent numpy implementation used by the tests.
"""

from flightsw.adcs._core import AttitudeError
from flightsw.adcs.mekf import Mekf, MekfConfig, estimate_batch
from flightsw.adcs.quaternion import qmethod, triad

__all__ = ["AttitudeError", "Mekf", "MekfConfig", "estimate_batch", "qmethod", "triad"]
