"""Python-shaped calls into the C subset (the cffi test module), returning the Python stack's own types where
one exists, so that the differential tests compare like with like. A C status other than CCSDS_OK becomes
:class:`CStatusError` carrying the same snake_case reason the Python stack uses."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from flightsw.ccsds.pus import PusTc, PusTm
from flightsw.ccsds.spacepacket import SequenceFlags
from flightsw.ccsds.tc_frame import ControlCommand, TcFrame


class CStatusError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CStack:
    def __init__(self, module: ModuleType) -> None:
        self.ffi: Any = module.ffi
        self.lib: Any = module.lib

    def reason(self, status: int) -> str:
        return str(self.ffi.string(self.lib.ccsds_status_name(status)).decode())

    def check(self, status: int) -> None:
        if status != self.lib.CCSDS_OK:
            raise CStatusError(self.reason(status))

    # -- CRC and randomisers ---------------------------------------------------------------------------

    def crc16(self, data: bytes, init: int = 0xFFFF) -> int:
        out = self.ffi.new("uint16_t *")
        self.check(self.lib.ccsds_crc16(data, len(data), init, out))
        return int(out[0])

    def tm_randomise(self, data: bytes) -> bytes:
        buf = bytearray(data)
        self.check(self.lib.ccsds_tm_randomise(self.ffi.from_buffer(buf), len(buf)))
        return bytes(buf)

    def tc_randomise(self, data: bytes) -> bytes:
        buf = bytearray(data)
        self.check(self.lib.ccsds_tc_randomise(self.ffi.from_buffer(buf), len(buf)))
        return bytes(buf)

    # -- CLTU ----------------------------------------------------------------------------------------------

    def bch_encode(self, info: bytes) -> bytes:
        assert len(info) == 7
        out = self.ffi.new("uint8_t[8]")
        self.check(self.lib.ccsds_bch_encode(info, out))
        return bytes(self.ffi.buffer(out, 8))

    def bch_decode(self, block: bytes, correct: bool = True) -> tuple[bytes, bool]:
        assert len(block) == 8
        info = self.ffi.new("uint8_t[7]")
        corrected = self.ffi.new("bool *")
        self.check(self.lib.ccsds_bch_decode(block, correct, info, corrected))
        return bytes(self.ffi.buffer(info, 7)), bool(corrected[0])

    def cltu_encode(self, frame: bytes, randomise: bool = False) -> bytes:
        capacity = self.lib.CCSDS_CLTU_MAX_LENGTH
        out = self.ffi.new("uint8_t[]", capacity)
        length = self.ffi.new("size_t *")
        self.check(self.lib.ccsds_cltu_encode(frame, len(frame), randomise, out, capacity, length))
        return bytes(self.ffi.buffer(out, length[0]))

    def cltu_decoder(self, randomised: bool = False, correct: bool = True, fecf: bool = True) -> CltuStream:
        return CltuStream(self, randomised, correct, fecf)

    # -- TC frames -----------------------------------------------------------------------------------------

    def tc_frame_decode(self, raw: bytes, fecf: bool = True) -> TcFrame:
        frame = self.ffi.new("ccsds_tc_frame *")
        self.check(self.lib.ccsds_tc_frame_decode(raw, len(raw), fecf, frame))
        return TcFrame(
            scid=frame.scid,
            vcid=frame.vcid,
            sequence_number=frame.sequence_number,
            data=bytes(self.ffi.buffer(frame.data, frame.data_length)),
            bypass=bool(frame.bypass),
            control_command=bool(frame.control_command),
            version=frame.version,
        )

    def tc_frame_encode(self, tc: TcFrame, fecf: bool = True) -> bytes:
        data = self.ffi.new("uint8_t[]", tc.data or b"\0")
        frame = self.ffi.new(
            "ccsds_tc_frame *",
            {
                "version": tc.version,
                "bypass": tc.bypass,
                "control_command": tc.control_command,
                "scid": tc.scid,
                "vcid": tc.vcid,
                "sequence_number": tc.sequence_number,
                "data": data,
                "data_length": len(tc.data),
            },
        )
        capacity = self.lib.CCSDS_TC_MAX_FRAME_LENGTH
        out = self.ffi.new("uint8_t[]", capacity)
        length = self.ffi.new("size_t *")
        self.check(self.lib.ccsds_tc_frame_encode(frame, fecf, out, capacity, length))
        return bytes(self.ffi.buffer(out, length[0]))

    def control_parse(self, data: bytes) -> ControlCommand:
        kind = self.ffi.new("ccsds_control_kind *")
        vr = self.ffi.new("uint8_t *")
        self.check(self.lib.ccsds_tc_control_parse(data, len(data), kind, vr))
        if kind[0] == self.lib.CCSDS_CONTROL_UNLOCK:
            return ControlCommand("unlock")
        return ControlCommand("set_vr", int(vr[0]))

    def control_set_vr(self, vr: int) -> bytes:
        out = self.ffi.new("uint8_t[3]")
        length = self.ffi.new("size_t *")
        self.check(self.lib.ccsds_tc_control_set_vr(vr, out, 3, length))
        return bytes(self.ffi.buffer(out, length[0]))

    def control_unlock(self) -> bytes:
        out = self.ffi.new("uint8_t[1]")
        length = self.ffi.new("size_t *")
        self.check(self.lib.ccsds_tc_control_unlock(out, 1, length))
        return bytes(self.ffi.buffer(out, length[0]))

    def farm(self, vcid: int, window_width: int, buffer_capacity: int | None, initial_vr: int = 0) -> CFarm:
        return CFarm(self, vcid, window_width, buffer_capacity, initial_vr)

    # -- PUS -----------------------------------------------------------------------------------------------

    def pus_tc_decode(self, raw: bytes, pec: bool = True) -> PusTc:
        tc = self.ffi.new("ccsds_pus_tc *")
        self.check(self.lib.ccsds_pus_tc_decode(raw, len(raw), pec, tc))
        return PusTc(
            apid=tc.apid,
            sequence_count=tc.sequence_count,
            ack_flags=tc.ack_flags,
            service=tc.service,
            subtype=tc.subtype,
            source_id=tc.source_id,
            app_data=bytes(self.ffi.buffer(tc.app_data, tc.app_data_length)),
            sequence_flags=SequenceFlags(tc.sequence_flags),
        )

    def pus_tc_encode(self, tc: PusTc, pec: bool = True) -> bytes:
        app = self.ffi.new("uint8_t[]", tc.app_data or b"\0")
        c_tc = self.ffi.new(
            "ccsds_pus_tc *",
            {
                "apid": tc.apid,
                "sequence_flags": int(tc.sequence_flags),
                "sequence_count": tc.sequence_count,
                "ack_flags": tc.ack_flags,
                "service": tc.service,
                "subtype": tc.subtype,
                "source_id": tc.source_id,
                "app_data": app,
                "app_data_length": len(tc.app_data),
            },
        )
        capacity = len(tc.app_data) + 64
        out = self.ffi.new("uint8_t[]", capacity)
        length = self.ffi.new("size_t *")
        self.check(self.lib.ccsds_pus_tc_encode(c_tc, pec, out, capacity, length))
        return bytes(self.ffi.buffer(out, length[0]))

    def pus_tm_decode(self, raw: bytes, pec: bool = True) -> PusTm:
        tm = self.ffi.new("ccsds_pus_tm *")
        self.check(self.lib.ccsds_pus_tm_decode(raw, len(raw), pec, tm))
        return PusTm(
            apid=tm.apid,
            sequence_count=tm.sequence_count,
            service=tm.service,
            subtype=tm.subtype,
            message_type_counter=tm.message_type_counter,
            destination_id=tm.destination_id,
            time=bytes(self.ffi.buffer(tm.time, self.lib.CCSDS_CUC_LENGTH)),
            source_data=bytes(self.ffi.buffer(tm.source_data, tm.source_data_length)),
            spacecraft_time_reference_status=tm.time_reference_status,
            sequence_flags=SequenceFlags(tm.sequence_flags),
        )

    def pus_tm_encode(self, tm: PusTm, pec: bool = True) -> bytes:
        source = self.ffi.new("uint8_t[]", tm.source_data or b"\0")
        c_tm = self.ffi.new(
            "ccsds_pus_tm *",
            {
                "apid": tm.apid,
                "sequence_flags": int(tm.sequence_flags),
                "sequence_count": tm.sequence_count,
                "time_reference_status": tm.spacecraft_time_reference_status,
                "service": tm.service,
                "subtype": tm.subtype,
                "message_type_counter": tm.message_type_counter,
                "destination_id": tm.destination_id,
                "time": list(tm.time),
                "source_data": source,
                "source_data_length": len(tm.source_data),
            },
        )
        capacity = len(tm.source_data) + 64
        out = self.ffi.new("uint8_t[]", capacity)
        length = self.ffi.new("size_t *")
        self.check(self.lib.ccsds_pus_tm_encode(c_tm, pec, out, capacity, length))
        return bytes(self.ffi.buffer(out, length[0]))

    def cuc_encode(self, coarse: int, fine: int) -> bytes:
        out = self.ffi.new("uint8_t[]", self.lib.CCSDS_CUC_LENGTH)
        self.check(self.lib.ccsds_cuc_encode(coarse, fine, out))
        return bytes(self.ffi.buffer(out, self.lib.CCSDS_CUC_LENGTH))

    def cuc_decode(self, raw: bytes) -> tuple[int, int]:
        coarse = self.ffi.new("uint64_t *")
        fine = self.ffi.new("uint32_t *")
        self.check(self.lib.ccsds_cuc_decode(raw, len(raw), coarse, fine))
        return int(coarse[0]), int(fine[0])

    def tm_channel(self, with_asm: bool = False, randomise: bool = False) -> CTmChannel:
        return CTmChannel(self, with_asm, randomise)


@dataclass
class CltuStreamResult:
    frames: list[bytes]
    rejections: list[str]


class CltuStream:
    """A C CLTU decoder fed one octet at a time, as the firmware's receive interrupt feeds it."""

    def __init__(self, stack: CStack, randomised: bool, correct: bool, fecf: bool) -> None:
        self._stack = stack
        self._decoder = stack.ffi.new("ccsds_cltu_decoder *")
        stack.check(stack.lib.ccsds_cltu_decoder_init(self._decoder, randomised, correct, fecf))
        self._frame = stack.ffi.new("const uint8_t **")
        self._length = stack.ffi.new("size_t *")

    @property
    def counters(self) -> Any:
        return self._decoder.counters

    def feed(self, chunk: bytes) -> CltuStreamResult:
        stack, lib, ffi = self._stack, self._stack.lib, self._stack.ffi
        frames: list[bytes] = []
        rejections: list[str] = []
        push = lib.ccsds_cltu_decoder_push
        for octet in chunk:
            status = push(self._decoder, octet, self._frame, self._length)
            if status != lib.CCSDS_OK:
                rejections.append(stack.reason(status))
            elif self._length[0]:
                frames.append(bytes(ffi.buffer(self._frame[0], self._length[0])))
        return CltuStreamResult(frames, rejections)


@dataclass(frozen=True)
class FarmResult:
    status: str
    event: int
    outcome: str
    reason: str
    old_state: int
    new_state: int
    sequence_number: int
    data: bytes
    vr: int


_OUTCOMES = ("none", "accepted_ad", "accepted_bd", "discarded", "control_executed", "control_not_executed")


class CFarm:
    def __init__(
        self, stack: CStack, vcid: int, window_width: int, buffer_capacity: int | None, initial_vr: int
    ) -> None:
        self._stack = stack
        self._farm = stack.ffi.new("ccsds_farm *")
        self.scid = stack.lib.FSW_SCID
        capacity = buffer_capacity or 0
        status = stack.lib.ccsds_farm_init(self._farm, self.scid, vcid, window_width, capacity, initial_vr)
        stack.check(status)
        self._result = stack.ffi.new("ccsds_farm_result *")
        self._keep: Any = None

    @property
    def state(self) -> int:
        return int(self._farm.state)

    @property
    def vr(self) -> int:
        return int(self._farm.vr)

    def _read(self, status: int) -> FarmResult:
        r = self._result
        ffi = self._stack.ffi
        data = bytes(ffi.buffer(r.data, r.data_length)) if r.data_length else b""
        return FarmResult(
            status=self._stack.reason(status),
            event=int(r.event),
            outcome=_OUTCOMES[int(r.outcome)],
            reason=self._stack.reason(r.reason),
            old_state=int(r.old_state),
            new_state=int(r.new_state),
            sequence_number=int(r.sequence_number),
            data=data,
            vr=int(r.vr),
        )

    def receive_bytes(self, raw: bytes, fecf: bool = True) -> FarmResult:
        self._keep = self._stack.ffi.new("uint8_t[]", raw or b"\0")
        lib = self._stack.lib
        status = lib.ccsds_farm_receive_bytes(self._farm, self._keep, len(raw), fecf, self._result)
        return self._read(status)

    def release_buffer(self, count: int = 1) -> FarmResult:
        status = self._stack.lib.ccsds_farm_release_buffer(self._farm, count, self._result)
        return self._read(status)

    def clcw(self) -> bytes:
        out = self._stack.ffi.new("uint8_t[4]")
        self._stack.check(self._stack.lib.ccsds_farm_clcw_bytes(self._farm, out))
        return bytes(self._stack.ffi.buffer(out, 4))


class CTmChannel:
    """The C TM frame builder: one master channel with its packet VCs."""

    def __init__(self, stack: CStack, with_asm: bool, randomise: bool) -> None:
        self._stack = stack
        self._channel = stack.ffi.new("ccsds_tm_channel *")
        stack.check(stack.lib.ccsds_tm_channel_init(self._channel, with_asm, randomise))
        unit = stack.ffi.new("size_t *")
        stack.check(stack.lib.ccsds_tm_unit_length(self._channel, unit))
        self.unit = int(unit[0])
        self._vcs: dict[int, Any] = {}

    def _vc(self, vcid: int) -> Any:
        if vcid not in self._vcs:
            vc = self._stack.ffi.new("ccsds_tm_vc *")
            self._stack.check(self._stack.lib.ccsds_tm_vc_init(vc, vcid))
            self._vcs[vcid] = vc
        return self._vcs[vcid]

    def _split(self, out: Any, written: int) -> list[bytes]:
        raw = bytes(self._stack.ffi.buffer(out, written))
        return [raw[i : i + self.unit] for i in range(0, written, self.unit)]

    def add_packet(self, vcid: int, packet: bytes, clcw: bytes, capacity: int | None = None) -> list[bytes]:
        ffi, lib = self._stack.ffi, self._stack.lib
        if capacity is None:
            capacity = self.unit * (len(packet) // lib.CCSDS_TM_DATA_FIELD_LENGTH + 2)
        out = ffi.new("uint8_t[]", max(capacity, 1))
        written = ffi.new("size_t *")
        vc = self._vc(vcid)
        self._stack.check(
            lib.ccsds_tm_vc_add_packet(vc, self._channel, packet, len(packet), clcw, out, capacity, written)
        )
        return self._split(out, written[0])

    def flush(self, vcid: int, clcw: bytes) -> list[bytes]:
        ffi, lib = self._stack.ffi, self._stack.lib
        out = ffi.new("uint8_t[]", self.unit)
        written = ffi.new("size_t *")
        self._stack.check(lib.ccsds_tm_vc_flush(self._vc(vcid), self._channel, clcw, out, self.unit, written))
        return self._split(out, written[0])

    def idle_frame(self, clcw: bytes) -> bytes:
        ffi, lib = self._stack.ffi, self._stack.lib
        out = ffi.new("uint8_t[]", self.unit)
        written = ffi.new("size_t *")
        self._stack.check(lib.ccsds_tm_idle_frame(self._channel, clcw, out, self.unit, written))
        return bytes(ffi.buffer(out, written[0]))
