/* att_static.c - static attitude determination: TRIAD and the Davenport q-method. */
#include "att_internal.h"

#if ATT_REAL_IS_FLOAT
#define ATT_PARALLEL_TOL ATT_C(1e-3)
#else
#define ATT_PARALLEL_TOL ATT_C(1e-6)
#endif

static int triad_frame(const att_real v1[3], const att_real v2[3], att_real M[9])
{
    att_real t1[3], t2[3], t3[3], c[3];
    if (!att_unit3(v1, t1)) {
        return 0;
    }
    att_cross3(v1, v2, c);
    if (!att_unit3(c, t2)) {
        return 0;
    }
    {
        att_real n2 = att_norm3(v2);
        if (!(att_norm3(c) > ATT_PARALLEL_TOL * att_norm3(v1) * n2)) {
            return 0;
        }
    }
    att_cross3(t1, t2, t3);
    /* columns t1 t2 t3 */
    M[0] = t1[0]; M[1] = t2[0]; M[2] = t3[0];
    M[3] = t1[1]; M[4] = t2[1]; M[5] = t3[1];
    M[6] = t1[2]; M[7] = t2[2]; M[8] = t3[2];
    return 1;
}

att_status att_triad(const att_real b1[3], const att_real r1[3], const att_real b2[3], const att_real r2[3],
                     att_real q[4])
{
    att_real Mb[9], Mr[9], R[9];
    int i, j, k;
    if (b1 == NULL || r1 == NULL || b2 == NULL || r2 == NULL || q == NULL) {
        return ATT_ERR_NULL;
    }
    if (!att_finite_n(b1, 3) || !att_finite_n(r1, 3) || !att_finite_n(b2, 3) || !att_finite_n(r2, 3)) {
        return ATT_ERR_NOT_FINITE;
    }
    if (!(att_norm3(b1) > ATT_TINY) || !(att_norm3(r1) > ATT_TINY) || !(att_norm3(b2) > ATT_TINY) ||
        !(att_norm3(r2) > ATT_TINY)) {
        return ATT_ERR_ZERO_NORM;
    }
    if (!triad_frame(b1, b2, Mb) || !triad_frame(r1, r2, Mr)) {
        return ATT_ERR_SINGULAR;
    }
    /* R = Mr Mb^T maps body to reference */
    for (i = 0; i < 3; ++i) {
        for (j = 0; j < 3; ++j) {
            att_real acc = ATT_C(0.0);
            for (k = 0; k < 3; ++k) {
                acc += Mr[i * 3 + k] * Mb[j * 3 + k];
            }
            R[i * 3 + j] = acc;
        }
    }
    return att_dcm_to_quat(R, q);
}

/* Cyclic Jacobi eigen-decomposition of a symmetric 4x4 matrix A (destroyed); V receives eigenvectors in
 * columns, the eigenvalues end on the diagonal of A. */
static void jacobi4(att_real A[16], att_real V[16])
{
    int sweep, p, q, k;
    for (p = 0; p < 16; ++p) {
        V[p] = ATT_C(0.0);
    }
    V[0] = V[5] = V[10] = V[15] = ATT_C(1.0);
    for (sweep = 0; sweep < 50; ++sweep) {
        att_real off = ATT_C(0.0);
        att_real diag = ATT_C(0.0);
        for (p = 0; p < 4; ++p) {
            diag += ATT_FABS(A[p * 5]);
            for (q = p + 1; q < 4; ++q) {
                off += ATT_FABS(A[p * 4 + q]);
            }
        }
        if (!(off > ATT_EPS * ATT_C(1e-3) * diag)) {
            break;
        }
        for (p = 0; p < 3; ++p) {
            for (q = p + 1; q < 4; ++q) {
                att_real apq = A[p * 4 + q];
                att_real theta, t, c, s;
                if (apq == ATT_C(0.0)) {
                    continue;
                }
                theta = (A[q * 5] - A[p * 5]) / (ATT_C(2.0) * apq);
                t = ATT_C(1.0) / (ATT_FABS(theta) + ATT_SQRT(theta * theta + ATT_C(1.0)));
                if (theta < ATT_C(0.0)) {
                    t = -t;
                }
                c = ATT_C(1.0) / ATT_SQRT(t * t + ATT_C(1.0));
                s = t * c;
                for (k = 0; k < 4; ++k) {
                    att_real akp = A[k * 4 + p];
                    att_real akq = A[k * 4 + q];
                    A[k * 4 + p] = c * akp - s * akq;
                    A[k * 4 + q] = s * akp + c * akq;
                }
                for (k = 0; k < 4; ++k) {
                    att_real apk = A[p * 4 + k];
                    att_real aqk = A[q * 4 + k];
                    A[p * 4 + k] = c * apk - s * aqk;
                    A[q * 4 + k] = s * apk + c * aqk;
                }
                for (k = 0; k < 4; ++k) {
                    att_real vkp = V[k * 4 + p];
                    att_real vkq = V[k * 4 + q];
                    V[k * 4 + p] = c * vkp - s * vkq;
                    V[k * 4 + q] = s * vkp + c * vkq;
                }
            }
        }
    }
}

att_status att_qmethod(const att_real *body, const att_real *ref, const att_real *sigma, size_t n,
                       att_real q[4], att_real cov[9])
{
    att_real B[9];
    att_real F[9];
    att_real z[3];
    att_real K[16], V[16];
    att_real qo[4], Pc[9];
    att_real best;
    size_t i, j;
    int r, c, kbest;
    int spread = 0;
    if (body == NULL || ref == NULL || sigma == NULL || q == NULL) {
        return ATT_ERR_NULL;
    }
    if (n < 2) {
        return ATT_ERR_BAD_PARAM;
    }
    for (i = 0; i < n; ++i) {
        if (!att_finite_n(body + 3 * i, 3) || !att_finite_n(ref + 3 * i, 3) || !ATT_ISFINITE(sigma[i])) {
            return ATT_ERR_NOT_FINITE;
        }
    }
    for (i = 0; i < n; ++i) {
        if (!(sigma[i] > ATT_C(0.0))) {
            return ATT_ERR_BAD_PARAM;
        }
        if (!(att_norm3(body + 3 * i) > ATT_TINY) || !(att_norm3(ref + 3 * i) > ATT_TINY)) {
            return ATT_ERR_ZERO_NORM;
        }
    }
    /* Attitude determinable only if some pair is non-parallel in both frames. */
    for (i = 0; i < n && !spread; ++i) {
        for (j = i + 1; j < n && !spread; ++j) {
            att_real bi[3], bj[3], ri[3], rj[3], cb[3], cr[3];
            (void)att_unit3(body + 3 * i, bi);
            (void)att_unit3(body + 3 * j, bj);
            (void)att_unit3(ref + 3 * i, ri);
            (void)att_unit3(ref + 3 * j, rj);
            att_cross3(bi, bj, cb);
            att_cross3(ri, rj, cr);
            if (att_norm3(cb) > ATT_PARALLEL_TOL && att_norm3(cr) > ATT_PARALLEL_TOL) {
                spread = 1;
            }
        }
    }
    if (!spread) {
        return ATT_ERR_SINGULAR;
    }
    /* B = sum a_i b_i r_i^T (body x ref), z = sum a_i b_i x r_i, F = sum a_i (I - b_i b_i^T) */
    for (r = 0; r < 9; ++r) {
        B[r] = ATT_C(0.0);
        F[r] = ATT_C(0.0);
    }
    z[0] = z[1] = z[2] = ATT_C(0.0);
    for (i = 0; i < n; ++i) {
        att_real bu[3], ru[3], cr[3];
        att_real a = ATT_C(1.0) / (sigma[i] * sigma[i]);
        (void)att_unit3(body + 3 * i, bu);
        (void)att_unit3(ref + 3 * i, ru);
        for (r = 0; r < 3; ++r) {
            for (c = 0; c < 3; ++c) {
                B[r * 3 + c] += a * bu[r] * ru[c];
                F[r * 3 + c] += a * ((r == c ? ATT_C(1.0) : ATT_C(0.0)) - bu[r] * bu[c]);
            }
        }
        att_cross3(bu, ru, cr);
        z[0] += a * cr[0];
        z[1] += a * cr[1];
        z[2] += a * cr[2];
    }
    {
        /* Davenport K (vector part first, scalar last): [[S - tr(B) I, z], [z^T, tr(B)]] */
        att_real tr = B[0] + B[4] + B[8];
        for (r = 0; r < 3; ++r) {
            for (c = 0; c < 3; ++c) {
                K[r * 4 + c] = B[r * 3 + c] + B[c * 3 + r] - (r == c ? tr : ATT_C(0.0));
            }
            K[r * 4 + 3] = z[r];
            K[3 * 4 + r] = z[r];
        }
        K[15] = tr;
    }
    jacobi4(K, V);
    kbest = 0;
    best = K[0];
    for (r = 1; r < 4; ++r) {
        if (K[r * 5] > best) {
            best = K[r * 5];
            kbest = r;
        }
    }
    /* eigenvector (qv, q4) of the reference->body attitude in Shuster's convention equals the Hamilton
     * quaternion (w = q4, v = qv) of the body->reference rotation */
    qo[0] = V[3 * 4 + kbest];
    qo[1] = V[0 * 4 + kbest];
    qo[2] = V[1 * 4 + kbest];
    qo[3] = V[2 * 4 + kbest];
    if (qo[0] < ATT_C(0.0)) {
        qo[0] = -qo[0];
        qo[1] = -qo[1];
        qo[2] = -qo[2];
        qo[3] = -qo[3];
    }
    if (!att_finite_n(qo, 4) || !(ATT_SQRT(qo[0] * qo[0] + qo[1] * qo[1] + qo[2] * qo[2] + qo[3] * qo[3]) > ATT_C(0.5))) {
        return ATT_ERR_SINGULAR;
    }
    att_qnorm_raw(qo);
    if (!att_inv3_spd(F, Pc)) {
        return ATT_ERR_SINGULAR;
    }
    q[0] = qo[0];
    q[1] = qo[1];
    q[2] = qo[2];
    q[3] = qo[3];
    if (cov != NULL) {
        for (r = 0; r < 9; ++r) {
            cov[r] = Pc[r];
        }
    }
    return ATT_OK;
}
