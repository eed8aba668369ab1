/*
 * params.c - flight parameter table.
 */
#include "params.h"

#include <math.h>

#define ENTRY(name) {FSW_FP_##name##_ID, FSW_FP_##name##_DEFAULT, FSW_FP_##name##_MIN, FSW_FP_##name##_MAX}

static const flight_parameter defaults[NODE_FLIGHT_PARAMETER_COUNT] = {
    ENTRY(ADCS_GYRO_NOISE_SIGMA), ENTRY(ADCS_GYRO_BIAS_SIGMA), ENTRY(ADCS_ACCEL_SIGMA),
    ENTRY(ADCS_MAG_SIGMA),        ENTRY(ADCS_GAIN_KP),         ENTRY(ADCS_GAIN_KD),
    ENTRY(ADCS_SLEW_RATE_MAX),    ENTRY(ADCS_UPDATE_PERIOD),   ENTRY(HK_MIN_PERIOD),
    ENTRY(LINK_IDLE_INTERVAL),
};

void params_init(parameter_table *table)
{
    size_t i;
    for (i = 0u; i < NODE_FLIGHT_PARAMETER_COUNT; ++i) {
        table->entries[i] = defaults[i];
    }
}

const flight_parameter *params_find(const parameter_table *table, uint16_t id)
{
    size_t i;
    for (i = 0u; i < NODE_FLIGHT_PARAMETER_COUNT; ++i) {
        if (table->entries[i].id == id) {
            return &table->entries[i];
        }
    }
    return NULL;
}

int params_set(parameter_table *table, uint16_t id, double value)
{
    size_t i;
    float rounded;
    for (i = 0u; i < NODE_FLIGHT_PARAMETER_COUNT; ++i) {
        flight_parameter *p = &table->entries[i];
        if (p->id != id) {
            continue;
        }
        /* The wire carries binary64; the parameter is binary32: bounds apply to the stored value. */
        if (!isfinite(value) || fabs(value) > 3.0e38) {
            return -2;
        }
        rounded = (float)value;
        if (!(rounded >= p->minimum && rounded <= p->maximum)) {
            return -2;
        }
        p->value = rounded;
        return 0;
    }
    return -1;
}

float params_get(const parameter_table *table, uint16_t id)
{
    const flight_parameter *p = params_find(table, id);
    return p != NULL ? p->value : 0.0f;
}
