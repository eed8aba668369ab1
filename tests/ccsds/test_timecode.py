"""CCSDS time codes (CCSDS 301.0-B-4) and the TAI − UTC table."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacepackets.ccsds.time import CdsShortTimestamp

from flightsw.ccsds.timecode import (
    LEAP_SECONDS,
    TAI_EPOCH,
    Cds,
    CdsResolution,
    Cuc,
    CucFormat,
    CucTimeCodeId,
    tai_minus_utc,
    tai_to_utc,
    utc_to_tai,
)
from flightsw.errors import ConfigError, DecodeError, EncodeError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile, TimeProfile

cuc_formats = st.builds(CucFormat, st.integers(1, 7), st.integers(0, 10), st.sampled_from(CucTimeCodeId))


@st.composite
def cuc_times(draw: st.DrawFn) -> Cuc:
    fmt = draw(cuc_formats)
    return Cuc(draw(st.integers(0, (1 << (8 * fmt.coarse_octets)) - 1)),
               draw(st.integers(0, (1 << (8 * fmt.fine_octets)) - 1)), fmt)


# --- CUC ---------------------------------------------------------------------------------------------------

def test_inconsistent_profile_time_format_is_a_config_error() -> None:
    bad = LinkProfile(time=TimeProfile(cuc_coarse_octets=4, cuc_fine_octets=3, cuc_pfield=0x1E))
    with pytest.raises(ConfigError):
        CucFormat.from_profile(bad)
    with pytest.raises(ConfigError):
        CucFormat.from_profile(LinkProfile(time=TimeProfile(cuc_pfield=0x4E)))


def test_profile_pfield_is_level_1_four_coarse_two_fine() -> None:
    # '0 001 11 10': no extension, TAI epoch 1958, 3+1 coarse octets, 2 fine octets (§3.2.2).
    fmt, used = CucFormat.from_pfield(bytes([0b0001_1110]))
    assert used == 1
    assert (fmt.coarse_octets, fmt.fine_octets, fmt.time_code_id) == (4, 2, CucTimeCodeId.TAI_1958)
    assert CucFormat().pfield() == bytes([DEFAULT_PROFILE.time.cuc_pfield])
    assert CucFormat.from_profile() == fmt


def test_known_tai_instant_to_bytes_and_back() -> None:
    # 2000-01-01T12:00:00 TAI: 42 years after 1958 with 10 leap days = 15340 days, plus half a day.
    seconds = 15340 * 86400 + 43200
    instant = datetime(2000, 1, 1, 12, 0, 0, 500000)
    cuc = Cuc.from_datetime(instant)
    assert cuc.encode() == seconds.to_bytes(4, "big") + b"\x80\x00"
    assert cuc.encode(explicit_pfield=True) == b"\x1e" + seconds.to_bytes(4, "big") + b"\x80\x00"
    assert Cuc.decode(cuc.encode()).to_datetime() == instant
    assert Cuc.decode(cuc.encode(True), explicit_pfield=True) == cuc


@pytest.mark.parametrize(
    ("coarse", "fine", "pfield"),
    [
        (1, 0, bytes([0b0001_0000])),
        (4, 3, bytes([0b0001_1111])),
        (5, 0, bytes([0b1001_1100, 0b0010_0000])),  # extension: one more coarse octet
        (4, 4, bytes([0b1001_1111, 0b0000_0100])),  # extension: one more fine octet
        (7, 10, bytes([0b1001_1111, 0b0111_1100])),  # the largest CUC
    ],
)
def test_pfield_variants(coarse: int, fine: int, pfield: bytes) -> None:
    fmt = CucFormat(coarse, fine)
    assert fmt.pfield() == pfield
    assert CucFormat.from_pfield(pfield + b"\x00") == (fmt, len(pfield))


def test_agency_epoch_code_id_and_epoch() -> None:
    fmt = CucFormat(4, 0, CucTimeCodeId.AGENCY_EPOCH)
    assert fmt.pfield() == bytes([0b0010_1100])
    epoch = datetime(2000, 1, 1, 11, 59, 27, 816000)
    cuc = Cuc.from_datetime(epoch + timedelta(seconds=10), fmt, epoch=epoch)
    assert cuc.coarse == 10
    assert cuc.to_datetime(epoch) == epoch + timedelta(seconds=10)
    with pytest.raises(EncodeError):
        cuc.to_datetime()
    with pytest.raises(EncodeError):
        Cuc(0).to_datetime(epoch)


@settings(max_examples=150)
@given(cuc_times(), st.booleans())
def test_cuc_round_trip(cuc: Cuc, explicit: bool) -> None:
    raw = cuc.encode(explicit)
    assert Cuc.decode(raw, explicit_pfield=explicit, implicit_format=cuc.format) == cuc
    decoded, used = Cuc.decode_prefix(raw + b"\xFF", explicit_pfield=explicit, implicit_format=cuc.format)
    assert (decoded, used) == (cuc, len(raw))


@settings(max_examples=150)
@given(cuc_formats, st.data())
def test_cuc_from_seconds_is_nearest_at_resolution(fmt: CucFormat, data: st.DataObject) -> None:
    seconds = data.draw(st.fractions(min_value=0, max_value=(1 << (8 * fmt.coarse_octets)) - 1))
    cuc = Cuc.from_seconds(seconds, fmt)
    assert abs(cuc.seconds - seconds) <= Fraction(1, 2 << (8 * fmt.fine_octets))


def test_fine_rounding_carries_into_coarse() -> None:
    cuc = Cuc.from_seconds(Fraction(5) - Fraction(1, 1 << 20), CucFormat(4, 1))
    assert (cuc.coarse, cuc.fine) == (5, 0)


def test_cuc_refuses_values_that_do_not_fit() -> None:
    with pytest.raises(EncodeError):
        Cuc.from_seconds(256, CucFormat(1, 0))
    with pytest.raises(EncodeError):
        Cuc(1 << 32)
    with pytest.raises(EncodeError):
        Cuc(0, 1 << 16)
    with pytest.raises(EncodeError):
        Cuc.from_seconds(-1)
    with pytest.raises(EncodeError):
        Cuc.from_seconds(float("nan"))
    with pytest.raises(EncodeError):
        Cuc.from_seconds(float("inf"))
    with pytest.raises(EncodeError):
        CucFormat(8, 0)
    with pytest.raises(EncodeError):
        CucFormat(1, 11)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "truncated"),
        (b"\x1e\x00\x00", "truncated"),
        (b"\x9e", "truncated"),  # extension flag without its octet
        (b"\x4e" + bytes(6), "wrong_time_code"),  # '100' is CDS
        (b"\x9e\x80" + bytes(6), "unsupported_pfield"),
        (b"\x9e\x01" + bytes(6), "reserved_bits"),
        (b"\x1e" + bytes(7), "trailing_bytes"),
    ],
)
def test_cuc_decode_strictness(raw: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as err:
        Cuc.decode(raw, explicit_pfield=True)
    assert err.value.reason == reason


def test_cuc_implicit_decode_needs_exact_length() -> None:
    with pytest.raises(DecodeError, match="truncated"):
        Cuc.decode(bytes(5))
    with pytest.raises(DecodeError, match="trailing_bytes"):
        Cuc.decode(bytes(7))


# --- CDS ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("cds", "pfield"),
    [
        (Cds(0, 0), 0b0100_0000),
        (Cds(0, 0, 0, 2, CdsResolution.MICROSECONDS), 0b0100_0001),
        (Cds(0, 0, 0, 2, CdsResolution.PICOSECONDS), 0b0100_0010),
        (Cds(0, 0, 0, 3), 0b0100_0100),
        (Cds(0, 0, agency_epoch=True), 0b0100_1000),
    ],
)
def test_cds_pfield(cds: Cds, pfield: int) -> None:
    # §3.3.2: '0 100 E D SS' — time code id 100, epoch id, day length, submillisecond resolution.
    assert cds.pfield() == bytes([pfield])


def test_cds_known_vector() -> None:
    cds = Cds.from_datetime(datetime(1958, 1, 2, 0, 0, 0, 1000))
    assert cds.encode() == b"\x00\x01" + (1).to_bytes(4, "big")
    micro = Cds.from_datetime(datetime(1958, 1, 3, 1, 0, 0, 2003), resolution=CdsResolution.MICROSECONDS)
    assert micro.encode(True) == b"\x41\x00\x02" + (3_600_002).to_bytes(4, "big") + (3).to_bytes(2, "big")


def test_cds_agrees_with_spacepackets_cds_short() -> None:
    peer = CdsShortTimestamp(ccsds_days=23000, ms_of_day=12_345_678).pack()
    ours = Cds(23000, 12_345_678)
    assert ours.encode(explicit_pfield=True) == peer
    assert Cds.decode(peer, explicit_pfield=True) == ours


cds_times = st.sampled_from(CdsResolution).flatmap(
    lambda res: st.builds(
        Cds,
        st.integers(0, 0xFFFF),
        st.integers(0, 86_400_999),
        st.integers(0, {0: 0, 1: 999, 2: 999_999_999}[int(res)]),
        st.just(2),
        st.just(res),
        st.booleans(),
    )
)


@settings(max_examples=150)
@given(cds_times, st.booleans(), st.booleans())
def test_cds_round_trip(cds: Cds, explicit: bool, long_days: bool) -> None:
    if long_days:
        cds = Cds(cds.days * 200, cds.ms_of_day, cds.submilliseconds, 3, cds.resolution, cds.agency_epoch)
    raw = cds.encode(explicit)
    assert len(raw) == cds.tfield_length + explicit
    decoded = Cds.decode(raw, explicit_pfield=explicit, day_octets=cds.day_octets, resolution=cds.resolution,
                         agency_epoch=cds.agency_epoch)
    assert decoded == cds


@settings(max_examples=100)
@given(st.datetimes(min_value=datetime(1958, 1, 1), max_value=datetime(2137, 1, 1)))
def test_cds_datetime_round_trip_at_microseconds(instant: datetime) -> None:
    cds = Cds.from_datetime(instant, resolution=CdsResolution.MICROSECONDS)
    assert cds.to_datetime() == instant


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "truncated"),
        (b"\x40\x00\x01\x00\x00\x00", "truncated"),
        (b"\x40" + bytes(7), "trailing_bytes"),
        (b"\x1e" + bytes(6), "wrong_time_code"),
        (b"\x43" + bytes(6), "reserved_bits"),
        (b"\xc0" + bytes(6), "unsupported_pfield"),
        (b"\x40\x00\x00" + (86_401_000).to_bytes(4, "big"), "out_of_range"),
        (b"\x41\x00\x00\x00\x00\x00\x00" + (1000).to_bytes(2, "big"), "out_of_range"),
        (b"\x42\x00\x00\x00\x00\x00\x00" + (10**9).to_bytes(4, "big"), "out_of_range"),
    ],
)
def test_cds_decode_strictness(raw: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as err:
        Cds.decode(raw, explicit_pfield=True)
    assert err.value.reason == reason


def test_cds_refuses_values_that_do_not_fit() -> None:
    for bad in (
        lambda: Cds(1 << 16, 0),
        lambda: Cds(0, 86_401_000),
        lambda: Cds(0, 0, 1000, 2, CdsResolution.MICROSECONDS),
        lambda: Cds(0, 0, 1, 2, CdsResolution.MILLISECONDS),
        lambda: Cds(0, 0, day_octets=4),
        lambda: Cds.from_seconds(-0.5),
    ):
        with pytest.raises(EncodeError):
            bad()


def test_cds_agency_epoch_needs_the_epoch() -> None:
    epoch = datetime(2020, 1, 1)
    cds = Cds.from_datetime(datetime(2020, 1, 2, 0, 0, 1), epoch=epoch)
    assert (cds.days, cds.ms_of_day, cds.agency_epoch) == (1, 1000, True)
    assert cds.to_datetime(epoch) == datetime(2020, 1, 2, 0, 0, 1)
    with pytest.raises(EncodeError):
        cds.to_datetime()


# --- TAI − UTC ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("utc", "offset"),
    [
        (datetime(1972, 1, 1), 10),
        (datetime(1972, 6, 30, 23, 59, 59), 10),
        (datetime(1972, 7, 1), 11),
        (datetime(1980, 1, 6), 19),  # GPS epoch: TAI − GPS = 19 s
        (datetime(1999, 1, 1), 32),
        (datetime(2000, 1, 1, 11, 58, 55, 816000), 32),  # J2000.0 in UTC
        (datetime(2016, 12, 31, 23, 59, 59, 999999), 36),
        (datetime(2017, 1, 1), 37),
        (datetime(2026, 1, 1, tzinfo=UTC), 37),
    ],
)
def test_leap_second_offsets(utc: datetime, offset: int) -> None:
    assert tai_minus_utc(utc) == offset


def test_j2000_in_tai() -> None:
    # J2000.0 = 2000-01-01T12:00:00 TT = 11:59:27.816 TAI = 11:58:55.816 UTC (TT − TAI = 32.184 s).
    assert utc_to_tai(datetime(2000, 1, 1, 11, 58, 55, 816000)) == datetime(2000, 1, 1, 11, 59, 27, 816000)


def test_before_1972_is_refused() -> None:
    with pytest.raises(EncodeError):
        tai_minus_utc(datetime(1971, 12, 31, 23, 59, 59))
    with pytest.raises(EncodeError):
        tai_to_utc(datetime(1972, 1, 1, 0, 0, 9))


def test_leap_second_maps_to_the_end_of_the_last_second() -> None:
    # 2016-12-31T23:59:60 UTC is 2017-01-01T00:00:36 TAI.
    assert tai_to_utc(datetime(2017, 1, 1, 0, 0, 35)) == datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)
    last = datetime(2016, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert tai_to_utc(datetime(2017, 1, 1, 0, 0, 36)) == last
    assert tai_to_utc(datetime(2017, 1, 1, 0, 0, 36, 999999)) == last
    assert tai_to_utc(datetime(2017, 1, 1, 0, 0, 37)) == datetime(2017, 1, 1, tzinfo=UTC)


@settings(max_examples=150)
@given(st.datetimes(min_value=datetime(1972, 1, 1), max_value=datetime(2100, 1, 1)))
def test_utc_tai_round_trip(utc: datetime) -> None:
    assert tai_to_utc(utc_to_tai(utc)) == utc.replace(tzinfo=UTC)


def test_aware_tai_is_refused() -> None:
    with pytest.raises(EncodeError):
        tai_to_utc(datetime(2020, 1, 1, tzinfo=UTC))


def test_table_is_increasing_by_one_second() -> None:
    dates = [d for d, _ in LEAP_SECONDS]
    offsets = [o for _, o in LEAP_SECONDS]
    assert dates == sorted(dates)
    assert offsets == list(range(10, 38))
    assert all(d.day == 1 and d.month in (1, 7) for d in dates)


LEAP_SECONDS_LIST = Path("/usr/share/zoneinfo/leap-seconds.list")


@pytest.mark.skipif(not LEAP_SECONDS_LIST.exists(), reason="no IERS leap-seconds.list from tzdata here")
def test_table_matches_the_iers_leap_seconds_list() -> None:
    ntp_epoch = datetime(1900, 1, 1)
    published = []
    for line in LEAP_SECONDS_LIST.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            stamp, offset = line.split()[:2]
            published.append(((ntp_epoch + timedelta(seconds=int(stamp))).date(), int(offset)))
    assert published == list(LEAP_SECONDS)


def test_cuc_of_a_utc_instant_through_the_table() -> None:
    utc = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
    cuc = Cuc.from_datetime(utc_to_tai(utc))
    assert cuc.coarse == (datetime(2024, 3, 1, 12) - TAI_EPOCH).days * 86400 + 12 * 3600 + 37
    assert tai_to_utc(cuc.to_datetime()) == utc
    assert date(2024, 3, 1) == tai_to_utc(cuc.to_datetime()).date()


@settings(max_examples=300)
@given(st.binary(max_size=24))
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    for decoder in (
        lambda raw: Cuc.decode(raw, explicit_pfield=True),
        lambda raw: Cuc.decode(raw),
        lambda raw: Cds.decode(raw, explicit_pfield=True),
        lambda raw: Cds.decode(raw, resolution=CdsResolution.PICOSECONDS, day_octets=3),
        CucFormat.from_pfield,
    ):
        with contextlib.suppress(DecodeError):
            decoder(data)
