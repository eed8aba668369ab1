/* TM transfer frames (132.0-B-3) for packet virtual channels, with the ASM (131.0-B-4 §9) and the optional
 * randomiser (§10). Frames have the profile's fixed length, no secondary header, the CLCW in the OCF and a
 * FECF when the profile says so. Packets span frames; the first header pointer says where the first packet
 * starting in a frame begins (§4.1.2.7.6). */
#include "ccsds_internal.h"

#define TM_VERSION 0u
#define SEGMENT_LENGTH_ID_DEFAULT 3u /* the only value allowed when the sync flag is 0 (§4.1.2.7.5) */

/* The builder and decoder cover the mission's frames: no secondary header (the profile fixes it, §4.1.2.4). */
CCSDS_STATIC_CHECK(no_tm_secondary_header, FSW_TM_SECONDARY_HEADER == 0);
CCSDS_STATIC_CHECK(tm_data_field, CCSDS_TM_DATA_FIELD_LENGTH >= CCSDS_PACKET_MIN_LENGTH &&
                                      CCSDS_TM_DATA_FIELD_LENGTH < CCSDS_TM_FHP_IDLE);
CCSDS_STATIC_CHECK(tm_idle_vc, FSW_TM_VC_IDLE <= 7u);
CCSDS_STATIC_CHECK(scid_fits_tm, FSW_SCID <= 0x3FFu);

static const uint8_t tm_asm[FSW_TM_ASM_LENGTH] = FSW_TM_ASM_BYTES;

ccsds_status ccsds_tm_frame_decode(const uint8_t *raw, size_t length, ccsds_tm_frame *frame)
{
    uint16_t status;
    uint16_t fhp;
    bool sync;
    if (frame == NULL || (raw == NULL && length != 0)) {
        return CCSDS_ERR_NULL;
    }
    if (length < FSW_TM_FRAME_LENGTH) {
        return CCSDS_ERR_TRUNCATED;
    }
    if (length > FSW_TM_FRAME_LENGTH) {
        return CCSDS_ERR_TRAILING_BYTES;
    }
    if (FSW_TM_FECF_PRESENT && ccsds_crc16_raw(raw, length, CCSDS_CRC16_INIT) != 0u) {
        return CCSDS_ERR_BAD_CRC;
    }
    if ((raw[0] >> 6) != TM_VERSION) {
        return CCSDS_ERR_WRONG_VERSION;
    }
    if ((uint16_t)(((unsigned)(raw[0] & 0x3Fu) << 4) | (raw[1] >> 4)) != FSW_SCID) {
        return CCSDS_ERR_WRONG_SCID;
    }
    if ((raw[1] & 1u) != (FSW_TM_OCF_PRESENT ? 1u : 0u)) {
        return CCSDS_ERR_OCF_MISMATCH;
    }
    status = ccsds_get16(raw + 4);
    if ((status >> 15) != 0u) {
        return CCSDS_ERR_SECONDARY_HEADER_MISMATCH;
    }
    sync = (status & 0x4000u) != 0;
    if (!sync && ((status & 0x2000u) || ((status >> 11) & 3u) != SEGMENT_LENGTH_ID_DEFAULT)) {
        return CCSDS_ERR_INCONSISTENT_FLAGS;
    }
    fhp = (uint16_t)(status & 0x07FFu);
    if (!sync && fhp != CCSDS_TM_FHP_NO_PACKET_START && fhp != CCSDS_TM_FHP_IDLE &&
        fhp >= CCSDS_TM_DATA_FIELD_LENGTH) {
        return CCSDS_ERR_BAD_FIRST_HEADER_POINTER;
    }
    frame->scid = FSW_SCID;
    frame->vcid = (uint8_t)((raw[1] >> 1) & 7u);
    frame->master_channel_frame_count = raw[2];
    frame->virtual_channel_frame_count = raw[3];
    frame->sync_flag = sync;
    frame->first_header_pointer = fhp;
    frame->data = raw + CCSDS_TM_PRIMARY_HEADER_LENGTH;
    frame->ocf = FSW_TM_OCF_PRESENT ? raw + CCSDS_TM_PRIMARY_HEADER_LENGTH + CCSDS_TM_DATA_FIELD_LENGTH : NULL;
    return CCSDS_OK;
}

ccsds_status ccsds_tm_channel_init(ccsds_tm_channel *channel, bool with_asm, bool randomise)
{
    if (channel == NULL) {
        return CCSDS_ERR_NULL;
    }
    channel->master_count = 0;
    channel->idle_count = 0;
    channel->with_asm = with_asm;
    channel->randomise = randomise;
    return CCSDS_OK;
}

ccsds_status ccsds_tm_unit_length(const ccsds_tm_channel *channel, size_t *unit_length)
{
    if (channel == NULL || unit_length == NULL) {
        return CCSDS_ERR_NULL;
    }
    *unit_length = channel->with_asm ? CCSDS_TM_CADU_LENGTH : FSW_TM_FRAME_LENGTH;
    return CCSDS_OK;
}

ccsds_status ccsds_tm_vc_init(ccsds_tm_vc *vc, uint8_t vcid)
{
    size_t i;
    if (vc == NULL) {
        return CCSDS_ERR_NULL;
    }
    if (vcid > 7u || vcid == FSW_TM_VC_IDLE) {
        return CCSDS_ERR_BAD_CONFIG;
    }
    vc->vcid = vcid;
    vc->frame_count = 0;
    vc->fill = 0;
    vc->first_header_pointer = CCSDS_TM_FHP_NO_PACKET_START;
    vc->spill_length = 0;
    for (i = 0; i < sizeof vc->spill; ++i) {
        vc->spill[i] = 0;
    }
    for (i = 0; i < sizeof vc->data; ++i) {
        vc->data[i] = 0;
    }
    return CCSDS_OK;
}

/* Write one frame (ASM first when the channel says so) and advance the master channel count. */
static void write_frame(ccsds_tm_channel *channel, uint8_t vcid, uint8_t vc_count, uint16_t fhp,
                        const uint8_t *data, const uint8_t *clcw, uint8_t *out)
{
    uint8_t *frame = out;
    size_t pos;
    size_t i;
    if (channel->with_asm) {
        for (i = 0; i < FSW_TM_ASM_LENGTH; ++i) {
            out[i] = tm_asm[i];
        }
        frame = out + FSW_TM_ASM_LENGTH;
    }
    ccsds_put16(frame, (uint16_t)((TM_VERSION << 14) | ((unsigned)FSW_SCID << 4) | ((unsigned)vcid << 1) |
                                  (FSW_TM_OCF_PRESENT ? 1u : 0u)));
    frame[2] = channel->master_count;
    frame[3] = vc_count;
    /* No secondary header, sync flag 0, packet order 0, segment length id 11 (§4.1.2.7). */
    ccsds_put16(frame + 4, (uint16_t)((SEGMENT_LENGTH_ID_DEFAULT << 11) | fhp));
    pos = CCSDS_TM_PRIMARY_HEADER_LENGTH;
    if (data != NULL) {
        for (i = 0; i < CCSDS_TM_DATA_FIELD_LENGTH; ++i) {
            frame[pos + i] = data[i];
        }
    } else {
        /* Only idle data: any pattern is allowed (§4.1.4.2.2). */
        for (i = 0; i < CCSDS_TM_DATA_FIELD_LENGTH; ++i) {
            frame[pos + i] = CCSDS_TM_IDLE_DATA_OCTET;
        }
    }
    pos += CCSDS_TM_DATA_FIELD_LENGTH;
    if (FSW_TM_OCF_PRESENT) {
        for (i = 0; i < CCSDS_TM_OCF_LENGTH; ++i) {
            frame[pos + i] = clcw[i];
        }
        pos += CCSDS_TM_OCF_LENGTH;
    }
    if (FSW_TM_FECF_PRESENT) {
        ccsds_put16(frame + pos, ccsds_crc16_raw(frame, pos, CCSDS_CRC16_INIT));
    }
    /* Randomisation covers the whole frame and not the ASM (131.0-B-4 §10.4). */
    if (channel->randomise) {
        (void)ccsds_tm_randomise(frame, FSW_TM_FRAME_LENGTH);
    }
    channel->master_count = (uint8_t)(channel->master_count + 1u);
}

static void emit_vc_frame(ccsds_tm_vc *vc, ccsds_tm_channel *channel, const uint8_t *clcw, uint8_t *out)
{
    write_frame(channel, vc->vcid, vc->frame_count, vc->first_header_pointer, vc->data, clcw, out);
    vc->frame_count = (uint8_t)(vc->frame_count + 1u);
    vc->fill = 0;
    vc->first_header_pointer = CCSDS_TM_FHP_NO_PACKET_START;
}

static ccsds_status check_common(const ccsds_tm_vc *vc, const ccsds_tm_channel *channel, const uint8_t *clcw,
                                 const uint8_t *out, const size_t *written)
{
    if (vc == NULL || channel == NULL || out == NULL || written == NULL || (FSW_TM_OCF_PRESENT && clcw == NULL)) {
        return CCSDS_ERR_NULL;
    }
    if (vc->fill > CCSDS_TM_DATA_FIELD_LENGTH || vc->spill_length > sizeof vc->spill) {
        return CCSDS_ERR_BAD_CONFIG;
    }
    return CCSDS_OK;
}

ccsds_status ccsds_tm_vc_add_packet(ccsds_tm_vc *vc, ccsds_tm_channel *channel, const uint8_t *packet,
                                    size_t packet_length, const uint8_t *clcw, uint8_t *out, size_t capacity,
                                    size_t *written)
{
    size_t announced;
    size_t unit;
    size_t pending;
    size_t frames;
    size_t taken = 0;
    size_t i;
    ccsds_status status = check_common(vc, channel, clcw, out, written);
    if (status != CCSDS_OK) {
        return status;
    }
    if (packet == NULL) {
        return CCSDS_ERR_NULL;
    }
    *written = 0;
    status = ccsds_packet_length(packet, packet_length, &announced);
    if (status != CCSDS_OK) {
        return status;
    }
    if (announced != packet_length) {
        return CCSDS_ERR_LENGTH_MISMATCH;
    }
    (void)ccsds_tm_unit_length(channel, &unit);
    pending = vc->fill + (vc->fill == 0u ? vc->spill_length : 0u) + packet_length;
    frames = pending / CCSDS_TM_DATA_FIELD_LENGTH;
    if (frames > capacity / unit) {
        return CCSDS_ERR_BUFFER_TOO_SMALL;
    }
    if (vc->fill == 0u && vc->spill_length > 0u) {
        /* The tail of the idle packet that closed the previous frame opens this one (no header here). */
        for (i = 0; i < vc->spill_length; ++i) {
            vc->data[i] = vc->spill[i];
        }
        vc->fill = vc->spill_length;
        vc->spill_length = 0;
    }
    if (vc->first_header_pointer == CCSDS_TM_FHP_NO_PACKET_START) {
        vc->first_header_pointer = vc->fill;
    }
    while (taken < packet_length) {
        size_t room = CCSDS_TM_DATA_FIELD_LENGTH - vc->fill;
        size_t take = packet_length - taken < room ? packet_length - taken : room;
        for (i = 0; i < take; ++i) {
            vc->data[vc->fill + i] = packet[taken + i];
        }
        vc->fill = (uint16_t)(vc->fill + take);
        taken += take;
        if (vc->fill == CCSDS_TM_DATA_FIELD_LENGTH) {
            emit_vc_frame(vc, channel, clcw, out + *written);
            *written += unit;
        }
    }
    return CCSDS_OK;
}

ccsds_status ccsds_tm_vc_flush(ccsds_tm_vc *vc, ccsds_tm_channel *channel, const uint8_t *clcw, uint8_t *out,
                               size_t capacity, size_t *written)
{
    size_t unit;
    size_t free_octets;
    size_t i;
    ccsds_status status = check_common(vc, channel, clcw, out, written);
    if (status != CCSDS_OK) {
        return status;
    }
    *written = 0;
    if (vc->fill == 0u) {
        return CCSDS_OK;
    }
    (void)ccsds_tm_unit_length(channel, &unit);
    if (capacity < unit) {
        return CCSDS_ERR_BUFFER_TOO_SMALL;
    }
    free_octets = CCSDS_TM_DATA_FIELD_LENGTH - vc->fill;
    if (vc->first_header_pointer == CCSDS_TM_FHP_NO_PACKET_START) {
        vc->first_header_pointer = vc->fill;
    }
    if (free_octets >= CCSDS_PACKET_MIN_LENGTH) {
        (void)ccsds_idle_packet(free_octets, 0u, 0u, vc->data + vc->fill, free_octets);
    } else if (free_octets > 0u) {
        /* Too little room for an idle packet (133.0-B-2 §4.1.4.1: at least 7 octets): its tail spills into
         * the VC's next frame. */
        uint8_t idle[CCSDS_PACKET_MIN_LENGTH];
        (void)ccsds_idle_packet(CCSDS_PACKET_MIN_LENGTH, 0u, 0u, idle, sizeof idle);
        for (i = 0; i < free_octets; ++i) {
            vc->data[vc->fill + i] = idle[i];
        }
        vc->spill_length = (uint8_t)(CCSDS_PACKET_MIN_LENGTH - free_octets);
        for (i = 0; i < vc->spill_length; ++i) {
            vc->spill[i] = idle[free_octets + i];
        }
    }
    vc->fill = CCSDS_TM_DATA_FIELD_LENGTH;
    emit_vc_frame(vc, channel, clcw, out);
    *written = unit;
    return CCSDS_OK;
}

ccsds_status ccsds_tm_idle_frame(ccsds_tm_channel *channel, const uint8_t *clcw, uint8_t *out, size_t capacity,
                                 size_t *written)
{
    size_t unit;
    if (channel == NULL || out == NULL || written == NULL || (FSW_TM_OCF_PRESENT && clcw == NULL)) {
        return CCSDS_ERR_NULL;
    }
    *written = 0;
    (void)ccsds_tm_unit_length(channel, &unit);
    if (capacity < unit) {
        return CCSDS_ERR_BUFFER_TOO_SMALL;
    }
    write_frame(channel, FSW_TM_VC_IDLE, channel->idle_count, CCSDS_TM_FHP_IDLE, NULL, clcw, out);
    channel->idle_count = (uint8_t)(channel->idle_count + 1u);
    *written = unit;
    return CCSDS_OK;
}
