/* Additive pseudo-randomisers; the sequence restarts from the all-ones seed for each unit.
 * TM: h(x) = x^8 + x^7 + x^5 + x^3 + 1 (131.0-B-4 §10.4.1), starts FF 48 0E C0 9A.
 * TC: h(x) = x^8 + x^6 + x^4 + x^3 + x^2 + x + 1 (231.0-B-4 §6.3), starts FF 39 9E 5A 68.
 * Fibonacci LFSR: the output bit is the register's oldest bit, the feedback the XOR of the tapped bits. */
#include "ccsds_internal.h"

/* Tap masks over an 8-bit register whose bit 7 holds s[n] and bit 0 holds s[n+7]:
 * s[n+8] = XOR of s[n+k] for each exponent k < 8 of h(x). */
#define TM_TAPS ((1u << 7) | (1u << (7 - 3)) | (1u << (7 - 5)) | (1u << (7 - 7)))
#define TC_TAPS ((1u << 7) | (1u << (7 - 1)) | (1u << (7 - 2)) | (1u << (7 - 3)) | (1u << (7 - 4)) | (1u << (7 - 6)))

static unsigned parity8(unsigned value)
{
    value ^= value >> 4;
    value ^= value >> 2;
    value ^= value >> 1;
    return value & 1u;
}

void ccsds_prng_init(ccsds_prng *prng, bool tc)
{
    prng->reg = 0xFFu;
    prng->taps = tc ? TC_TAPS : TM_TAPS;
}

uint8_t ccsds_prng_next(ccsds_prng *prng)
{
    unsigned octet = 0;
    unsigned bit;
    for (bit = 0; bit < 8u; ++bit) {
        unsigned out = (prng->reg >> 7) & 1u;
        unsigned feedback = parity8(prng->reg & prng->taps);
        octet = (octet << 1) | out;
        prng->reg = ((prng->reg << 1) | feedback) & 0xFFu;
    }
    return (uint8_t)octet;
}

static void randomise(uint8_t *data, size_t length, bool tc)
{
    ccsds_prng prng;
    size_t i;
    ccsds_prng_init(&prng, tc);
    for (i = 0; i < length; ++i) {
        data[i] ^= ccsds_prng_next(&prng);
    }
}

ccsds_status ccsds_tm_randomise(uint8_t *data, size_t length)
{
    if (data == NULL && length != 0) {
        return CCSDS_ERR_NULL;
    }
    randomise(data, length, false);
    return CCSDS_OK;
}

ccsds_status ccsds_tc_randomise(uint8_t *data, size_t length)
{
    if (data == NULL && length != 0) {
        return CCSDS_ERR_NULL;
    }
    randomise(data, length, true);
    return CCSDS_OK;
}
