/*
 * params.h - the flight parameters (ST[20]) the node holds: the float32 ADCS, housekeeping and link
 * parameters of the dictionary, with their defaults and bounds from the generated header. They live in RAM
 * and return to their defaults after a reset.
 */
#ifndef FSW_PARAMS_H
#define FSW_PARAMS_H

#include "node.h"

void params_init(parameter_table *table);
/* Pointer to the entry, or NULL when the node does not hold that parameter. */
const flight_parameter *params_find(const parameter_table *table, uint16_t id);
/* Set after checking: -1 unknown id, -2 not finite or outside the bounds (after rounding to binary32). */
int params_set(parameter_table *table, uint16_t id, double value);
float params_get(const parameter_table *table, uint16_t id);

#endif /* FSW_PARAMS_H */
