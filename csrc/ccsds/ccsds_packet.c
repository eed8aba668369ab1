/* Space Packets (133.0-B-2 §4.1), the CUC time field (301.0-B-4 §3.2) and PUS-C TC/TM packets
 * (ECSS-E-ST-70-41C §7.4) with packet error control (CRC-16/CCITT-FALSE, annex B). */
#include "ccsds_internal.h"

#define PACKET_VERSION 0u
#define MAX_DATA_FIELD_LENGTH 65536u /* §4.1.3.5.3: the length field holds octets - 1 in 16 bits */
#define TC_WORD0_FIXED 0x1800u       /* version 0, type TC, secondary header flag set */
#define TM_WORD0_FIXED 0x0800u       /* version 0, type TM, secondary header flag set */

CCSDS_STATIC_CHECK(cuc_coarse, FSW_TIME_CUC_COARSE_OCTETS >= 1u && FSW_TIME_CUC_COARSE_OCTETS <= 7u);
CCSDS_STATIC_CHECK(cuc_fine, FSW_TIME_CUC_FINE_OCTETS <= 3u);

ccsds_status ccsds_packet_header_decode(const uint8_t *raw, size_t length, ccsds_packet_header *header)
{
    uint16_t word0;
    uint16_t word1;
    if (header == NULL || (raw == NULL && length != 0)) {
        return CCSDS_ERR_NULL;
    }
    if (length < CCSDS_PACKET_PRIMARY_HEADER_LENGTH) {
        return CCSDS_ERR_TRUNCATED;
    }
    word0 = ccsds_get16(raw);
    word1 = ccsds_get16(raw + 2);
    if ((word0 >> 13) != PACKET_VERSION) {
        return CCSDS_ERR_WRONG_VERSION;
    }
    header->version = (uint8_t)(word0 >> 13);
    header->packet_type = (uint8_t)((word0 >> 12) & 1u);
    header->secondary_header_flag = (word0 & 0x0800u) != 0;
    header->apid = (uint16_t)(word0 & 0x07FFu);
    header->sequence_flags = (uint8_t)(word1 >> 14);
    header->sequence_count = (uint16_t)(word1 & 0x3FFFu);
    header->data_length = ccsds_get16(raw + 4);
    return CCSDS_OK;
}

ccsds_status ccsds_packet_header_encode(const ccsds_packet_header *header, uint8_t *out)
{
    if (header == NULL || out == NULL) {
        return CCSDS_ERR_NULL;
    }
    if (header->version > 7u || header->packet_type > 1u || header->apid > 0x7FFu ||
        header->sequence_flags > 3u || header->sequence_count >= CCSDS_SEQUENCE_COUNT_MODULUS) {
        return CCSDS_ERR_OUT_OF_RANGE;
    }
    ccsds_put16(out, (uint16_t)(((unsigned)header->version << 13) | ((unsigned)header->packet_type << 12) |
                                ((unsigned)header->secondary_header_flag << 11) | header->apid));
    ccsds_put16(out + 2, (uint16_t)(((unsigned)header->sequence_flags << 14) | header->sequence_count));
    ccsds_put16(out + 4, header->data_length);
    return CCSDS_OK;
}

ccsds_status ccsds_packet_length(const uint8_t *raw, size_t length, size_t *packet_length)
{
    if (packet_length == NULL || (raw == NULL && length != 0)) {
        return CCSDS_ERR_NULL;
    }
    if (length < CCSDS_PACKET_PRIMARY_HEADER_LENGTH) {
        return CCSDS_ERR_TRUNCATED;
    }
    if ((raw[0] >> 5) != PACKET_VERSION) {
        return CCSDS_ERR_WRONG_VERSION;
    }
    *packet_length = CCSDS_PACKET_PRIMARY_HEADER_LENGTH + 1u + ccsds_get16(raw + 4);
    return CCSDS_OK;
}

ccsds_status ccsds_idle_packet(size_t length, uint16_t sequence_count, uint8_t fill, uint8_t *out,
                               size_t capacity)
{
    size_t i;
    if (out == NULL) {
        return CCSDS_ERR_NULL;
    }
    if (length < CCSDS_PACKET_MIN_LENGTH || length > CCSDS_PACKET_PRIMARY_HEADER_LENGTH + MAX_DATA_FIELD_LENGTH ||
        sequence_count >= CCSDS_SEQUENCE_COUNT_MODULUS) {
        return CCSDS_ERR_OUT_OF_RANGE;
    }
    if (capacity < length) {
        return CCSDS_ERR_BUFFER_TOO_SMALL;
    }
    /* Idle packets: APID 0x7FF, no secondary header (§4.1.3.3.4.4). */
    ccsds_put16(out, (uint16_t)CCSDS_IDLE_APID);
    ccsds_put16(out + 2, (uint16_t)((CCSDS_SEQ_UNSEGMENTED << 14) | sequence_count));
    ccsds_put16(out + 4, (uint16_t)(length - CCSDS_PACKET_PRIMARY_HEADER_LENGTH - 1u));
    for (i = CCSDS_PACKET_PRIMARY_HEADER_LENGTH; i < length; ++i) {
        out[i] = fill;
    }
    return CCSDS_OK;
}

ccsds_status ccsds_sequence_counter_init(ccsds_sequence_counter *counter)
{
    unsigned i;
    if (counter == NULL) {
        return CCSDS_ERR_NULL;
    }
    counter->used = 0;
    for (i = 0; i < CCSDS_SEQUENCE_COUNTER_SLOTS; ++i) {
        counter->apid[i] = 0;
        counter->next[i] = 0;
    }
    return CCSDS_OK;
}

ccsds_status ccsds_sequence_counter_next(ccsds_sequence_counter *counter, uint16_t apid, uint16_t *count)
{
    unsigned i;
    unsigned used;
    if (counter == NULL || count == NULL) {
        return CCSDS_ERR_NULL;
    }
    if (apid > 0x7FFu) {
        return CCSDS_ERR_OUT_OF_RANGE;
    }
    used = counter->used < CCSDS_SEQUENCE_COUNTER_SLOTS ? counter->used : CCSDS_SEQUENCE_COUNTER_SLOTS;
    for (i = 0; i < used; ++i) {
        if (counter->apid[i] == apid) {
            break;
        }
    }
    if (i == used) {
        if (used >= CCSDS_SEQUENCE_COUNTER_SLOTS) {
            return CCSDS_ERR_NO_SPACE;
        }
        counter->apid[i] = apid;
        counter->next[i] = 0;
        counter->used = (uint8_t)(used + 1u);
    }
    *count = counter->next[i];
    counter->next[i] = (uint16_t)((counter->next[i] + 1u) % CCSDS_SEQUENCE_COUNT_MODULUS); /* §4.1.3.4.3.2 */
    return CCSDS_OK;
}

ccsds_status ccsds_cuc_encode(uint64_t coarse, uint32_t fine, uint8_t *out)
{
    unsigned i;
    if (out == NULL) {
        return CCSDS_ERR_NULL;
    }
    if ((FSW_TIME_CUC_COARSE_OCTETS < 8u && (coarse >> (8u * FSW_TIME_CUC_COARSE_OCTETS)) != 0u) ||
        (FSW_TIME_CUC_FINE_OCTETS < 4u && ((uint64_t)fine >> (8u * FSW_TIME_CUC_FINE_OCTETS)) != 0u)) {
        return CCSDS_ERR_OUT_OF_RANGE;
    }
    for (i = 0; i < FSW_TIME_CUC_COARSE_OCTETS; ++i) {
        out[i] = (uint8_t)(coarse >> (8u * (FSW_TIME_CUC_COARSE_OCTETS - 1u - i)));
    }
    for (i = 0; i < FSW_TIME_CUC_FINE_OCTETS; ++i) {
        out[FSW_TIME_CUC_COARSE_OCTETS + i] = (uint8_t)(fine >> (8u * (FSW_TIME_CUC_FINE_OCTETS - 1u - i)));
    }
    return CCSDS_OK;
}

ccsds_status ccsds_cuc_decode(const uint8_t *raw, size_t length, uint64_t *coarse, uint32_t *fine)
{
    unsigned i;
    uint64_t c = 0;
    uint32_t f = 0;
    if (coarse == NULL || fine == NULL || (raw == NULL && length != 0)) {
        return CCSDS_ERR_NULL;
    }
    if (length < CCSDS_CUC_LENGTH) {
        return CCSDS_ERR_TRUNCATED;
    }
    if (length > CCSDS_CUC_LENGTH) {
        return CCSDS_ERR_TRAILING_BYTES;
    }
    for (i = 0; i < FSW_TIME_CUC_COARSE_OCTETS; ++i) {
        c = (c << 8) | raw[i];
    }
    for (i = 0; i < FSW_TIME_CUC_FINE_OCTETS; ++i) {
        f = (f << 8) | raw[FSW_TIME_CUC_COARSE_OCTETS + i];
    }
    *coarse = c;
    *fine = f;
    return CCSDS_OK;
}

/* Checks shared by PUS TC and TM decoding, in the order the Python stack applies them: the primary header
 * (version, length agreement, not idle), the packet type, the secondary header flag, room for the
 * `secondary_length`-octet secondary header and the packet error control, the CRC, the PUS version
 * (ECSS-E-ST-70-41C §7.4.3.1 TM, §7.4.4.1 TC). */
static ccsds_status pus_open(const uint8_t *raw, size_t length, bool pec, bool telecommand, size_t secondary_length,
                             uint16_t *word0, uint16_t *word1)
{
    size_t total;
    if (length < CCSDS_PACKET_PRIMARY_HEADER_LENGTH) {
        return CCSDS_ERR_TRUNCATED;
    }
    *word0 = ccsds_get16(raw);
    *word1 = ccsds_get16(raw + 2);
    if ((*word0 >> 13) != PACKET_VERSION) {
        return CCSDS_ERR_WRONG_VERSION;
    }
    total = CCSDS_PACKET_PRIMARY_HEADER_LENGTH + 1u + ccsds_get16(raw + 4);
    if (length < total) {
        return CCSDS_ERR_TRUNCATED;
    }
    if (length > total) {
        return CCSDS_ERR_TRAILING_BYTES;
    }
    if ((*word0 & 0x07FFu) == CCSDS_IDLE_APID) {
        return CCSDS_ERR_IDLE_PACKET;
    }
    if (((*word0 & 0x1000u) != 0u) != telecommand) {
        return CCSDS_ERR_WRONG_TYPE;
    }
    if ((*word0 & 0x0800u) == 0u) {
        return CCSDS_ERR_SEC_HEADER_FLAG;
    }
    if (length < CCSDS_PACKET_PRIMARY_HEADER_LENGTH + secondary_length + (pec ? CCSDS_PUS_PEC_LENGTH : 0u)) {
        return CCSDS_ERR_LENGTH_MISMATCH;
    }
    if (pec && ccsds_crc16_raw(raw, length, CCSDS_CRC16_INIT) != 0u) {
        return CCSDS_ERR_BAD_CRC;
    }
    if ((raw[CCSDS_PACKET_PRIMARY_HEADER_LENGTH] >> 4) != CCSDS_PUS_VERSION) {
        return CCSDS_ERR_UNKNOWN_PUS_VERSION;
    }
    return CCSDS_OK;
}

/* What a PUS TC and TM packet share on encoding. The secondary header starts with the PUS version and a
 * four-bit field (TC acknowledgement flags, TM time reference status), the service and the subtype; `tail`
 * holds the rest of it (TC source id; TM message type counter, destination id and time field). */
typedef struct {
    uint16_t word0_fixed; /* version, packet type, secondary header flag */
    uint16_t apid;
    uint8_t sequence_flags;
    uint16_t sequence_count;
    uint8_t version_nibble_field;
    uint8_t service;
    uint8_t subtype;
    const uint8_t *tail;
    size_t tail_length;
    const uint8_t *data; /* application data (TC) or source data (TM) */
    size_t data_length;
} pus_encoding;

#define PUS_SECONDARY_HEADER_HEAD 3u /* version and four-bit field, service, subtype */

static ccsds_status pus_encode(const pus_encoding *packet, bool pec, uint8_t *out, size_t capacity,
                               size_t *out_length)
{
    size_t secondary_length = PUS_SECONDARY_HEADER_HEAD + packet->tail_length;
    size_t data_field;
    size_t total;
    size_t i;
    uint8_t *sec;
    if (packet->apid >= CCSDS_IDLE_APID || packet->sequence_count >= CCSDS_SEQUENCE_COUNT_MODULUS ||
        packet->sequence_flags > 3u || packet->version_nibble_field > 0x0Fu) {
        return CCSDS_ERR_OUT_OF_RANGE;
    }
    if (packet->data_length > MAX_DATA_FIELD_LENGTH) {
        return CCSDS_ERR_OUT_OF_RANGE;
    }
    data_field = secondary_length + packet->data_length + (pec ? CCSDS_PUS_PEC_LENGTH : 0u);
    if (data_field > MAX_DATA_FIELD_LENGTH) {
        return CCSDS_ERR_OUT_OF_RANGE;
    }
    total = CCSDS_PACKET_PRIMARY_HEADER_LENGTH + data_field;
    if (capacity < total) {
        return CCSDS_ERR_BUFFER_TOO_SMALL;
    }
    ccsds_put16(out, (uint16_t)(packet->word0_fixed | packet->apid));
    ccsds_put16(out + 2, (uint16_t)(((unsigned)packet->sequence_flags << 14) | packet->sequence_count));
    ccsds_put16(out + 4, (uint16_t)(data_field - 1u));
    sec = out + CCSDS_PACKET_PRIMARY_HEADER_LENGTH;
    sec[0] = (uint8_t)((CCSDS_PUS_VERSION << 4) | packet->version_nibble_field);
    sec[1] = packet->service;
    sec[2] = packet->subtype;
    for (i = 0; i < packet->tail_length; ++i) {
        sec[PUS_SECONDARY_HEADER_HEAD + i] = packet->tail[i];
    }
    for (i = 0; i < packet->data_length; ++i) {
        sec[secondary_length + i] = packet->data[i];
    }
    if (pec) { /* CRC-16/CCITT-FALSE over the whole packet before it (§7.4.3.1, annex B) */
        size_t body = total - CCSDS_PUS_PEC_LENGTH;
        ccsds_put16(out + body, ccsds_crc16_raw(out, body, CCSDS_CRC16_INIT));
    }
    *out_length = total;
    return CCSDS_OK;
}

ccsds_status ccsds_pus_tc_decode(const uint8_t *raw, size_t length, bool pec, ccsds_pus_tc *tc)
{
    uint16_t word0;
    uint16_t word1;
    const uint8_t *sec;
    ccsds_status status;
    if (tc == NULL || (raw == NULL && length != 0)) {
        return CCSDS_ERR_NULL;
    }
    status = pus_open(raw, length, pec, true, CCSDS_PUS_TC_SECONDARY_HEADER_LENGTH, &word0, &word1);
    if (status != CCSDS_OK) {
        return status;
    }
    sec = raw + CCSDS_PACKET_PRIMARY_HEADER_LENGTH;
    tc->apid = (uint16_t)(word0 & 0x07FFu);
    tc->sequence_flags = (uint8_t)(word1 >> 14);
    tc->sequence_count = (uint16_t)(word1 & 0x3FFFu);
    tc->ack_flags = (uint8_t)(sec[0] & 0x0Fu);
    tc->service = sec[1];
    tc->subtype = sec[2];
    tc->source_id = ccsds_get16(sec + 3);
    tc->app_data = sec + CCSDS_PUS_TC_SECONDARY_HEADER_LENGTH;
    tc->app_data_length = length - CCSDS_PACKET_PRIMARY_HEADER_LENGTH - CCSDS_PUS_TC_SECONDARY_HEADER_LENGTH -
                          (pec ? CCSDS_PUS_PEC_LENGTH : 0u);
    return CCSDS_OK;
}

ccsds_status ccsds_pus_tc_encode(const ccsds_pus_tc *tc, bool pec, uint8_t *out, size_t capacity,
                                 size_t *out_length)
{
    uint8_t tail[CCSDS_PUS_TC_SECONDARY_HEADER_LENGTH - PUS_SECONDARY_HEADER_HEAD];
    pus_encoding packet;
    if (tc == NULL || out == NULL || out_length == NULL || (tc->app_data == NULL && tc->app_data_length != 0)) {
        return CCSDS_ERR_NULL;
    }
    ccsds_put16(tail, tc->source_id);
    packet.word0_fixed = TC_WORD0_FIXED;
    packet.apid = tc->apid;
    packet.sequence_flags = tc->sequence_flags;
    packet.sequence_count = tc->sequence_count;
    packet.version_nibble_field = tc->ack_flags;
    packet.service = tc->service;
    packet.subtype = tc->subtype;
    packet.tail = tail;
    packet.tail_length = sizeof tail;
    packet.data = tc->app_data;
    packet.data_length = tc->app_data_length;
    return pus_encode(&packet, pec, out, capacity, out_length);
}

ccsds_status ccsds_pus_tm_decode(const uint8_t *raw, size_t length, bool pec, ccsds_pus_tm *tm)
{
    uint16_t word0;
    uint16_t word1;
    const uint8_t *sec;
    ccsds_status status;
    unsigned i;
    if (tm == NULL || (raw == NULL && length != 0)) {
        return CCSDS_ERR_NULL;
    }
    status = pus_open(raw, length, pec, false, CCSDS_PUS_TM_SECONDARY_HEADER_LENGTH, &word0, &word1);
    if (status != CCSDS_OK) {
        return status;
    }
    sec = raw + CCSDS_PACKET_PRIMARY_HEADER_LENGTH;
    tm->apid = (uint16_t)(word0 & 0x07FFu);
    tm->sequence_flags = (uint8_t)(word1 >> 14);
    tm->sequence_count = (uint16_t)(word1 & 0x3FFFu);
    tm->time_reference_status = (uint8_t)(sec[0] & 0x0Fu);
    tm->service = sec[1];
    tm->subtype = sec[2];
    tm->message_type_counter = ccsds_get16(sec + 3);
    tm->destination_id = ccsds_get16(sec + 5);
    for (i = 0; i < CCSDS_CUC_LENGTH; ++i) {
        tm->time[i] = sec[7u + i];
    }
    tm->source_data = sec + CCSDS_PUS_TM_SECONDARY_HEADER_LENGTH;
    tm->source_data_length = length - CCSDS_PACKET_PRIMARY_HEADER_LENGTH - CCSDS_PUS_TM_SECONDARY_HEADER_LENGTH -
                             (pec ? CCSDS_PUS_PEC_LENGTH : 0u);
    return CCSDS_OK;
}

ccsds_status ccsds_pus_tm_encode(const ccsds_pus_tm *tm, bool pec, uint8_t *out, size_t capacity,
                                 size_t *out_length)
{
    uint8_t tail[CCSDS_PUS_TM_SECONDARY_HEADER_LENGTH - PUS_SECONDARY_HEADER_HEAD];
    pus_encoding packet;
    unsigned i;
    if (tm == NULL || out == NULL || out_length == NULL ||
        (tm->source_data == NULL && tm->source_data_length != 0)) {
        return CCSDS_ERR_NULL;
    }
    ccsds_put16(tail, tm->message_type_counter);
    ccsds_put16(tail + 2, tm->destination_id);
    for (i = 0; i < CCSDS_CUC_LENGTH; ++i) {
        tail[4u + i] = tm->time[i];
    }
    packet.word0_fixed = TM_WORD0_FIXED;
    packet.apid = tm->apid;
    packet.sequence_flags = tm->sequence_flags;
    packet.sequence_count = tm->sequence_count;
    packet.version_nibble_field = tm->time_reference_status;
    packet.service = tm->service;
    packet.subtype = tm->subtype;
    packet.tail = tail;
    packet.tail_length = sizeof tail;
    packet.data = tm->source_data;
    packet.data_length = tm->source_data_length;
    return pus_encode(&packet, pec, out, capacity, out_length);
}

ccsds_status ccsds_message_type_counter_init(ccsds_message_type_counter *counter)
{
    unsigned i;
    if (counter == NULL) {
        return CCSDS_ERR_NULL;
    }
    counter->used = 0;
    for (i = 0; i < CCSDS_MESSAGE_TYPE_SLOTS; ++i) {
        counter->service[i] = 0;
        counter->subtype[i] = 0;
        counter->next[i] = 0;
    }
    return CCSDS_OK;
}

ccsds_status ccsds_message_type_counter_next(ccsds_message_type_counter *counter, uint8_t service,
                                             uint8_t subtype, uint16_t *value)
{
    unsigned i;
    unsigned used;
    if (counter == NULL || value == NULL) {
        return CCSDS_ERR_NULL;
    }
    used = counter->used < CCSDS_MESSAGE_TYPE_SLOTS ? counter->used : CCSDS_MESSAGE_TYPE_SLOTS;
    for (i = 0; i < used; ++i) {
        if (counter->service[i] == service && counter->subtype[i] == subtype) {
            break;
        }
    }
    if (i == used) {
        if (used >= CCSDS_MESSAGE_TYPE_SLOTS) {
            return CCSDS_ERR_NO_SPACE;
        }
        counter->service[i] = service;
        counter->subtype[i] = subtype;
        counter->next[i] = 0;
        counter->used = (uint8_t)(used + 1u);
    }
    *value = counter->next[i];
    counter->next[i] = (uint16_t)(counter->next[i] + 1u); /* 16 bits, wrapping to 0 */
    return CCSDS_OK;
}
