/* att_mekf_internal.h - functions shared between the MEKF and the bench profile (working-copy level). */
#ifndef FLIGHTSW_ATT_MEKF_INTERNAL_H
#define FLIGHTSW_ATT_MEKF_INTERNAL_H

#include "attitude.h"

void att_mekf_reset_raw(const att_mekf_params *p, att_mekf_state *s);
void att_mekf_drop_attitude(att_mekf_state *s);
void att_mekf_set_att_raw(att_mekf_state *s, const att_real q[4], const att_real cov[9]);
int att_check_dt(const att_mekf_params *p, att_real dt);
void att_mekf_propagate_raw(const att_mekf_params *p, att_mekf_state *s, const att_real gyr[3], att_real dt);
att_status att_mekf_kf_update(const att_mekf_params *p, att_mekf_state *s, att_meas_kind kind, int m, int c0,
                              const att_real *H,
                              const att_real *y, const att_real *R, att_real gate, const att_real *proj,
                              int proj_mode);
att_status att_mekf_vector_raw(const att_mekf_params *p, att_mekf_state *s, const att_real bu[3],
                               const att_real ru[3], att_real sigma, att_meas_kind kind);
att_status att_mekf_seq_update(const att_mekf_params *p, att_mekf_state *s, att_meas_kind kind, int m, int c0,
                               const att_real *Hrow, const att_real *y, att_real r, att_real gate,
                               const att_real *proj, int proj_mode);
void att_mekf_block_reset(att_mekf_state *s);
void att_mekf_block_cov(const att_mekf_state *s, att_real Pn[36]);
void att_mekf_block_flush(att_mekf_state *s);
att_status att_mekf_rest_raw(const att_mekf_params *p, att_mekf_state *s, const att_real gyr[3], att_real sigma);

#endif
