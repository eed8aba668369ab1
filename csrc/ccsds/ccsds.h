/*
 * The C link/protocol subset of the flightsw CCSDS stack, for the STM32 node and for host tests.
 *
 * C99, no dynamic memory, no global mutable state: every piece of state lives in a struct the caller owns.
 * Every function returns a ccsds_status; outputs go through pointers. Every length is checked against the
 * buffer it describes, every loop is bounded by a length or a constant. Mission constants come from the
 * generated link profile (csrc/generated/link_profile.h), never re-typed.
 *
 * Standards: CCSDS 131.0-B-4 (ASM, TM randomiser), 132.0-B-3 (TM frames), 133.0-B-2 (Space Packets),
 * 231.0-B-4 (CLTU, BCH, TC randomiser), 232.0-B-4 (TC frames, CLCW), 232.1-B-2 (FARM-1),
 * ECSS-E-ST-70-41C (PUS-C), 301.0-B-4 (CUC).
 *
 * The Python stack (flightsw/ccsds) is the reference: the status names returned by ccsds_status_name() are the
 * `reason` strings of its DecodeError/EncodeError, and tests/csubset checks that both sides agree.
 */
#ifndef CCSDS_H
#define CCSDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../generated/link_profile.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status ------------------------------------------------------------------------------------------- */

typedef enum {
    CCSDS_OK = 0,
    CCSDS_ERR_NULL,                       /* a required pointer was NULL */
    CCSDS_ERR_BUFFER_TOO_SMALL,           /* the caller's output buffer cannot hold the result */
    CCSDS_ERR_TRUNCATED,                  /* fewer octets than the unit needs */
    CCSDS_ERR_TRAILING_BYTES,             /* more octets than the unit announces */
    CCSDS_ERR_LENGTH_MISMATCH,            /* a length field disagrees with the structure */
    CCSDS_ERR_BAD_CRC,                    /* FECF or packet error control does not check */
    CCSDS_ERR_WRONG_VERSION,              /* frame or packet version number */
    CCSDS_ERR_WRONG_TYPE,                 /* TM where TC was expected, or the reverse */
    CCSDS_ERR_WRONG_SCID,
    CCSDS_ERR_WRONG_VCID,
    CCSDS_ERR_BAD_SPARE,                  /* spare bits not zero */
    CCSDS_ERR_INCONSISTENT_FLAGS,         /* flag combination the standard forbids */
    CCSDS_ERR_SEC_HEADER_FLAG,            /* secondary header flag wrong for this packet */
    CCSDS_ERR_IDLE_PACKET,                /* APID 0x7FF where a PUS packet was expected */
    CCSDS_ERR_UNKNOWN_PUS_VERSION,
    CCSDS_ERR_UNKNOWN_CONTROL_COMMAND,    /* Type-BC data that is neither Unlock nor Set V(R) */
    CCSDS_ERR_OCF_MISMATCH,               /* TM OCF flag disagrees with the profile */
    CCSDS_ERR_SECONDARY_HEADER_MISMATCH,  /* TM secondary header flag disagrees with the profile */
    CCSDS_ERR_BAD_FIRST_HEADER_POINTER,
    CCSDS_ERR_OUT_OF_RANGE,               /* a value does not fit its field */
    CCSDS_ERR_EMPTY_DATA,                 /* nothing to encode */
    CCSDS_ERR_TOO_LONG,                   /* over the largest unit the standard allows */
    CCSDS_ERR_EMPTY_CLTU,                 /* a CLTU with no valid codeblock */
    CCSDS_ERR_TRAILING_CODEBLOCKS,        /* a whole codeblock or more after the frame in a CLTU */
    CCSDS_ERR_BAD_FILL,                   /* CLTU fill octets not the profile's fill */
    CCSDS_ERR_UNCORRECTABLE,              /* codeblock with more than one bit in error */
    CCSDS_ERR_CODEBLOCK_ERROR,            /* codeblock with an error while correction is off */
    CCSDS_ERR_LOCKOUT,                    /* FARM-1: discarded in Lockout */
    CCSDS_ERR_SEQUENCE_GAP,               /* FARM-1: N(S) in the positive window, not V(R) */
    CCSDS_ERR_DUPLICATE,                  /* FARM-1: N(S) in the negative window */
    CCSDS_ERR_LOCKOUT_AREA,               /* FARM-1: N(S) outside both windows, enters Lockout */
    CCSDS_ERR_NO_BUFFER,                  /* FARM-1: no buffer space, enters Wait */
    CCSDS_ERR_BAD_CONFIG,                 /* invalid initialisation parameter */
    CCSDS_ERR_NO_SPACE,                   /* a fixed-size table of the caller's state is full */
    CCSDS_ERR_UNSUPPORTED_COP,            /* CLCW "COP in effect" other than COP-1 */
    CCSDS_STATUS_COUNT
} ccsds_status;

/* The snake_case reason of a status, as the Python stack names it ("bad_crc"); "unknown" if out of range. */
const char *ccsds_status_name(ccsds_status status);

/* ---- CRC-16/CCITT-FALSE (132.0-B-3 §4.1.6, 232.0-B-4 §4.1.4, ECSS-E-ST-70-41C annex B) -------------- */

#define CCSDS_CRC16_INIT 0xFFFFu

/* Continue a running CRC: pass CCSDS_CRC16_INIT to start. NULL data is allowed only with length 0. */
ccsds_status ccsds_crc16(const uint8_t *data, size_t length, uint16_t init, uint16_t *crc);

/* ---- pseudo-randomisers (TM: 131.0-B-4 §10.4; TC: 231.0-B-4 §6); self-inverse, in place -------------- */

ccsds_status ccsds_tm_randomise(uint8_t *data, size_t length);
ccsds_status ccsds_tc_randomise(uint8_t *data, size_t length);

/* ---- TC transfer frames (232.0-B-4) ------------------------------------------------------------------- */

#define CCSDS_TC_PRIMARY_HEADER_LENGTH 5u
#define CCSDS_TC_FECF_LENGTH 2u
#define CCSDS_TC_MAX_FRAME_LENGTH 1024u /* 232.0-B-4 §4.1.2.7.2 */
#define CCSDS_TC_SEQ_CONTINUATION 0u
#define CCSDS_TC_SEQ_FIRST 1u
#define CCSDS_TC_SEQ_LAST 2u
#define CCSDS_TC_SEQ_UNSEGMENTED 3u

typedef struct {
    uint8_t version;         /* 0 */
    bool bypass;             /* Type-B */
    bool control_command;    /* Type-C (needs bypass) */
    uint16_t scid;           /* 10 bits */
    uint8_t vcid;            /* 6 bits */
    uint8_t sequence_number; /* N(S) */
    const uint8_t *data;     /* frame data field (segment header included); decode points into the input */
    size_t data_length;
} ccsds_tc_frame;

/* Decode exactly one frame of `length` octets; checks version, spares, flags, length field, FECF. */
ccsds_status ccsds_tc_frame_decode(const uint8_t *raw, size_t length, bool fecf, ccsds_tc_frame *frame);
ccsds_status ccsds_tc_frame_encode(const ccsds_tc_frame *frame, bool fecf, uint8_t *out, size_t capacity,
                                   size_t *out_length);
/* Total frame length from the frame length field (first 4 octets needed, nothing else checked). */
ccsds_status ccsds_tc_frame_peek_length(const uint8_t *header, size_t length, size_t *frame_length);

ccsds_status ccsds_tc_segment_header_encode(uint8_t sequence_flags, uint8_t map_id, uint8_t *out);
ccsds_status ccsds_tc_segment_header_decode(const uint8_t *data, size_t length, uint8_t *sequence_flags,
                                            uint8_t *map_id);

/* COP-1 control commands carried by Type-BC frames (232.1-B-2 §5.2). */
typedef enum { CCSDS_CONTROL_UNLOCK = 1, CCSDS_CONTROL_SET_VR = 2 } ccsds_control_kind;
#define CCSDS_CONTROL_UNLOCK_LENGTH 1u
#define CCSDS_CONTROL_SET_VR_LENGTH 3u

ccsds_status ccsds_tc_control_parse(const uint8_t *data, size_t length, ccsds_control_kind *kind,
                                    uint8_t *vr);
ccsds_status ccsds_tc_control_unlock(uint8_t *out, size_t capacity, size_t *out_length);
ccsds_status ccsds_tc_control_set_vr(uint8_t vr, uint8_t *out, size_t capacity, size_t *out_length);

/* ---- CLTU with BCH(63,56) (231.0-B-4) ----------------------------------------------------------------- */

#define CCSDS_CLTU_INFO_OCTETS 7u
#define CCSDS_CLTU_CODEBLOCK_OCTETS 8u
#define CCSDS_CLTU_MAX_CODEBLOCKS ((CCSDS_TC_MAX_FRAME_LENGTH + CCSDS_CLTU_INFO_OCTETS - 1u) / CCSDS_CLTU_INFO_OCTETS)
#define CCSDS_CLTU_MAX_INFO_LENGTH (CCSDS_CLTU_MAX_CODEBLOCKS * CCSDS_CLTU_INFO_OCTETS)
/* Octets of the CLTU that carries a frame of n octets (n >= 1). */
#define CCSDS_CLTU_LENGTH(n)                                                                                \
    (FSW_TC_CLTU_START_LENGTH +                                                                             \
     (((n) + CCSDS_CLTU_INFO_OCTETS - 1u) / CCSDS_CLTU_INFO_OCTETS) * CCSDS_CLTU_CODEBLOCK_OCTETS +         \
     FSW_TC_CLTU_TAIL_LENGTH)
#define CCSDS_CLTU_MAX_LENGTH CCSDS_CLTU_LENGTH(CCSDS_TC_MAX_FRAME_LENGTH)

/* 7 information octets -> 8-octet codeblock (inverted parity, filler bit 0; 231.0-B-4 §3.3). */
ccsds_status ccsds_bch_encode(const uint8_t *info, uint8_t *codeblock);
/* 8-octet codeblock -> 7 information octets; single-bit errors corrected when `correct` (then *corrected). */
ccsds_status ccsds_bch_decode(const uint8_t *codeblock, bool correct, uint8_t *info, bool *corrected);

/* Start sequence, codeblocks (frame randomised first when `randomise`, fill in the last), tail sequence. */
ccsds_status ccsds_cltu_encode(const uint8_t *frame, size_t frame_length, bool randomise, uint8_t *out,
                               size_t capacity, size_t *out_length);

typedef struct {
    uint32_t cltus;                /* start sequences found */
    uint32_t frames;               /* frames delivered */
    uint32_t corrected_codeblocks;
    uint32_t bytes_discarded;      /* octets skipped while searching for a start sequence */
    uint32_t rejected;             /* CLTUs that ended without a valid frame */
    uint32_t ended_without_tail;   /* CLTUs ended by a failing codeblock that was not the tail */
} ccsds_cltu_counters;

typedef struct {
    /* configuration (set by ccsds_cltu_decoder_init) */
    bool randomised;
    bool correct_single_bit;
    bool fecf;
    /* state */
    bool in_cltu;
    uint8_t window[FSW_TC_CLTU_START_LENGTH]; /* last octets seen while searching for the start sequence */
    uint8_t window_length;
    uint8_t block[CCSDS_CLTU_CODEBLOCK_OCTETS];
    uint8_t block_length;
    uint16_t info_length;
    uint8_t info[CCSDS_CLTU_MAX_INFO_LENGTH];
    ccsds_cltu_counters counters;
} ccsds_cltu_decoder;

/* randomised: the profile's FSW_TC_RANDOMISE; correct_single_bit: true in normal operation; fecf:
 * FSW_TC_FECF_PRESENT. */
ccsds_status ccsds_cltu_decoder_init(ccsds_cltu_decoder *decoder, bool randomised, bool correct_single_bit,
                                     bool fecf);
/*
 * Feed one octet. When it completes a CLTU carrying a valid TC frame, returns CCSDS_OK with *frame pointing
 * into the decoder (valid until the next call) and *frame_length > 0. When it ends a CLTU that holds no valid
 * frame, returns the reason (e.g. CCSDS_ERR_BAD_CRC, CCSDS_ERR_TRUNCATED) and *frame_length = 0. Otherwise
 * CCSDS_OK with *frame_length = 0.
 */
ccsds_status ccsds_cltu_decoder_push(ccsds_cltu_decoder *decoder, uint8_t octet, const uint8_t **frame,
                                     size_t *frame_length);

/* ---- CLCW (232.0-B-4 §4.2) ---------------------------------------------------------------------------- */

#define CCSDS_CLCW_LENGTH 4u

typedef struct {
    uint8_t status;         /* 3 bits, mission specific */
    uint8_t cop_in_effect;  /* 1 = COP-1 */
    uint8_t vcid;           /* 6 bits */
    bool no_rf_available;
    bool no_bit_lock;
    bool lockout;
    bool wait;
    bool retransmit;
    uint8_t farm_b_counter; /* 2 bits */
    uint8_t report_value;   /* V(R) */
} ccsds_clcw;

ccsds_status ccsds_clcw_encode(const ccsds_clcw *clcw, uint8_t *out);
ccsds_status ccsds_clcw_decode(const uint8_t *raw, size_t length, ccsds_clcw *clcw);

/* ---- FARM-1 (232.1-B-2 §6, Table 6-1) ----------------------------------------------------------------- */

typedef enum { CCSDS_FARM_OPEN = 1, CCSDS_FARM_WAIT = 2, CCSDS_FARM_LOCKOUT = 3 } ccsds_farm_state;

typedef enum {
    CCSDS_FARM_NONE = 0,               /* nothing happened (e.g. a release with no effect) */
    CCSDS_FARM_ACCEPTED_AD,            /* E1: Type-AD data for the layer above */
    CCSDS_FARM_ACCEPTED_BD,            /* E6: Type-BD data for the layer above */
    CCSDS_FARM_DISCARDED,              /* reason in `reason` */
    CCSDS_FARM_CONTROL_EXECUTED,       /* E7 Unlock, or E8 Set V(R) outside Lockout */
    CCSDS_FARM_CONTROL_NOT_EXECUTED    /* E8 in Lockout: legal and counted, not executed */
} ccsds_farm_outcome;

typedef struct {
    uint8_t event;             /* Table 6-1 event number: 1..10 for E1..E10 (9 = invalid frame) */
    ccsds_farm_outcome outcome;
    ccsds_status reason;       /* CCSDS_OK unless discarded */
    ccsds_farm_state old_state;
    ccsds_farm_state new_state;
    uint8_t sequence_number;   /* N(S) of the frame (0 for an undecodable frame) */
    ccsds_control_kind control;/* for control outcomes */
    uint8_t vr;                /* the Set V(R) value, for control outcomes */
    const uint8_t *data;       /* accepted frame data field, points into the frame given */
    size_t data_length;
} ccsds_farm_result;

typedef struct {
    uint16_t scid;
    uint8_t vcid;
    uint8_t window_width;      /* W: even, 2..254 */
    uint8_t positive_window;   /* W/2 */
    uint8_t negative_window;   /* W/2 */
    uint16_t buffer_capacity;  /* 0: the layer above never backs up */
    uint16_t buffered;         /* Type-AD units accepted and not yet released */
    ccsds_farm_state state;
    uint8_t vr;
    bool lockout;
    bool wait;
    bool retransmit;
    uint8_t farm_b_counter;    /* 2 bits */
    bool no_rf_available;
    bool no_bit_lock;
    uint8_t status_field;
} ccsds_farm;

/* scid: FSW_SCID; window_width: FSW_TC_FARM_WINDOW normally; buffer_capacity 0 for unlimited. */
ccsds_status ccsds_farm_init(ccsds_farm *farm, uint16_t scid, uint8_t vcid, uint8_t window_width,
                             uint16_t buffer_capacity, uint8_t initial_vr);
/*
 * Process one decoded frame. Returns CCSDS_OK when the frame was accepted or the control command taken
 * (see result->outcome), otherwise the discard reason (also in result->reason).
 */
ccsds_status ccsds_farm_receive(ccsds_farm *farm, const ccsds_tc_frame *frame, ccsds_farm_result *result);
/* Decode then process; a frame that fails to decode is E9 with the decode reason. */
ccsds_status ccsds_farm_receive_bytes(ccsds_farm *farm, const uint8_t *raw, size_t length, bool fecf,
                                      ccsds_farm_result *result);
/* E10, the Buffer Release Signal: the layer above consumed `count` Type-AD units. */
ccsds_status ccsds_farm_release_buffer(ccsds_farm *farm, uint16_t count, ccsds_farm_result *result);
ccsds_status ccsds_farm_clcw(const ccsds_farm *farm, ccsds_clcw *clcw);
/* The four CLCW octets for the OCF. */
ccsds_status ccsds_farm_clcw_bytes(const ccsds_farm *farm, uint8_t *out);

/* ---- Space Packets (133.0-B-2) ------------------------------------------------------------------------ */

#define CCSDS_PACKET_PRIMARY_HEADER_LENGTH 6u
#define CCSDS_PACKET_MIN_LENGTH 7u
#define CCSDS_PACKET_TYPE_TM 0u
#define CCSDS_PACKET_TYPE_TC 1u
#define CCSDS_IDLE_APID 0x7FFu
#define CCSDS_SEQUENCE_COUNT_MODULUS 16384u
#define CCSDS_SEQ_UNSEGMENTED 3u

typedef struct {
    uint8_t version;
    uint8_t packet_type;         /* CCSDS_PACKET_TYPE_TM / _TC */
    bool secondary_header_flag;
    uint16_t apid;               /* 11 bits */
    uint8_t sequence_flags;      /* 2 bits */
    uint16_t sequence_count;     /* 14 bits */
    uint16_t data_length;        /* field value: data field octets - 1 */
} ccsds_packet_header;

ccsds_status ccsds_packet_header_decode(const uint8_t *raw, size_t length, ccsds_packet_header *header);
ccsds_status ccsds_packet_header_encode(const ccsds_packet_header *header, uint8_t *out);
/* Total packet length from the first six octets (version checked). */
ccsds_status ccsds_packet_length(const uint8_t *raw, size_t length, size_t *packet_length);
/* An idle TM packet (APID 0x7FF) of `length` octets in total, data octets all `fill`. */
ccsds_status ccsds_idle_packet(size_t length, uint16_t sequence_count, uint8_t fill, uint8_t *out,
                               size_t capacity);

#define CCSDS_SEQUENCE_COUNTER_SLOTS 8u
typedef struct {
    uint8_t used;
    uint16_t apid[CCSDS_SEQUENCE_COUNTER_SLOTS];
    uint16_t next[CCSDS_SEQUENCE_COUNTER_SLOTS];
} ccsds_sequence_counter;

ccsds_status ccsds_sequence_counter_init(ccsds_sequence_counter *counter);
/* Take the count for the next packet of `apid` (14 bits, wrapping) and advance it. */
ccsds_status ccsds_sequence_counter_next(ccsds_sequence_counter *counter, uint16_t apid, uint16_t *count);

/* ---- CUC time field (301.0-B-4 §3.2), implicit P-field per the profile -------------------------------- */

#define CCSDS_CUC_LENGTH (FSW_TIME_CUC_COARSE_OCTETS + FSW_TIME_CUC_FINE_OCTETS)

ccsds_status ccsds_cuc_encode(uint64_t coarse, uint32_t fine, uint8_t *out);
ccsds_status ccsds_cuc_decode(const uint8_t *raw, size_t length, uint64_t *coarse, uint32_t *fine);

/* ---- PUS-C packets (ECSS-E-ST-70-41C §7.4) ------------------------------------------------------------ */

#define CCSDS_PUS_VERSION 2u
#define CCSDS_PUS_TC_SECONDARY_HEADER_LENGTH 5u
#define CCSDS_PUS_TM_SECONDARY_HEADER_LENGTH (7u + CCSDS_CUC_LENGTH)
#define CCSDS_PUS_PEC_LENGTH 2u

typedef struct {
    uint16_t apid;
    uint8_t sequence_flags;
    uint16_t sequence_count;
    uint8_t ack_flags;           /* 4 bits: LSB acceptance .. MSB completion */
    uint8_t service;
    uint8_t subtype;
    uint16_t source_id;
    const uint8_t *app_data;     /* decode points into the input */
    size_t app_data_length;
} ccsds_pus_tc;

typedef struct {
    uint16_t apid;
    uint8_t sequence_flags;
    uint16_t sequence_count;
    uint8_t time_reference_status; /* 4 bits */
    uint8_t service;
    uint8_t subtype;
    uint16_t message_type_counter;
    uint16_t destination_id;
    uint8_t time[CCSDS_CUC_LENGTH];
    const uint8_t *source_data;    /* decode points into the input */
    size_t source_data_length;
} ccsds_pus_tm;

/* `pec`: FSW_PUS_PACKET_ERROR_CONTROL normally. */
ccsds_status ccsds_pus_tc_decode(const uint8_t *raw, size_t length, bool pec, ccsds_pus_tc *tc);
ccsds_status ccsds_pus_tc_encode(const ccsds_pus_tc *tc, bool pec, uint8_t *out, size_t capacity,
                                 size_t *out_length);
ccsds_status ccsds_pus_tm_decode(const uint8_t *raw, size_t length, bool pec, ccsds_pus_tm *tm);
ccsds_status ccsds_pus_tm_encode(const ccsds_pus_tm *tm, bool pec, uint8_t *out, size_t capacity,
                                 size_t *out_length);

/* Message type counters of one application process, one per (service, subtype), 16 bits wrapping. */
#define CCSDS_MESSAGE_TYPE_SLOTS 32u
typedef struct {
    uint8_t used;
    uint8_t service[CCSDS_MESSAGE_TYPE_SLOTS];
    uint8_t subtype[CCSDS_MESSAGE_TYPE_SLOTS];
    uint16_t next[CCSDS_MESSAGE_TYPE_SLOTS];
} ccsds_message_type_counter;

ccsds_status ccsds_message_type_counter_init(ccsds_message_type_counter *counter);
ccsds_status ccsds_message_type_counter_next(ccsds_message_type_counter *counter, uint8_t service,
                                             uint8_t subtype, uint16_t *value);

/* ---- TM transfer frames (132.0-B-3) with ASM (131.0-B-4 §9) ------------------------------------------- */

#define CCSDS_TM_PRIMARY_HEADER_LENGTH 6u
#define CCSDS_TM_OCF_LENGTH 4u
#define CCSDS_TM_FECF_LENGTH 2u
#define CCSDS_TM_FHP_NO_PACKET_START 0x7FFu
#define CCSDS_TM_FHP_IDLE 0x7FEu
#define CCSDS_TM_IDLE_DATA_OCTET 0x55u
#define CCSDS_TM_FRAME_LENGTH FSW_TM_FRAME_LENGTH
#define CCSDS_TM_DATA_FIELD_LENGTH                                                                          \
    (FSW_TM_FRAME_LENGTH - CCSDS_TM_PRIMARY_HEADER_LENGTH - (FSW_TM_OCF_PRESENT ? CCSDS_TM_OCF_LENGTH : 0u) - \
     (FSW_TM_FECF_PRESENT ? CCSDS_TM_FECF_LENGTH : 0u))
/* The channel access data unit: ASM then the frame. */
#define CCSDS_TM_CADU_LENGTH (FSW_TM_ASM_LENGTH + FSW_TM_FRAME_LENGTH)

typedef struct {
    uint16_t scid;
    uint8_t vcid;
    uint8_t master_channel_frame_count;
    uint8_t virtual_channel_frame_count;
    bool sync_flag;
    uint16_t first_header_pointer;
    const uint8_t *data;       /* CCSDS_TM_DATA_FIELD_LENGTH octets, points into the input */
    const uint8_t *ocf;        /* CCSDS_TM_OCF_LENGTH octets, NULL when the profile has no OCF */
} ccsds_tm_frame;

/* Decode one frame of exactly FSW_TM_FRAME_LENGTH octets (no ASM, not randomised) for the profile. */
ccsds_status ccsds_tm_frame_decode(const uint8_t *raw, size_t length, ccsds_tm_frame *frame);

/* Counters shared by all VCs of the master channel, and the output options. */
typedef struct {
    uint8_t master_count;      /* master channel frame count of the next frame */
    uint8_t idle_count;        /* VC frame count of the next only-idle-data frame */
    bool with_asm;             /* prefix each frame with the ASM (a CADU) */
    bool randomise;            /* randomise the frame after the ASM (FSW_TM_RANDOMISE) */
} ccsds_tm_channel;

/* One packet virtual channel: the frame being filled and its counters. */
typedef struct {
    uint8_t vcid;
    uint8_t frame_count;
    uint16_t fill;                            /* octets of `data` used */
    uint16_t first_header_pointer;            /* of the frame being filled */
    uint8_t spill_length;                     /* idle-packet octets carried into the next frame */
    uint8_t spill[CCSDS_PACKET_MIN_LENGTH];
    uint8_t data[CCSDS_TM_DATA_FIELD_LENGTH];
} ccsds_tm_vc;

ccsds_status ccsds_tm_channel_init(ccsds_tm_channel *channel, bool with_asm, bool randomise);
/* Octets a frame takes in the output: CCSDS_TM_CADU_LENGTH with the ASM, else FSW_TM_FRAME_LENGTH. */
ccsds_status ccsds_tm_unit_length(const ccsds_tm_channel *channel, size_t *unit_length);
/* A packet VC; vcid 0..7 and not FSW_TM_VC_IDLE (CCSDS_ERR_BAD_CONFIG otherwise). */
ccsds_status ccsds_tm_vc_init(ccsds_tm_vc *vc, uint8_t vcid);
/* In the three calls below, `clcw` is the 4-octet CLCW for the OCF (required when FSW_TM_OCF_PRESENT). */
/*
 * Pack one whole Space Packet into the VC. Every frame it fills is written to `out` (one unit each, see
 * ccsds_tm_unit_length); *written is the number of octets written. Fails with CCSDS_ERR_BUFFER_TOO_SMALL,
 * leaving the VC unchanged, when `out` cannot hold every frame the packet completes.
 */
ccsds_status ccsds_tm_vc_add_packet(ccsds_tm_vc *vc, ccsds_tm_channel *channel, const uint8_t *packet,
                                    size_t packet_length, const uint8_t *clcw, uint8_t *out, size_t capacity,
                                    size_t *written);
/*
 * Close a partly filled frame with an idle packet and write it (one unit) to `out`. When fewer than 7 octets
 * are free, the idle packet's tail opens the VC's next frame (133.0-B-2 §4.1.4.1: packets are >= 7 octets).
 * Writes nothing (*written = 0) when the frame being filled holds no packet data.
 */
ccsds_status ccsds_tm_vc_flush(ccsds_tm_vc *vc, ccsds_tm_channel *channel, const uint8_t *clcw, uint8_t *out,
                               size_t capacity, size_t *written);
/* An only-idle-data frame on FSW_TM_VC_IDLE carrying the CLCW (one unit). */
ccsds_status ccsds_tm_idle_frame(ccsds_tm_channel *channel, const uint8_t *clcw, uint8_t *out, size_t capacity,
                                 size_t *written);

#ifdef __cplusplus
}
#endif

#endif /* CCSDS_H */
