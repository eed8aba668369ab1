/*
 * attitude.h - the C attitude-estimation core of flightsw.
 *
 * C99, no dynamic memory, no global or static mutable state, no I/O. Every function returns an
 * att_status; on any error the caller's outputs and state are left untouched (all inputs are validated
 * before anything is written).
 *
 * Precision: att_real is double by default and float when compiled with -DATT_REAL_FLOAT=1.
 *
 * Conventions (see DESIGN.md):
 *   - quaternions are scalar first (w, x, y, z), Hamilton product;
 *   - q maps body-frame vectors into the reference frame: v_ref = q (x) v_body (x) q*
 *     (scipy: Rotation.from_quat(q, scalar_first=True).apply(v_body));
 *   - direction cosine matrices are row-major 3x3 arrays R with v_ref = R v_body;
 *   - the MEKF attitude error is a body-frame rotation vector dtheta with q_true = q_est (x) dq(dtheta);
 *     the 6x6 error covariance is ordered [dtheta (rad), dbias (rad/s)], row-major;
 *   - SI units: rad, rad/s, s, m/s^2; magnetometer values in any consistent unit (uT on the bench).
 */
#ifndef FLIGHTSW_ATTITUDE_H
#define FLIGHTSW_ATTITUDE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ATT_REAL_FLOAT) && ATT_REAL_FLOAT
typedef float att_real;
#define ATT_REAL_IS_FLOAT 1
#else
typedef double att_real;
#define ATT_REAL_IS_FLOAT 0
#endif

/* Status codes. ATT_OK and ATT_REJECTED are not errors; every negative value is an error, after which
 * the state and all outputs are unchanged. */
typedef enum {
    ATT_OK = 0,
    ATT_REJECTED = 1,               /* valid measurement refused by the chi-square gate or a disturbance
                                       check; only the rejection counter changed */
    ATT_ERR_NULL = -1,              /* a required pointer is NULL */
    ATT_ERR_NOT_FINITE = -2,        /* NaN or Inf in an input */
    ATT_ERR_ZERO_NORM = -3,         /* a vector or quaternion with (near) zero norm */
    ATT_ERR_BAD_DT = -4,            /* time step <= 0 or larger than params.max_dt */
    ATT_ERR_BAD_PARAM = -5,         /* parameter out of range (sigma <= 0, bad gate, bad kind, n == 0) */
    ATT_ERR_NOT_INITIALISED = -6,   /* the filter has no attitude yet */
    ATT_ERR_SINGULAR = -7,          /* geometry does not determine the attitude (parallel vectors) or a
                                       matrix could not be inverted */
    ATT_ERR_NOT_POS_DEF = -8,       /* a covariance given by the caller is not symmetric positive definite */
    ATT_ERR_NUMERIC = -9            /* the filter would produce a non-finite or non-positive covariance */
} att_status;

/* Name of a status as a static string: "ATT_OK", "ATT_ERR_NULL", ...; "ATT_UNKNOWN" otherwise. */
const char *att_status_name(int status);

/* ------------------------------------------------------------------------------------------------ */
/* Quaternion and small-matrix helpers. Outputs may alias inputs.                                  */

att_status att_quat_mul(const att_real p[4], const att_real q[4], att_real out[4]);
att_status att_quat_conj(const att_real q[4], att_real out[4]);
att_status att_quat_normalize(const att_real q[4], att_real out[4]);
/* out = q (x) v (x) q*, with q normalised internally. */
att_status att_quat_rotate(const att_real q[4], const att_real v[3], att_real out[3]);
att_status att_quat_to_dcm(const att_real q[4], att_real dcm[9]);
/* dcm must be a proper rotation (orthonormality is not checked beyond finiteness); output has w >= 0. */
att_status att_dcm_to_quat(const att_real dcm[9], att_real q[4]);
/* Rotation vector (axis * angle, rad) <-> unit quaternion (w >= 0 on the way back). */
att_status att_quat_from_rotvec(const att_real rv[3], att_real q[4]);
att_status att_quat_to_rotvec(const att_real q[4], att_real rv[3]);
/* Angle of the rotation between two attitudes, rad, in [0, pi]. */
att_status att_quat_angle_between(const att_real p[4], const att_real q[4], att_real *angle);

/* ------------------------------------------------------------------------------------------------ */
/* Static attitude determination.                                                                   */

/* TRIAD: b1/r1 is the primary (trusted) pair, b2/r2 the secondary one. Vectors need not be unit. */
att_status att_triad(const att_real b1[3], const att_real r1[3], const att_real b2[3], const att_real r2[3],
                     att_real q[4]);

/* Davenport q-method (optimal Wahba solution) for n >= 2 vector pairs, body[i*3..] / ref[i*3..], with
 * per-vector sigmas (rad, > 0, weights 1/sigma^2). cov (may be NULL) receives the 3x3 covariance of the
 * body-frame attitude error, rad^2: (sum_i (I - b_i b_i^T) / sigma_i^2)^-1. */
att_status att_qmethod(const att_real *body, const att_real *ref, const att_real *sigma, size_t n,
                       att_real q[4], att_real cov[9]);

/* ------------------------------------------------------------------------------------------------ */
/* Multiplicative extended Kalman filter: state = attitude quaternion + gyro bias.                  */

/* Measurement kinds, for counters and for the bench profile. */
typedef enum {
    ATT_MEAS_VECTOR = 0,    /* generic vector measurement */
    ATT_MEAS_SUN = 1,       /* sun sensor */
    ATT_MEAS_MAG = 2,       /* magnetometer */
    ATT_MEAS_ACC = 3,       /* accelerometer as gravity ("up") */
    ATT_MEAS_ATTITUDE = 4,  /* star tracker / attitude quaternion */
    ATT_MEAS_REST = 5,      /* zero-rate pseudo-measurement of the gyro bias while at rest */
    ATT_MEAS_COUNT = 6
} att_meas_kind;

/* Parameters: set once, validated by att_mekf_params_validate, never written by the filter.
 * att_mekf_params_default fills sensible MEMS values. */
typedef struct {
    /* --- generic MEKF --- */
    att_real gyro_arw;          /* gyro angle random walk, rad/sqrt(s) (= rad/s/sqrt(Hz)), > 0 */
    att_real gyro_rrw;          /* gyro rate random walk (bias instability drift), rad/s/sqrt(s), >= 0 */
    att_real gyro_rate_arw;     /* extra angle random walk per rad/s of body rate (scale-factor and
                                   misalignment errors), rad/sqrt(s) per rad/s = sqrt(s), >= 0 */
    att_real init_sigma_att;    /* 1-sigma attitude uncertainty used when a one-vector (tilt only)
                                   initialisation leaves an axis undetermined, rad, > 0 */
    att_real init_sigma_bias;   /* initial 1-sigma gyro bias uncertainty, rad/s, > 0 */
    att_real max_bias;          /* bias estimates are clamped to +-max_bias per axis, rad/s, > 0 */
    att_real gate_vector;       /* chi-square gate of a vector update (3 dof, 2 effective), > 0;
                                   large values disable gating; the bench profile tests a block mean of
                                   n samples against n times the gate (and so gate_heading) */
    att_real gate_attitude;     /* chi-square gate of an attitude update (3 dof), > 0 */
    att_real gate_heading;      /* chi-square gate of the bench profile's heading update (1 dof), > 0 */
    att_real max_dt;            /* largest accepted time step, s, > 0 */
    int32_t reinit_rejects;     /* after this many consecutive chi-square rejections of one measurement kind
                                   (corrections: in the bench profile, one per block) the filter drops its
                                   attitude and re-initialises from the next measurements (static solution);
                                   0 = never, >= 0 */
    /* --- 9-axis bench profile, used by att_mekf_step / att_mekf_batch --- */
    att_real gravity;           /* magnitude of gravity, m/s^2, > 0 */
    att_real acc_sigma;         /* accelerometer direction noise at rest, rad, > 0 */
    att_real acc_sigma_norm_gain; /* extra acc sigma per unit of | |a| - g | / g, rad, >= 0 */
    att_real acc_sigma_rate_gain; /* extra acc sigma per rad/s of body rate, rad/(rad/s) = s, >= 0 */
    att_real acc_reject_norm;   /* reject acc when | |a| - g | / g exceeds this (relative), > 0 */
    att_real acc_lp_tau;        /* time constant of the low-pass of |a| - g used for de-weighting, s, >= 0 */
    att_real acc_inertial_tau;  /* time constant of the low-pass of the specific force in a gyro-propagated
                                   (quasi-inertial) frame; linear accelerations average out, s, >= 0 (0 = off) */
    att_real mag_sigma;         /* magnetometer direction noise when undisturbed, rad, > 0 */
    int32_t mag_heading_only;   /* 1: magnetometer corrects heading only (gain projected on "up") */
    int32_t mag_learn;          /* 1: learn the field norm and dip angle online while undisturbed */
    att_real mag_dip;           /* initial/fixed dip angle (inclination, positive down), rad, |.| < pi/2 */
    att_real mag_norm;          /* initial/fixed field norm in mag units, > 0 (0 = learn from first sample) */
    att_real mag_learn_tau;     /* time constant of the online norm/dip estimate, s, > 0 */
    att_real mag_reject_norm;   /* disturbance when | |m| - norm | / norm exceeds this (relative), > 0 */
    att_real mag_reject_dip;    /* disturbance when |dip - learned dip| exceeds this, rad, > 0 */
    att_real mag_latency;       /* timing mismatch of the magnetometer against the gyro, s, >= 0: during
                                   rotation at rate w its direction is off by about w * latency, which widens
                                   the dip check by that angle */
    att_real mag_sigma_dist;    /* sigma of the first heading update after a new field was accepted, rad, > 0 */
    att_real mag_dist_timeout;  /* a disturbed field that stays consistent (norm and dip within the reject
                                   thresholds of itself) for this long while the body rotates is accepted as
                                   the new reference, s, > 0 */
    att_real mag_new_min_rate;  /* ... rotation counts only above this body rate, rad/s, >= 0 */
    int32_t rest_enable;        /* 1: detect rest and feed a zero-rate bias update */
    att_real rest_gyr_thresh;   /* rest if low-passed |gyr - lp(gyr)| stays below this, rad/s, > 0 */
    att_real rest_acc_thresh;   /* ... and |acc - lp(acc)| stays below this, m/s^2, > 0 */
    att_real rest_time;         /* ... for this long, s, > 0 */
    att_real rest_lp_tau;       /* time constant of the rest-detection low-passes, s, > 0 */
    att_real rest_sigma;        /* sigma of the zero-rate pseudo-measurement (one sample), rad/s, > 0 */
    /* --- added fields (appended, existing layout unchanged) --- */
    att_real update_period;     /* interval of the corrections of att_mekf_step / att_mekf_batch, s, >= 0: the
                                   quaternion follows the gyro every sample, while the covariance propagation
                                   and the accelerometer, magnetometer and rest corrections run once per block
                                   of k = round(update_period / dt) samples (1 <= k <= ATT_MAX_BLOCK), on the
                                   block means expressed in the current body frame with their noise variance
                                   divided by the number of samples; 0 = every sample */
    int32_t acc_tilt_only;      /* 1: the accelerometer gain is projected off the vertical (it never corrects
                                   heading); 0: plain Kalman gain */
} att_mekf_params;

/* Largest number of samples in one correction block of the bench profile. */
#define ATT_MAX_BLOCK 64

/* Measurement counters, per att_meas_kind. */
typedef struct {
    uint32_t accepted[ATT_MEAS_COUNT];
    uint32_t rejected[ATT_MEAS_COUNT];   /* chi-square gate or disturbance check */
    uint32_t acc_deweighted;             /* accelerometer samples used with an inflated sigma */
    uint32_t mag_disturbed;              /* magnetometer samples flagged as disturbed */
    uint32_t rest_samples;               /* samples classified as rest (the bias update itself runs once per
                                            correction block and counts in accepted[ATT_MEAS_REST]) */
} att_counters;

/* State: owned by the caller, plain data (copy it with memcpy to snapshot/restore). */
typedef struct {
    att_real q[4];              /* attitude, body -> reference, unit, w >= 0 not enforced */
    att_real bias[3];           /* gyro bias, rad/s (gyr_true = gyr_meas - bias) */
    att_real P[36];             /* error covariance [dtheta, dbias], row-major, rad^2 / (rad/s)^2 */
    int32_t initialised;        /* 1 once an attitude is set */
    int32_t reject_run[ATT_MEAS_COUNT]; /* consecutive chi-square rejections per measurement kind */
    /* automatic initialisation: one pending body vector waiting for a second one */
    int32_t pending;
    att_real pend_body[3];
    att_real pend_ref[3];
    att_real pend_sigma;
    /* bench profile */
    att_real mag_norm;          /* learned field norm (0 = not yet known) */
    att_real mag_dip;           /* learned dip angle, rad */
    att_real mag_dist_time;     /* how long a disturbed candidate field has been consistent while rotating, s */
    att_real mag_cand_norm;     /* candidate new field norm */
    att_real mag_cand_dip;      /* candidate new field dip angle, rad */
    att_real gq[4];             /* gyro-only propagated attitude (frame of the accelerometer low-pass) */
    att_real acc_ilp[3];        /* low-passed specific force in the gq frame, m/s^2 */
    int32_t acc_ilp_init;       /* 1 once the low-pass is primed */
    att_real acc_lp_dev;        /* low-passed | |a| - g | / g */
    att_real rest_gyr_lp[3];    /* low-passed gyro, rad/s */
    att_real rest_acc_lp[3];    /* low-passed accelerometer, m/s^2 */
    att_real rest_time;         /* how long the rest conditions hold, s */
    int32_t rest_lp_init;       /* 1 once the rest low-passes are primed */
    att_counters counters;
    /* --- added fields: the correction block of the bench profile (see update_period). P above is the
     * covariance at the start of the block; att_mekf_get_cov gives the current one, propagated over it. --- */
    int32_t blk_n;              /* samples in the current block */
    int32_t blk_n_acc;          /* ... of them with an accelerometer sample */
    int32_t blk_n_mag;          /* ... with a magnetometer sample */
    att_real blk_t;             /* duration of the block, s */
    att_real blk_q[4];          /* rotation of the body over the block: v_start = R(blk_q) v_now */
    att_real blk_csum[9];       /* sum of dt_i R(blk_q after sample i), s (for the transition matrix) */
    att_real blk_var_att;       /* accumulated angle random walk variance, rad^2 */
    att_real blk_rrw2;          /* rate random walk spectral density gyro_rrw^2 of the block, rad^2/s^3 */
    att_real blk_acc[3];        /* sum of the accelerometer samples in the block-start frame, m/s^2 */
    att_real blk_mag[3];        /* sum of the magnetometer samples in the block-start frame */
    att_real blk_gyr[3];        /* sum of the gyro samples, rad/s */
} att_mekf_state;

att_status att_mekf_params_default(att_mekf_params *params);
att_status att_mekf_params_validate(const att_mekf_params *params);

/* Reset to "not initialised": bias 0, P = diag(pi^2 I, init_sigma_bias^2 I), counters zeroed. */
att_status att_mekf_init(const att_mekf_params *params, att_mekf_state *state);

/* Set the attitude explicitly (q need not be normalised) with its 3x3 covariance (rad^2, symmetric
 * positive definite; NULL: init_sigma_att^2 I). The bias and its covariance are kept. */
att_status att_mekf_set_attitude(const att_mekf_params *params, att_mekf_state *state, const att_real q[4],
                                 const att_real cov[9]);

/* Gyro propagation over dt seconds with the measured rate gyr (rad/s). Before initialisation it only
 * rotates a pending vector. */
att_status att_mekf_propagate(const att_mekf_params *params, att_mekf_state *state, const att_real gyr[3],
                              att_real dt);

/* Vector update: body measurement and reference direction (normalised internally), sigma in rad.
 * Before initialisation the first vector is kept pending and the second non-parallel one initialises the
 * filter through the q-method (returns ATT_OK); a parallel second vector replaces the pending one. */
att_status att_mekf_update_vector(const att_mekf_params *params, att_mekf_state *state, const att_real body[3],
                                  const att_real ref[3], att_real sigma, att_meas_kind kind);

/* Attitude (star tracker) update: measured q (body -> reference) and the 3x3 covariance of its body-frame
 * error, rad^2. Initialises the filter if needed. */
att_status att_mekf_update_attitude(const att_mekf_params *params, att_mekf_state *state, const att_real q[4],
                                    const att_real cov[9]);

/* Bias pseudo-measurement: the true rate is zero, so the bias equals gyr (sigma in rad/s). */
att_status att_mekf_update_rest(const att_mekf_params *params, att_mekf_state *state, const att_real gyr[3],
                                att_real sigma);

/* One sample of the 9-axis bench profile (East-North-Up reference, z up): the quaternion follows gyr, the
 * sample joins the current correction block (see params.update_period) and rest detection; at the end of a
 * block, the covariance propagation over the block, then the accelerometer (block mean low-passed in a
 * gyro-propagated frame, adaptive sigma, rejection, optionally tilt-only), then the magnetometer (learned or
 * fixed reference, disturbance checks, heading-only or full-vector correction), then the zero-rate bias update
 * while at rest, each as sequential scalar updates. The first sample with an accelerometer initialises the
 * filter (tilt from the accelerometer, heading from the magnetometer when given). acc and/or mag may be NULL.
 * Rejected measurements are counted (per correction), not errors: the return value is ATT_OK unless an input is
 * invalid. */
att_status att_mekf_step(const att_mekf_params *params, att_mekf_state *state, const att_real gyr[3],
                         const att_real *acc, const att_real *mag, att_real dt);

/* n samples of att_mekf_step, arrays row-major (n x 3); acc and/or mag may be NULL. Writes n quaternions
 * into q_out (n x 4) and, if cov_out is not NULL, the 6x6 covariance per sample (n x 36). Stops at the first
 * invalid sample k and returns its error; *n_done (may be NULL) receives k (n on success). */
att_status att_mekf_batch(const att_mekf_params *params, att_mekf_state *state, size_t n, const att_real *gyr,
                          const att_real *acc, const att_real *mag, att_real dt, att_real *q_out,
                          att_real *cov_out, size_t *n_done);

/* One sample of att_mekf_step with gyro, accelerometer and magnetometer, every input as a scalar (bindings call
 * this without building arrays). */
att_status att_mekf_step9(const att_mekf_params *params, att_mekf_state *state, att_real gx, att_real gy,
                          att_real gz, att_real ax, att_real ay, att_real az, att_real mx, att_real my,
                          att_real mz, att_real dt);

/* Getters (convenience for bindings; the state fields are public too). att_mekf_get_cov gives the covariance
 * at the current sample: state.P propagated over the samples of the current correction block. */
att_status att_mekf_get_quat(const att_mekf_state *state, att_real q[4]);
att_status att_mekf_get_bias(const att_mekf_state *state, att_real bias[3]);
att_status att_mekf_get_cov(const att_mekf_state *state, att_real P[36]);

#ifdef __cplusplus
}
#endif

#endif /* FLIGHTSW_ATTITUDE_H */
