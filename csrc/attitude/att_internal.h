/* att_internal.h - private helpers of the attitude core: precision-generic math and small linear algebra. */
#ifndef FLIGHTSW_ATT_INTERNAL_H
#define FLIGHTSW_ATT_INTERNAL_H

#include <math.h>
#include "attitude.h"

#if ATT_REAL_IS_FLOAT
#define ATT_C(x) x##f
#define ATT_SQRT sqrtf
#define ATT_SIN sinf
#define ATT_COS cosf
#define ATT_ATAN2 atan2f
#define ATT_FABS fabsf
#define ATT_ASIN asinf
#define ATT_EPS ATT_C(1.1920929e-7)
#else
#define ATT_C(x) x
#define ATT_SQRT sqrt
#define ATT_SIN sin
#define ATT_COS cos
#define ATT_ATAN2 atan2
#define ATT_FABS fabs
#define ATT_ASIN asin
#define ATT_EPS ATT_C(2.220446049250313e-16)
#endif

#define ATT_PI ATT_C(3.14159265358979323846)
/* Vectors shorter than this are treated as zero. */
#define ATT_TINY ATT_C(1e-12)

#define ATT_ISFINITE(x) (isfinite(x))

int att_finite_n(const att_real *v, size_t n);
att_real att_dot3(const att_real a[3], const att_real b[3]);
att_real att_norm3(const att_real a[3]);
void att_cross3(const att_real a[3], const att_real b[3], att_real out[3]);
/* Normalise v into out; returns 0 when the norm is below ATT_TINY (out untouched). */
int att_unit3(const att_real v[3], att_real out[3]);
void att_qmul_raw(const att_real p[4], const att_real q[4], att_real out[4]);
void att_qnorm_raw(att_real q[4]);
/* Renormalise a quaternion whose norm is 1 to within a few rounding errors (a product of unit quaternions). */
void att_qnorm_near_unit_raw(att_real q[4]);
void att_qrot_raw(const att_real q[4], const att_real v[3], att_real out[3]);
void att_qrot_inv_raw(const att_real q[4], const att_real v[3], att_real out[3]);
void att_q_from_rotvec_raw(const att_real rv[3], att_real q[4]);
void att_q_to_dcm_raw(const att_real q[4], att_real R[9]);
/* Inverse of a symmetric positive definite 3x3 via Cholesky; returns 0 if not SPD. */
int att_inv3_spd(const att_real A[9], att_real Ainv[9]);
/* 1 if A (3x3) is symmetric (relative tolerance) and positive definite. */
int att_is_spd3(const att_real A[9]);
void att_symmetrize6(att_real P[36]);

#endif
