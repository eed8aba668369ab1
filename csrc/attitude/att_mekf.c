/* att_mekf.c - multiplicative extended Kalman filter (attitude quaternion + gyro bias).
 *
 * Error state x = [dtheta, dbias] with q_true = q (x) dq(dtheta) (body-frame error) and bias_true = bias + dbias.
 * Propagation (Farrenkopf / Markley discrete noise), updates in Joseph form (vector blocks with a 3x3 inverse
 * for the generic API, sequential scalar rows for the bench profile), multiplicative reset. The bench profile
 * propagates the covariance once per correction block (att_mekf_block_cov); the generic functions first apply a
 * pending block. Every public function works on a copy of the state and commits it only when everything
 * succeeded.
 */
#include <string.h>
#include "att_internal.h"
#include "att_mekf_internal.h"

static void clear_n(att_real *v, int n)
{
    int i;
    for (i = 0; i < n; ++i) {
        v[i] = ATT_C(0.0);
    }
}

static void copy_n(const att_real *from, att_real *to, int n)
{
    int i;
    for (i = 0; i < n; ++i) {
        to[i] = from[i];
    }
}

/* variance * I (3 x 3) */
static void isotropic3(att_real m[9], att_real variance)
{
    clear_n(m, 9);
    m[0] = m[4] = m[8] = variance;
}

att_status att_mekf_params_default(att_mekf_params *p)
{
    if (p == NULL) {
        return ATT_ERR_NULL;
    }
    memset(p, 0, sizeof(*p));
    p->gyro_arw = ATT_C(0.003);            /* rad/sqrt(s)  (0.17 deg/sqrt(s)) */
    p->gyro_rrw = ATT_C(1e-5);             /* rad/s/sqrt(s) */
    p->gyro_rate_arw = ATT_C(0.0);
    p->init_sigma_att = ATT_C(1.0);        /* rad */
    p->init_sigma_bias = ATT_C(0.02);      /* rad/s (about 1 deg/s) */
    p->max_bias = ATT_C(0.2);              /* rad/s */
    p->gate_vector = ATT_C(16.0);
    p->gate_attitude = ATT_C(16.0);
    p->gate_heading = ATT_C(16.0);
    p->max_dt = ATT_C(1.0);                /* s */
    p->reinit_rejects = 100;
    p->gravity = ATT_C(9.81);
    p->acc_sigma = ATT_C(0.1);
    p->acc_sigma_norm_gain = ATT_C(0.2);
    p->acc_sigma_rate_gain = ATT_C(0.0);
    p->acc_reject_norm = ATT_C(0.5);
    p->acc_lp_tau = ATT_C(0.5);
    p->acc_inertial_tau = ATT_C(1.0);
    p->mag_sigma = ATT_C(0.3);
    p->mag_heading_only = 1;
    p->mag_learn = 1;
    p->mag_dip = ATT_C(1.17);              /* about 67 deg (central Europe) */
    p->mag_norm = ATT_C(0.0);              /* learn */
    p->mag_learn_tau = ATT_C(20.0);
    p->mag_reject_norm = ATT_C(0.1);
    p->mag_reject_dip = ATT_C(0.1);
    p->mag_latency = ATT_C(0.01);
    p->mag_sigma_dist = ATT_C(0.3);
    p->mag_dist_timeout = ATT_C(20.0);
    p->mag_new_min_rate = ATT_C(0.35);     /* 20 deg/s */
    p->rest_enable = 1;
    p->rest_gyr_thresh = ATT_C(0.035);     /* 2 deg/s */
    p->rest_acc_thresh = ATT_C(0.5);
    p->rest_time = ATT_C(1.5);
    p->rest_lp_tau = ATT_C(0.5);
    p->rest_sigma = ATT_C(0.003);
    p->update_period = ATT_C(0.04);        /* 25 Hz corrections: far faster than every time constant above */
    p->acc_tilt_only = 1;
    return ATT_OK;
}

#define POS_FINITE(x) (ATT_ISFINITE(x) && (x) > ATT_C(0.0))
#define NONNEG_FINITE(x) (ATT_ISFINITE(x) && (x) >= ATT_C(0.0))

att_status att_mekf_params_validate(const att_mekf_params *p)
{
    if (p == NULL) {
        return ATT_ERR_NULL;
    }
    if (!POS_FINITE(p->gyro_arw) || !NONNEG_FINITE(p->gyro_rrw) || !NONNEG_FINITE(p->gyro_rate_arw) || !POS_FINITE(p->init_sigma_att) ||
        !POS_FINITE(p->init_sigma_bias) || !POS_FINITE(p->max_bias) || !POS_FINITE(p->gate_vector) ||
        !POS_FINITE(p->gate_attitude) || !POS_FINITE(p->gate_heading) || !POS_FINITE(p->max_dt) ||
        !POS_FINITE(p->gravity) || !POS_FINITE(p->acc_sigma) || !NONNEG_FINITE(p->acc_sigma_norm_gain) ||
        !NONNEG_FINITE(p->acc_sigma_rate_gain) || !POS_FINITE(p->acc_reject_norm) ||
        !NONNEG_FINITE(p->acc_lp_tau) || !NONNEG_FINITE(p->acc_inertial_tau) ||
        !NONNEG_FINITE(p->mag_new_min_rate) || !POS_FINITE(p->mag_sigma) || !ATT_ISFINITE(p->mag_dip) ||
        !NONNEG_FINITE(p->mag_norm) || !POS_FINITE(p->mag_learn_tau) || !POS_FINITE(p->mag_reject_norm) ||
        !POS_FINITE(p->mag_reject_dip) || !NONNEG_FINITE(p->mag_latency) || !POS_FINITE(p->mag_sigma_dist) || !POS_FINITE(p->mag_dist_timeout) ||
        !POS_FINITE(p->rest_gyr_thresh) || !POS_FINITE(p->rest_acc_thresh) || !POS_FINITE(p->rest_time) ||
        !NONNEG_FINITE(p->rest_lp_tau) || !POS_FINITE(p->rest_sigma) || !NONNEG_FINITE(p->update_period)) {
        return ATT_ERR_BAD_PARAM;
    }
    if (!(ATT_FABS(p->mag_dip) < ATT_PI / ATT_C(2.0))) {
        return ATT_ERR_BAD_PARAM;
    }
    if (p->reinit_rejects < 0) {
        return ATT_ERR_BAD_PARAM;
    }
    if ((p->mag_heading_only != 0 && p->mag_heading_only != 1) || (p->mag_learn != 0 && p->mag_learn != 1) ||
        (p->rest_enable != 0 && p->rest_enable != 1) || (p->acc_tilt_only != 0 && p->acc_tilt_only != 1)) {
        return ATT_ERR_BAD_PARAM;
    }
    return ATT_OK;
}

void att_mekf_reset_raw(const att_mekf_params *p, att_mekf_state *s)
{
    int i;
    memset(s, 0, sizeof(*s));
    s->q[0] = ATT_C(1.0);
    for (i = 0; i < 3; ++i) {
        s->P[i * 7] = ATT_PI * ATT_PI;
        s->P[(i + 3) * 7] = p->init_sigma_bias * p->init_sigma_bias;
    }
    s->mag_norm = p->mag_norm;
    s->mag_dip = p->mag_dip;
    s->blk_q[0] = ATT_C(1.0);
}

/* Empty correction block starting at the current sample. */
void att_mekf_block_reset(att_mekf_state *s)
{
    int i;
    s->blk_n = 0;
    s->blk_n_acc = 0;
    s->blk_n_mag = 0;
    s->blk_t = ATT_C(0.0);
    s->blk_var_att = ATT_C(0.0);
    s->blk_q[0] = ATT_C(1.0);
    for (i = 0; i < 3; ++i) {
        s->blk_q[i + 1] = ATT_C(0.0);
        s->blk_acc[i] = ATT_C(0.0);
        s->blk_mag[i] = ATT_C(0.0);
        s->blk_gyr[i] = ATT_C(0.0);
    }
    for (i = 0; i < 9; ++i) {
        s->blk_csum[i] = ATT_C(0.0);
    }
}

/* Covariance propagated over the current block. The product of the per-sample transitions
 * Phi_i = [[A_i, -dt_i I], [0, I]], A_i = R(dq_i)^T, is [[A, B], [0, I]] with A = C_n^T and
 * B = -sum_i dt_i A_n ... A_(i+1) = -C_n^T sum_i dt_i C_i, where C_i = R(dq_1 ... dq_i) (Markley & Crassidis,
 * ch. 6.2.4). The angle random walk is isotropic, so its rotated sum is the plain sum; the rate random walk terms
 * use the Farrenkopf form over the block length T (their cross term is not rotated: it is of order rrw^2 T^2,
 * far below the other terms). */
void att_mekf_block_cov(const att_mekf_state *s, att_real Pn[36])
{
    const att_real *P = s->P;
    att_real A[9], B[9], X[9], M[9];
    att_real T = s->blk_t, u2 = s->blk_rrw2;
    att_real qaa, qab, qbb;
    int i, j, k;
    if (s->blk_n == 0) {
        for (i = 0; i < 36; ++i) {
            Pn[i] = P[i];
        }
        return;
    }
    {
        att_real C[9];
        att_q_to_dcm_raw(s->blk_q, C);
        for (i = 0; i < 3; ++i) {
            for (j = 0; j < 3; ++j) {
                A[i * 3 + j] = C[j * 3 + i];
            }
        }
        for (i = 0; i < 3; ++i) {
            for (j = 0; j < 3; ++j) {
                B[i * 3 + j] = -(A[i * 3] * s->blk_csum[j] + A[i * 3 + 1] * s->blk_csum[3 + j] +
                                 A[i * 3 + 2] * s->blk_csum[6 + j]);
            }
        }
    }
    /* P = [[Pa, Pc], [Pc^T, Pb]]: X = A Pa + B Pc^T, M = A Pc + B Pb;
     * Phi P Phi^T = [[X A^T + M B^T, M], [M^T, Pb]] */
    for (i = 0; i < 3; ++i) {
        for (j = 0; j < 3; ++j) {
            att_real x = ATT_C(0.0), m = ATT_C(0.0);
            for (k = 0; k < 3; ++k) {
                x += A[i * 3 + k] * P[k * 6 + j] + B[i * 3 + k] * P[j * 6 + k + 3];
                m += A[i * 3 + k] * P[k * 6 + j + 3] + B[i * 3 + k] * P[(k + 3) * 6 + j + 3];
            }
            X[i * 3 + j] = x;
            M[i * 3 + j] = m;
        }
    }
    for (i = 0; i < 3; ++i) {
        for (j = i; j < 3; ++j) {
            att_real a = ATT_C(0.0);
            for (k = 0; k < 3; ++k) {
                a += X[i * 3 + k] * A[j * 3 + k] + M[i * 3 + k] * B[j * 3 + k];
            }
            Pn[i * 6 + j] = a;
            Pn[j * 6 + i] = a;
        }
        for (j = 0; j < 3; ++j) {
            Pn[i * 6 + j + 3] = M[i * 3 + j];
            Pn[(j + 3) * 6 + i] = M[i * 3 + j];
            Pn[(i + 3) * 6 + j + 3] = P[(i + 3) * 6 + j + 3];
        }
    }
    qaa = s->blk_var_att + u2 * T * T * T / ATT_C(3.0);
    qab = -ATT_C(0.5) * u2 * T * T;
    qbb = u2 * T;
    for (i = 0; i < 3; ++i) {
        Pn[i * 7] += qaa;
        Pn[i * 6 + i + 3] += qab;
        Pn[(i + 3) * 6 + i] += qab;
        Pn[(i + 3) * 7] += qbb;
    }
}

/* Apply the pending block propagation to P and start a new block. Measurement sums of an unfinished block are
 * dropped (only when the generic API is mixed with att_mekf_step). */
void att_mekf_block_flush(att_mekf_state *s)
{
    if (s->blk_n > 0) {
        att_real Pn[36];
        int i;
        att_mekf_block_cov(s, Pn);
        for (i = 0; i < 36; ++i) {
            s->P[i] = Pn[i];
        }
    }
    att_mekf_block_reset(s);
}

att_status att_mekf_init(const att_mekf_params *p, att_mekf_state *s)
{
    att_status st;
    if (p == NULL || s == NULL) {
        return ATT_ERR_NULL;
    }
    st = att_mekf_params_validate(p);
    if (st != ATT_OK) {
        return st;
    }
    att_mekf_reset_raw(p, s);
    return ATT_OK;
}

/* Back to "not initialised" keeping the bias, its covariance, the counters and the bench-profile state. */
void att_mekf_drop_attitude(att_mekf_state *s)
{
    int r, c;
    att_mekf_block_flush(s);
    for (r = 0; r < 3; ++r) {
        for (c = 0; c < 6; ++c) {
            s->P[r * 6 + c] = ATT_C(0.0);
            s->P[c * 6 + r] = ATT_C(0.0);
        }
        s->P[r * 7] = ATT_PI * ATT_PI;
    }
    s->initialised = 0;
    s->pending = 0;
    for (r = 0; r < (int)ATT_MEAS_COUNT; ++r) {
        s->reject_run[r] = 0;
    }
    s->acc_ilp_init = 0;
}

/* Set q (unit) and the attitude block of P; cross terms zeroed, bias block kept. */
void att_mekf_set_att_raw(att_mekf_state *s, const att_real q[4], const att_real cov[9])
{
    int r, c;
    for (r = 0; r < 4; ++r) {
        s->q[r] = q[r];
    }
    for (r = 0; r < 3; ++r) {
        for (c = 0; c < 3; ++c) {
            s->P[r * 6 + c] = cov[r * 3 + c];
            s->P[r * 6 + c + 3] = ATT_C(0.0);
            s->P[(r + 3) * 6 + c] = ATT_C(0.0);
        }
    }
    s->initialised = 1;
    s->pending = 0;
    for (r = 0; r < (int)ATT_MEAS_COUNT; ++r) {
        s->reject_run[r] = 0;
    }
}

att_status att_mekf_set_attitude(const att_mekf_params *p, att_mekf_state *s, const att_real q[4],
                                 const att_real cov[9])
{
    att_real qn[4], cv[9];
    att_status st;
    int i;
    if (p == NULL || s == NULL || q == NULL) {
        return ATT_ERR_NULL;
    }
    st = att_mekf_params_validate(p);
    if (st != ATT_OK) {
        return st;
    }
    st = att_quat_normalize(q, qn);
    if (st != ATT_OK) {
        return st;
    }
    if (cov != NULL) {
        if (!att_finite_n(cov, 9)) {
            return ATT_ERR_NOT_FINITE;
        }
        if (!att_is_spd3(cov)) {
            return ATT_ERR_NOT_POS_DEF;
        }
        for (i = 0; i < 9; ++i) {
            cv[i] = cov[i];
        }
    } else {
        isotropic3(cv, p->init_sigma_att * p->init_sigma_att);
    }
    att_mekf_block_flush(s);
    att_mekf_set_att_raw(s, qn, cv);
    return ATT_OK;
}

int att_check_dt(const att_mekf_params *p, att_real dt)
{
    return ATT_ISFINITE(dt) && dt > ATT_C(0.0) && dt <= p->max_dt;
}

/* Propagation on a working copy. */
void att_mekf_propagate_raw(const att_mekf_params *p, att_mekf_state *s, const att_real gyr[3], att_real dt)
{
    att_real w[3], rv[3], dq[4], qn[4], R[9];
    att_real Pn[36];
    att_real v2, sr;
    att_real u2 = p->gyro_rrw * p->gyro_rrw;
    int i, j, k;
    w[0] = gyr[0] - s->bias[0];
    w[1] = gyr[1] - s->bias[1];
    w[2] = gyr[2] - s->bias[2];
    sr = p->gyro_rate_arw * att_norm3(w);
    v2 = p->gyro_arw * p->gyro_arw + sr * sr;
    rv[0] = w[0] * dt;
    rv[1] = w[1] * dt;
    rv[2] = w[2] * dt;
    att_q_from_rotvec_raw(rv, dq);
    if (!s->initialised) {
        if (s->pending) {
            att_real b[3];
            att_qrot_inv_raw(dq, s->pend_body, b);
            s->pend_body[0] = b[0];
            s->pend_body[1] = b[1];
            s->pend_body[2] = b[2];
        }
        return;
    }
    att_qmul_raw(s->q, dq, qn);
    att_qnorm_raw(qn);
    /* Phi = [[Rt, -dt I], [0, I]] with Rt = R(dq)^T; P = [[A, B], [B^T, C]].
     * Phi P Phi^T = [[X Rt^T - dt M, M], [M^T, C]] with X = Rt A - dt B^T, M = Rt B - dt C. */
    att_q_to_dcm_raw(dq, R);
    {
        att_real X[9], M[9];
        for (i = 0; i < 3; ++i) {
            for (j = 0; j < 3; ++j) {
                att_real x = -dt * s->P[(i + 3) * 6 + j];
                att_real m = -dt * s->P[(i + 3) * 6 + j + 3];
                for (k = 0; k < 3; ++k) {
                    x += R[k * 3 + i] * s->P[k * 6 + j];
                    m += R[k * 3 + i] * s->P[k * 6 + j + 3];
                }
                X[i * 3 + j] = x;
                M[i * 3 + j] = m;
            }
        }
        for (i = 0; i < 3; ++i) {
            for (j = 0; j < 3; ++j) {
                att_real a = -dt * M[i * 3 + j];
                for (k = 0; k < 3; ++k) {
                    a += X[i * 3 + k] * R[k * 3 + j];
                }
                Pn[i * 6 + j] = a;
                Pn[i * 6 + j + 3] = M[i * 3 + j];
                Pn[(j + 3) * 6 + i] = M[i * 3 + j];
                Pn[(i + 3) * 6 + j + 3] = s->P[(i + 3) * 6 + j + 3];
            }
        }
    }
    for (i = 0; i < 3; ++i) {
        Pn[i * 7] += v2 * dt + u2 * dt * dt * dt / ATT_C(3.0);
        Pn[i * 6 + i + 3] -= ATT_C(0.5) * u2 * dt * dt;
        Pn[(i + 3) * 6 + i] -= ATT_C(0.5) * u2 * dt * dt;
        Pn[(i + 3) * 7] += u2 * dt;
    }
    att_symmetrize6(Pn);
    copy_n(qn, s->q, 4);
    copy_n(Pn, s->P, 36);
}

att_status att_mekf_propagate(const att_mekf_params *p, att_mekf_state *s, const att_real gyr[3], att_real dt)
{
    att_mekf_state w;
    att_status st;
    if (p == NULL || s == NULL || gyr == NULL) {
        return ATT_ERR_NULL;
    }
    st = att_mekf_params_validate(p);
    if (st != ATT_OK) {
        return st;
    }
    if (!att_finite_n(gyr, 3) || !ATT_ISFINITE(dt)) {
        return ATT_ERR_NOT_FINITE;
    }
    if (!att_check_dt(p, dt)) {
        return ATT_ERR_BAD_DT;
    }
    w = *s;
    att_mekf_block_flush(&w);
    att_mekf_propagate_raw(p, &w, gyr, dt);
    if (!att_finite_n(w.P, 36) || !att_finite_n(w.q, 4)) {
        return ATT_ERR_NUMERIC;
    }
    *s = w;
    return ATT_OK;
}

/* Invert an m x m SPD matrix (m <= 6) by Cholesky; 0 if not SPD. */
static int inv_spd(int m, const att_real *A, att_real *Ainv)
{
    att_real L[36], Li[36];
    int i, j, k;
    for (i = 0; i < m * m; ++i) {
        L[i] = ATT_C(0.0);
        Li[i] = ATT_C(0.0);
    }
    for (j = 0; j < m; ++j) {
        att_real d = A[j * m + j];
        for (k = 0; k < j; ++k) {
            d -= L[j * m + k] * L[j * m + k];
        }
        if (!(d > ATT_C(0.0))) {
            return 0;
        }
        L[j * m + j] = ATT_SQRT(d);
        for (i = j + 1; i < m; ++i) {
            att_real a = A[i * m + j];
            for (k = 0; k < j; ++k) {
                a -= L[i * m + k] * L[j * m + k];
            }
            L[i * m + j] = a / L[j * m + j];
        }
    }
    /* Li = L^-1 (lower triangular) */
    for (j = 0; j < m; ++j) {
        Li[j * m + j] = ATT_C(1.0) / L[j * m + j];
        for (i = j + 1; i < m; ++i) {
            att_real a = ATT_C(0.0);
            for (k = j; k < i; ++k) {
                a -= L[i * m + k] * Li[k * m + j];
            }
            Li[i * m + j] = a / L[i * m + i];
        }
    }
    for (i = 0; i < m; ++i) {
        for (j = 0; j < m; ++j) {
            att_real a = ATT_C(0.0);
            for (k = (i > j ? i : j); k < m; ++k) {
                a += Li[k * m + i] * Li[k * m + j];
            }
            if (!ATT_ISFINITE(a)) {
                return 0;
            }
            Ainv[i * m + j] = a;
        }
    }
    return 1;
}

/* Projection of the gain columns of an update (see att_mekf_kf_update): `K` points at one column of the 6-row
 * gain, its rows `stride` apart. proj_mode 1 keeps only the component along u = proj (heading-only correction);
 * proj_mode 2 removes it (tilt-only correction). Attitude and bias rows alike. */
static void project_gain(att_real *K, int stride, const att_real proj[3], int proj_mode)
{
    att_real a0 = proj[0] * K[0 * stride] + proj[1] * K[1 * stride] + proj[2] * K[2 * stride];
    att_real b0 = proj[0] * K[3 * stride] + proj[1] * K[4 * stride] + proj[2] * K[5 * stride];
    int i;
    for (i = 0; i < 3; ++i) {
        if (proj_mode == 1) {
            K[i * stride] = proj[i] * a0;
            K[(i + 3) * stride] = proj[i] * b0;
        } else {
            K[i * stride] -= proj[i] * a0;
            K[(i + 3) * stride] -= proj[i] * b0;
        }
    }
}

/* The chi-square gate of an update. ATT_OK (and the run of rejections of this kind ended) when chi2 passes or
 * gate <= 0, ATT_REJECTED when it does not, ATT_ERR_NUMERIC when chi2 is not finite. */
static att_status gate_innovation(const att_mekf_params *p, att_mekf_state *s, att_meas_kind kind, att_real chi2,
                                  att_real gate)
{
    if (!ATT_ISFINITE(chi2)) {
        return ATT_ERR_NUMERIC;
    }
    if (gate > ATT_C(0.0) && chi2 > gate) {
        s->reject_run[kind]++;
        if (p->reinit_rejects > 0 && s->reject_run[kind] >= p->reinit_rejects) {
            /* every measurement disagrees with the estimate: it is lost (or started far off with an
             * overconfident covariance); start again from the static solution of the next measurements */
            att_mekf_drop_attitude(s);
        }
        return ATT_REJECTED;
    }
    s->reject_run[kind] = 0;
    return ATT_OK;
}

/* Multiplicative reset with the error-state correction dx: q <- q (x) dq(dx[0..2]), bias <- bias + dx[3..5]
 * (clamped to max_bias), P <- Pn; committed only when all of it is finite and Pn keeps a positive diagonal. */
static att_status apply_correction(const att_mekf_params *p, att_mekf_state *s, const att_real dx[6],
                                   const att_real Pn[36])
{
    att_real dq[4], qn[4], bn[3];
    int i;
    att_q_from_rotvec_raw(dx, dq);
    att_qmul_raw(s->q, dq, qn);
    att_qnorm_raw(qn);
    for (i = 0; i < 3; ++i) {
        att_real b = s->bias[i] + dx[i + 3];
        if (b > p->max_bias) {
            b = p->max_bias;
        } else if (b < -p->max_bias) {
            b = -p->max_bias;
        }
        bn[i] = b;
    }
    if (!att_finite_n(Pn, 36) || !att_finite_n(qn, 4) || !att_finite_n(bn, 3)) {
        return ATT_ERR_NUMERIC;
    }
    for (i = 0; i < 6; ++i) {
        if (!(Pn[i * 7] > ATT_C(0.0))) {
            return ATT_ERR_NUMERIC;
        }
    }
    copy_n(qn, s->q, 4);
    copy_n(bn, s->bias, 3);
    copy_n(Pn, s->P, 36);
    return ATT_OK;
}

/* Generic sequential update on a working copy: H (m x 6, non-zero only in columns c0..c0+2), innovation y (m),
 * noise R (m x m). gate <= 0 disables the chi-square test. proj (NULL or a unit vector u in the body frame)
 * with proj_mode 1 replaces the attitude and bias rows of the gain K by u u^T K, so that the update only rotates
 * about u; proj_mode 2 replaces them by (I - u u^T) K, so that it never rotates about u.
 * Covariance in Joseph form (I - K H) P (I - K H)^T + K R K^T (valid for any gain, so also for the projected
 * one), computed with the column sparsity of H, then symmetrised.
 * Returns ATT_OK, ATT_REJECTED (gate; state untouched) or an error. */
att_status att_mekf_kf_update(const att_mekf_params *p, att_mekf_state *s, att_meas_kind kind, int m, int c0,
                              const att_real *H,
                              const att_real *y, const att_real *R, att_real gate, const att_real *proj,
                              int proj_mode)
{
    att_real PHt[18], S[9], Si[9], K[18], KH[18], T[36], Pn[36], dx[6];
    att_real chi2;
    att_status st;
    int i, j, k;
    /* PHt = P H^T (6 x m) */
    for (i = 0; i < 6; ++i) {
        for (j = 0; j < m; ++j) {
            att_real a = ATT_C(0.0);
            for (k = c0; k < c0 + 3; ++k) {
                a += s->P[i * 6 + k] * H[j * 6 + k];
            }
            PHt[i * m + j] = a;
        }
    }
    /* S = H P H^T + R */
    for (i = 0; i < m; ++i) {
        for (j = 0; j < m; ++j) {
            att_real a = R[i * m + j];
            for (k = c0; k < c0 + 3; ++k) {
                a += H[i * 6 + k] * PHt[k * m + j];
            }
            S[i * m + j] = a;
        }
    }
    for (i = 0; i < m; ++i) {
        for (j = i + 1; j < m; ++j) {
            att_real a = ATT_C(0.5) * (S[i * m + j] + S[j * m + i]);
            S[i * m + j] = a;
            S[j * m + i] = a;
        }
    }
    if (m == 1) {
        if (!(S[0] > ATT_C(0.0))) {
            return ATT_ERR_SINGULAR;
        }
        Si[0] = ATT_C(1.0) / S[0];
    } else if (m == 3) {
        if (!att_inv3_spd(S, Si)) {
            return ATT_ERR_SINGULAR;
        }
    } else if (!inv_spd(m, S, Si)) {
        return ATT_ERR_SINGULAR;
    }
    chi2 = ATT_C(0.0);
    for (i = 0; i < m; ++i) {
        for (j = 0; j < m; ++j) {
            chi2 += y[i] * Si[i * m + j] * y[j];
        }
    }
    st = gate_innovation(p, s, kind, chi2, gate);
    if (st != ATT_OK) {
        return st;
    }
    /* K = PHt Si (6 x m) */
    for (i = 0; i < 6; ++i) {
        for (j = 0; j < m; ++j) {
            att_real a = ATT_C(0.0);
            for (k = 0; k < m; ++k) {
                a += PHt[i * m + k] * Si[k * m + j];
            }
            K[i * m + j] = a;
        }
    }
    if (proj != NULL) {
        for (j = 0; j < m; ++j) {
            project_gain(K + j, m, proj, proj_mode);
        }
    }
    /* dx = K y */
    for (i = 0; i < 6; ++i) {
        att_real a = ATT_C(0.0);
        for (j = 0; j < m; ++j) {
            a += K[i * m + j] * y[j];
        }
        dx[i] = a;
    }
    /* KH (6 x 3): the non-zero columns c0..c0+2 of K H */
    for (i = 0; i < 6; ++i) {
        for (j = 0; j < 3; ++j) {
            att_real a = ATT_C(0.0);
            for (k = 0; k < m; ++k) {
                a += K[i * m + k] * H[k * 6 + c0 + j];
            }
            KH[i * 3 + j] = a;
        }
    }
    /* T = (I - K H) P */
    for (i = 0; i < 6; ++i) {
        for (j = 0; j < 6; ++j) {
            att_real a = s->P[i * 6 + j];
            for (k = 0; k < 3; ++k) {
                a -= KH[i * 3 + k] * s->P[(c0 + k) * 6 + j];
            }
            T[i * 6 + j] = a;
        }
    }
    /* Pn = T (I - K H)^T + K R K^T */
    {
        att_real KR[18];
        for (i = 0; i < 6; ++i) {
            for (j = 0; j < m; ++j) {
                att_real a = ATT_C(0.0);
                for (k = 0; k < m; ++k) {
                    a += K[i * m + k] * R[k * m + j];
                }
                KR[i * m + j] = a;
            }
        }
        for (i = 0; i < 6; ++i) {
            for (j = 0; j < 6; ++j) {
                att_real a = T[i * 6 + j];
                for (k = 0; k < 3; ++k) {
                    a -= T[i * 6 + c0 + k] * KH[j * 3 + k];
                }
                for (k = 0; k < m; ++k) {
                    a += KR[i * m + k] * K[j * m + k];
                }
                Pn[i * 6 + j] = a;
            }
        }
    }
    att_symmetrize6(Pn);
    return apply_correction(p, s, dx, Pn);
}

/* Sequential update with m (1..3) scalar rows of equal noise variance r, each row non-zero only in columns
 * c0..c0+2 (Hrow[i*3 + k] is H[i][c0 + k]). With uncorrelated noise and one linearisation point this equals the
 * m-row update (Bierman, "Factorization Methods", ch. II) without a matrix inverse; the sum of the normalised
 * squared sequential innovations is the chi-square y^T S^-1 y of the whole measurement, gated before anything is
 * committed. proj / proj_mode project each gain as in att_mekf_kf_update. The covariance of each row uses the
 * Joseph form, expanded for a scalar row: (I - K h^T) P (I - K h^T)^T + r K K^T = P - K v^T - v K^T + s K K^T with
 * v = P h and s = h^T v + r, valid for any gain, so also for the projected one. Same returns as
 * att_mekf_kf_update. */
att_status att_mekf_seq_update(const att_mekf_params *p, att_mekf_state *s, att_meas_kind kind, int m, int c0,
                               const att_real *Hrow, const att_real *y, att_real r, att_real gate,
                               const att_real *proj, int proj_mode)
{
    att_real P[36], dx[6], v[6], K[6];
    att_real chi2 = ATT_C(0.0);
    att_status st;
    int i, j, row;
    copy_n(s->P, P, 36);
    clear_n(dx, 6);
    for (row = 0; row < m; ++row) {
        const att_real *h = Hrow + 3 * row;
        att_real sv, nu;
        for (i = 0; i < 6; ++i) {
            v[i] = P[i * 6 + c0] * h[0] + P[i * 6 + c0 + 1] * h[1] + P[i * 6 + c0 + 2] * h[2];
        }
        sv = h[0] * v[c0] + h[1] * v[c0 + 1] + h[2] * v[c0 + 2] + r;
        if (!(sv > ATT_C(0.0))) {
            return ATT_ERR_SINGULAR;
        }
        nu = y[row] - (h[0] * dx[c0] + h[1] * dx[c0 + 1] + h[2] * dx[c0 + 2]);
        chi2 += nu * nu / sv;
        for (i = 0; i < 6; ++i) {
            K[i] = v[i] / sv;
        }
        if (proj != NULL) {
            project_gain(K, 1, proj, proj_mode);
        }
        for (i = 0; i < 6; ++i) {
            dx[i] += K[i] * nu;
        }
        for (i = 0; i < 6; ++i) {
            for (j = i; j < 6; ++j) {
                att_real a = P[i * 6 + j] - K[i] * v[j] - v[i] * K[j] + sv * K[i] * K[j];
                P[i * 6 + j] = a;
                P[j * 6 + i] = a;
            }
        }
    }
    st = gate_innovation(p, s, kind, chi2, gate);
    if (st != ATT_OK) {
        return st;
    }
    return apply_correction(p, s, dx, P);
}

/* Vector update on a working copy; body and ref are unit vectors. */
att_status att_mekf_vector_raw(const att_mekf_params *p, att_mekf_state *s, const att_real bu[3],
                               const att_real ru[3], att_real sigma, att_meas_kind kind)
{
    att_status st;
    if (!s->initialised) {
        if (s->pending) {
            att_real bb[6], rr[6], sg[2], q[4], cov[9];
            int i;
            for (i = 0; i < 3; ++i) {
                bb[i] = s->pend_body[i];
                rr[i] = s->pend_ref[i];
                bb[i + 3] = bu[i];
                rr[i + 3] = ru[i];
            }
            sg[0] = s->pend_sigma;
            sg[1] = sigma;
            st = att_qmethod(bb, rr, sg, 2, q, cov);
            if (st == ATT_OK) {
                att_mekf_set_att_raw(s, q, cov);
                s->counters.accepted[kind]++;
                return ATT_OK;
            }
            if (st != ATT_ERR_SINGULAR) {
                return st;
            }
            /* parallel: the newer vector replaces the pending one */
        }
        s->pending = 1;
        s->pend_body[0] = bu[0];
        s->pend_body[1] = bu[1];
        s->pend_body[2] = bu[2];
        s->pend_ref[0] = ru[0];
        s->pend_ref[1] = ru[1];
        s->pend_ref[2] = ru[2];
        s->pend_sigma = sigma;
        s->counters.accepted[kind]++;
        return ATT_OK;
    }
    {
        att_real h[3], y[3], H[18], R[9];
        int i;
        att_qrot_inv_raw(s->q, ru, h);
        for (i = 0; i < 3; ++i) {
            y[i] = bu[i] - h[i];
        }
        clear_n(H, 18);
        /* H = [[h]x, 0] */
        H[0 * 6 + 1] = -h[2];
        H[0 * 6 + 2] = h[1];
        H[1 * 6 + 0] = h[2];
        H[1 * 6 + 2] = -h[0];
        H[2 * 6 + 0] = -h[1];
        H[2 * 6 + 1] = h[0];
        isotropic3(R, sigma * sigma);
        st = att_mekf_kf_update(p, s, kind, 3, 0, H, y, R, p->gate_vector, NULL, 0);
        if (st == ATT_OK) {
            s->counters.accepted[kind]++;
        } else if (st == ATT_REJECTED) {
            s->counters.rejected[kind]++;
        }
        return st;
    }
}

att_status att_mekf_update_vector(const att_mekf_params *p, att_mekf_state *s, const att_real body[3],
                                  const att_real ref[3], att_real sigma, att_meas_kind kind)
{
    att_mekf_state w;
    att_real bu[3], ru[3];
    att_status st;
    if (p == NULL || s == NULL || body == NULL || ref == NULL) {
        return ATT_ERR_NULL;
    }
    st = att_mekf_params_validate(p);
    if (st != ATT_OK) {
        return st;
    }
    if (!att_finite_n(body, 3) || !att_finite_n(ref, 3) || !ATT_ISFINITE(sigma)) {
        return ATT_ERR_NOT_FINITE;
    }
    if (!(sigma > ATT_C(0.0)) || (unsigned)kind > (unsigned)ATT_MEAS_ACC) {
        return ATT_ERR_BAD_PARAM;
    }
    if (!att_unit3(body, bu) || !att_unit3(ref, ru)) {
        return ATT_ERR_ZERO_NORM;
    }
    w = *s;
    att_mekf_block_flush(&w);
    st = att_mekf_vector_raw(p, &w, bu, ru, sigma, kind);
    if (st == ATT_OK || st == ATT_REJECTED) {
        *s = w;
    }
    return st;
}

att_status att_mekf_update_attitude(const att_mekf_params *p, att_mekf_state *s, const att_real q[4],
                                    const att_real cov[9])
{
    att_mekf_state w;
    att_real qn[4], qc[4], d[4], y[3], H[18];
    att_status st;
    if (p == NULL || s == NULL || q == NULL || cov == NULL) {
        return ATT_ERR_NULL;
    }
    st = att_mekf_params_validate(p);
    if (st != ATT_OK) {
        return st;
    }
    if (!att_finite_n(cov, 9)) {
        return ATT_ERR_NOT_FINITE;
    }
    st = att_quat_normalize(q, qn);
    if (st != ATT_OK) {
        return st;
    }
    if (!att_is_spd3(cov)) {
        return ATT_ERR_NOT_POS_DEF;
    }
    w = *s;
    att_mekf_block_flush(&w);
    if (!w.initialised) {
        att_mekf_set_att_raw(&w, qn, cov);
        w.counters.accepted[ATT_MEAS_ATTITUDE]++;
        *s = w;
        return ATT_OK;
    }
    qc[0] = w.q[0];
    qc[1] = -w.q[1];
    qc[2] = -w.q[2];
    qc[3] = -w.q[3];
    att_qmul_raw(qc, qn, d);
    st = att_quat_to_rotvec(d, y);
    if (st != ATT_OK) {
        return st;
    }
    clear_n(H, 18);
    H[0] = H[7] = H[14] = ATT_C(1.0);
    st = att_mekf_kf_update(p, &w, ATT_MEAS_ATTITUDE, 3, 0, H, y, cov, p->gate_attitude, NULL, 0);
    if (st == ATT_OK) {
        w.counters.accepted[ATT_MEAS_ATTITUDE]++;
    } else if (st == ATT_REJECTED) {
        w.counters.rejected[ATT_MEAS_ATTITUDE]++;
    } else {
        return st;
    }
    *s = w;
    return st;
}

att_status att_mekf_rest_raw(const att_mekf_params *p, att_mekf_state *s, const att_real gyr[3], att_real sigma)
{
    att_real H[18], y[3], R[9];
    att_status st;
    int i;
    clear_n(H, 18);
    H[0 * 6 + 3] = H[1 * 6 + 4] = H[2 * 6 + 5] = ATT_C(1.0);
    for (i = 0; i < 3; ++i) {
        y[i] = gyr[i] - s->bias[i];
    }
    isotropic3(R, sigma * sigma);
    st = att_mekf_kf_update(p, s, ATT_MEAS_REST, 3, 3, H, y, R, ATT_C(0.0), NULL, 0);
    if (st == ATT_OK) {
        s->counters.accepted[ATT_MEAS_REST]++;
    }
    return st;
}

att_status att_mekf_update_rest(const att_mekf_params *p, att_mekf_state *s, const att_real gyr[3],
                                att_real sigma)
{
    att_mekf_state w;
    att_status st;
    if (p == NULL || s == NULL || gyr == NULL) {
        return ATT_ERR_NULL;
    }
    st = att_mekf_params_validate(p);
    if (st != ATT_OK) {
        return st;
    }
    if (!att_finite_n(gyr, 3) || !ATT_ISFINITE(sigma)) {
        return ATT_ERR_NOT_FINITE;
    }
    if (!(sigma > ATT_C(0.0))) {
        return ATT_ERR_BAD_PARAM;
    }
    if (!s->initialised) {
        return ATT_ERR_NOT_INITIALISED;
    }
    w = *s;
    att_mekf_block_flush(&w);
    st = att_mekf_rest_raw(p, &w, gyr, sigma);
    if (st == ATT_OK) {
        *s = w;
    }
    return st;
}

att_status att_mekf_get_quat(const att_mekf_state *s, att_real q[4])
{
    if (s == NULL || q == NULL) {
        return ATT_ERR_NULL;
    }
    copy_n(s->q, q, 4);
    return ATT_OK;
}

att_status att_mekf_get_bias(const att_mekf_state *s, att_real b[3])
{
    if (s == NULL || b == NULL) {
        return ATT_ERR_NULL;
    }
    copy_n(s->bias, b, 3);
    return ATT_OK;
}

att_status att_mekf_get_cov(const att_mekf_state *s, att_real P[36])
{
    if (s == NULL || P == NULL) {
        return ATT_ERR_NULL;
    }
    att_mekf_block_cov(s, P);
    return ATT_OK;
}
