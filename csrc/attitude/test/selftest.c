/*
 * selftest.c - runs the attitude core on a built-in deterministic scenario and prints the results as text,
 * one "key value..." line each, so that builds for different targets (x86-64, aarch64 under QEMU) and the
 * Python binding can be compared line by line.
 *
 * The scenario is closed-form: a body rate that is a smooth function of time after 2 s of rest, the truth
 * attitude composed sample by sample from that rate (q_k = q_{k-1} (x) exp(w_k dt)), and gyroscope,
 * accelerometer and magnetometer samples in an East-North-Up frame with a constant gyro bias and
 * pseudo-random noise. The noise comes from an integer generator (sum of four uniforms), so every target
 * generates bit-identical samples and only the filter arithmetic can differ.
 *
 * Usage: selftest            run and print results; exit status 0 when every check passed
 *        selftest --samples  print the generated samples instead ("t gx gy gz ax ay az mx my mz qw qx qy qz")
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "attitude.h"

#define RATE_HZ 100.0
#define N_SAMPLES 3000
#define REST_S 2.0
#define GRAVITY 9.80665
#define FIELD_UT 49.0
#define DIP_RAD 1.1344640137963142 /* 65 degrees */
#define GYRO_NOISE 0.003           /* rad/s per sample */
#define ACC_NOISE 0.02             /* m/s^2 per sample */
#define MAG_NOISE 0.3              /* uT per sample */
#define PI 3.14159265358979323846

/* Largest final attitude error accepted as "converged", rad (2 degrees). */
#define MAX_FINAL_ERROR 0.0349

typedef struct {
    double gyr[N_SAMPLES][3];
    double acc[N_SAMPLES][3];
    double mag[N_SAMPLES][3];
    double truth[N_SAMPLES][4];
} scenario;

/* xorshift64*: portable and exact, so every target draws the same numbers. */
static double uniform01(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * UINT64_C(2685821657736338717)) >> 11) * (1.0 / 9007199254740992.0);
}

/* Zero mean, unit variance: the sum of four uniforms has variance 4/12. */
static double noise(uint64_t *s)
{
    return (uniform01(s) + uniform01(s) + uniform01(s) + uniform01(s) - 2.0) * 1.7320508075688772;
}

static void qmul(const double p[4], const double q[4], double out[4])
{
    double r[4];
    r[0] = p[0] * q[0] - p[1] * q[1] - p[2] * q[2] - p[3] * q[3];
    r[1] = p[0] * q[1] + p[1] * q[0] + p[2] * q[3] - p[3] * q[2];
    r[2] = p[0] * q[2] - p[1] * q[3] + p[2] * q[0] + p[3] * q[1];
    r[3] = p[0] * q[3] + p[1] * q[2] - p[2] * q[1] + p[3] * q[0];
    memcpy(out, r, sizeof r);
}

/* v_body = q* (x) v_ref (x) q for a body->reference q. */
static void rotate_inverse(const double q[4], const double v[3], double out[3])
{
    const double qc[4] = {q[0], -q[1], -q[2], -q[3]};
    const double vq[4] = {0.0, v[0], v[1], v[2]};
    double t[4];
    qmul(qc, vq, t);
    qmul(t, q, t);
    out[0] = t[1];
    out[1] = t[2];
    out[2] = t[3];
}

/* Total rotation angle between two unit quaternions, rad. */
static double angle_between(const double p[4], const double q[4])
{
    double d = fabs(p[0] * q[0] + p[1] * q[1] + p[2] * q[2] + p[3] * q[3]);
    if (d > 1.0) {
        d = 1.0;
    }
    return 2.0 * acos(d);
}

static void body_rate(double t, double w[3])
{
    /* Smooth start after the rest: raised-cosine ramp over one second. */
    double env = 0.0;
    if (t > REST_S + 1.0) {
        env = 1.0;
    } else if (t > REST_S) {
        env = 0.5 - 0.5 * cos(PI * (t - REST_S));
    }
    w[0] = env * 0.8 * sin(0.9 * t);
    w[1] = env * 0.6 * sin(1.3 * t + 1.0);
    w[2] = env * 0.7 * cos(0.7 * t);
}

static void generate(scenario *sc)
{
    const double dt = 1.0 / RATE_HZ;
    const double bias[3] = {0.01, -0.02, 0.015};
    const double g_enu[3] = {0.0, 0.0, GRAVITY};
    const double m_enu[3] = {0.0, FIELD_UT * cos(DIP_RAD), -FIELD_UT * sin(DIP_RAD)};
    double q[4] = {0.9, 0.1, -0.3, 0.2};
    double norm = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    uint64_t state = UINT64_C(0x9E3779B97F4A7C15);
    int k, i;
    for (i = 0; i < 4; ++i) {
        q[i] /= norm;
    }
    for (k = 0; k < N_SAMPLES; ++k) {
        double w[3], dq[4], angle, s;
        body_rate((k + 1) * dt, w);
        angle = sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]) * dt;
        s = angle > 1e-12 ? sin(0.5 * angle) / angle * dt : 0.5 * dt;
        dq[0] = cos(0.5 * angle);
        dq[1] = w[0] * s;
        dq[2] = w[1] * s;
        dq[3] = w[2] * s;
        qmul(q, dq, q);
        norm = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
        for (i = 0; i < 4; ++i) {
            q[i] /= norm;
            sc->truth[k][i] = q[i];
        }
        rotate_inverse(q, g_enu, sc->acc[k]);
        rotate_inverse(q, m_enu, sc->mag[k]);
        for (i = 0; i < 3; ++i) {
            sc->gyr[k][i] = w[i] + bias[i] + GYRO_NOISE * noise(&state);
            sc->acc[k][i] += ACC_NOISE * noise(&state);
            sc->mag[k][i] += MAG_NOISE * noise(&state);
        }
    }
}

static int failures;

static void check(int ok, const char *what)
{
    if (!ok) {
        ++failures;
        printf("FAIL %s\n", what);
    }
}

static void print_status(const char *what, att_status got, att_status expected)
{
    printf("status %s %s\n", what, att_status_name(got));
    check(got == expected, what);
}

static att_real as_real(double x)
{
    return (att_real)x;
}

/* Bad inputs: each must give its specific error and leave the state byte for byte unchanged. */
static void bad_input_checks(const att_mekf_params *params, const att_mekf_state *good)
{
    att_mekf_state st;
    att_mekf_params bad_params = *params;
    const att_real gyr[3] = {as_real(0.01), as_real(0.02), as_real(-0.01)};
    const att_real acc[3] = {as_real(0.0), as_real(0.0), as_real(GRAVITY)};
    const att_real mag[3] = {as_real(0.0), as_real(20.0), as_real(-44.0)};
    att_real nan_gyr[3];
    const att_real zero_q[4] = {0, 0, 0, 0};
    const att_real zero3[3] = {0, 0, 0};
    att_real dt = as_real(1.0 / RATE_HZ);
    att_real qout[4];
    volatile double zero = 0.0;

    nan_gyr[0] = gyr[0];
    nan_gyr[1] = as_real(zero / zero);
    nan_gyr[2] = gyr[2];

    memcpy(&st, good, sizeof st);
    print_status("null_state", att_mekf_step(params, NULL, gyr, acc, mag, dt), ATT_ERR_NULL);
    print_status("null_params", att_mekf_step(NULL, &st, gyr, acc, mag, dt), ATT_ERR_NULL);
    print_status("null_gyr", att_mekf_step(params, &st, NULL, acc, mag, dt), ATT_ERR_NULL);
    print_status("nan_gyr", att_mekf_step(params, &st, nan_gyr, acc, mag, dt), ATT_ERR_NOT_FINITE);
    print_status("zero_dt", att_mekf_step(params, &st, gyr, acc, mag, as_real(0.0)), ATT_ERR_BAD_DT);
    print_status("negative_dt", att_mekf_step(params, &st, gyr, acc, mag, as_real(-0.01)), ATT_ERR_BAD_DT);
    print_status("dt_above_max", att_mekf_step(params, &st, gyr, acc, mag, params->max_dt * 2), ATT_ERR_BAD_DT);
    print_status("zero_quaternion", att_mekf_set_attitude(params, &st, zero_q, NULL), ATT_ERR_ZERO_NORM);
    print_status("zero_vector", att_mekf_update_vector(params, &st, zero3, acc, as_real(0.01), ATT_MEAS_ACC),
                 ATT_ERR_ZERO_NORM);
    print_status("zero_sigma", att_mekf_update_vector(params, &st, acc, acc, as_real(0.0), ATT_MEAS_ACC),
                 ATT_ERR_BAD_PARAM);
    print_status("normalize_zero", att_quat_normalize(zero_q, qout), ATT_ERR_ZERO_NORM);
    printf("state_unchanged %d\n", memcmp(&st, good, sizeof st) == 0);
    check(memcmp(&st, good, sizeof st) == 0, "state_unchanged");

    bad_params.gyro_arw = as_real(-1.0);
    print_status("negative_arw", att_mekf_params_validate(&bad_params), ATT_ERR_BAD_PARAM);
    bad_params = *params;
    bad_params.max_dt = as_real(0.0);
    print_status("zero_max_dt", att_mekf_params_validate(&bad_params), ATT_ERR_BAD_PARAM);
}

static scenario sc;

static void print_samples(void)
{
    int k;
    for (k = 0; k < N_SAMPLES; ++k) {
        printf("%.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g\n",
               (k + 1) / RATE_HZ, sc.gyr[k][0], sc.gyr[k][1], sc.gyr[k][2], sc.acc[k][0], sc.acc[k][1],
               sc.acc[k][2], sc.mag[k][0], sc.mag[k][1], sc.mag[k][2], sc.truth[k][0], sc.truth[k][1],
               sc.truth[k][2], sc.truth[k][3]);
    }
}

static att_real gyr_r[N_SAMPLES * 3], acc_r[N_SAMPLES * 3], mag_r[N_SAMPLES * 3], q_r[N_SAMPLES * 4];

int main(int argc, char **argv)
{
    att_mekf_params params;
    att_mekf_state batch_state, step_state;
    att_real q[4], bias[3], P[36], dt;
    size_t n_done = 0;
    double sq_sum = 0.0, err, max_step_diff = 0.0;
    int k, i, n_tail = 0;

    generate(&sc);
    if (argc > 1 && strcmp(argv[1], "--samples") == 0) {
        print_samples();
        return 0;
    }
    for (k = 0; k < N_SAMPLES; ++k) {
        for (i = 0; i < 3; ++i) {
            gyr_r[3 * k + i] = as_real(sc.gyr[k][i]);
            acc_r[3 * k + i] = as_real(sc.acc[k][i]);
            mag_r[3 * k + i] = as_real(sc.mag[k][i]);
        }
    }
    dt = as_real(1.0 / RATE_HZ);

    printf("precision %s\n", ATT_REAL_IS_FLOAT ? "float" : "double");
    printf("samples %d\n", N_SAMPLES);
    print_status("params_default", att_mekf_params_default(&params), ATT_OK);
    print_status("params_validate", att_mekf_params_validate(&params), ATT_OK);
    print_status("init", att_mekf_init(&params, &batch_state), ATT_OK);
    memcpy(&step_state, &batch_state, sizeof step_state);

    print_status("batch", att_mekf_batch(&params, &batch_state, N_SAMPLES, gyr_r, acc_r, mag_r, dt, q_r, NULL,
                                         &n_done), ATT_OK);
    printf("batch_done %lu\n", (unsigned long)n_done);
    check(n_done == N_SAMPLES, "batch_done");

    /* The per-sample path must follow the batch path exactly (same arithmetic, same order). */
    for (k = 0; k < N_SAMPLES; ++k) {
        att_status st = att_mekf_step(&params, &step_state, &gyr_r[3 * k], &acc_r[3 * k], &mag_r[3 * k], dt);
        if (st != ATT_OK) {
            print_status("step", st, ATT_OK);
            break;
        }
        att_mekf_get_quat(&step_state, q);
        for (i = 0; i < 4; ++i) {
            double d = fabs((double)q[i] - (double)q_r[4 * k + i]);
            max_step_diff = d > max_step_diff ? d : max_step_diff;
        }
    }
    printf("step_batch_max_diff %.9e\n", max_step_diff);
    check(max_step_diff == 0.0, "step_batch_identical");

    /* Accuracy against truth over the second half, once converged. */
    for (k = N_SAMPLES / 2; k < N_SAMPLES; ++k) {
        double qe[4];
        for (i = 0; i < 4; ++i) {
            qe[i] = (double)q_r[4 * k + i];
        }
        err = angle_between(qe, sc.truth[k]);
        sq_sum += err * err;
        ++n_tail;
    }
    {
        double qe[4];
        for (i = 0; i < 4; ++i) {
            qe[i] = (double)q_r[4 * (N_SAMPLES - 1) + i];
        }
        err = angle_between(qe, sc.truth[N_SAMPLES - 1]);
    }
    printf("final_error_deg %.9e\n", err * 180.0 / PI);
    printf("rms_error_deg %.9e\n", sqrt(sq_sum / n_tail) * 180.0 / PI);
    check(err < MAX_FINAL_ERROR, "final_error");

    att_mekf_get_quat(&batch_state, q);
    att_mekf_get_bias(&batch_state, bias);
    att_mekf_get_cov(&batch_state, P);
    printf("quat %.9e %.9e %.9e %.9e\n", (double)q[0], (double)q[1], (double)q[2], (double)q[3]);
    printf("truth %.9e %.9e %.9e %.9e\n", sc.truth[N_SAMPLES - 1][0], sc.truth[N_SAMPLES - 1][1],
           sc.truth[N_SAMPLES - 1][2], sc.truth[N_SAMPLES - 1][3]);
    printf("bias %.9e %.9e %.9e\n", (double)bias[0], (double)bias[1], (double)bias[2]);
    printf("cov_att_diag %.9e %.9e %.9e\n", (double)P[0], (double)P[7], (double)P[14]);
    printf("cov_bias_diag %.9e %.9e %.9e\n", (double)P[21], (double)P[28], (double)P[35]);
    printf("cov_att_bias %.9e %.9e %.9e\n", (double)P[3], (double)P[10], (double)P[17]);
    printf("accepted_acc %lu\n", (unsigned long)batch_state.counters.accepted[ATT_MEAS_ACC]);
    printf("accepted_mag %lu\n", (unsigned long)batch_state.counters.accepted[ATT_MEAS_MAG]);
    printf("rest_samples %lu\n", (unsigned long)batch_state.counters.rest_samples);

    bad_input_checks(&params, &batch_state);

    printf("failures %d\n", failures);
    printf("result %s\n", failures == 0 ? "PASS" : "FAIL");
    return failures == 0 ? 0 : 1;
}
