/*
 * adcs.h - the attitude estimator of the node: the single-precision MEKF of csrc/attitude (att_mekf_step,
 * bench profile, East-North-Up reference) fed with sensor samples, with its health for housekeeping.
 */
#ifndef FSW_ADCS_H
#define FSW_ADCS_H

#include "node.h"

typedef struct {
    float dt;
    float gyr[3];
    float acc[3];  /* any NaN component: no accelerometer sample */
    float mag[3];  /* any NaN component: no magnetometer sample */
} adcs_sample;

void adcs_init(node *n);
/* Re-initialise the estimator (commanded, or after divergence). */
void adcs_reset_estimator(node *n);
/* One sample through att_mekf_step; returns the core's status. Ignored (ATT_OK) outside NOMINAL mode. */
att_status adcs_process_sample(node *n, const adcs_sample *sample);
/* Angle between estimate and commanded attitude, rad (0 without a commanded attitude). */
float adcs_attitude_error(const node *n);
/* Covariance diagonal at the current sample (the core keeps P at the start of its correction block and
 * propagates it on request: att_mekf_get_cov), [attitude x y z (rad^2), bias x y z ((rad/s)^2)]. */
void adcs_covariance_diagonal(const node *n, float diagonal[6]);
uint32_t adcs_updates(const node *n);
uint32_t adcs_rejections(const node *n);
void adcs_set_mode(node *n, uint8_t mode);

#endif /* FSW_ADCS_H */
