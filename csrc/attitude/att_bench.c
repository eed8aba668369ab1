/* att_bench.c - the 9-axis bench profile (gyro + accelerometer + magnetometer, East-North-Up, z up) and the
 * batch entry point.
 *
 * Per sample:
 *   1. gyro propagation of the MEKF;
 *   2. accelerometer: the specific force is low-passed in a frame that follows the gyro only (linear and
 *      centripetal accelerations average out, rotations are followed exactly), then used unnormalised
 *      (y = f - g h, H = g [h]x) with a sigma inflated by the norm error left after averaging and by the body
 *      rate, rejected beyond a relative norm error; the gain is projected off the vertical so that it corrects
 *      tilt only;
 *   3. magnetometer: checked against a learned field norm and dip angle (disturbances rejected; a new field
 *      is accepted only once it has stayed self-consistent while rotating), used as a heading-only correction
 *      (heading innovation, gain projected onto the vertical);
 *   4. rest detection feeding a zero-rate bias update.
 * Causal: every decision uses the current and past samples only.
 */
#include <string.h>
#include "att_internal.h"
#include "att_mekf_internal.h"

static att_real lp_alpha(att_real dt, att_real tau)
{
    return dt / (tau + dt);
}

static att_real clamp1(att_real x)
{
    if (x > ATT_C(1.0)) {
        return ATT_C(1.0);
    }
    if (x < ATT_C(-1.0)) {
        return ATT_C(-1.0);
    }
    return x;
}

/* First attitude from the accelerometer (tilt) and, when usable, the magnetometer (heading). */
static void init_from_sensors(const att_mekf_params *p, att_mekf_state *s, const att_real au[3],
                              const att_real *mu)
{
    static const att_real up[3] = {ATT_C(0.0), ATT_C(0.0), ATT_C(1.0)};
    static const att_real north[3] = {ATT_C(0.0), ATT_C(1.0), ATT_C(0.0)};
    att_real q[4], F[9], cov[9];
    att_real sig_h = p->init_sigma_att;
    int r, c;
    int have_mag = 0;
    if (mu != NULL) {
        att_real cr[3];
        att_cross3(au, mu, cr);
        if (att_norm3(cr) > ATT_C(0.1) && att_triad(au, up, mu, north, q) == ATT_OK) {
            have_mag = 1;
            sig_h = p->mag_sigma / att_norm3(cr);
        }
    }
    if (!have_mag) {
        /* shortest rotation taking the measured up (body) onto the reference up */
        att_real d = au[2];
        if (d > ATT_C(-0.999999)) {
            q[0] = ATT_C(1.0) + d;
            q[1] = au[1];   /* au x up = (au_y, -au_x, 0) */
            q[2] = -au[0];
            q[3] = ATT_C(0.0);
        } else {
            q[0] = ATT_C(0.0);
            q[1] = ATT_C(1.0);
            q[2] = ATT_C(0.0);
            q[3] = ATT_C(0.0);
        }
        att_qnorm_raw(q);
    }
    /* information: tilt from the accelerometer, heading about the body vertical au */
    for (r = 0; r < 3; ++r) {
        for (c = 0; c < 3; ++c) {
            att_real id = (r == c) ? ATT_C(1.0) : ATT_C(0.0);
            F[r * 3 + c] = (id - au[r] * au[c]) / (p->acc_sigma * p->acc_sigma) +
                           au[r] * au[c] / (sig_h * sig_h);
        }
    }
    (void)att_inv3_spd(F, cov);
    att_mekf_set_att_raw(s, q, cov);
}

static void rest_detect(const att_mekf_params *p, att_mekf_state *s, const att_real gyr[3], const att_real *acc,
                        att_real dt)
{
    int i;
    int still = 1;
    if (!s->rest_lp_init) {
        for (i = 0; i < 3; ++i) {
            s->rest_gyr_lp[i] = gyr[i];
            s->rest_acc_lp[i] = (acc != NULL) ? acc[i] : ATT_C(0.0);
        }
        s->rest_lp_init = 1;
        s->rest_time = ATT_C(0.0);
        return;
    }
    {
        att_real a = lp_alpha(dt, p->rest_lp_tau);
        att_real dg[3], da[3];
        for (i = 0; i < 3; ++i) {
            s->rest_gyr_lp[i] += a * (gyr[i] - s->rest_gyr_lp[i]);
            dg[i] = gyr[i] - s->rest_gyr_lp[i];
            if (ATT_FABS(s->rest_gyr_lp[i]) > p->max_bias) {
                still = 0;
            }
        }
        if (att_norm3(dg) > p->rest_gyr_thresh) {
            still = 0;
        }
        if (acc != NULL) {
            for (i = 0; i < 3; ++i) {
                s->rest_acc_lp[i] += a * (acc[i] - s->rest_acc_lp[i]);
                da[i] = acc[i] - s->rest_acc_lp[i];
            }
            if (att_norm3(da) > p->rest_acc_thresh) {
                still = 0;
            }
        }
    }
    if (still) {
        s->rest_time += dt;
    } else {
        s->rest_time = ATT_C(0.0);
    }
}

/* Strapdown of the gyro-only frame and low-pass of the specific force in it. Rotations are followed exactly by
 * gq, so the low-passed vector, rotated back into the body frame, is the current specific force with the
 * linear acceleration averaged out over acc_inertial_tau. */
static void acc_inertial_lowpass(const att_mekf_params *p, att_mekf_state *s, const att_real gyr[3],
                                 const att_real acc[3], att_real dt, att_real f[3])
{
    att_real rv[3], dq[4], qn[4], ar[3];
    int i;
    if (!(p->acc_inertial_tau > ATT_C(0.0))) {
        f[0] = acc[0];
        f[1] = acc[1];
        f[2] = acc[2];
        return;
    }
    if (!s->acc_ilp_init) {
        for (i = 0; i < 4; ++i) {
            s->gq[i] = s->q[i];
        }
        att_qrot_raw(s->gq, acc, s->acc_ilp);
        s->acc_ilp_init = 1;
    } else {
        for (i = 0; i < 3; ++i) {
            rv[i] = (gyr[i] - s->bias[i]) * dt;
        }
        att_q_from_rotvec_raw(rv, dq);
        att_qmul_raw(s->gq, dq, qn);
        att_qnorm_raw(qn);
        for (i = 0; i < 4; ++i) {
            s->gq[i] = qn[i];
        }
        att_qrot_raw(s->gq, acc, ar);
        {
            att_real a = lp_alpha(dt, p->acc_inertial_tau);
            for (i = 0; i < 3; ++i) {
                s->acc_ilp[i] += a * (ar[i] - s->acc_ilp[i]);
            }
        }
    }
    att_qrot_inv_raw(s->gq, s->acc_ilp, f);
}

static att_status acc_update(const att_mekf_params *p, att_mekf_state *s, const att_real gyr[3],
                             const att_real acc_raw[3], att_real dt)
{
    static const att_real up[3] = {ATT_C(0.0), ATT_C(0.0), ATT_C(1.0)};
    att_real acc[3], w[3];
    att_real dev, sigma;
    int i;
    /* the norm error is taken on the low-passed specific force: what the averaging did not remove */
    acc_inertial_lowpass(p, s, gyr, acc_raw, dt, acc);
    dev = ATT_FABS(att_norm3(acc) - p->gravity) / p->gravity;
    s->acc_lp_dev += lp_alpha(dt, p->acc_lp_tau) * (dev - s->acc_lp_dev);
    if (dev > p->acc_reject_norm) {
        s->counters.rejected[ATT_MEAS_ACC]++;
        return ATT_OK;
    }
    for (i = 0; i < 3; ++i) {
        w[i] = gyr[i] - s->bias[i];
    }
    sigma = p->acc_sigma + p->acc_sigma_norm_gain * (dev > s->acc_lp_dev ? dev : s->acc_lp_dev) +
            p->acc_sigma_rate_gain * att_norm3(w);
    if (sigma > ATT_C(1.5) * p->acc_sigma) {
        s->counters.acc_deweighted++;
    }
    {
        /* specific force f = R^T (g up + a_lin): unnormalised innovation y = a - g h, h = R(q)^T up,
         * H = [g [h]x, 0], linear acceleration as white noise of sigma * g (m/s^2) */
        att_real h[3], y[3], H[18], R[9], sg;
        att_status st;
        att_qrot_inv_raw(s->q, up, h);
        for (i = 0; i < 3; ++i) {
            y[i] = acc[i] - p->gravity * h[i];
        }
        for (i = 0; i < 18; ++i) {
            H[i] = ATT_C(0.0);
        }
        H[0 * 6 + 1] = -p->gravity * h[2];
        H[0 * 6 + 2] = p->gravity * h[1];
        H[1 * 6 + 0] = p->gravity * h[2];
        H[1 * 6 + 2] = -p->gravity * h[0];
        H[2 * 6 + 0] = -p->gravity * h[1];
        H[2 * 6 + 1] = p->gravity * h[0];
        sg = sigma * p->gravity;
        for (i = 0; i < 9; ++i) {
            R[i] = ATT_C(0.0);
        }
        R[0] = R[4] = R[8] = sg * sg;
        st = att_mekf_kf_update(p, s, ATT_MEAS_ACC, 3, 0, H, y, R, p->gate_vector, h, 2);
        if (st == ATT_OK) {
            s->counters.accepted[ATT_MEAS_ACC]++;
        } else if (st == ATT_REJECTED) {
            s->counters.rejected[ATT_MEAS_ACC]++;
            st = ATT_OK;
        }
        return st;
    }
}

static att_status mag_update(const att_mekf_params *p, att_mekf_state *s, const att_real gyr[3],
                             const att_real mag[3], att_real dt)
{
    static const att_real ez[3] = {ATT_C(0.0), ATT_C(0.0), ATT_C(1.0)};
    att_real mn = att_norm3(mag);
    att_real mu[3], ub[3], mr[3];
    att_real dip, sigma, rate, lag;
    int disturbed;
    int i;
    att_status st;
    for (i = 0; i < 3; ++i) {
        mu[i] = mag[i] / mn;
    }
    att_qrot_inv_raw(s->q, ez, ub); /* reference up in the body frame */
    dip = ATT_ASIN(clamp1(-att_dot3(mu, ub)));
    if (!(s->mag_norm > ATT_C(0.0))) {
        s->mag_norm = mn;
        if (p->mag_learn) {
            s->mag_dip = dip;
        }
    }
    {
        att_real w[3];
        for (i = 0; i < 3; ++i) {
            w[i] = gyr[i] - s->bias[i];
        }
        rate = att_norm3(w);
    }
    lag = p->mag_latency * rate;
    disturbed = (ATT_FABS(mn - s->mag_norm) > p->mag_reject_norm * s->mag_norm) ||
                (ATT_FABS(dip - s->mag_dip) > p->mag_reject_dip + lag);
    sigma = p->mag_sigma;
    if (disturbed) {
        /* a new field is accepted only if it stays self-consistent while the body rotates (a field fixed to
         * the body, such as an attached magnet, changes norm and dip with the orientation and never is) */
        s->counters.mag_disturbed++;
        if (ATT_FABS(mn - s->mag_cand_norm) <= p->mag_reject_norm * s->mag_cand_norm &&
            ATT_FABS(dip - s->mag_cand_dip) <= p->mag_reject_dip + lag) {
            att_real a = lp_alpha(dt, p->mag_learn_tau);
            s->mag_cand_norm += a * (mn - s->mag_cand_norm);
            s->mag_cand_dip += a * (dip - s->mag_cand_dip);
            if (rate >= p->mag_new_min_rate) {
                s->mag_dist_time += dt;
            }
        } else {
            s->mag_cand_norm = mn;
            s->mag_cand_dip = dip;
            s->mag_dist_time = ATT_C(0.0);
        }
        if (s->mag_dist_time < p->mag_dist_timeout) {
            s->counters.rejected[ATT_MEAS_MAG]++;
            return ATT_OK;
        }
        s->mag_norm = s->mag_cand_norm;
        s->mag_dip = s->mag_cand_dip;
        s->mag_dist_time = ATT_C(0.0);
        sigma = p->mag_sigma_dist;
    } else {
        s->mag_dist_time = ATT_C(0.0);
        s->mag_cand_norm = mn;
        s->mag_cand_dip = dip;
        if (p->mag_learn) {
            att_real a = lp_alpha(dt, p->mag_learn_tau);
            s->mag_norm += a * (mn - s->mag_norm);
            s->mag_dip += a * (dip - s->mag_dip);
        }
    }
    if (p->mag_heading_only) {
        att_real hx, hy, hn, y, H[6], R;
        att_qrot_raw(s->q, mu, mr);
        hx = mr[0];
        hy = mr[1];
        hn = ATT_SQRT(hx * hx + hy * hy);
        if (hn < ATT_C(0.1)) {
            s->counters.rejected[ATT_MEAS_MAG]++;
            return ATT_OK;
        }
        y = ATT_ATAN2(hx, hy);
        for (i = 0; i < 3; ++i) {
            H[i] = ub[i];
            H[i + 3] = ATT_C(0.0);
        }
        R = (sigma / hn) * (sigma / hn);
        st = att_mekf_kf_update(p, s, ATT_MEAS_MAG, 1, 0, H, &y, &R, p->gate_heading, ub, 1);
        if (st == ATT_OK) {
            s->counters.accepted[ATT_MEAS_MAG]++;
        } else if (st == ATT_REJECTED) {
            s->counters.rejected[ATT_MEAS_MAG]++;
            st = ATT_OK;
        }
        return st;
    }
    {
        att_real ref[3];
        ref[0] = ATT_C(0.0);
        ref[1] = ATT_COS(s->mag_dip);
        ref[2] = -ATT_SIN(s->mag_dip);
        st = att_mekf_vector_raw(p, s, mu, ref, sigma, ATT_MEAS_MAG);
        return (st == ATT_REJECTED) ? ATT_OK : st;
    }
}

static att_status step_raw(const att_mekf_params *p, att_mekf_state *s, const att_real gyr[3],
                           const att_real *acc, const att_real *mag, att_real dt)
{
    att_status st;
    int fresh = 0;
    if (!s->initialised) {
        if (acc != NULL) {
            att_real au[3], mu[3];
            (void)att_unit3(acc, au);
            if (mag != NULL) {
                (void)att_unit3(mag, mu);
            }
            init_from_sensors(p, s, au, (mag != NULL) ? mu : NULL);
            fresh = 1;
        } else {
            att_mekf_propagate_raw(p, s, gyr, dt);
        }
    } else {
        att_mekf_propagate_raw(p, s, gyr, dt);
    }
    if (p->rest_enable) {
        rest_detect(p, s, gyr, acc, dt);
    }
    if (!s->initialised) {
        return ATT_OK;
    }
    if (acc != NULL) {
        if (fresh) {
            att_real an = att_norm3(acc);
            s->acc_lp_dev = ATT_FABS(an - p->gravity) / p->gravity;
        } else {
            st = acc_update(p, s, gyr, acc, dt);
            if (st != ATT_OK) {
                return st;
            }
        }
    }
    if (mag != NULL) {
        if (fresh) {
            /* learn the field from the first sample; heading already set by the initialisation */
            att_real mu[3], ub[3];
            static const att_real ez[3] = {ATT_C(0.0), ATT_C(0.0), ATT_C(1.0)};
            att_real mn = att_norm3(mag);
            int i;
            for (i = 0; i < 3; ++i) {
                mu[i] = mag[i] / mn;
            }
            att_qrot_inv_raw(s->q, ez, ub);
            if (!(s->mag_norm > ATT_C(0.0))) {
                s->mag_norm = mn;
            }
            if (p->mag_learn) {
                s->mag_dip = ATT_ASIN(clamp1(-att_dot3(mu, ub)));
            }
            s->mag_cand_norm = mn;
            s->mag_cand_dip = ATT_ASIN(clamp1(-att_dot3(mu, ub)));
        } else {
            st = mag_update(p, s, gyr, mag, dt);
            if (st != ATT_OK) {
                return st;
            }
        }
    }
    if (p->rest_enable && !fresh && s->rest_time >= p->rest_time) {
        s->counters.rest_samples++;
        st = att_mekf_rest_raw(p, s, gyr, p->rest_sigma);
        if (st != ATT_OK) {
            return st;
        }
    }
    if (!att_finite_n(s->q, 4) || !att_finite_n(s->P, 36) || !att_finite_n(s->bias, 3)) {
        return ATT_ERR_NUMERIC;
    }
    return ATT_OK;
}

static att_status check_sample(const att_real gyr[3], const att_real *acc, const att_real *mag)
{
    if (!att_finite_n(gyr, 3) || (acc != NULL && !att_finite_n(acc, 3)) || (mag != NULL && !att_finite_n(mag, 3))) {
        return ATT_ERR_NOT_FINITE;
    }
    if ((acc != NULL && !(att_norm3(acc) > ATT_TINY)) || (mag != NULL && !(att_norm3(mag) > ATT_TINY))) {
        return ATT_ERR_ZERO_NORM;
    }
    return ATT_OK;
}

att_status att_mekf_step(const att_mekf_params *p, att_mekf_state *s, const att_real gyr[3],
                         const att_real *acc, const att_real *mag, att_real dt)
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
    if (!ATT_ISFINITE(dt)) {
        return ATT_ERR_NOT_FINITE;
    }
    if (!att_check_dt(p, dt)) {
        return ATT_ERR_BAD_DT;
    }
    st = check_sample(gyr, acc, mag);
    if (st != ATT_OK) {
        return st;
    }
    w = *s;
    st = step_raw(p, &w, gyr, acc, mag, dt);
    if (st != ATT_OK) {
        return st;
    }
    *s = w;
    return ATT_OK;
}

att_status att_mekf_batch(const att_mekf_params *p, att_mekf_state *s, size_t n, const att_real *gyr,
                          const att_real *acc, const att_real *mag, att_real dt, att_real *q_out,
                          att_real *cov_out, size_t *n_done)
{
    att_mekf_state w;
    att_status st;
    size_t k;
    int i;
    if (n_done != NULL) {
        *n_done = 0;
    }
    if (p == NULL || s == NULL || gyr == NULL || q_out == NULL) {
        return ATT_ERR_NULL;
    }
    st = att_mekf_params_validate(p);
    if (st != ATT_OK) {
        return st;
    }
    if (!ATT_ISFINITE(dt)) {
        return ATT_ERR_NOT_FINITE;
    }
    if (!att_check_dt(p, dt)) {
        return ATT_ERR_BAD_DT;
    }
    for (k = 0; k < n; ++k) {
        const att_real *a = (acc != NULL) ? acc + 3 * k : NULL;
        const att_real *m = (mag != NULL) ? mag + 3 * k : NULL;
        st = check_sample(gyr + 3 * k, a, m);
        if (st != ATT_OK) {
            return st;
        }
        w = *s;
        st = step_raw(p, &w, gyr + 3 * k, a, m, dt);
        if (st != ATT_OK) {
            return st;
        }
        *s = w;
        for (i = 0; i < 4; ++i) {
            q_out[4 * k + (size_t)i] = s->q[i];
        }
        if (cov_out != NULL) {
            for (i = 0; i < 36; ++i) {
                cov_out[36 * k + (size_t)i] = s->P[i];
            }
        }
        if (n_done != NULL) {
            *n_done = k + 1;
        }
    }
    return ATT_OK;
}
