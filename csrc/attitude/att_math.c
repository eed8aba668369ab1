/* att_math.c - quaternion and small-matrix helpers. */
#include "att_internal.h"

const char *att_status_name(int status)
{
    switch (status) {
    case ATT_OK: return "ATT_OK";
    case ATT_REJECTED: return "ATT_REJECTED";
    case ATT_ERR_NULL: return "ATT_ERR_NULL";
    case ATT_ERR_NOT_FINITE: return "ATT_ERR_NOT_FINITE";
    case ATT_ERR_ZERO_NORM: return "ATT_ERR_ZERO_NORM";
    case ATT_ERR_BAD_DT: return "ATT_ERR_BAD_DT";
    case ATT_ERR_BAD_PARAM: return "ATT_ERR_BAD_PARAM";
    case ATT_ERR_NOT_INITIALISED: return "ATT_ERR_NOT_INITIALISED";
    case ATT_ERR_SINGULAR: return "ATT_ERR_SINGULAR";
    case ATT_ERR_NOT_POS_DEF: return "ATT_ERR_NOT_POS_DEF";
    case ATT_ERR_NUMERIC: return "ATT_ERR_NUMERIC";
    default: return "ATT_UNKNOWN";
    }
}

int att_finite_n(const att_real *v, size_t n)
{
    /* x * 0 is 0 for every finite x and NaN for NaN and infinities: one branch for the whole array */
    att_real z = ATT_C(0.0);
    size_t i;
    for (i = 0; i < n; ++i) {
        z += v[i] * ATT_C(0.0);
    }
    return z == ATT_C(0.0);
}

att_real att_dot3(const att_real a[3], const att_real b[3])
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

att_real att_norm3(const att_real a[3])
{
    return ATT_SQRT(att_dot3(a, a));
}

void att_cross3(const att_real a[3], const att_real b[3], att_real out[3])
{
    att_real t0 = a[1] * b[2] - a[2] * b[1];
    att_real t1 = a[2] * b[0] - a[0] * b[2];
    att_real t2 = a[0] * b[1] - a[1] * b[0];
    out[0] = t0;
    out[1] = t1;
    out[2] = t2;
}

int att_unit3(const att_real v[3], att_real out[3])
{
    att_real n = att_norm3(v);
    if (!(n > ATT_TINY) || !ATT_ISFINITE(n)) {
        return 0;
    }
    out[0] = v[0] / n;
    out[1] = v[1] / n;
    out[2] = v[2] / n;
    return 1;
}

void att_qmul_raw(const att_real p[4], const att_real q[4], att_real out[4])
{
    att_real w = p[0] * q[0] - p[1] * q[1] - p[2] * q[2] - p[3] * q[3];
    att_real x = p[0] * q[1] + p[1] * q[0] + p[2] * q[3] - p[3] * q[2];
    att_real y = p[0] * q[2] - p[1] * q[3] + p[2] * q[0] + p[3] * q[1];
    att_real z = p[0] * q[3] + p[1] * q[2] - p[2] * q[1] + p[3] * q[0];
    out[0] = w;
    out[1] = x;
    out[2] = y;
    out[3] = z;
}

void att_qnorm_raw(att_real q[4])
{
    att_real inv = ATT_C(1.0) / ATT_SQRT(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    q[0] *= inv;
    q[1] *= inv;
    q[2] *= inv;
    q[3] *= inv;
}

void att_qnorm_near_unit_raw(att_real q[4])
{
    /* one Newton step of 1/sqrt(n2) from 1: the error is O((n2 - 1)^2), below the rounding of a product of
     * unit quaternions */
    att_real n2 = q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3];
    att_real inv = ATT_C(1.5) - ATT_C(0.5) * n2;
    q[0] *= inv;
    q[1] *= inv;
    q[2] *= inv;
    q[3] *= inv;
}

/* v' = v + 2 w (u x v) + 2 u x (u x v), u = vector part (q unit). */
void att_qrot_raw(const att_real q[4], const att_real v[3], att_real out[3])
{
    att_real u[3];
    att_real t[3];
    att_real s[3];
    u[0] = q[1];
    u[1] = q[2];
    u[2] = q[3];
    att_cross3(u, v, t);
    t[0] *= ATT_C(2.0);
    t[1] *= ATT_C(2.0);
    t[2] *= ATT_C(2.0);
    att_cross3(u, t, s);
    out[0] = v[0] + q[0] * t[0] + s[0];
    out[1] = v[1] + q[0] * t[1] + s[1];
    out[2] = v[2] + q[0] * t[2] + s[2];
}

void att_qrot_inv_raw(const att_real q[4], const att_real v[3], att_real out[3])
{
    att_real qc[4];
    qc[0] = q[0];
    qc[1] = -q[1];
    qc[2] = -q[2];
    qc[3] = -q[3];
    att_qrot_raw(qc, v, out);
}

void att_q_from_rotvec_raw(const att_real rv[3], att_real q[4])
{
    att_real t2 = rv[0] * rv[0] + rv[1] * rv[1] + rv[2] * rv[2];
    att_real k;
    if (t2 < ATT_C(0.01)) {
        /* Taylor series of cos(x/2) and sin(x/2)/x to x^8: below 0.1 rad the first omitted term is under 1e-19,
         * so this is exact in double, and it avoids sqrt, sin and cos for the per-sample gyro steps */
        k = ATT_C(0.5) + t2 * (ATT_C(-1.0) / ATT_C(48.0) +
                               t2 * (ATT_C(1.0) / ATT_C(3840.0) +
                                     t2 * (ATT_C(-1.0) / ATT_C(645120.0) + t2 / ATT_C(185794560.0))));
        q[0] = ATT_C(1.0) + t2 * (ATT_C(-1.0) / ATT_C(8.0) +
                                  t2 * (ATT_C(1.0) / ATT_C(384.0) +
                                        t2 * (ATT_C(-1.0) / ATT_C(46080.0) + t2 / ATT_C(10321920.0))));
    } else {
        att_real th = ATT_SQRT(t2);
        k = ATT_SIN(ATT_C(0.5) * th) / th;
        q[0] = ATT_COS(ATT_C(0.5) * th);
    }
    q[1] = rv[0] * k;
    q[2] = rv[1] * k;
    q[3] = rv[2] * k;
}

void att_q_to_dcm_raw(const att_real q[4], att_real R[9])
{
    att_real w = q[0], x = q[1], y = q[2], z = q[3];
    R[0] = ATT_C(1.0) - ATT_C(2.0) * (y * y + z * z);
    R[1] = ATT_C(2.0) * (x * y - w * z);
    R[2] = ATT_C(2.0) * (x * z + w * y);
    R[3] = ATT_C(2.0) * (x * y + w * z);
    R[4] = ATT_C(1.0) - ATT_C(2.0) * (x * x + z * z);
    R[5] = ATT_C(2.0) * (y * z - w * x);
    R[6] = ATT_C(2.0) * (x * z - w * y);
    R[7] = ATT_C(2.0) * (y * z + w * x);
    R[8] = ATT_C(1.0) - ATT_C(2.0) * (x * x + y * y);
}

int att_inv3_spd(const att_real A[9], att_real Ainv[9])
{
    /* Cholesky A = L L^T, then A^-1 = L^-T L^-1. */
    att_real l00, l10, l11, l20, l21, l22, d;
    att_real i00, i10, i11, i20, i21, i22;
    if (!(A[0] > ATT_C(0.0))) {
        return 0;
    }
    l00 = ATT_SQRT(A[0]);
    l10 = A[3] / l00;
    l20 = A[6] / l00;
    d = A[4] - l10 * l10;
    if (!(d > ATT_C(0.0))) {
        return 0;
    }
    l11 = ATT_SQRT(d);
    l21 = (A[7] - l20 * l10) / l11;
    d = A[8] - l20 * l20 - l21 * l21;
    if (!(d > ATT_C(0.0))) {
        return 0;
    }
    l22 = ATT_SQRT(d);
    /* inverse of lower-triangular L */
    i00 = ATT_C(1.0) / l00;
    i11 = ATT_C(1.0) / l11;
    i22 = ATT_C(1.0) / l22;
    i10 = -l10 * i00 * i11;
    i21 = -l21 * i11 * i22;
    i20 = -(l20 * i00 + l21 * i10) * i22;
    /* A^-1 = Li^T Li */
    Ainv[0] = i00 * i00 + i10 * i10 + i20 * i20;
    Ainv[1] = i10 * i11 + i20 * i21;
    Ainv[2] = i20 * i22;
    Ainv[4] = i11 * i11 + i21 * i21;
    Ainv[5] = i21 * i22;
    Ainv[8] = i22 * i22;
    Ainv[3] = Ainv[1];
    Ainv[6] = Ainv[2];
    Ainv[7] = Ainv[5];
    return att_finite_n(Ainv, 9);
}

int att_is_spd3(const att_real A[9])
{
    att_real tmp[9];
    att_real scale = ATT_FABS(A[0]) + ATT_FABS(A[4]) + ATT_FABS(A[8]);
    att_real tol = scale * ATT_C(1e-6);
    if (ATT_FABS(A[1] - A[3]) > tol || ATT_FABS(A[2] - A[6]) > tol || ATT_FABS(A[5] - A[7]) > tol) {
        return 0;
    }
    return att_inv3_spd(A, tmp);
}

void att_symmetrize6(att_real P[36])
{
    int i, j;
    for (i = 0; i < 6; ++i) {
        for (j = i + 1; j < 6; ++j) {
            att_real m = ATT_C(0.5) * (P[i * 6 + j] + P[j * 6 + i]);
            P[i * 6 + j] = m;
            P[j * 6 + i] = m;
        }
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* public wrappers */

att_status att_quat_mul(const att_real p[4], const att_real q[4], att_real out[4])
{
    if (p == NULL || q == NULL || out == NULL) {
        return ATT_ERR_NULL;
    }
    if (!att_finite_n(p, 4) || !att_finite_n(q, 4)) {
        return ATT_ERR_NOT_FINITE;
    }
    att_qmul_raw(p, q, out);
    return ATT_OK;
}

att_status att_quat_conj(const att_real q[4], att_real out[4])
{
    if (q == NULL || out == NULL) {
        return ATT_ERR_NULL;
    }
    if (!att_finite_n(q, 4)) {
        return ATT_ERR_NOT_FINITE;
    }
    out[0] = q[0];
    out[1] = -q[1];
    out[2] = -q[2];
    out[3] = -q[3];
    return ATT_OK;
}

static att_status check_quat(const att_real q[4], att_real qn[4])
{
    att_real n;
    if (!att_finite_n(q, 4)) {
        return ATT_ERR_NOT_FINITE;
    }
    n = ATT_SQRT(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    if (!(n > ATT_TINY) || !ATT_ISFINITE(n)) {
        return ATT_ERR_ZERO_NORM;
    }
    qn[0] = q[0] / n;
    qn[1] = q[1] / n;
    qn[2] = q[2] / n;
    qn[3] = q[3] / n;
    return ATT_OK;
}

att_status att_quat_normalize(const att_real q[4], att_real out[4])
{
    att_real qn[4];
    att_status st;
    if (q == NULL || out == NULL) {
        return ATT_ERR_NULL;
    }
    st = check_quat(q, qn);
    if (st != ATT_OK) {
        return st;
    }
    out[0] = qn[0];
    out[1] = qn[1];
    out[2] = qn[2];
    out[3] = qn[3];
    return ATT_OK;
}

att_status att_quat_rotate(const att_real q[4], const att_real v[3], att_real out[3])
{
    att_real qn[4];
    att_status st;
    if (q == NULL || v == NULL || out == NULL) {
        return ATT_ERR_NULL;
    }
    if (!att_finite_n(v, 3)) {
        return ATT_ERR_NOT_FINITE;
    }
    st = check_quat(q, qn);
    if (st != ATT_OK) {
        return st;
    }
    att_qrot_raw(qn, v, out);
    return ATT_OK;
}

att_status att_quat_to_dcm(const att_real q[4], att_real dcm[9])
{
    att_real qn[4];
    att_status st;
    if (q == NULL || dcm == NULL) {
        return ATT_ERR_NULL;
    }
    st = check_quat(q, qn);
    if (st != ATT_OK) {
        return st;
    }
    att_q_to_dcm_raw(qn, dcm);
    return ATT_OK;
}

att_status att_dcm_to_quat(const att_real R[9], att_real q[4])
{
    att_real t[4];
    att_real tr;
    att_real s;
    int k;
    if (R == NULL || q == NULL) {
        return ATT_ERR_NULL;
    }
    if (!att_finite_n(R, 9)) {
        return ATT_ERR_NOT_FINITE;
    }
    /* Shepperd's method: pick the largest of 4w^2, 4x^2, 4y^2, 4z^2. */
    tr = R[0] + R[4] + R[8];
    t[0] = ATT_C(1.0) + tr;
    t[1] = ATT_C(1.0) + R[0] - R[4] - R[8];
    t[2] = ATT_C(1.0) - R[0] + R[4] - R[8];
    t[3] = ATT_C(1.0) - R[0] - R[4] + R[8];
    k = 0;
    if (t[1] > t[k]) { k = 1; }
    if (t[2] > t[k]) { k = 2; }
    if (t[3] > t[k]) { k = 3; }
    if (!(t[k] > ATT_TINY)) {
        return ATT_ERR_ZERO_NORM;
    }
    s = ATT_C(0.5) / ATT_SQRT(t[k]);
    {
        att_real w, x, y, z;
        switch (k) {
        case 0:
            w = ATT_C(0.25) / s;
            x = (R[7] - R[5]) * s;
            y = (R[2] - R[6]) * s;
            z = (R[3] - R[1]) * s;
            break;
        case 1:
            x = ATT_C(0.25) / s;
            w = (R[7] - R[5]) * s;
            y = (R[1] + R[3]) * s;
            z = (R[2] + R[6]) * s;
            break;
        case 2:
            y = ATT_C(0.25) / s;
            w = (R[2] - R[6]) * s;
            x = (R[1] + R[3]) * s;
            z = (R[5] + R[7]) * s;
            break;
        default:
            z = ATT_C(0.25) / s;
            w = (R[3] - R[1]) * s;
            x = (R[2] + R[6]) * s;
            y = (R[5] + R[7]) * s;
            break;
        }
        if (w < ATT_C(0.0)) {
            w = -w;
            x = -x;
            y = -y;
            z = -z;
        }
        t[0] = w;
        t[1] = x;
        t[2] = y;
        t[3] = z;
    }
    att_qnorm_raw(t);
    q[0] = t[0];
    q[1] = t[1];
    q[2] = t[2];
    q[3] = t[3];
    return ATT_OK;
}

att_status att_quat_from_rotvec(const att_real rv[3], att_real q[4])
{
    if (rv == NULL || q == NULL) {
        return ATT_ERR_NULL;
    }
    if (!att_finite_n(rv, 3)) {
        return ATT_ERR_NOT_FINITE;
    }
    att_q_from_rotvec_raw(rv, q);
    return ATT_OK;
}

att_status att_quat_to_rotvec(const att_real q[4], att_real rv[3])
{
    att_real qn[4];
    att_real vn, ang, k;
    att_status st;
    if (q == NULL || rv == NULL) {
        return ATT_ERR_NULL;
    }
    st = check_quat(q, qn);
    if (st != ATT_OK) {
        return st;
    }
    if (qn[0] < ATT_C(0.0)) {
        qn[0] = -qn[0];
        qn[1] = -qn[1];
        qn[2] = -qn[2];
        qn[3] = -qn[3];
    }
    vn = ATT_SQRT(qn[1] * qn[1] + qn[2] * qn[2] + qn[3] * qn[3]);
    ang = ATT_C(2.0) * ATT_ATAN2(vn, qn[0]);
    if (vn < ATT_C(1e-6)) {
        k = ATT_C(2.0) / qn[0]; /* ang / vn -> 2/w for small angles */
    } else {
        k = ang / vn;
    }
    rv[0] = qn[1] * k;
    rv[1] = qn[2] * k;
    rv[2] = qn[3] * k;
    return ATT_OK;
}

att_status att_quat_angle_between(const att_real p[4], const att_real q[4], att_real *angle)
{
    att_real pn[4], qn[4], d[4];
    att_real vn;
    att_status st;
    if (p == NULL || q == NULL || angle == NULL) {
        return ATT_ERR_NULL;
    }
    st = check_quat(p, pn);
    if (st != ATT_OK) {
        return st;
    }
    st = check_quat(q, qn);
    if (st != ATT_OK) {
        return st;
    }
    pn[1] = -pn[1];
    pn[2] = -pn[2];
    pn[3] = -pn[3];
    att_qmul_raw(pn, qn, d);
    vn = ATT_SQRT(d[1] * d[1] + d[2] * d[2] + d[3] * d[3]);
    *angle = ATT_C(2.0) * ATT_ATAN2(vn, ATT_FABS(d[0]));
    return ATT_OK;
}
