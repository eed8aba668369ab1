/* FARM-1, the receiving end of COP-1 (232.1-B-2 §6), and the CLCW (232.0-B-4 §4.2).
 *
 * Each transition follows Table 6-1; result->event is the table's event number. Buffer model: the layer above
 * holds at most buffer_capacity accepted Type-AD units (0: never backs up) and signals consumption with
 * ccsds_farm_release_buffer (E10). Type-BD data bypass this flow control (§6). */
#include "ccsds_internal.h"

#define COP_1 1u

ccsds_status ccsds_clcw_encode(const ccsds_clcw *clcw, uint8_t *out)
{
    uint32_t word;
    if (clcw == NULL || out == NULL) {
        return CCSDS_ERR_NULL;
    }
    if (clcw->status > 7u || clcw->cop_in_effect > 3u || clcw->vcid > 0x3Fu || clcw->farm_b_counter > 3u) {
        return CCSDS_ERR_OUT_OF_RANGE;
    }
    /* Control word type 0, CLCW version 0; spare bits zero. */
    word = ((uint32_t)clcw->status << 26) | ((uint32_t)clcw->cop_in_effect << 24) | ((uint32_t)clcw->vcid << 18) |
           ((uint32_t)clcw->no_rf_available << 15) | ((uint32_t)clcw->no_bit_lock << 14) |
           ((uint32_t)clcw->lockout << 13) | ((uint32_t)clcw->wait << 12) | ((uint32_t)clcw->retransmit << 11) |
           ((uint32_t)clcw->farm_b_counter << 9) | clcw->report_value;
    out[0] = (uint8_t)(word >> 24);
    out[1] = (uint8_t)(word >> 16);
    out[2] = (uint8_t)(word >> 8);
    out[3] = (uint8_t)word;
    return CCSDS_OK;
}

ccsds_status ccsds_clcw_decode(const uint8_t *raw, size_t length, ccsds_clcw *clcw)
{
    uint32_t word;
    if (clcw == NULL || (raw == NULL && length != 0)) {
        return CCSDS_ERR_NULL;
    }
    if (length < CCSDS_CLCW_LENGTH) {
        return CCSDS_ERR_TRUNCATED;
    }
    if (length > CCSDS_CLCW_LENGTH) {
        return CCSDS_ERR_TRAILING_BYTES;
    }
    word = ((uint32_t)raw[0] << 24) | ((uint32_t)raw[1] << 16) | ((uint32_t)raw[2] << 8) | raw[3];
    if (word >> 31) {
        return CCSDS_ERR_WRONG_TYPE; /* type 1 is a reserved report, not a CLCW */
    }
    if ((word >> 29) & 3u) {
        return CCSDS_ERR_WRONG_VERSION;
    }
    if (((word >> 24) & 3u) != COP_1) {
        return CCSDS_ERR_UNSUPPORTED_COP;
    }
    if (word & ((3u << 16) | (1u << 8))) {
        return CCSDS_ERR_BAD_SPARE;
    }
    clcw->status = (uint8_t)((word >> 26) & 7u);
    clcw->cop_in_effect = (uint8_t)((word >> 24) & 3u);
    clcw->vcid = (uint8_t)((word >> 18) & 0x3Fu);
    clcw->no_rf_available = (word >> 15) & 1u;
    clcw->no_bit_lock = (word >> 14) & 1u;
    clcw->lockout = (word >> 13) & 1u;
    clcw->wait = (word >> 12) & 1u;
    clcw->retransmit = (word >> 11) & 1u;
    clcw->farm_b_counter = (uint8_t)((word >> 9) & 3u);
    clcw->report_value = (uint8_t)(word & 0xFFu);
    return CCSDS_OK;
}

ccsds_status ccsds_farm_init(ccsds_farm *farm, uint16_t scid, uint8_t vcid, uint8_t window_width,
                             uint16_t buffer_capacity, uint8_t initial_vr)
{
    if (farm == NULL) {
        return CCSDS_ERR_NULL;
    }
    /* §6.1.8.2: W is even, 2..254; the positive and negative window widths are W/2 each. */
    if (window_width < 2u || window_width > 254u || (window_width & 1u) || scid > 0x3FFu || vcid > 0x3Fu) {
        return CCSDS_ERR_BAD_CONFIG;
    }
    farm->scid = scid;
    farm->vcid = vcid;
    farm->window_width = window_width;
    farm->positive_window = (uint8_t)(window_width / 2u);
    farm->negative_window = (uint8_t)(window_width / 2u);
    farm->buffer_capacity = buffer_capacity;
    farm->buffered = 0;
    farm->state = CCSDS_FARM_OPEN;
    farm->vr = initial_vr;
    farm->lockout = false;
    farm->wait = false;
    farm->retransmit = false;
    farm->farm_b_counter = 0;
    farm->no_rf_available = false;
    farm->no_bit_lock = false;
    farm->status_field = 0;
    return CCSDS_OK;
}

static void begin(const ccsds_farm *farm, ccsds_farm_result *r, uint8_t event, uint8_t ns)
{
    r->event = event;
    r->outcome = CCSDS_FARM_NONE;
    r->reason = CCSDS_OK;
    r->old_state = farm->state;
    r->new_state = farm->state;
    r->sequence_number = ns;
    r->control = CCSDS_CONTROL_UNLOCK;
    r->vr = 0;
    r->data = NULL;
    r->data_length = 0;
}

static ccsds_status discard(ccsds_farm_result *r, ccsds_status reason)
{
    r->outcome = CCSDS_FARM_DISCARDED;
    r->reason = reason;
    return reason;
}

static void go(ccsds_farm *farm, ccsds_farm_result *r, ccsds_farm_state state)
{
    farm->state = state;
    r->new_state = state;
}

static bool buffer_available(const ccsds_farm *farm)
{
    return farm->buffer_capacity == 0u || farm->buffered < farm->buffer_capacity;
}

static ccsds_status type_ad(ccsds_farm *farm, const ccsds_tc_frame *frame, ccsds_farm_result *r)
{
    uint8_t ns = frame->sequence_number;
    unsigned offset = (unsigned)(uint8_t)(ns - farm->vr); /* N(S) - V(R) modulo 256 */
    if (offset == 0u) {
        if (farm->state == CCSDS_FARM_LOCKOUT) {
            r->event = buffer_available(farm) ? 1u : 2u;
            return discard(r, CCSDS_ERR_LOCKOUT);
        }
        if (buffer_available(farm) && farm->state == CCSDS_FARM_OPEN) {
            /* E1 in S1: accept, V(R) := V(R) + 1, Retransmit_Flag := 0. */
            r->event = 1u;
            farm->vr = (uint8_t)(farm->vr + 1u);
            farm->retransmit = false;
            if (farm->buffer_capacity != 0u) {
                farm->buffered++;
            }
            r->outcome = CCSDS_FARM_ACCEPTED_AD;
            r->data = frame->data;
            r->data_length = frame->data_length;
            return CCSDS_OK;
        }
        /* E2 (no buffer space). S2 holds only while the buffer is full: a Wait state with space found again
         * is treated as E2 until the Buffer Release Signal (E10) arrives. */
        r->event = 2u;
        farm->retransmit = true;
        if (farm->state == CCSDS_FARM_OPEN) {
            farm->wait = true;
            go(farm, r, CCSDS_FARM_WAIT);
        }
        return discard(r, CCSDS_ERR_NO_BUFFER);
    }
    if (offset <= (unsigned)farm->positive_window - 1u) {
        /* E3: inside the positive window but not the expected frame: ask for retransmission. */
        r->event = 3u;
        if (farm->state == CCSDS_FARM_OPEN) {
            farm->retransmit = true;
        }
        return discard(r, farm->state == CCSDS_FARM_LOCKOUT ? CCSDS_ERR_LOCKOUT : CCSDS_ERR_SEQUENCE_GAP);
    }
    if (offset >= 256u - farm->negative_window) {
        /* E4: negative window, a frame already accepted; discarded in every state. */
        r->event = 4u;
        return discard(r, farm->state == CCSDS_FARM_LOCKOUT ? CCSDS_ERR_LOCKOUT : CCSDS_ERR_DUPLICATE);
    }
    /* E5: lockout area. */
    r->event = 5u;
    if (farm->state == CCSDS_FARM_LOCKOUT) {
        return discard(r, CCSDS_ERR_LOCKOUT);
    }
    farm->lockout = true;
    go(farm, r, CCSDS_FARM_LOCKOUT);
    return discard(r, CCSDS_ERR_LOCKOUT_AREA);
}

ccsds_status ccsds_farm_receive(ccsds_farm *farm, const ccsds_tc_frame *frame, ccsds_farm_result *result)
{
    ccsds_control_kind kind;
    uint8_t vr;
    ccsds_status status;
    if (farm == NULL || frame == NULL || result == NULL || (frame->data == NULL && frame->data_length != 0)) {
        return CCSDS_ERR_NULL;
    }
    begin(farm, result, 9u, frame->sequence_number);
    if (frame->scid != farm->scid) {
        return discard(result, CCSDS_ERR_WRONG_SCID);
    }
    if (frame->vcid != farm->vcid) {
        return discard(result, CCSDS_ERR_WRONG_VCID);
    }
    if (frame->control_command && !frame->bypass) {
        return discard(result, CCSDS_ERR_INCONSISTENT_FLAGS);
    }
    if (!frame->bypass) {
        return type_ad(farm, frame, result);
    }
    if (!frame->control_command) {
        /* E6: Type-BD frames are accepted in every state; the FARM-B counter counts them (mod 4). */
        result->event = 6u;
        farm->farm_b_counter = (uint8_t)((farm->farm_b_counter + 1u) & 3u);
        result->outcome = CCSDS_FARM_ACCEPTED_BD;
        result->data = frame->data;
        result->data_length = frame->data_length;
        return CCSDS_OK;
    }
    /* The control command must be found legal before Table 6-1 applies (§6). */
    status = ccsds_tc_control_parse(frame->data, frame->data_length, &kind, &vr);
    if (status != CCSDS_OK) {
        return discard(result, status);
    }
    result->control = kind;
    farm->farm_b_counter = (uint8_t)((farm->farm_b_counter + 1u) & 3u);
    if (kind == CCSDS_CONTROL_UNLOCK) {
        /* E7 in every state: Retransmit, Wait and Lockout cleared; to S1. */
        result->event = 7u;
        farm->retransmit = false;
        farm->wait = false;
        farm->lockout = false;
        go(farm, result, CCSDS_FARM_OPEN);
        result->outcome = CCSDS_FARM_CONTROL_EXECUTED;
        return CCSDS_OK;
    }
    result->event = 8u;
    result->vr = vr;
    if (farm->state == CCSDS_FARM_LOCKOUT) {
        /* E8 in S3: legal and counted but not executed; Unlock must come first. */
        result->outcome = CCSDS_FARM_CONTROL_NOT_EXECUTED;
        return CCSDS_OK;
    }
    farm->retransmit = false;
    farm->wait = false;
    farm->vr = vr;
    go(farm, result, CCSDS_FARM_OPEN);
    result->outcome = CCSDS_FARM_CONTROL_EXECUTED;
    return CCSDS_OK;
}

ccsds_status ccsds_farm_receive_bytes(ccsds_farm *farm, const uint8_t *raw, size_t length, bool fecf,
                                      ccsds_farm_result *result)
{
    ccsds_tc_frame frame;
    ccsds_status status;
    if (farm == NULL || result == NULL || (raw == NULL && length != 0)) {
        return CCSDS_ERR_NULL;
    }
    status = ccsds_tc_frame_decode(raw, length, fecf, &frame);
    if (status != CCSDS_OK) {
        /* E9: an invalid frame is discarded in every state with no change of state. */
        begin(farm, result, 9u, 0u);
        return discard(result, status);
    }
    return ccsds_farm_receive(farm, &frame, result);
}

ccsds_status ccsds_farm_release_buffer(ccsds_farm *farm, uint16_t count, ccsds_farm_result *result)
{
    if (farm == NULL || result == NULL) {
        return CCSDS_ERR_NULL;
    }
    begin(farm, result, 10u, 0u);
    farm->buffered = count >= farm->buffered ? 0u : (uint16_t)(farm->buffered - count);
    if (!farm->wait || !buffer_available(farm)) {
        return CCSDS_OK;
    }
    farm->wait = false;
    if (farm->state == CCSDS_FARM_WAIT) {
        go(farm, result, CCSDS_FARM_OPEN);
    }
    /* In S3 the Wait flag is cleared and Lockout remains. */
    return CCSDS_OK;
}

ccsds_status ccsds_farm_clcw(const ccsds_farm *farm, ccsds_clcw *clcw)
{
    if (farm == NULL || clcw == NULL) {
        return CCSDS_ERR_NULL;
    }
    clcw->status = farm->status_field;
    clcw->cop_in_effect = COP_1;
    clcw->vcid = farm->vcid;
    clcw->no_rf_available = farm->no_rf_available;
    clcw->no_bit_lock = farm->no_bit_lock;
    clcw->lockout = farm->lockout;
    clcw->wait = farm->wait;
    clcw->retransmit = farm->retransmit;
    clcw->farm_b_counter = (uint8_t)(farm->farm_b_counter & 3u);
    clcw->report_value = farm->vr;
    return CCSDS_OK;
}

ccsds_status ccsds_farm_clcw_bytes(const ccsds_farm *farm, uint8_t *out)
{
    ccsds_clcw clcw;
    ccsds_status status;
    if (out == NULL) {
        return CCSDS_ERR_NULL;
    }
    status = ccsds_farm_clcw(farm, &clcw);
    if (status != CCSDS_OK) {
        return status;
    }
    return ccsds_clcw_encode(&clcw, out);
}
