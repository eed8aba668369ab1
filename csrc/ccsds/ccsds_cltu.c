/* CLTUs (231.0-B-4): BCH(63,56) codeblocks, encoding, and a byte-at-a-time stream decoder.
 *
 * A codeblock is 7 information octets and one octet holding the 7 parity bits, inverted, then a filler bit 0
 * (§3.3). g(x) = x^7 + x^6 + x^2 + 1 makes an expurgated Hamming code of distance 4: single-bit errors are
 * corrected, double-bit errors detected. A CLTU is the start sequence, the codeblocks (the last padded with
 * fill) and the tail sequence (§5.2), itself an uncorrectable codeblock so that the decoder stops there
 * (§5.2.4). Any failing codeblock ends the CLTU and what came before is delivered (§5.3.3). */
#include "ccsds_internal.h"

CCSDS_STATIC_CHECK(start_length, FSW_TC_CLTU_START_LENGTH >= 1u && FSW_TC_CLTU_START_LENGTH <= 8u);
CCSDS_STATIC_CHECK(tail_length, FSW_TC_CLTU_TAIL_LENGTH == CCSDS_CLTU_CODEBLOCK_OCTETS);
CCSDS_STATIC_CHECK(profile_frame_length, FSW_TC_MAX_FRAME_LENGTH <= CCSDS_TC_MAX_FRAME_LENGTH);

static const uint8_t cltu_start[FSW_TC_CLTU_START_LENGTH] = FSW_TC_CLTU_START_BYTES;
static const uint8_t cltu_tail[FSW_TC_CLTU_TAIL_LENGTH] = FSW_TC_CLTU_TAIL_BYTES;

/* Remainder of (octet * x^7) mod g(x), the register left-aligned in 8 bits: one table step per octet. */
static const uint8_t parity_table[256] = {
    0x00u, 0x8Au, 0x9Eu, 0x14u, 0xB6u, 0x3Cu, 0x28u, 0xA2u, 0xE6u, 0x6Cu, 0x78u, 0xF2u,
    0x50u, 0xDAu, 0xCEu, 0x44u, 0x46u, 0xCCu, 0xD8u, 0x52u, 0xF0u, 0x7Au, 0x6Eu, 0xE4u,
    0xA0u, 0x2Au, 0x3Eu, 0xB4u, 0x16u, 0x9Cu, 0x88u, 0x02u, 0x8Cu, 0x06u, 0x12u, 0x98u,
    0x3Au, 0xB0u, 0xA4u, 0x2Eu, 0x6Au, 0xE0u, 0xF4u, 0x7Eu, 0xDCu, 0x56u, 0x42u, 0xC8u,
    0xCAu, 0x40u, 0x54u, 0xDEu, 0x7Cu, 0xF6u, 0xE2u, 0x68u, 0x2Cu, 0xA6u, 0xB2u, 0x38u,
    0x9Au, 0x10u, 0x04u, 0x8Eu, 0x92u, 0x18u, 0x0Cu, 0x86u, 0x24u, 0xAEu, 0xBAu, 0x30u,
    0x74u, 0xFEu, 0xEAu, 0x60u, 0xC2u, 0x48u, 0x5Cu, 0xD6u, 0xD4u, 0x5Eu, 0x4Au, 0xC0u,
    0x62u, 0xE8u, 0xFCu, 0x76u, 0x32u, 0xB8u, 0xACu, 0x26u, 0x84u, 0x0Eu, 0x1Au, 0x90u,
    0x1Eu, 0x94u, 0x80u, 0x0Au, 0xA8u, 0x22u, 0x36u, 0xBCu, 0xF8u, 0x72u, 0x66u, 0xECu,
    0x4Eu, 0xC4u, 0xD0u, 0x5Au, 0x58u, 0xD2u, 0xC6u, 0x4Cu, 0xEEu, 0x64u, 0x70u, 0xFAu,
    0xBEu, 0x34u, 0x20u, 0xAAu, 0x08u, 0x82u, 0x96u, 0x1Cu, 0xAEu, 0x24u, 0x30u, 0xBAu,
    0x18u, 0x92u, 0x86u, 0x0Cu, 0x48u, 0xC2u, 0xD6u, 0x5Cu, 0xFEu, 0x74u, 0x60u, 0xEAu,
    0xE8u, 0x62u, 0x76u, 0xFCu, 0x5Eu, 0xD4u, 0xC0u, 0x4Au, 0x0Eu, 0x84u, 0x90u, 0x1Au,
    0xB8u, 0x32u, 0x26u, 0xACu, 0x22u, 0xA8u, 0xBCu, 0x36u, 0x94u, 0x1Eu, 0x0Au, 0x80u,
    0xC4u, 0x4Eu, 0x5Au, 0xD0u, 0x72u, 0xF8u, 0xECu, 0x66u, 0x64u, 0xEEu, 0xFAu, 0x70u,
    0xD2u, 0x58u, 0x4Cu, 0xC6u, 0x82u, 0x08u, 0x1Cu, 0x96u, 0x34u, 0xBEu, 0xAAu, 0x20u,
    0x3Cu, 0xB6u, 0xA2u, 0x28u, 0x8Au, 0x00u, 0x14u, 0x9Eu, 0xDAu, 0x50u, 0x44u, 0xCEu,
    0x6Cu, 0xE6u, 0xF2u, 0x78u, 0x7Au, 0xF0u, 0xE4u, 0x6Eu, 0xCCu, 0x46u, 0x52u, 0xD8u,
    0x9Cu, 0x16u, 0x02u, 0x88u, 0x2Au, 0xA0u, 0xB4u, 0x3Eu, 0xB0u, 0x3Au, 0x2Eu, 0xA4u,
    0x06u, 0x8Cu, 0x98u, 0x12u, 0x56u, 0xDCu, 0xC8u, 0x42u, 0xE0u, 0x6Au, 0x7Eu, 0xF4u,
    0xF6u, 0x7Cu, 0x68u, 0xE2u, 0x40u, 0xCAu, 0xDEu, 0x54u, 0x10u, 0x9Au, 0x8Eu, 0x04u,
    0xA6u, 0x2Cu, 0x38u, 0xB2u,
};

/* Syndrome of each single-bit error -> (octet index << 3) | bit index from the MSB; 0xFF: not a single-bit
 * error (uncorrectable). Octet index 7 is the parity octet. */
static const uint8_t error_location[128] = {
    0xFFu, 0x3Eu, 0x3Du, 0xFFu, 0x3Cu, 0xFFu, 0xFFu, 0x24u, 0x3Bu, 0xFFu, 0xFFu, 0x1Bu, 0xFFu, 0x0Eu, 0x23u, 0xFFu,
    0x3Au, 0xFFu, 0xFFu, 0x2Eu, 0xFFu, 0x0Au, 0x1Au, 0xFFu, 0xFFu, 0x11u, 0x0Du, 0xFFu, 0x22u, 0xFFu, 0xFFu, 0x06u,
    0x39u, 0xFFu, 0xFFu, 0x33u, 0xFFu, 0x1Fu, 0x2Du, 0xFFu, 0xFFu, 0x27u, 0x09u, 0xFFu, 0x19u, 0xFFu, 0xFFu, 0x16u,
    0xFFu, 0x01u, 0x10u, 0xFFu, 0x0Cu, 0xFFu, 0xFFu, 0x13u, 0x21u, 0xFFu, 0xFFu, 0x29u, 0xFFu, 0x03u, 0x05u, 0xFFu,
    0x38u, 0xFFu, 0xFFu, 0xFFu, 0xFFu, 0x37u, 0x32u, 0xFFu, 0xFFu, 0x31u, 0x1Eu, 0xFFu, 0x2Cu, 0xFFu, 0xFFu, 0x36u,
    0xFFu, 0x1Du, 0x26u, 0xFFu, 0x08u, 0xFFu, 0xFFu, 0x30u, 0x18u, 0xFFu, 0xFFu, 0x35u, 0xFFu, 0x2Bu, 0x15u, 0xFFu,
    0xFFu, 0x25u, 0x00u, 0xFFu, 0x0Fu, 0xFFu, 0xFFu, 0x1Cu, 0x0Bu, 0xFFu, 0xFFu, 0x2Fu, 0xFFu, 0x07u, 0x12u, 0xFFu,
    0x20u, 0xFFu, 0xFFu, 0x34u, 0xFFu, 0x17u, 0x28u, 0xFFu, 0xFFu, 0x14u, 0x02u, 0xFFu, 0x04u, 0xFFu, 0xFFu, 0x2Au,
};

static uint8_t bch_parity(const uint8_t *info)
{
    uint8_t reg = 0;
    unsigned i;
    for (i = 0; i < CCSDS_CLTU_INFO_OCTETS; ++i) {
        reg = parity_table[reg ^ info[i]];
    }
    return (uint8_t)(reg >> 1);
}

ccsds_status ccsds_bch_encode(const uint8_t *info, uint8_t *codeblock)
{
    unsigned i;
    if (info == NULL || codeblock == NULL) {
        return CCSDS_ERR_NULL;
    }
    for (i = 0; i < CCSDS_CLTU_INFO_OCTETS; ++i) {
        codeblock[i] = info[i];
    }
    codeblock[CCSDS_CLTU_INFO_OCTETS] = (uint8_t)(((bch_parity(info) ^ 0x7Fu) << 1) & 0xFEu);
    return CCSDS_OK;
}

ccsds_status ccsds_bch_decode(const uint8_t *codeblock, bool correct, uint8_t *info, bool *corrected)
{
    uint8_t syndrome;
    uint8_t location;
    unsigned i;
    if (codeblock == NULL || info == NULL || corrected == NULL) {
        return CCSDS_ERR_NULL;
    }
    /* The filler bit is not covered by the code and is ignored, as a receiver must (§3.3.3). */
    syndrome = (uint8_t)(bch_parity(codeblock) ^ (((codeblock[CCSDS_CLTU_INFO_OCTETS] >> 1) ^ 0x7Fu) & 0x7Fu));
    *corrected = false;
    if (syndrome != 0u) {
        if (!correct) {
            return CCSDS_ERR_CODEBLOCK_ERROR;
        }
        location = error_location[syndrome];
        if (location == 0xFFu) {
            return CCSDS_ERR_UNCORRECTABLE;
        }
        *corrected = true;
    } else {
        location = 0xFFu;
    }
    for (i = 0; i < CCSDS_CLTU_INFO_OCTETS; ++i) {
        info[i] = codeblock[i];
    }
    if (location != 0xFFu && (location >> 3) < CCSDS_CLTU_INFO_OCTETS) {
        info[location >> 3] ^= (uint8_t)(0x80u >> (location & 7u));
    }
    return CCSDS_OK;
}

ccsds_status ccsds_cltu_encode(const uint8_t *frame, size_t frame_length, bool randomise, uint8_t *out,
                               size_t capacity, size_t *out_length)
{
    size_t blocks;
    size_t total;
    size_t b;
    size_t pos = 0;
    size_t taken = 0;
    unsigned i;
    ccsds_prng prng;
    if (frame == NULL || out == NULL || out_length == NULL) {
        return CCSDS_ERR_NULL;
    }
    if (frame_length == 0) {
        return CCSDS_ERR_EMPTY_DATA;
    }
    if (frame_length > CCSDS_TC_MAX_FRAME_LENGTH) {
        return CCSDS_ERR_TOO_LONG;
    }
    blocks = (frame_length + CCSDS_CLTU_INFO_OCTETS - 1u) / CCSDS_CLTU_INFO_OCTETS;
    total = CCSDS_CLTU_LENGTH(frame_length);
    if (capacity < total) {
        return CCSDS_ERR_BUFFER_TOO_SMALL;
    }
    ccsds_prng_init(&prng, true);
    for (i = 0; i < FSW_TC_CLTU_START_LENGTH; ++i) {
        out[pos++] = cltu_start[i];
    }
    for (b = 0; b < blocks; ++b) {
        uint8_t info[CCSDS_CLTU_INFO_OCTETS];
        for (i = 0; i < CCSDS_CLTU_INFO_OCTETS; ++i) {
            if (taken < frame_length) {
                info[i] = frame[taken++];
                if (randomise) {
                    info[i] ^= ccsds_prng_next(&prng);
                }
            } else {
                /* Fill goes after randomisation: the receiver removes it using the frame length (§5.3.2). */
                info[i] = FSW_TC_CLTU_FILL;
            }
        }
        (void)ccsds_bch_encode(info, out + pos);
        pos += CCSDS_CLTU_CODEBLOCK_OCTETS;
    }
    for (i = 0; i < FSW_TC_CLTU_TAIL_LENGTH; ++i) {
        out[pos++] = cltu_tail[i];
    }
    *out_length = pos;
    return CCSDS_OK;
}

ccsds_status ccsds_cltu_decoder_init(ccsds_cltu_decoder *decoder, bool randomised, bool correct_single_bit,
                                     bool fecf)
{
    size_t i;
    uint8_t *bytes;
    if (decoder == NULL) {
        return CCSDS_ERR_NULL;
    }
    bytes = (uint8_t *)decoder;
    for (i = 0; i < sizeof *decoder; ++i) {
        bytes[i] = 0;
    }
    decoder->randomised = randomised;
    decoder->correct_single_bit = correct_single_bit;
    decoder->fecf = fecf;
    decoder->in_cltu = false;
    return CCSDS_OK;
}

/* One octet while searching for the start sequence: a sliding window over the last octets. An octet leaves
 * the window, counted as discarded, as soon as it cannot begin a start sequence. */
static void search_octet(ccsds_cltu_decoder *d, uint8_t octet)
{
    unsigned i;
    bool match = true;
    if (d->window_length >= FSW_TC_CLTU_START_LENGTH) {
        d->window_length = 0; /* cannot happen through this interface; keeps the index in bounds */
    }
    d->window[d->window_length++] = octet;
    if (d->window_length < FSW_TC_CLTU_START_LENGTH) {
        return;
    }
    for (i = 0; i < FSW_TC_CLTU_START_LENGTH; ++i) {
        match = match && d->window[i] == cltu_start[i];
    }
    if (match) {
        d->window_length = 0;
        d->in_cltu = true;
        d->info_length = 0;
        d->block_length = 0;
        d->counters.cltus++;
        return;
    }
    for (i = 1; i < FSW_TC_CLTU_START_LENGTH; ++i) {
        d->window[i - 1u] = d->window[i];
    }
    d->window_length--;
    d->counters.bytes_discarded++;
}

/* The frame carried by the information octets of a CLTU that has ended (§5.3). */
static ccsds_status finish(ccsds_cltu_decoder *d, const uint8_t **frame, size_t *frame_length)
{
    size_t available = d->info_length;
    size_t length;
    size_t i;
    ccsds_tc_frame decoded;
    ccsds_status status;
    if (available == 0) {
        return CCSDS_ERR_EMPTY_CLTU;
    }
    if (available > CCSDS_CLTU_MAX_INFO_LENGTH) {
        return CCSDS_ERR_TOO_LONG;
    }
    if (available >= 4u) {
        uint8_t head[4];
        for (i = 0; i < 4u; ++i) {
            head[i] = d->info[i];
        }
        if (d->randomised) {
            (void)ccsds_tc_randomise(head, sizeof head);
        }
        (void)ccsds_tc_frame_peek_length(head, sizeof head, &length);
    } else {
        length = available + 1u;
    }
    if (length > available) {
        return CCSDS_ERR_TRUNCATED;
    }
    if (available - length >= CCSDS_CLTU_INFO_OCTETS) {
        return CCSDS_ERR_TRAILING_CODEBLOCKS;
    }
    /* The fill is checked as received: it is added after randomisation. */
    for (i = length; i < available; ++i) {
        if (d->info[i] != FSW_TC_CLTU_FILL) {
            return CCSDS_ERR_BAD_FILL;
        }
    }
    if (d->randomised) {
        (void)ccsds_tc_randomise(d->info, length);
    }
    status = ccsds_tc_frame_decode(d->info, length, d->fecf, &decoded);
    if (status != CCSDS_OK) {
        return status;
    }
    *frame = d->info;
    *frame_length = length;
    return CCSDS_OK;
}

static ccsds_status end_cltu(ccsds_cltu_decoder *d, const uint8_t **frame, size_t *frame_length)
{
    ccsds_status status = finish(d, frame, frame_length);
    d->in_cltu = false;
    d->info_length = 0;
    if (status == CCSDS_OK) {
        d->counters.frames++;
    } else {
        d->counters.rejected++;
        *frame_length = 0;
    }
    return status;
}

ccsds_status ccsds_cltu_decoder_push(ccsds_cltu_decoder *decoder, uint8_t octet, const uint8_t **frame,
                                     size_t *frame_length)
{
    ccsds_cltu_decoder *d = decoder;
    uint8_t info[CCSDS_CLTU_INFO_OCTETS];
    bool corrected;
    ccsds_status status;
    unsigned i;
    if (d == NULL || frame == NULL || frame_length == NULL) {
        return CCSDS_ERR_NULL;
    }
    *frame = NULL;
    *frame_length = 0;
    if (!d->in_cltu) {
        search_octet(d, octet);
        return CCSDS_OK;
    }
    if (d->block_length >= CCSDS_CLTU_CODEBLOCK_OCTETS) {
        d->block_length = 0; /* cannot happen through this interface; keeps the index in bounds */
    }
    d->block[d->block_length++] = octet;
    if (d->block_length < CCSDS_CLTU_CODEBLOCK_OCTETS) {
        return CCSDS_OK;
    }
    d->block_length = 0;
    status = ccsds_bch_decode(d->block, d->correct_single_bit, info, &corrected);
    if (status != CCSDS_OK) {
        uint8_t rescan[CCSDS_CLTU_CODEBLOCK_OCTETS - 1u];
        bool is_tail = true;
        for (i = 0; i < CCSDS_CLTU_CODEBLOCK_OCTETS; ++i) {
            is_tail = is_tail && d->block[i] == cltu_tail[i];
        }
        for (i = 1; i < CCSDS_CLTU_CODEBLOCK_OCTETS; ++i) {
            rescan[i - 1u] = d->block[i];
        }
        status = end_cltu(d, frame, frame_length);
        if (!is_tail) {
            /* Not the tail: the failing codeblock may hold the start of the next CLTU, so search it again.
             * Seven octets cannot complete a codeblock, so the delivered frame in `info` stays intact. */
            d->counters.ended_without_tail++;
            for (i = 0; i < CCSDS_CLTU_CODEBLOCK_OCTETS - 1u; ++i) {
                if (d->in_cltu) {
                    d->block[d->block_length++] = rescan[i];
                } else {
                    search_octet(d, rescan[i]);
                }
            }
        }
        return status;
    }
    if (corrected) {
        d->counters.corrected_codeblocks++;
    }
    if ((size_t)d->info_length + CCSDS_CLTU_INFO_OCTETS > CCSDS_CLTU_MAX_INFO_LENGTH) {
        d->in_cltu = false;
        d->info_length = 0;
        d->counters.rejected++;
        return CCSDS_ERR_TOO_LONG;
    }
    for (i = 0; i < CCSDS_CLTU_INFO_OCTETS; ++i) {
        d->info[d->info_length + i] = info[i];
    }
    d->info_length = (uint16_t)(d->info_length + CCSDS_CLTU_INFO_OCTETS);
    return CCSDS_OK;
}
