/* Helpers shared by the ccsds_*.c files; not part of the public interface. */
#ifndef CCSDS_INTERNAL_H
#define CCSDS_INTERNAL_H

#include "ccsds.h"

/* Compile-time check of a profile assumption (C99 has no _Static_assert). */
#define CCSDS_STATIC_CHECK(name, condition) typedef char ccsds_check_##name[(condition) ? 1 : -1]

static inline uint16_t ccsds_get16(const uint8_t *p)
{
    return (uint16_t)(((uint16_t)p[0] << 8) | p[1]);
}

static inline void ccsds_put16(uint8_t *p, uint16_t value)
{
    p[0] = (uint8_t)(value >> 8);
    p[1] = (uint8_t)(value & 0xFFu);
}

/* CRC-16/CCITT-FALSE without argument checks, for callers that have checked already. */
uint16_t ccsds_crc16_raw(const uint8_t *data, size_t length, uint16_t crc);

/* The randomiser sequences, one octet at a time (TC when `tc`, else TM), from the all-ones seed. */
typedef struct {
    unsigned reg;
    unsigned taps;
} ccsds_prng;

void ccsds_prng_init(ccsds_prng *prng, bool tc);
uint8_t ccsds_prng_next(ccsds_prng *prng);

#endif
