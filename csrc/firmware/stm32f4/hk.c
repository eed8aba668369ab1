/*
 * hk.c - housekeeping structures of the node.
 */
#include "hk.h"

#include "adcs.h"
#include "pus.h"
#include "usart.h"

#define HK_REPORT_SUBTYPE 25u
#define HK_MAX_REPORT 96u

static uint32_t period_ms(double seconds)
{
    return (uint32_t)(seconds * 1000.0 + 0.5);
}

void hk_init(node *n)
{
    static const struct {
        uint16_t id;
        double period_s;
        int enabled;
    } table[NODE_HK_STRUCTURE_COUNT] = {
        {FSW_HK_LINK_STATUS_ID, FSW_HK_LINK_STATUS_PERIOD_S, FSW_HK_LINK_STATUS_ENABLED},
        {FSW_HK_ADCS_ATTITUDE_ID, FSW_HK_ADCS_ATTITUDE_PERIOD_S, FSW_HK_ADCS_ATTITUDE_ENABLED},
        {FSW_HK_ADCS_ESTIMATOR_ID, FSW_HK_ADCS_ESTIMATOR_PERIOD_S, FSW_HK_ADCS_ESTIMATOR_ENABLED},
        {NODE_HK_NODE_STATUS_ID, NODE_HK_NODE_STATUS_PERIOD_S, NODE_HK_NODE_STATUS_ENABLED},
    };
    size_t i;
    for (i = 0u; i < NODE_HK_STRUCTURE_COUNT; ++i) {
        hk_structure *s = &n->hk.structures[i];
        s->id = table[i].id;
        s->periodic = table[i].enabled != 0;
        s->period_ms = period_ms(table[i].period_s);
        s->next_due_ms = n->now_ms + s->period_ms;
    }
}

int hk_find(const node *n, uint16_t id)
{
    size_t i;
    for (i = 0u; i < NODE_HK_STRUCTURE_COUNT; ++i) {
        if (n->hk.structures[i].id == id) {
            return (int)i;
        }
    }
    return -1;
}

/* link_status: frames_in, frames_out, crc_errors, cltu_rejections (uint32), farm_state, farm_vr (uint8),
 * farm_lockouts (uint16), sdls_rejections (uint32; no SDLS on the node: 0). */
static size_t encode_link_status(const node *n, uint8_t *out)
{
    const link_counters *c = &n->link.counters;
    size_t k = 0u;
    k += put_u32(out + k, c->frames_in);
    k += put_u32(out + k, c->frames_out);
    k += put_u32(out + k, c->crc_errors);
    k += put_u32(out + k, c->cltu_rejections);
    k += put_u8(out + k, (uint8_t)n->link.farm.state);
    k += put_u8(out + k, n->link.farm.vr);
    k += put_u16(out + k, c->farm_lockouts);
    k += put_u32(out + k, 0u);
    return k;
}

/* adcs_attitude: estimator_state (enum8), q w x y z, attitude_error, body_rate (float32). */
static size_t encode_adcs_attitude(const node *n, uint8_t *out)
{
    size_t k = 0u;
    size_t i;
    k += put_u8(out + k, n->adcs.estimator_state);
    for (i = 0u; i < 4u; ++i) {
        k += put_f32(out + k, n->adcs.state.q[i]);
    }
    k += put_f32(out + k, adcs_attitude_error(n));
    k += put_f32(out + k, n->adcs.body_rate);
    return k;
}

/* adcs_estimator: bias x y z, covariance diagonal (attitude x y z, bias x y z) (float32), updates,
 * rejections (uint32), resets (uint16). */
static size_t encode_adcs_estimator(const node *n, uint8_t *out)
{
    size_t k = 0u;
    size_t i;
    float diagonal[6];
    adcs_covariance_diagonal(n, diagonal);
    for (i = 0u; i < 3u; ++i) {
        k += put_f32(out + k, n->adcs.state.bias[i]);
    }
    for (i = 0u; i < 6u; ++i) {
        k += put_f32(out + k, diagonal[i]);
    }
    k += put_u32(out + k, adcs_updates(n));
    k += put_u32(out + k, adcs_rejections(n));
    k += put_u16(out + k, n->adcs.resets);
    return k;
}

static size_t encode_node_status(const node *n, uint8_t *out)
{
    usart_counters uart;
    size_t k = 0u;
    const fault_record *f = &n->boot.last_fault;
    int fault_valid = n->boot.cause == RESET_CAUSE_FAULT;
    usart_get_counters(&uart);
    k += put_u8(out + k, (uint8_t)n->boot.cause);
    k += put_u32(out + k, n->boot.resets);
    k += put_u32(out + k, n->now_ms / 1000u);
    k += put_u8(out + k, fault_valid ? (uint8_t)f->cause : 0u);
    k += put_u32(out + k, fault_valid ? f->cfsr : 0u);
    k += put_u32(out + k, fault_valid ? f->hfsr : 0u);
    k += put_u32(out + k, fault_valid ? f->pc : 0u);
    k += put_u32(out + k, uart.rx_bytes);
    k += put_u32(out + k, uart.rx_ring_overflows + uart.rx_hw_overruns);
    k += put_u32(out + k, n->link.counters.tm_dropped);
    k += put_u32(out + k, n->adcs.samples_in);
    k += put_u32(out + k, n->adcs.samples_refused);
    k += put_u8(out + k, n->adcs.mode);
    return k;
}

int hk_report(node *n, uint16_t id)
{
    uint8_t data[HK_MAX_REPORT];
    size_t k = put_u16(data, id);
    switch (id) {
    case FSW_HK_LINK_STATUS_ID:
        k += encode_link_status(n, data + k);
        break;
    case FSW_HK_ADCS_ATTITUDE_ID:
        k += encode_adcs_attitude(n, data + k);
        break;
    case FSW_HK_ADCS_ESTIMATOR_ID:
        k += encode_adcs_estimator(n, data + k);
        break;
    case NODE_HK_NODE_STATUS_ID:
        k += encode_node_status(n, data + k);
        break;
    default:
        return -1;
    }
    (void)pus_send_tm(n, FSW_APIDS_ADCS, 3u, HK_REPORT_SUBTYPE, data, k);
    return 0;
}

void hk_task(void *context, uint32_t now_ms)
{
    node *n = (node *)context;
    size_t i;
    for (i = 0u; i < NODE_HK_STRUCTURE_COUNT; ++i) {
        hk_structure *s = &n->hk.structures[i];
        if (!s->periodic || (int32_t)(now_ms - s->next_due_ms) < 0) {
            continue;
        }
        (void)hk_report(n, s->id);
        s->next_due_ms += s->period_ms;
        if ((int32_t)(now_ms - s->next_due_ms) >= 0) {
            s->next_due_ms = now_ms + s->period_ms; /* fell behind: re-phase rather than burst */
        }
    }
}
