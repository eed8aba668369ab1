"""Bounds checks of telecommand arguments that travelled in a narrower real type than their on-board bound.

A ``float32`` argument arrives rounded to the nearest binary32 (IEEE 754 round to nearest): 0.05 comes in as
0.0500000007 and 0.01 as 0.0099999998, while flight parameters and dictionary bounds are kept as binary64. A
direct comparison refuses a value that the ground sent at exactly the bound, or lets through one sent just
beyond it on the other side. Rounding to nearest is monotonic, so a value meant within ``[low, high]`` arrives
within ``[round(low), round(high)]``: comparing against the bounds rounded to the argument's type accepts
exactly the values that may have been meant within the bounds, with no tolerance to tune. A ``float64``
argument is compared as it is.
"""

from __future__ import annotations

from collections.abc import Iterable

from flightsw.dictionary import Argument, Telecommand
from flightsw.dictionary.model import DataType, Number, round_to_type


def within_bounds(value: float, wire_type: DataType, *, low: Number | None = None,
                  high: Number | None = None) -> bool:
    """Whether ``value``, received as ``wire_type``, lies within the binary64 bounds ``low`` and ``high``
    (inclusive; None for no bound) as the sender meant them. NaN is never within bounds."""
    if low is not None and not value >= round_to_type(wire_type, float(low)):
        return False
    return high is None or value <= round_to_type(wire_type, float(high))


def argument_type(command: Telecommand, *path: str) -> DataType:
    """The wire type of an argument of ``command``, named by its path (a group's name, then the field's);
    ``KeyError`` when the dictionary has no such argument."""
    arguments: Iterable[Argument] = command.arguments
    found: Argument | None = None
    for name in path:
        found = next((argument for argument in arguments if argument.name == name), None)
        if found is None:
            raise KeyError(f"{command.name}: no argument {'.'.join(path)}")
        arguments = found.fields
    if found is None:
        raise KeyError(f"{command.name}: empty argument path")
    return found.type
