/*
 * link.c - CLTU/TC frame uplink with FARM-1 and TM frame downlink on the UART.
 */
#include "link.h"

#include <string.h>

#include "pus.h"
#include "services.h"
#include "usart.h"

#define UPLINK_CHUNK 64u
#define UPLINK_BYTES_PER_POLL 2048u

static void refresh_clcw(node *n)
{
    (void)ccsds_farm_clcw_bytes(&n->link.farm, n->link.clcw);
}

static void transmit(node *n, size_t written)
{
    size_t unit = 0u;
    if (written == 0u) {
        return;
    }
    (void)ccsds_tm_unit_length(&n->link.channel, &unit);
    if (usart_write(n->link.out, written) == written && unit > 0u) {
        n->link.counters.frames_out += (uint32_t)(written / unit);
    }
}

/* Room for frames: the staging buffer, limited to what the transmit ring can take now. */
static size_t out_capacity(void)
{
    size_t free_octets = usart_tx_free();
    return free_octets < NODE_TM_OUT_BUFFER ? free_octets : NODE_TM_OUT_BUFFER;
}

void link_init(node *n)
{
    memset(&n->link, 0, sizeof(n->link));
    (void)ccsds_cltu_decoder_init(&n->link.cltu, FSW_TC_RANDOMISE != 0, true, FSW_TC_FECF_PRESENT != 0);
    (void)ccsds_farm_init(&n->link.farm, FSW_SCID, FSW_TC_VC_COMMANDS, FSW_TC_FARM_WINDOW, 0u, 0u);
    (void)ccsds_tm_channel_init(&n->link.channel, true, FSW_TM_RANDOMISE != 0);
    (void)ccsds_tm_vc_init(&n->link.vc_realtime, FSW_TM_VC_REALTIME);
    refresh_clcw(n);
}

int link_send_packet(node *n, const uint8_t *packet, size_t length)
{
    size_t written = 0u;
    ccsds_status st;
    refresh_clcw(n);
    st = ccsds_tm_vc_add_packet(&n->link.vc_realtime, &n->link.channel, packet, length, n->link.clcw,
                                n->link.out, out_capacity(), &written);
    if (st != CCSDS_OK) {
        ++n->link.counters.tm_dropped;
        return -1;
    }
    transmit(n, written);
    return 0;
}

void link_flush(node *n)
{
    size_t written = 0u;
    refresh_clcw(n);
    if (ccsds_tm_vc_flush(&n->link.vc_realtime, &n->link.channel, n->link.clcw, n->link.out, out_capacity(),
                          &written) == CCSDS_OK) {
        transmit(n, written);
    }
}

void link_send_idle_frame(node *n)
{
    size_t written = 0u;
    refresh_clcw(n);
    if (ccsds_tm_idle_frame(&n->link.channel, n->link.clcw, n->link.out, out_capacity(), &written) ==
        CCSDS_OK) {
        transmit(n, written);
    }
}

void link_idle_task(void *context, uint32_t now_ms)
{
    (void)now_ms;
    link_send_idle_frame((node *)context);
}

/* The frame data field of this mission: segment header (MAP 0, unsegmented), then one packet. */
static void deliver_data(node *n, const uint8_t *data, size_t length, uint8_t vcid)
{
    uint8_t flags = 0u;
    uint8_t map_id = 0u;
    if (FSW_TC_SEGMENT_HEADER) {
        if (ccsds_tc_segment_header_decode(data, length, &flags, &map_id) != CCSDS_OK ||
            flags != CCSDS_TC_SEQ_UNSEGMENTED || map_id != FSW_TC_MAP_ID) {
            ++n->link.counters.frames_refused;
            return;
        }
        data += 1;
        length -= 1u;
    }
    services_handle_packet(n, data, length, vcid);
}

static void farm_outcome(node *n, const ccsds_farm_result *result)
{
    if (result->new_state == CCSDS_FARM_LOCKOUT && result->old_state != CCSDS_FARM_LOCKOUT) {
        uint8_t aux[2];
        ++n->link.counters.farm_lockouts;
        aux[0] = n->link.farm.vr;
        aux[1] = result->sequence_number;
        pus_event(n, FSW_EVENT_FARM_LOCKOUT_ID, FSW_EVENT_FARM_LOCKOUT_SEVERITY, aux, sizeof(aux));
    }
}

static void handle_frame(node *n, const uint8_t *raw, size_t length)
{
    ccsds_tc_frame frame;
    ccsds_status st = ccsds_tc_frame_decode(raw, length, FSW_TC_FECF_PRESENT != 0, &frame);
    if (st != CCSDS_OK) {
        if (st == CCSDS_ERR_BAD_CRC) {
            ++n->link.counters.crc_errors;
        } else {
            ++n->link.counters.frames_refused;
        }
        return;
    }
    ++n->link.counters.frames_in;
    if (frame.scid != FSW_SCID) {
        ++n->link.counters.frames_refused;
        return;
    }
    if (frame.vcid == FSW_TC_VC_COMMANDS) {
        ccsds_farm_result result;
        st = ccsds_farm_receive(&n->link.farm, &frame, &result);
        farm_outcome(n, &result);
        if (st != CCSDS_OK) {
            ++n->link.counters.frames_refused;
            return;
        }
        if (result.outcome == CCSDS_FARM_ACCEPTED_AD || result.outcome == CCSDS_FARM_ACCEPTED_BD) {
            deliver_data(n, result.data, result.data_length, frame.vcid);
        }
        return;
    }
    /* VC1 carries simulation data only; it is not sequence-controlled (no FARM), control frames refused. */
    if (frame.vcid == FSW_TC_VC_SIMULATION && !frame.control_command) {
        deliver_data(n, frame.data, frame.data_length, frame.vcid);
        return;
    }
    ++n->link.counters.frames_refused;
}

void link_poll_uplink(node *n)
{
    uint8_t chunk[UPLINK_CHUNK];
    size_t total = 0u;
    while (total < UPLINK_BYTES_PER_POLL) {
        size_t got = usart_read(chunk, sizeof(chunk));
        size_t i;
        if (got == 0u) {
            break;
        }
        total += got;
        for (i = 0u; i < got; ++i) {
            const uint8_t *frame = NULL;
            size_t frame_length = 0u;
            ccsds_status st = ccsds_cltu_decoder_push(&n->link.cltu, chunk[i], &frame, &frame_length);
            if (st != CCSDS_OK) {
                ++n->link.counters.cltu_rejections;
                if (st == CCSDS_ERR_BAD_CRC) {
                    ++n->link.counters.crc_errors;
                }
                continue;
            }
            if (frame_length > 0u && frame != NULL) {
                handle_frame(n, frame, frame_length);
            }
        }
    }
}
