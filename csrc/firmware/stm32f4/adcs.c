/*
 * adcs.c - estimator wrapper: state machine off -> initialising -> converged (or diverged -> reset).
 */
#include "adcs.h"

#include <math.h>
#include <string.h>

#include "pus.h"

/* Converged when every attitude variance is below the dictionary's soft limit of adcs_cov_attitude_*
 * (1e-3 rad^2): the filter then knows its attitude to about 1.8 degrees. */
#define CONVERGED_ATTITUDE_VARIANCE 1e-3f

static int all_finite(const float *v, size_t n)
{
    size_t i;
    for (i = 0u; i < n; ++i) {
        if (!isfinite(v[i])) {
            return 0;
        }
    }
    return 1;
}

void adcs_init(node *n)
{
    memset(&n->adcs, 0, sizeof(n->adcs));
    (void)att_mekf_params_default(&n->adcs.params);
    (void)att_mekf_init(&n->adcs.params, &n->adcs.state);
    n->adcs.estimator_state = FSW_ENUM_ESTIMATOR_STATE_INITIALISING;
    n->adcs.mode = FSW_ENUM_MODE_NOMINAL;
}

void adcs_reset_estimator(node *n)
{
    (void)att_mekf_init(&n->adcs.params, &n->adcs.state);
    n->adcs.estimator_state = n->adcs.mode == FSW_ENUM_MODE_NOMINAL ? FSW_ENUM_ESTIMATOR_STATE_INITIALISING
                                                                   : FSW_ENUM_ESTIMATOR_STATE_OFF;
    n->adcs.body_rate = 0.0f;
    ++n->adcs.resets;
}

void adcs_set_mode(node *n, uint8_t mode)
{
    n->adcs.mode = mode;
    if (mode == FSW_ENUM_MODE_NOMINAL) {
        if (n->adcs.estimator_state == FSW_ENUM_ESTIMATOR_STATE_OFF) {
            n->adcs.estimator_state = FSW_ENUM_ESTIMATOR_STATE_INITIALISING;
        }
    } else {
        n->adcs.estimator_state = FSW_ENUM_ESTIMATOR_STATE_OFF;
    }
}

void adcs_covariance_diagonal(const node *n, float diagonal[6])
{
    float P[36];
    size_t i;
    if (att_mekf_get_cov(&n->adcs.state, P) != ATT_OK) {
        memcpy(P, n->adcs.state.P, sizeof(P));
    }
    for (i = 0u; i < 6u; ++i) {
        diagonal[i] = P[i * 7u];
    }
}

static float covariance_trace(const node *n)
{
    float d[6];
    adcs_covariance_diagonal(n, d);
    return d[0] + d[1] + d[2];
}

static void check_health(node *n)
{
    const att_mekf_state *s = &n->adcs.state;
    float d[6];
    if (!s->initialised) {
        return;
    }
    adcs_covariance_diagonal(n, d);
    if (!all_finite(s->q, 4u) || !all_finite(d, 6u)) {
        uint8_t aux[4];
        (void)put_f32(aux, covariance_trace(n));
        n->adcs.estimator_state = FSW_ENUM_ESTIMATOR_STATE_DIVERGED;
        pus_event(n, FSW_EVENT_ESTIMATOR_DIVERGED_ID, FSW_EVENT_ESTIMATOR_DIVERGED_SEVERITY, aux, sizeof(aux));
        adcs_reset_estimator(n);
        return;
    }
    if (n->adcs.estimator_state != FSW_ENUM_ESTIMATOR_STATE_CONVERGED && d[0] < CONVERGED_ATTITUDE_VARIANCE &&
        d[1] < CONVERGED_ATTITUDE_VARIANCE && d[2] < CONVERGED_ATTITUDE_VARIANCE) {
        n->adcs.estimator_state = FSW_ENUM_ESTIMATOR_STATE_CONVERGED;
        pus_event(n, FSW_EVENT_ESTIMATOR_CONVERGED_ID, FSW_EVENT_ESTIMATOR_CONVERGED_SEVERITY, NULL, 0u);
    }
}

att_status adcs_process_sample(node *n, const adcs_sample *sample)
{
    att_status st;
    float rate[3];
    ++n->adcs.samples_in;
    if (n->adcs.mode != FSW_ENUM_MODE_NOMINAL) {
        return ATT_OK;
    }
    st = att_mekf_step(&n->adcs.params, &n->adcs.state, sample->gyr, all_finite(sample->acc, 3u) ? sample->acc : NULL,
                       all_finite(sample->mag, 3u) ? sample->mag : NULL, sample->dt);
    if (st < 0) {
        ++n->adcs.samples_refused;
        if (st == ATT_ERR_NUMERIC) {
            uint8_t aux[4];
            (void)put_f32(aux, covariance_trace(n));
            n->adcs.estimator_state = FSW_ENUM_ESTIMATOR_STATE_DIVERGED;
            pus_event(n, FSW_EVENT_ESTIMATOR_DIVERGED_ID, FSW_EVENT_ESTIMATOR_DIVERGED_SEVERITY, aux,
                      sizeof(aux));
            adcs_reset_estimator(n);
        }
        return st;
    }
    rate[0] = sample->gyr[0] - n->adcs.state.bias[0];
    rate[1] = sample->gyr[1] - n->adcs.state.bias[1];
    rate[2] = sample->gyr[2] - n->adcs.state.bias[2];
    n->adcs.body_rate = sqrtf(rate[0] * rate[0] + rate[1] * rate[1] + rate[2] * rate[2]);
    check_health(n);
    return st;
}

float adcs_attitude_error(const node *n)
{
    float angle = 0.0f;
    if (!n->adcs.has_target || !n->adcs.state.initialised) {
        return 0.0f;
    }
    if (att_quat_angle_between(n->adcs.state.q, n->adcs.target, &angle) != ATT_OK) {
        return 0.0f;
    }
    return angle;
}

uint32_t adcs_updates(const node *n)
{
    uint32_t total = 0u;
    size_t k;
    for (k = 0u; k < ATT_MEAS_COUNT; ++k) {
        total += n->adcs.state.counters.accepted[k];
    }
    return total;
}

uint32_t adcs_rejections(const node *n)
{
    uint32_t total = 0u;
    size_t k;
    for (k = 0u; k < ATT_MEAS_COUNT; ++k) {
        total += n->adcs.state.counters.rejected[k];
    }
    return total;
}
