/* TC transfer frames (232.0-B-4 §4.1), the MAP segment header (§4.1.3) and the COP-1 control commands
 * (232.1-B-2 §5.2). */
#include "ccsds_internal.h"

#define TC_VERSION 0u
#define SET_VR_FIRST 0x82u
#define SET_VR_SECOND 0x00u
#define UNLOCK_OCTET 0x00u

ccsds_status ccsds_tc_frame_decode(const uint8_t *raw, size_t length, bool fecf, ccsds_tc_frame *frame)
{
    size_t minimum = CCSDS_TC_PRIMARY_HEADER_LENGTH + 1u + (fecf ? CCSDS_TC_FECF_LENGTH : 0u);
    size_t declared;
    bool bypass;
    bool control;
    if (frame == NULL || (raw == NULL && length != 0)) {
        return CCSDS_ERR_NULL;
    }
    if (length < CCSDS_TC_PRIMARY_HEADER_LENGTH) {
        return CCSDS_ERR_TRUNCATED;
    }
    if ((raw[0] >> 6) != TC_VERSION) {
        return CCSDS_ERR_WRONG_VERSION;
    }
    bypass = (raw[0] & 0x20u) != 0;
    control = (raw[0] & 0x10u) != 0;
    if (raw[0] & 0x0Cu) {
        return CCSDS_ERR_BAD_SPARE;
    }
    /* Bypass 0 with control command 1 is not a valid combination (§4.1.2.3.3). */
    if (control && !bypass) {
        return CCSDS_ERR_INCONSISTENT_FLAGS;
    }
    declared = (((size_t)(raw[2] & 0x03u) << 8) | raw[3]) + 1u; /* length field = octets - 1 (§4.1.2.7) */
    if (declared < minimum) {
        return CCSDS_ERR_LENGTH_MISMATCH;
    }
    if (length < declared) {
        return CCSDS_ERR_TRUNCATED;
    }
    if (length > declared) {
        return CCSDS_ERR_TRAILING_BYTES;
    }
    if (fecf && ccsds_crc16_raw(raw, length, CCSDS_CRC16_INIT) != 0u) {
        return CCSDS_ERR_BAD_CRC;
    }
    frame->version = (uint8_t)(raw[0] >> 6);
    frame->bypass = bypass;
    frame->control_command = control;
    frame->scid = (uint16_t)(((uint16_t)(raw[0] & 0x03u) << 8) | raw[1]);
    frame->vcid = (uint8_t)(raw[2] >> 2);
    frame->sequence_number = raw[4];
    frame->data = raw + CCSDS_TC_PRIMARY_HEADER_LENGTH;
    frame->data_length = declared - CCSDS_TC_PRIMARY_HEADER_LENGTH - (fecf ? CCSDS_TC_FECF_LENGTH : 0u);
    return CCSDS_OK;
}

ccsds_status ccsds_tc_frame_encode(const ccsds_tc_frame *frame, bool fecf, uint8_t *out, size_t capacity,
                                   size_t *out_length)
{
    size_t total;
    size_t i;
    uint16_t word0;
    uint16_t word1;
    if (frame == NULL || out == NULL || out_length == NULL || (frame->data == NULL && frame->data_length != 0)) {
        return CCSDS_ERR_NULL;
    }
    if (frame->version > 3u || frame->scid > 0x3FFu || frame->vcid > 0x3Fu) {
        return CCSDS_ERR_OUT_OF_RANGE;
    }
    if (frame->control_command && !frame->bypass) {
        return CCSDS_ERR_INCONSISTENT_FLAGS;
    }
    if (frame->data_length == 0) {
        return CCSDS_ERR_EMPTY_DATA;
    }
    if (frame->data_length > CCSDS_TC_MAX_FRAME_LENGTH) {
        return CCSDS_ERR_TOO_LONG;
    }
    total = CCSDS_TC_PRIMARY_HEADER_LENGTH + frame->data_length + (fecf ? CCSDS_TC_FECF_LENGTH : 0u);
    if (total > CCSDS_TC_MAX_FRAME_LENGTH) {
        return CCSDS_ERR_TOO_LONG;
    }
    if (capacity < total) {
        return CCSDS_ERR_BUFFER_TOO_SMALL;
    }
    word0 = (uint16_t)(((unsigned)frame->version << 14) | ((unsigned)frame->bypass << 13) |
                       ((unsigned)frame->control_command << 12) | frame->scid);
    word1 = (uint16_t)(((unsigned)frame->vcid << 10) | (unsigned)(total - 1u));
    ccsds_put16(out, word0);
    ccsds_put16(out + 2, word1);
    out[4] = frame->sequence_number;
    for (i = 0; i < frame->data_length; ++i) {
        out[CCSDS_TC_PRIMARY_HEADER_LENGTH + i] = frame->data[i];
    }
    if (fecf) {
        size_t body = total - CCSDS_TC_FECF_LENGTH;
        ccsds_put16(out + body, ccsds_crc16_raw(out, body, CCSDS_CRC16_INIT));
    }
    *out_length = total;
    return CCSDS_OK;
}

ccsds_status ccsds_tc_frame_peek_length(const uint8_t *header, size_t length, size_t *frame_length)
{
    if (header == NULL || frame_length == NULL) {
        return CCSDS_ERR_NULL;
    }
    if (length < 4u) {
        return CCSDS_ERR_TRUNCATED;
    }
    *frame_length = (((size_t)(header[2] & 0x03u) << 8) | header[3]) + 1u;
    return CCSDS_OK;
}

ccsds_status ccsds_tc_segment_header_encode(uint8_t sequence_flags, uint8_t map_id, uint8_t *out)
{
    if (out == NULL) {
        return CCSDS_ERR_NULL;
    }
    if (sequence_flags > 3u || map_id > 0x3Fu) {
        return CCSDS_ERR_OUT_OF_RANGE;
    }
    out[0] = (uint8_t)((sequence_flags << 6) | map_id);
    return CCSDS_OK;
}

ccsds_status ccsds_tc_segment_header_decode(const uint8_t *data, size_t length, uint8_t *sequence_flags,
                                            uint8_t *map_id)
{
    if (sequence_flags == NULL || map_id == NULL || (data == NULL && length != 0)) {
        return CCSDS_ERR_NULL;
    }
    if (length < 1u) {
        return CCSDS_ERR_TRUNCATED;
    }
    *sequence_flags = (uint8_t)(data[0] >> 6);
    *map_id = (uint8_t)(data[0] & 0x3Fu);
    return CCSDS_OK;
}

ccsds_status ccsds_tc_control_parse(const uint8_t *data, size_t length, ccsds_control_kind *kind, uint8_t *vr)
{
    if (kind == NULL || vr == NULL || (data == NULL && length != 0)) {
        return CCSDS_ERR_NULL;
    }
    if (length == 0) {
        return CCSDS_ERR_TRUNCATED;
    }
    if (data[0] == UNLOCK_OCTET) {
        if (length != CCSDS_CONTROL_UNLOCK_LENGTH) {
            return CCSDS_ERR_TRAILING_BYTES;
        }
        *kind = CCSDS_CONTROL_UNLOCK;
        *vr = 0;
        return CCSDS_OK;
    }
    if (data[0] == SET_VR_FIRST && (length < 2u || data[1] == SET_VR_SECOND)) {
        if (length < CCSDS_CONTROL_SET_VR_LENGTH) {
            /* "82" alone could still be the start of Set V(R); the Python stack reports it as unknown. */
            return length < 2u ? CCSDS_ERR_UNKNOWN_CONTROL_COMMAND : CCSDS_ERR_TRUNCATED;
        }
        if (length > CCSDS_CONTROL_SET_VR_LENGTH) {
            return CCSDS_ERR_TRAILING_BYTES;
        }
        *kind = CCSDS_CONTROL_SET_VR;
        *vr = data[2];
        return CCSDS_OK;
    }
    return CCSDS_ERR_UNKNOWN_CONTROL_COMMAND;
}

ccsds_status ccsds_tc_control_unlock(uint8_t *out, size_t capacity, size_t *out_length)
{
    if (out == NULL || out_length == NULL) {
        return CCSDS_ERR_NULL;
    }
    if (capacity < CCSDS_CONTROL_UNLOCK_LENGTH) {
        return CCSDS_ERR_BUFFER_TOO_SMALL;
    }
    out[0] = UNLOCK_OCTET;
    *out_length = CCSDS_CONTROL_UNLOCK_LENGTH;
    return CCSDS_OK;
}

ccsds_status ccsds_tc_control_set_vr(uint8_t vr, uint8_t *out, size_t capacity, size_t *out_length)
{
    if (out == NULL || out_length == NULL) {
        return CCSDS_ERR_NULL;
    }
    if (capacity < CCSDS_CONTROL_SET_VR_LENGTH) {
        return CCSDS_ERR_BUFFER_TOO_SMALL;
    }
    out[0] = SET_VR_FIRST;
    out[1] = SET_VR_SECOND;
    out[2] = vr;
    *out_length = CCSDS_CONTROL_SET_VR_LENGTH;
    return CCSDS_OK;
}
