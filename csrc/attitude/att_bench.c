/* att_bench.c - the 9-axis bench profile (gyro + accelerometer + magnetometer, East-North-Up, z up) and the
 * batch entry point.
 *
 * Every sample: the quaternion follows the gyro, the samples are summed into the current correction block
 * (in the body frame at the start of the block, so that the sums follow the rotation exactly), rest detection.
 * Once per block of k = round(update_period / dt) samples (standard practice for strapdown navigation: fast
 * attitude integration, slow covariance and corrections):
 *   1. the covariance is propagated over the whole block with the product of the per-sample transitions;
 *   2. accelerometer: the block mean of the specific force, in the current body frame, is low-passed in that
 *      gyro-propagated frame (linear and centripetal accelerations average out, rotations are followed exactly),
 *      then used unnormalised (y = f - g h, H = g [h]x) with a sigma inflated by the norm error left after
 *      averaging and by the body rate, rejected beyond a relative norm error; optionally (acc_tilt_only) the gain
 *      is projected off the vertical so that it corrects tilt only;
 *   3. magnetometer: the block mean is checked against a learned field norm and dip angle (disturbances
 *      rejected; a new field is accepted only once it has stayed self-consistent while rotating), used as a
 *      heading-only correction (heading innovation, gain projected onto the vertical) or as a full vector;
 *   4. while at rest, a zero-rate bias update with the block mean of the gyro.
 * A block mean of n samples carries the information of its n samples: its noise variance is the per-sample one
 * divided by n. Each correction is a sequence of scalar updates (no matrix inverse). The chi-square of a block
 * mean is tested against n times the gate: what the gate rejects is a disturbance (linear acceleration, a
 * magnet), which persists over the block rather than averaging out like white noise, and whose chi-square
 * therefore grows with n; scaled so, a disturbance is judged as it would be sample by sample, whatever the
 * sampling rate.
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
        att_real d2 = ATT_C(0.0);
        for (i = 0; i < 3; ++i) {
            att_real d;
            s->rest_gyr_lp[i] += a * (gyr[i] - s->rest_gyr_lp[i]);
            d = gyr[i] - s->rest_gyr_lp[i];
            d2 += d * d;
            if (ATT_FABS(s->rest_gyr_lp[i]) > p->max_bias) {
                still = 0;
            }
        }
        if (d2 > p->rest_gyr_thresh * p->rest_gyr_thresh) {
            still = 0;
        }
        if (acc != NULL) {
            d2 = ATT_C(0.0);
            for (i = 0; i < 3; ++i) {
                att_real d;
                s->rest_acc_lp[i] += a * (acc[i] - s->rest_acc_lp[i]);
                d = acc[i] - s->rest_acc_lp[i];
                d2 += d * d;
            }
            if (d2 > p->rest_acc_thresh * p->rest_acc_thresh) {
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

/* Accelerometer correction with the block mean f_mean (current body frame) of n samples over T seconds. */
static att_status acc_update(const att_mekf_params *p, att_mekf_state *s, const att_real f_mean[3], int n,
                             att_real T, att_real rate)
{
    static const att_real up[3] = {ATT_C(0.0), ATT_C(0.0), ATT_C(1.0)};
    att_real acc[3];
    att_real dev, sigma;
    att_status st;
    int i;
    if (p->acc_inertial_tau > ATT_C(0.0)) {
        /* the low-pass lives in a frame that follows the gyro (block_end has rotated it into the current body
         * frame): blend in the new block mean */
        if (!s->acc_ilp_init) {
            for (i = 0; i < 3; ++i) {
                s->acc_ilp[i] = f_mean[i];
            }
            s->acc_ilp_init = 1;
        } else {
            att_real a = lp_alpha(T, p->acc_inertial_tau);
            for (i = 0; i < 3; ++i) {
                s->acc_ilp[i] += a * (f_mean[i] - s->acc_ilp[i]);
            }
        }
        for (i = 0; i < 3; ++i) {
            acc[i] = s->acc_ilp[i];
        }
    } else {
        for (i = 0; i < 3; ++i) {
            acc[i] = f_mean[i];
        }
    }
    /* the norm error is taken on the low-passed specific force: what the averaging did not remove */
    dev = ATT_FABS(att_norm3(acc) - p->gravity) / p->gravity;
    s->acc_lp_dev += lp_alpha(T, p->acc_lp_tau) * (dev - s->acc_lp_dev);
    if (dev > p->acc_reject_norm) {
        s->counters.rejected[ATT_MEAS_ACC]++;
        return ATT_OK;
    }
    sigma = p->acc_sigma + p->acc_sigma_norm_gain * (dev > s->acc_lp_dev ? dev : s->acc_lp_dev) +
            p->acc_sigma_rate_gain * rate;
    if (sigma > ATT_C(1.5) * p->acc_sigma) {
        s->counters.acc_deweighted++;
    }
    {
        /* specific force f = R^T (g up + a_lin): unnormalised innovation y = f - g h, h = R(q)^T up,
         * H = [g [h]x, 0], linear acceleration as white noise of sigma * g (m/s^2) per sample */
        att_real h[3], y[3], H[9], g = p->gravity, sg;
        att_qrot_inv_raw(s->q, up, h);
        for (i = 0; i < 3; ++i) {
            y[i] = acc[i] - g * h[i];
        }
        H[0] = ATT_C(0.0);
        H[1] = -g * h[2];
        H[2] = g * h[1];
        H[3] = g * h[2];
        H[4] = ATT_C(0.0);
        H[5] = -g * h[0];
        H[6] = -g * h[1];
        H[7] = g * h[0];
        H[8] = ATT_C(0.0);
        sg = sigma * g;
        st = att_mekf_seq_update(p, s, ATT_MEAS_ACC, 3, 0, H, y, sg * sg / (att_real)n,
                                 p->gate_vector * (att_real)n, p->acc_tilt_only ? h : NULL, 2);
        if (st == ATT_OK) {
            s->counters.accepted[ATT_MEAS_ACC]++;
        } else if (st == ATT_REJECTED) {
            s->counters.rejected[ATT_MEAS_ACC]++;
            st = ATT_OK;
        }
        return st;
    }
}

/* Magnetometer correction with the block mean (current body frame) of n samples over T seconds. */
static att_status mag_update(const att_mekf_params *p, att_mekf_state *s, const att_real mag[3], int n,
                             att_real T, att_real rate)
{
    static const att_real ez[3] = {ATT_C(0.0), ATT_C(0.0), ATT_C(1.0)};
    att_real mn = att_norm3(mag);
    att_real mu[3], ub[3], mr[3];
    att_real dip, sigma, lag;
    int disturbed;
    int i;
    att_status st;
    if (!(mn > ATT_TINY)) {
        s->counters.rejected[ATT_MEAS_MAG]++;
        return ATT_OK;
    }
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
            att_real a = lp_alpha(T, p->mag_learn_tau);
            s->mag_cand_norm += a * (mn - s->mag_cand_norm);
            s->mag_cand_dip += a * (dip - s->mag_cand_dip);
            if (rate >= p->mag_new_min_rate) {
                s->mag_dist_time += T;
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
            att_real a = lp_alpha(T, p->mag_learn_tau);
            s->mag_norm += a * (mn - s->mag_norm);
            s->mag_dip += a * (dip - s->mag_dip);
        }
    }
    if (p->mag_heading_only) {
        att_real hx, hy, hn, y, r;
        att_qrot_raw(s->q, mu, mr);
        hx = mr[0];
        hy = mr[1];
        hn = ATT_SQRT(hx * hx + hy * hy);
        if (hn < ATT_C(0.1)) {
            s->counters.rejected[ATT_MEAS_MAG]++;
            return ATT_OK;
        }
        y = ATT_ATAN2(hx, hy);
        r = (sigma / hn) * (sigma / hn) / (att_real)n;
        st = att_mekf_seq_update(p, s, ATT_MEAS_MAG, 1, 0, ub, &y, r, p->gate_heading * (att_real)n, ub, 1);
    } else {
        /* unit field direction: b = R^T ref, y = b - h, H = [h]x */
        att_real ref[3], h[3], y[3], H[9];
        ref[0] = ATT_C(0.0);
        ref[1] = ATT_COS(s->mag_dip);
        ref[2] = -ATT_SIN(s->mag_dip);
        att_qrot_inv_raw(s->q, ref, h);
        for (i = 0; i < 3; ++i) {
            y[i] = mu[i] - h[i];
        }
        H[0] = ATT_C(0.0);
        H[1] = -h[2];
        H[2] = h[1];
        H[3] = h[2];
        H[4] = ATT_C(0.0);
        H[5] = -h[0];
        H[6] = -h[1];
        H[7] = h[0];
        H[8] = ATT_C(0.0);
        st = att_mekf_seq_update(p, s, ATT_MEAS_MAG, 3, 0, H, y, sigma * sigma / (att_real)n,
                                 p->gate_vector * (att_real)n, NULL, 0);
    }
    if (st == ATT_OK) {
        s->counters.accepted[ATT_MEAS_MAG]++;
    } else if (st == ATT_REJECTED) {
        s->counters.rejected[ATT_MEAS_MAG]++;
        st = ATT_OK;
    }
    return st;
}

/* End of a correction block: covariance propagation, then the corrections with the block means. */
static att_status block_end(const att_mekf_params *p, att_mekf_state *s, att_real rate)
{
    static const att_real unit_rows[9] = {ATT_C(1.0), ATT_C(0.0), ATT_C(0.0), ATT_C(0.0), ATT_C(1.0),
                                          ATT_C(0.0), ATT_C(0.0), ATT_C(0.0), ATT_C(1.0)};
    att_real C[9], rot[9], f[3], m[3], g[3];
    att_real T = s->blk_t;
    int n = s->blk_n, n_acc = s->blk_n_acc, n_mag = s->blk_n_mag;
    att_status st;
    int i, j;
    att_q_to_dcm_raw(s->blk_q, C);
    for (i = 0; i < 3; ++i) {
        for (j = 0; j < 3; ++j) {
            rot[i * 3 + j] = C[j * 3 + i];
        }
    }
    for (i = 0; i < 3; ++i) {
        /* block means, from the block-start frame into the current body frame */
        f[i] = (rot[i * 3] * s->blk_acc[0] + rot[i * 3 + 1] * s->blk_acc[1] + rot[i * 3 + 2] * s->blk_acc[2]) /
               (att_real)(n_acc > 0 ? n_acc : 1);
        m[i] = (rot[i * 3] * s->blk_mag[0] + rot[i * 3 + 1] * s->blk_mag[1] + rot[i * 3 + 2] * s->blk_mag[2]) /
               (att_real)(n_mag > 0 ? n_mag : 1);
        g[i] = s->blk_gyr[i] / (att_real)n;
    }
    if (s->acc_ilp_init) {
        att_real r[3];
        for (i = 0; i < 3; ++i) {
            r[i] = rot[i * 3] * s->acc_ilp[0] + rot[i * 3 + 1] * s->acc_ilp[1] + rot[i * 3 + 2] * s->acc_ilp[2];
        }
        for (i = 0; i < 3; ++i) {
            s->acc_ilp[i] = r[i];
        }
    }
    att_mekf_block_flush(s);
    if (n_acc > 0) {
        st = acc_update(p, s, f, n_acc, T, rate);
        if (st != ATT_OK) {
            return st;
        }
    }
    if (n_mag > 0 && s->initialised) {
        st = mag_update(p, s, m, n_mag, T, rate);
        if (st != ATT_OK) {
            return st;
        }
    }
    if (p->rest_enable && s->initialised && s->rest_time >= p->rest_time) {
        att_real y[3];
        for (i = 0; i < 3; ++i) {
            y[i] = g[i] - s->bias[i];
        }
        st = att_mekf_seq_update(p, s, ATT_MEAS_REST, 3, 3, unit_rows, y,
                                 p->rest_sigma * p->rest_sigma / (att_real)n, ATT_C(0.0), NULL, 0);
        if (st != ATT_OK) {
            return st;
        }
        s->counters.accepted[ATT_MEAS_REST]++;
    }
    return ATT_OK;
}

/* Samples per correction block for this time step. */
static int block_len(const att_mekf_params *p, att_real dt)
{
    att_real k = p->update_period / dt + ATT_C(0.5);
    if (!(k >= ATT_C(1.0))) {
        return 1;
    }
    if (k >= (att_real)ATT_MAX_BLOCK) {
        return ATT_MAX_BLOCK;
    }
    return (int)k;
}

/* Per-sample part for an initialised filter: gyro integration and block sums, computed into locals first so
 * that nothing is written when a result is not finite; *rate2 receives the squared body rate, rad^2/s^2. */
static att_status sample_in_block(const att_mekf_params *p, att_mekf_state *s, const att_real gyr[3],
                                  const att_real *acc, const att_real *mag, att_real dt, att_real *rate2)
{
    att_real w[3], rv[3], dq[4], qn[4], bq[4], C[9], sa[3], sm[3], w2, var;
    int i;
    for (i = 0; i < 3; ++i) {
        w[i] = gyr[i] - s->bias[i];
        rv[i] = w[i] * dt;
    }
    w2 = w[0] * w[0] + w[1] * w[1] + w[2] * w[2];
    att_q_from_rotvec_raw(rv, dq);
    att_qmul_raw(s->q, dq, qn);
    att_qnorm_near_unit_raw(qn);
    att_qmul_raw(s->blk_q, dq, bq);
    att_qnorm_near_unit_raw(bq);
    att_q_to_dcm_raw(bq, C);
    var = s->blk_var_att + (p->gyro_arw * p->gyro_arw + p->gyro_rate_arw * p->gyro_rate_arw * w2) * dt;
    for (i = 0; i < 3; ++i) {
        sa[i] = s->blk_acc[i];
        sm[i] = s->blk_mag[i];
        if (acc != NULL) {
            sa[i] += C[i * 3] * acc[0] + C[i * 3 + 1] * acc[1] + C[i * 3 + 2] * acc[2];
        }
        if (mag != NULL) {
            sm[i] += C[i * 3] * mag[0] + C[i * 3 + 1] * mag[1] + C[i * 3 + 2] * mag[2];
        }
    }
    if (!att_finite_n(qn, 4) || !att_finite_n(bq, 4) || !att_finite_n(sa, 3) || !att_finite_n(sm, 3) ||
        !ATT_ISFINITE(var)) {
        return ATT_ERR_NUMERIC;
    }
    for (i = 0; i < 4; ++i) {
        s->q[i] = qn[i];
        s->blk_q[i] = bq[i];
    }
    for (i = 0; i < 9; ++i) {
        s->blk_csum[i] += dt * C[i];
    }
    for (i = 0; i < 3; ++i) {
        s->blk_acc[i] = sa[i];
        s->blk_mag[i] = sm[i];
        s->blk_gyr[i] += gyr[i];
    }
    s->blk_var_att = var;
    s->blk_rrw2 = p->gyro_rrw * p->gyro_rrw;
    s->blk_t += dt;
    s->blk_n++;
    s->blk_n_acc += (acc != NULL);
    s->blk_n_mag += (mag != NULL);
    *rate2 = w2;
    return ATT_OK;
}

/* Initialisation sample: attitude from the accelerometer (and magnetometer), field reference learned. */
static void init_sample(const att_mekf_params *p, att_mekf_state *s, const att_real acc[3], const att_real *mag)
{
    att_real au[3], mu[3];
    (void)att_unit3(acc, au);
    if (mag != NULL) {
        (void)att_unit3(mag, mu);
    }
    init_from_sensors(p, s, au, (mag != NULL) ? mu : NULL);
    att_mekf_block_reset(s);
    s->acc_ilp_init = 0;
    s->acc_lp_dev = ATT_FABS(att_norm3(acc) - p->gravity) / p->gravity;
    if (mag != NULL) {
        /* learn the field from the first sample; heading already set by the initialisation */
        static const att_real ez[3] = {ATT_C(0.0), ATT_C(0.0), ATT_C(1.0)};
        att_real ub[3], dip;
        att_real mn = att_norm3(mag);
        att_qrot_inv_raw(s->q, ez, ub);
        dip = ATT_ASIN(clamp1(-att_dot3(mu, ub)));
        if (!(s->mag_norm > ATT_C(0.0))) {
            s->mag_norm = mn;
        }
        if (p->mag_learn) {
            s->mag_dip = dip;
        }
        s->mag_cand_norm = mn;
        s->mag_cand_dip = dip;
    }
}

/* One sample on the caller's state. Inputs are valid. The state is left untouched on error: samples that may
 * fail after writing (initialisation, block ends) work on a copy, the others write only finite results. */
static att_status step_sample(const att_mekf_params *p, att_mekf_state *s, const att_real gyr[3],
                              const att_real *acc, const att_real *mag, att_real dt)
{
    att_mekf_state w;
    att_real rate2 = ATT_C(0.0);
    att_status st;
    if (!s->initialised) {
        w = *s;
        if (acc != NULL) {
            init_sample(p, &w, acc, mag);
        } else {
            att_mekf_propagate_raw(p, &w, gyr, dt);
        }
        if (p->rest_enable) {
            rest_detect(p, &w, gyr, acc, dt);
        }
        *s = w;
        return ATT_OK;
    }
    if (s->blk_n + 1 < block_len(p, dt)) {
        st = sample_in_block(p, s, gyr, acc, mag, dt, &rate2);
        if (st != ATT_OK) {
            return st;
        }
        if (p->rest_enable) {
            rest_detect(p, s, gyr, acc, dt);
            if (s->rest_time >= p->rest_time) {
                s->counters.rest_samples++;
            }
        }
        return ATT_OK;
    }
    w = *s;
    st = sample_in_block(p, &w, gyr, acc, mag, dt, &rate2);
    if (st != ATT_OK) {
        return st;
    }
    if (p->rest_enable) {
        rest_detect(p, &w, gyr, acc, dt);
        if (w.rest_time >= p->rest_time) {
            w.counters.rest_samples++;
        }
    }
    st = block_end(p, &w, ATT_SQRT(rate2));
    if (st != ATT_OK) {
        return st;
    }
    if (!att_finite_n(w.q, 4) || !att_finite_n(w.P, 36) || !att_finite_n(w.bias, 3)) {
        return ATT_ERR_NUMERIC;
    }
    *s = w;
    return ATT_OK;
}

/* The checks of a step call before its samples: the parameters, then the time step. */
static att_status check_params_dt(const att_mekf_params *p, att_real dt)
{
    att_status st = att_mekf_params_validate(p);
    if (st != ATT_OK) {
        return st;
    }
    if (!ATT_ISFINITE(dt)) {
        return ATT_ERR_NOT_FINITE;
    }
    if (!att_check_dt(p, dt)) {
        return ATT_ERR_BAD_DT;
    }
    return ATT_OK;
}

static att_status check_sample(const att_real gyr[3], const att_real *acc, const att_real *mag)
{
    if (!att_finite_n(gyr, 3) || (acc != NULL && !att_finite_n(acc, 3)) || (mag != NULL && !att_finite_n(mag, 3))) {
        return ATT_ERR_NOT_FINITE;
    }
    if ((acc != NULL && !(att_dot3(acc, acc) > ATT_TINY * ATT_TINY)) ||
        (mag != NULL && !(att_dot3(mag, mag) > ATT_TINY * ATT_TINY))) {
        return ATT_ERR_ZERO_NORM;
    }
    return ATT_OK;
}

att_status att_mekf_step(const att_mekf_params *p, att_mekf_state *s, const att_real gyr[3],
                         const att_real *acc, const att_real *mag, att_real dt)
{
    att_status st;
    if (p == NULL || s == NULL || gyr == NULL) {
        return ATT_ERR_NULL;
    }
    st = check_params_dt(p, dt);
    if (st != ATT_OK) {
        return st;
    }
    st = check_sample(gyr, acc, mag);
    if (st != ATT_OK) {
        return st;
    }
    return step_sample(p, s, gyr, acc, mag, dt);
}

att_status att_mekf_step9(const att_mekf_params *p, att_mekf_state *s, att_real gx, att_real gy, att_real gz,
                          att_real ax, att_real ay, att_real az, att_real mx, att_real my, att_real mz,
                          att_real dt)
{
    att_real g[3], a[3], m[3];
    g[0] = gx;
    g[1] = gy;
    g[2] = gz;
    a[0] = ax;
    a[1] = ay;
    a[2] = az;
    m[0] = mx;
    m[1] = my;
    m[2] = mz;
    return att_mekf_step(p, s, g, a, m, dt);
}

att_status att_mekf_batch(const att_mekf_params *p, att_mekf_state *s, size_t n, const att_real *gyr,
                          const att_real *acc, const att_real *mag, att_real dt, att_real *q_out,
                          att_real *cov_out, size_t *n_done)
{
    att_status st;
    size_t k;
    int i;
    if (n_done != NULL) {
        *n_done = 0;
    }
    if (p == NULL || s == NULL || gyr == NULL || q_out == NULL) {
        return ATT_ERR_NULL;
    }
    st = check_params_dt(p, dt);
    if (st != ATT_OK) {
        return st;
    }
    for (k = 0; k < n; ++k) {
        const att_real *a = (acc != NULL) ? acc + 3 * k : NULL;
        const att_real *m = (mag != NULL) ? mag + 3 * k : NULL;
        st = check_sample(gyr + 3 * k, a, m);
        if (st != ATT_OK) {
            return st;
        }
        st = step_sample(p, s, gyr + 3 * k, a, m, dt);
        if (st != ATT_OK) {
            return st;
        }
        for (i = 0; i < 4; ++i) {
            q_out[4 * k + (size_t)i] = s->q[i];
        }
        if (cov_out != NULL) {
            att_mekf_block_cov(s, cov_out + 36 * k);
        }
        if (n_done != NULL) {
            *n_done = k + 1;
        }
    }
    return ATT_OK;
}
