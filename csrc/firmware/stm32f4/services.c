/*
 * services.c - PUS-C telecommand routing, verification flow and the node's services.
 *
 * Verification follows the executive (ECSS-E-ST-70-41C §6.1): a request whose structure or arguments do not
 * fit the dictionary is refused at acceptance (TM[1,2]) and never executed; one that names an unknown id or
 * asks for a value the node cannot take fails at start (TM[1,4]); one that fails while executing fails at
 * completion (TM[1,8]). Success reports go out only for the ack flags the request set.
 */
#include "services.h"

#include <math.h>
#include <string.h>

#include "adcs.h"
#include "hk.h"
#include "link.h"
#include "params.h"
#include "pus.h"
#include "scheduler.h"

#define VERIFY_ACCEPT_FAIL 2u
#define VERIFY_START_FAIL 4u
#define VERIFY_COMPLETE_FAIL 8u
#define TEST_ARE_YOU_ALIVE_REPORT 2u
#define PARAMETER_VALUE_REPORT 2u
#define HK_REPORT_SUBTYPE_ONE_SHOT FSW_CMD_HK_REPORT_ONE_SHOT_SUBTYPE
/* Dictionary bounds of the TC[3,31] period argument (mission.toml: min 0.01, max 3600 s). */
#define HK_PERIOD_MIN_S 0.01f
#define HK_PERIOD_MAX_S 3600.0f
/* A commanded target quaternion must be unit within this tolerance (as the executive checks). */
#define TARGET_NORM_TOLERANCE 1e-3

typedef struct {
    node *n;
    pus_request request;
    const ccsds_pus_tc *tc;
    const uint8_t *data;
    size_t length;
} tc_context;

static void raise_rejection_event(node *n, const ccsds_pus_tc *tc, uint16_t apid, uint16_t code)
{
#ifdef FSW_EVENT_TC_REJECTED_ID
    uint8_t aux[6];
    size_t k = 0u;
    k += put_u16(aux + k, apid);
    k += put_u8(aux + k, tc != NULL ? tc->service : 0u);
    k += put_u8(aux + k, tc != NULL ? tc->subtype : 0u);
    k += put_u16(aux + k, code);
    pus_event(n, FSW_EVENT_TC_REJECTED_ID, FSW_EVENT_TC_REJECTED_SEVERITY, aux, k);
#else
    (void)n;
    (void)tc;
    (void)apid;
    (void)code;
#endif
}

/* Acceptance failure: TM[1,2] and the tc_rejected event; nothing is executed. */
static void refuse(tc_context *c, uint16_t code, const char *what, uint32_t value)
{
    pus_fail(c->n, &c->request, VERIFY_ACCEPT_FAIL, code, what, value);
    raise_rejection_event(c->n, c->tc, c->tc->apid, code);
}

static void fail_start(tc_context *c, uint16_t code, const char *what, uint32_t value)
{
    pus_fail(c->n, &c->request, VERIFY_START_FAIL, code, what, value);
}

static void fail_completion(tc_context *c, uint16_t code, const char *what, uint32_t value)
{
    pus_fail(c->n, &c->request, VERIFY_COMPLETE_FAIL, code, what, value);
}

/* A list "uint8 count, count x item_octets": returns the count (0 allowed), or -1 when the length is wrong. */
static int list_count(const tc_context *c, size_t item_octets)
{
    size_t count;
    if (c->length < 1u) {
        return -1;
    }
    count = c->data[0];
    if (c->length != 1u + count * item_octets) {
        return -1;
    }
    return (int)count;
}

static const uint8_t *list_item(const tc_context *c, int index, size_t item_octets)
{
    return c->data + 1 + (size_t)index * item_octets;
}

/* ---- ST[17] ---------------------------------------------------------------------------------------- */

static void are_you_alive(tc_context *c)
{
    if (c->length != 0u) {
        refuse(c, NODE_FAIL_MALFORMED_DATA, "length", (uint32_t)c->length);
        return;
    }
    pus_accept_ok(c->n, &c->request);
    pus_start_ok(c->n, &c->request);
    (void)pus_send_tm(c->n, c->request.apid, 17u, TEST_ARE_YOU_ALIVE_REPORT, NULL, 0u);
    pus_complete_ok(c->n, &c->request);
}

/* ---- ST[03] ---------------------------------------------------------------------------------------- */

static void hk_command(tc_context *c, uint8_t subtype)
{
    size_t item = subtype == FSW_CMD_HK_CHANGE_PERIOD_SUBTYPE ? 6u : 2u;
    int count = list_count(c, item);
    float min_period = params_get(&c->n->parameters, FSW_FP_HK_MIN_PERIOD_ID);
    int i;
    if (count < 0) {
        refuse(c, NODE_FAIL_MALFORMED_DATA, "length", (uint32_t)c->length);
        return;
    }
    for (i = 0; i < count && item == 6u; ++i) {
        float period = get_f32(list_item(c, i, item) + 2);
        if (!(period >= HK_PERIOD_MIN_S && period <= HK_PERIOD_MAX_S)) {
            refuse(c, NODE_FAIL_OUT_OF_RANGE, "period of", get_u16(list_item(c, i, item)));
            return;
        }
    }
    pus_accept_ok(c->n, &c->request);
    for (i = 0; i < count; ++i) {
        const uint8_t *entry = list_item(c, i, item);
        uint16_t id = get_u16(entry);
        if (hk_find(c->n, id) < 0) {
            fail_start(c, NODE_FAIL_UNKNOWN_ID, "structure", id);
            return;
        }
        if (item == 6u && get_f32(entry + 2) < min_period) {
            fail_start(c, NODE_FAIL_INVALID_VALUE, "period below hk_min_period for", id);
            return;
        }
    }
    pus_start_ok(c->n, &c->request);
    for (i = 0; i < count; ++i) {
        const uint8_t *entry = list_item(c, i, item);
        hk_structure *s = &c->n->hk.structures[hk_find(c->n, get_u16(entry))];
        if (subtype == FSW_CMD_HK_ENABLE_PERIODIC_SUBTYPE) {
            s->periodic = true;
            s->next_due_ms = c->n->now_ms + s->period_ms;
        } else if (subtype == FSW_CMD_HK_DISABLE_PERIODIC_SUBTYPE) {
            s->periodic = false;
        } else if (subtype == HK_REPORT_SUBTYPE_ONE_SHOT) {
            (void)hk_report(c->n, s->id);
        } else {
            s->period_ms = (uint32_t)(get_f32(entry + 2) * 1000.0f + 0.5f);
            s->next_due_ms = c->n->now_ms + s->period_ms;
        }
    }
    pus_complete_ok(c->n, &c->request);
}

/* ---- ST[05] ---------------------------------------------------------------------------------------- */

static int node_raises(uint16_t event_id)
{
    return event_id == FSW_EVENT_FARM_LOCKOUT_ID || event_id == FSW_EVENT_ESTIMATOR_CONVERGED_ID ||
           event_id == FSW_EVENT_ESTIMATOR_DIVERGED_ID || event_id == FSW_EVENT_MODE_CHANGED_ID
#ifdef FSW_EVENT_TC_REJECTED_ID
           || event_id == FSW_EVENT_TC_REJECTED_ID
#endif
        ;
}

static void event_command(tc_context *c, uint8_t subtype)
{
    int count = list_count(c, 2u);
    int i;
    if (count < 0) {
        refuse(c, NODE_FAIL_MALFORMED_DATA, "length", (uint32_t)c->length);
        return;
    }
    pus_accept_ok(c->n, &c->request);
    for (i = 0; i < count; ++i) {
        uint16_t id = get_u16(list_item(c, i, 2u));
        if (!node_raises(id)) {
            fail_start(c, NODE_FAIL_UNKNOWN_ID, "event", id);
            return;
        }
    }
    pus_start_ok(c->n, &c->request);
    for (i = 0; i < count; ++i) {
        uint16_t id = get_u16(list_item(c, i, 2u));
        if (pus_event_set_enabled(c->n, id, subtype == FSW_CMD_EVENT_ENABLE_SUBTYPE) != 0) {
            fail_completion(c, NODE_FAIL_RESOURCE_UNAVAILABLE, "event table full at", id);
            return;
        }
    }
    pus_complete_ok(c->n, &c->request);
}

/* ---- ST[08] ---------------------------------------------------------------------------------------- */

static void adcs_reset(tc_context *c)
{
    uint8_t scope;
    if (c->length != 3u) {
        refuse(c, NODE_FAIL_MALFORMED_DATA, "length", (uint32_t)c->length);
        return;
    }
    scope = c->data[2];
    if (scope != FSW_ENUM_ADCS_RESET_SCOPE_ESTIMATOR && scope != FSW_ENUM_ADCS_RESET_SCOPE_NODE) {
        refuse(c, NODE_FAIL_OUT_OF_RANGE, "scope", scope);
        return;
    }
    pus_accept_ok(c->n, &c->request);
    pus_start_ok(c->n, &c->request);
    if (scope == FSW_ENUM_ADCS_RESET_SCOPE_ESTIMATOR) {
        adcs_reset_estimator(c->n);
    } else {
        /* The completion report goes out first; the main loop reboots once the line has drained. */
        c->n->reboot_requested = true;
    }
    pus_complete_ok(c->n, &c->request);
}

static void adcs_slew(tc_context *c)
{
    double q[4];
    double norm = 0.0;
    float rate;
    size_t i;
    if (c->length != 2u + 4u * 8u + 4u) {
        refuse(c, NODE_FAIL_MALFORMED_DATA, "length", (uint32_t)c->length);
        return;
    }
    for (i = 0u; i < 4u; ++i) {
        q[i] = get_f64(c->data + 2 + 8u * i);
        if (!(q[i] >= -1.0 && q[i] <= 1.0)) {
            refuse(c, NODE_FAIL_OUT_OF_RANGE, "quaternion component", (uint32_t)i);
            return;
        }
        norm += q[i] * q[i];
    }
    rate = get_f32(c->data + 2 + 32);
    if (!(rate >= 0.0f && rate <= 0.1f)) {
        refuse(c, NODE_FAIL_OUT_OF_RANGE, "rate", 0u);
        return;
    }
    pus_accept_ok(c->n, &c->request);
    if (fabs(sqrt(norm) - 1.0) > TARGET_NORM_TOLERANCE) {
        fail_start(c, NODE_FAIL_INVALID_VALUE, "target not a unit quaternion", 0u);
        return;
    }
    if (!(rate > 0.0f && rate <= params_get(&c->n->parameters, FSW_FP_ADCS_SLEW_RATE_MAX_ID))) {
        fail_start(c, NODE_FAIL_INVALID_VALUE, "rate above", FSW_FP_ADCS_SLEW_RATE_MAX_ID);
        return;
    }
    pus_start_ok(c->n, &c->request);
    /* The node has no actuators: the target becomes the commanded attitude that adcs_attitude_error
     * measures against. */
    for (i = 0u; i < 4u; ++i) {
        c->n->adcs.target[i] = (float)q[i];
    }
    c->n->adcs.has_target = true;
    pus_complete_ok(c->n, &c->request);
}

static void set_mode(tc_context *c)
{
    uint8_t mode;
    uint8_t previous = c->n->adcs.mode;
    uint8_t aux[2];
    if (c->length != 3u) {
        refuse(c, NODE_FAIL_MALFORMED_DATA, "length", (uint32_t)c->length);
        return;
    }
    mode = c->data[2];
    if (mode != FSW_ENUM_MODE_SAFE && mode != FSW_ENUM_MODE_NOMINAL) {
        refuse(c, NODE_FAIL_OUT_OF_RANGE, "mode", mode);
        return;
    }
    pus_accept_ok(c->n, &c->request);
    pus_start_ok(c->n, &c->request);
    adcs_set_mode(c->n, mode);
    if (mode != previous) {
        aux[0] = previous;
        aux[1] = mode;
        pus_event(c->n, FSW_EVENT_MODE_CHANGED_ID, FSW_EVENT_MODE_CHANGED_SEVERITY, aux, sizeof(aux));
    }
    pus_complete_ok(c->n, &c->request);
}

static void function_command(tc_context *c)
{
    uint16_t function_id;
    if (c->length < 2u) {
        refuse(c, NODE_FAIL_MALFORMED_DATA, "length", (uint32_t)c->length);
        return;
    }
    function_id = get_u16(c->data);
    if (c->request.apid == FSW_APIDS_ADCS && function_id == FSW_CMD_ADCS_RESET_FUNCTION_ID) {
        adcs_reset(c);
    } else if (c->request.apid == FSW_APIDS_ADCS && function_id == FSW_CMD_ADCS_SLEW_FUNCTION_ID) {
        adcs_slew(c);
    } else if (c->request.apid == FSW_APIDS_CDH && function_id == FSW_CMD_SET_MODE_FUNCTION_ID) {
        set_mode(c);
    } else {
        refuse(c, NODE_FAIL_ILLEGAL_SUBTYPE, "function", function_id);
    }
}

/* ---- ST[20] ---------------------------------------------------------------------------------------- */

/* TM[20,2]: count (uint8), then per parameter its id (uint16) and value (binary64), as the executive. */
static void parameter_report(tc_context *c)
{
    uint8_t report[1u + NODE_FLIGHT_PARAMETER_COUNT * 10u];
    int count = list_count(c, 2u);
    size_t k = 0u;
    int i;
    if (count < 0) {
        refuse(c, NODE_FAIL_MALFORMED_DATA, "length", (uint32_t)c->length);
        return;
    }
    pus_accept_ok(c->n, &c->request);
    for (i = 0; i < count; ++i) {
        uint16_t id = get_u16(list_item(c, i, 2u));
        if (params_find(&c->n->parameters, id) == NULL) {
            fail_start(c, NODE_FAIL_UNKNOWN_ID, "parameter", id);
            return;
        }
    }
    if ((size_t)count > NODE_FLIGHT_PARAMETER_COUNT) {
        fail_start(c, NODE_FAIL_RESOURCE_UNAVAILABLE, "more parameters than held", (uint32_t)count);
        return;
    }
    pus_start_ok(c->n, &c->request);
    k += put_u8(report + k, (uint8_t)count);
    for (i = 0; i < count; ++i) {
        uint16_t id = get_u16(list_item(c, i, 2u));
        k += put_u16(report + k, id);
        k += put_f64(report + k, (double)params_get(&c->n->parameters, id));
    }
    (void)pus_send_tm(c->n, c->request.apid, 20u, PARAMETER_VALUE_REPORT, report, k);
    pus_complete_ok(c->n, &c->request);
}

static void apply_parameter(node *n, uint16_t id)
{
    if (id == FSW_FP_LINK_IDLE_INTERVAL_ID) {
        uint32_t ms = (uint32_t)(params_get(&n->parameters, id) * 1000.0f + 0.5f);
        (void)scheduler_set_period(&n->sched, link_idle_task, ms, n->now_ms);
    }
}

static void parameter_set(tc_context *c)
{
    int count = list_count(c, 10u);
    parameter_table staged;
    int i;
    if (count < 0) {
        refuse(c, NODE_FAIL_MALFORMED_DATA, "length", (uint32_t)c->length);
        return;
    }
    pus_accept_ok(c->n, &c->request);
    /* All or nothing: every value is checked on a copy before any takes effect. */
    staged = c->n->parameters;
    for (i = 0; i < count; ++i) {
        const uint8_t *entry = list_item(c, i, 10u);
        uint16_t id = get_u16(entry);
        int st = params_set(&staged, id, get_f64(entry + 2));
        if (st != 0) {
            fail_start(c, st == -1 ? NODE_FAIL_UNKNOWN_ID : NODE_FAIL_INVALID_VALUE, "parameter", id);
            return;
        }
    }
    pus_start_ok(c->n, &c->request);
    c->n->parameters = staged;
    for (i = 0; i < count; ++i) {
        apply_parameter(c->n, get_u16(list_item(c, i, 10u)));
    }
    pus_complete_ok(c->n, &c->request);
}

/* ---- HIL sensor injection ------------------------------------------------------------------------------ */

static void sensor_injection(tc_context *c)
{
    adcs_sample sample;
    att_status st;
    size_t k;
    if (c->length != NODE_SIM_SAMPLE_OCTETS) {
        refuse(c, NODE_FAIL_MALFORMED_DATA, "length", (uint32_t)c->length);
        return;
    }
    pus_accept_ok(c->n, &c->request);
    if (c->n->adcs.mode != FSW_ENUM_MODE_NOMINAL) {
        fail_start(c, NODE_FAIL_NOT_ALLOWED_IN_MODE, "mode", c->n->adcs.mode);
        return;
    }
    pus_start_ok(c->n, &c->request);
    sample.dt = params_get(&c->n->parameters, FSW_FP_ADCS_UPDATE_PERIOD_ID);
    for (k = 0u; k < 3u; ++k) {
        sample.gyr[k] = (float)get_f64(c->data + 8u * k);
        sample.acc[k] = (float)get_f64(c->data + 24u + 8u * k);
        sample.mag[k] = (float)get_f64(c->data + 48u + 8u * k);
    }
    st = adcs_process_sample(c->n, &sample);
    if (st < 0) {
        fail_completion(c, NODE_FAIL_EXECUTION_ERROR, "attitude core status", (uint32_t)(-(int32_t)st));
        return;
    }
    pus_complete_ok(c->n, &c->request);
}

/* ---- routing ------------------------------------------------------------------------------------------- */

static void report_undecodable(node *n, const uint8_t *packet, size_t length, ccsds_status st)
{
    pus_request request;
    uint16_t code = NODE_FAIL_INVALID_LENGTH;
    uint16_t apid = 0u;
    if (st == CCSDS_ERR_BAD_CRC) {
        code = NODE_FAIL_BAD_CHECKSUM;
        ++n->link.counters.crc_errors;
    } else if (st == CCSDS_ERR_UNKNOWN_PUS_VERSION || st == CCSDS_ERR_WRONG_TYPE ||
               st == CCSDS_ERR_SEC_HEADER_FLAG || st == CCSDS_ERR_WRONG_VERSION) {
        code = NODE_FAIL_UNSUPPORTED_PUS_VERSION;
    }
    if (length < sizeof(request.request_id)) {
        /* Not even a request ID to address a report to: counted and evented only. */
        ++n->pus.tc_rejected;
        raise_rejection_event(n, NULL, 0u, code);
        return;
    }
    memcpy(request.request_id, packet, sizeof(request.request_id));
    apid = (uint16_t)(get_u16(packet) & 0x07FFu);
    request.ack_flags = 0u;
    request.apid = FSW_APIDS_ADCS;
    pus_fail(n, &request, VERIFY_ACCEPT_FAIL, code, ccsds_status_name(st), (uint32_t)st);
    raise_rejection_event(n, NULL, apid, code);
}

static int served_subtype(uint8_t service, uint8_t subtype)
{
    switch (service) {
    case 3u:
        return subtype == FSW_CMD_HK_ENABLE_PERIODIC_SUBTYPE || subtype == FSW_CMD_HK_DISABLE_PERIODIC_SUBTYPE ||
               subtype == FSW_CMD_HK_REPORT_ONE_SHOT_SUBTYPE || subtype == FSW_CMD_HK_CHANGE_PERIOD_SUBTYPE;
    case 5u:
        return subtype == FSW_CMD_EVENT_ENABLE_SUBTYPE || subtype == FSW_CMD_EVENT_DISABLE_SUBTYPE;
    case 8u:
        return subtype == FSW_CMD_ADCS_RESET_SUBTYPE;
    case 17u:
        return subtype == FSW_CMD_ADCS_ARE_YOU_ALIVE_SUBTYPE;
    case 20u:
        return subtype == FSW_CMD_PARAMETER_REPORT_SUBTYPE || subtype == FSW_CMD_PARAMETER_SET_SUBTYPE;
    default:
        return -1; /* service not provided */
    }
}

static void dispatch(tc_context *c)
{
    const ccsds_pus_tc *tc = c->tc;
    int served = served_subtype(tc->service, tc->subtype);
    if (served < 0) {
        refuse(c, NODE_FAIL_ILLEGAL_SERVICE, "service", tc->service);
        return;
    }
    if (served == 0) {
        refuse(c, NODE_FAIL_ILLEGAL_SUBTYPE, "subtype", tc->subtype);
        return;
    }
    switch (tc->service) {
    case 3u:
        hk_command(c, tc->subtype);
        break;
    case 5u:
        event_command(c, tc->subtype);
        break;
    case 8u:
        function_command(c);
        break;
    case 17u:
        are_you_alive(c);
        break;
    default:
        if (tc->subtype == FSW_CMD_PARAMETER_REPORT_SUBTYPE) {
            parameter_report(c);
        } else {
            parameter_set(c);
        }
        break;
    }
}

void services_handle_packet(node *n, const uint8_t *packet, size_t length, uint8_t vcid)
{
    ccsds_pus_tc tc;
    tc_context c;
    ccsds_status st = ccsds_pus_tc_decode(packet, length, FSW_PUS_PACKET_ERROR_CONTROL != 0, &tc);
    if (st != CCSDS_OK) {
        report_undecodable(n, packet, length, st);
        return;
    }
    c.n = n;
    c.tc = &tc;
    memcpy(c.request.request_id, packet, sizeof(c.request.request_id));
    c.request.ack_flags = tc.ack_flags;
    c.request.apid = tc.apid;
    c.data = tc.app_data;
    c.length = tc.app_data_length;

    /* TC VC1 carries simulation injection only, and injection travels on VC1 only. */
    if ((vcid == FSW_TC_VC_SIMULATION) != (tc.apid == FSW_APIDS_SIMULATION)) {
        c.request.apid = FSW_APIDS_ADCS;
        refuse(&c, NODE_FAIL_ILLEGAL_APID, vcid == FSW_TC_VC_SIMULATION ? "APID on the simulation VC"
                                                                        : "simulation APID on VC", vcid);
        return;
    }
    if (tc.apid == FSW_APIDS_SIMULATION) {
        if (tc.service != NODE_SIM_SERVICE) {
            refuse(&c, NODE_FAIL_ILLEGAL_SERVICE, "service", tc.service);
        } else if (tc.subtype != NODE_SIM_INJECT_SUBTYPE) {
            refuse(&c, NODE_FAIL_ILLEGAL_SUBTYPE, "subtype", tc.subtype);
        } else {
            sensor_injection(&c);
        }
        return;
    }
    if (tc.apid != FSW_APIDS_ADCS && tc.apid != FSW_APIDS_CDH) {
        c.request.apid = FSW_APIDS_ADCS;
        refuse(&c, NODE_FAIL_ILLEGAL_APID, "APID", tc.apid);
        return;
    }
    dispatch(&c);
}
