"""Damage drawn by hypothesis for the differential tests: the C subset and the Python stack, fed the same
damaged unit, must give the same verdict."""

from __future__ import annotations

from hypothesis import strategies as st


def damage(raw: bytes, data: st.DataObject, *, header_length: int, max_extension: int) -> bytes:
    """One of: a flipped bit anywhere, a cut, up to ``max_extension`` octets appended, or one octet of the
    first ``header_length`` octets replaced."""
    buf = bytearray(raw)
    kind = data.draw(st.sampled_from(["flip", "cut", "extend", "header"]))
    if kind == "flip":
        bit = data.draw(st.integers(0, len(buf) * 8 - 1))
        buf[bit // 8] ^= 0x80 >> (bit % 8)
    elif kind == "cut":
        del buf[data.draw(st.integers(0, len(buf) - 1)) :]
    elif kind == "extend":
        buf += data.draw(st.binary(min_size=1, max_size=max_extension))
    else:
        buf[data.draw(st.integers(0, header_length - 1))] = data.draw(st.integers(0, 255))
    return bytes(buf)
