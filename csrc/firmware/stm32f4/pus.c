/*
 * pus.c - PUS-C TM building, verification and event reports of the node.
 */
#include "pus.h"

#include <string.h>

#include "link.h"

#define VERIFY_ACCEPT_OK 1u
#define VERIFY_START_OK 3u
#define VERIFY_COMPLETE_OK 7u
#define EVENT_AUX_MAX 32u
#define DETAIL_MAX 32u

size_t put_u8(uint8_t *out, uint8_t v)
{
    out[0] = v;
    return 1u;
}

size_t put_u16(uint8_t *out, uint16_t v)
{
    out[0] = (uint8_t)(v >> 8);
    out[1] = (uint8_t)v;
    return 2u;
}

size_t put_u32(uint8_t *out, uint32_t v)
{
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
    return 4u;
}

size_t put_f32(uint8_t *out, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof(bits));
    return put_u32(out, bits);
}

size_t put_f64(uint8_t *out, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    (void)put_u32(out, (uint32_t)(bits >> 32));
    return 4u + put_u32(out + 4, (uint32_t)bits);
}

uint16_t get_u16(const uint8_t *in)
{
    return (uint16_t)(((uint16_t)in[0] << 8) | in[1]);
}

uint32_t get_u32(const uint8_t *in)
{
    return ((uint32_t)in[0] << 24) | ((uint32_t)in[1] << 16) | ((uint32_t)in[2] << 8) | in[3];
}

float get_f32(const uint8_t *in)
{
    uint32_t bits = get_u32(in);
    float v;
    memcpy(&v, &bits, sizeof(v));
    return v;
}

double get_f64(const uint8_t *in)
{
    uint64_t bits = ((uint64_t)get_u32(in) << 32) | get_u32(in + 4);
    double v;
    memcpy(&v, &bits, sizeof(v));
    return v;
}

void pus_init(node *n)
{
    memset(&n->pus, 0, sizeof(n->pus));
    (void)ccsds_sequence_counter_init(&n->pus.sequence);
    (void)ccsds_message_type_counter_init(&n->pus.message_types);
}

/* On-board time: seconds and 1/65536 fractions since boot, in the mission CUC format. The node has no
 * time synchronisation of its own; the ground correlates by the frame it arrives in. */
static void onboard_time(const node *n, uint8_t *out)
{
    uint32_t ms = n->now_ms;
    uint32_t fine = (uint32_t)(((uint64_t)(ms % 1000u) << (8u * FSW_TIME_CUC_FINE_OCTETS)) / 1000u);
    (void)ccsds_cuc_encode(ms / 1000u, fine, out);
}

int pus_send_tm(node *n, uint16_t apid, uint8_t service, uint8_t subtype, const uint8_t *data, size_t length)
{
    uint8_t packet[NODE_TM_MAX_PACKET];
    size_t packet_length = 0u;
    ccsds_pus_tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.apid = apid;
    tm.sequence_flags = CCSDS_SEQ_UNSEGMENTED;
    tm.service = service;
    tm.subtype = subtype;
    tm.destination_id = FSW_PUS_GROUND_ID;
    tm.source_data = data;
    tm.source_data_length = length;
    if (ccsds_sequence_counter_next(&n->pus.sequence, apid, &tm.sequence_count) != CCSDS_OK ||
        ccsds_message_type_counter_next(&n->pus.message_types, service, subtype, &tm.message_type_counter) !=
            CCSDS_OK) {
        ++n->link.counters.tm_dropped;
        return -1;
    }
    onboard_time(n, tm.time);
    if (ccsds_pus_tm_encode(&tm, FSW_PUS_PACKET_ERROR_CONTROL != 0, packet, sizeof(packet), &packet_length) !=
        CCSDS_OK) {
        ++n->link.counters.tm_dropped;
        return -1;
    }
    return link_send_packet(n, packet, packet_length);
}

static void report(node *n, const pus_request *request, uint8_t subtype, const uint8_t *extra, size_t extra_length)
{
    uint8_t data[4u + 3u + DETAIL_MAX];
    if (extra_length > sizeof(data) - 4u) {
        return;
    }
    memcpy(data, request->request_id, 4u);
    if (extra_length > 0u) {
        memcpy(data + 4, extra, extra_length);
    }
    (void)pus_send_tm(n, request->apid, 1u, subtype, data, 4u + extra_length);
}

void pus_accept_ok(node *n, const pus_request *request)
{
    ++n->pus.tc_accepted;
    if (request->ack_flags & FSW_PUS_ACK_ACCEPTANCE) {
        report(n, request, VERIFY_ACCEPT_OK, NULL, 0u);
    }
}

void pus_start_ok(node *n, const pus_request *request)
{
    if (request->ack_flags & FSW_PUS_ACK_START) {
        report(n, request, VERIFY_START_OK, NULL, 0u);
    }
}

void pus_complete_ok(node *n, const pus_request *request)
{
    if (request->ack_flags & FSW_PUS_ACK_COMPLETION) {
        report(n, request, VERIFY_COMPLETE_OK, NULL, 0u);
    }
}

/* "<what> 0x<hex value>", truncated to fit; returns the length. */
static size_t format_detail(char *out, size_t capacity, const char *what, uint32_t value)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t k = 0u;
    int shift;
    int started = 0;
    while (what != NULL && what[k] != '\0' && k + 12u < capacity) {
        out[k] = what[k];
        ++k;
    }
    out[k++] = ' ';
    out[k++] = '0';
    out[k++] = 'x';
    for (shift = 28; shift >= 0; shift -= 4) {
        uint32_t digit = (value >> (uint32_t)shift) & 0xFu;
        if (digit != 0u || started || shift == 0) {
            out[k++] = hex[digit];
            started = 1;
        }
    }
    return k;
}

void pus_fail(node *n, const pus_request *request, uint8_t subtype, uint16_t code, const char *what,
              uint32_t value)
{
    uint8_t notice[3u + DETAIL_MAX];
    size_t length = format_detail((char *)(notice + 3), DETAIL_MAX, what, value);
    (void)put_u16(notice, code);
    notice[2] = (uint8_t)length;
    if (subtype == 2u) {
        ++n->pus.tc_rejected;
    }
    report(n, request, subtype, notice, 3u + length);
}

static int event_index(const node *n, uint16_t event_id)
{
    uint8_t i;
    for (i = 0u; i < n->pus.events_disabled_count && i < NODE_EVENT_SLOTS; ++i) {
        if (n->pus.events_disabled[i] == event_id) {
            return (int)i;
        }
    }
    return -1;
}

int pus_event_set_enabled(node *n, uint16_t event_id, bool enabled)
{
    int at = event_index(n, event_id);
    if (enabled) {
        if (at >= 0) {
            uint8_t last = (uint8_t)(n->pus.events_disabled_count - 1u);
            n->pus.events_disabled[at] = n->pus.events_disabled[last];
            n->pus.events_disabled_count = last;
        }
        return 0;
    }
    if (at >= 0) {
        return 0;
    }
    if (n->pus.events_disabled_count >= NODE_EVENT_SLOTS) {
        return -1;
    }
    n->pus.events_disabled[n->pus.events_disabled_count++] = event_id;
    return 0;
}

void pus_event(node *n, uint16_t event_id, uint8_t severity, const uint8_t *aux, size_t aux_length)
{
    uint8_t data[2u + EVENT_AUX_MAX];
    if (event_index(n, event_id) >= 0 || aux_length > EVENT_AUX_MAX) {
        return;
    }
    (void)put_u16(data, event_id);
    if (aux_length > 0u && aux != NULL) {
        memcpy(data + 2, aux, aux_length);
    }
    (void)pus_send_tm(n, FSW_APIDS_ADCS, 5u, severity, data, 2u + aux_length);
}
