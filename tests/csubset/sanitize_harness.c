/*
 * Robustness harness for the C subset, built by test_c_sanitize.py with AddressSanitizer and
 * UndefinedBehaviorSanitizer: random and half-valid octets go through every decoder and the whole uplink chain
 * (CLTU stream -> TC frame -> FARM-1 -> segment header -> PUS TC), and random packets through the TM frame
 * builder, whose frames must decode again. Any out-of-bounds access or undefined operation aborts the run;
 * any inconsistency found here exits with status 1.
 *
 * usage: sanitize_harness SEED ITERATIONS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccsds.h"

static uint64_t rng_state;

static uint32_t next_random(void)
{
    /* xorshift64*: deterministic for a seed, identical on every host */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static uint32_t below(uint32_t bound)
{
    return bound == 0u ? 0u : next_random() % bound;
}

static int failures;

static void decoders(const uint8_t *raw, size_t length, unsigned long iteration);

static void expect(int condition, const char *what, unsigned long iteration)
{
    if (!condition) {
        fprintf(stderr, "iteration %lu: %s\n", iteration, what);
        failures++;
    }
}

/* Random octets, some runs copied from a valid CLTU so that decoders get deep. */
static size_t random_stream(uint8_t *out, size_t capacity, const uint8_t *valid, size_t valid_length)
{
    size_t length = below((uint32_t)capacity + 1u);
    size_t i = 0;
    while (i < length) {
        if (valid_length > 0u && below(4u) == 0u) {
            size_t from = below((uint32_t)valid_length);
            size_t run = below((uint32_t)(valid_length - from)) + 1u;
            if (run > length - i) {
                run = length - i;
            }
            memcpy(out + i, valid + from, run);
            i += run;
        } else {
            out[i++] = (uint8_t)next_random();
        }
    }
    if (length > 0u && below(3u) == 0u) {
        out[below((uint32_t)length)] ^= (uint8_t)(1u << below(8u));
    }
    return length;
}

static void uplink(ccsds_cltu_decoder *cltu, ccsds_farm *farm, const uint8_t *stream, size_t length,
                   unsigned long iteration)
{
    size_t i;
    for (i = 0; i < length; ++i) {
        const uint8_t *frame_octets;
        size_t frame_length;
        ccsds_tc_frame frame;
        ccsds_farm_result result;
        ccsds_status status = ccsds_cltu_decoder_push(cltu, stream[i], &frame_octets, &frame_length);
        expect(status < CCSDS_STATUS_COUNT, "cltu status out of range", iteration);
        if (status != CCSDS_OK || frame_length == 0u) {
            continue;
        }
        expect(ccsds_tc_frame_decode(frame_octets, frame_length, cltu->fecf, &frame) == CCSDS_OK,
               "delivered frame does not decode", iteration);
        decoders(frame_octets, frame_length, iteration);
        status = ccsds_farm_receive(farm, &frame, &result);
        if (status == CCSDS_OK && result.data_length > 0u) {
            uint8_t flags;
            uint8_t map_id;
            ccsds_pus_tc tc;
            (void)ccsds_tc_segment_header_decode(result.data, result.data_length, &flags, &map_id);
            (void)ccsds_pus_tc_decode(result.data + 1, result.data_length - 1u, true, &tc);
        }
    }
}

static void decode_all(const uint8_t *raw, size_t length, unsigned long iteration)
{
    ccsds_tc_frame tc_frame;
    ccsds_pus_tc tc;
    ccsds_pus_tm tm;
    ccsds_tm_frame tm_frame;
    ccsds_clcw clcw;
    ccsds_control_kind kind;
    ccsds_packet_header header;
    uint8_t vr;
    uint8_t flags;
    uint8_t map_id;
    uint64_t coarse;
    uint32_t fine;
    size_t total;
    (void)ccsds_tc_frame_decode(raw, length, true, &tc_frame);
    (void)ccsds_tc_frame_decode(raw, length, false, &tc_frame);
    (void)ccsds_tc_frame_peek_length(raw, length, &total);
    (void)ccsds_tc_control_parse(raw, length, &kind, &vr);
    (void)ccsds_tc_segment_header_decode(raw, length, &flags, &map_id);
    (void)ccsds_pus_tc_decode(raw, length, true, &tc);
    (void)ccsds_pus_tc_decode(raw, length, false, &tc);
    (void)ccsds_pus_tm_decode(raw, length, true, &tm);
    (void)ccsds_pus_tm_decode(raw, length, false, &tm);
    (void)ccsds_clcw_decode(raw, length, &clcw);
    (void)ccsds_packet_header_decode(raw, length, &header);
    (void)ccsds_packet_length(raw, length, &total);
    (void)ccsds_cuc_decode(raw, length, &coarse, &fine);
    if (ccsds_tm_frame_decode(raw, length, &tm_frame) == CCSDS_OK) {
        expect(length == FSW_TM_FRAME_LENGTH, "TM frame of the wrong length accepted", iteration);
    }
}

/* The input in a heap block of exactly its length, so that AddressSanitizer sees any read past its end. */
static void decoders(const uint8_t *raw, size_t length, unsigned long iteration)
{
    uint8_t *exact = malloc(length); /* may be NULL for length 0: the library must accept that */
    if (exact == NULL && length > 0u) {
        expect(0, "out of memory", iteration);
        return;
    }
    if (length > 0u) {
        memcpy(exact, raw, length);
    }
    decode_all(exact, length, iteration);
    free(exact);
}

static void downlink(ccsds_tm_channel *channel, ccsds_tm_vc *vc, unsigned long iteration)
{
    static uint8_t source[600];
    static uint8_t packet[700];
    static uint8_t out[6 * CCSDS_TM_CADU_LENGTH];
    uint8_t clcw[CCSDS_CLCW_LENGTH] = {0x01u, 0x00u, 0x00u, 0x00u};
    ccsds_pus_tm tm;
    size_t packet_length;
    size_t written;
    size_t unit;
    size_t i;
    size_t offset;
    memset(&tm, 0, sizeof tm);
    tm.apid = FSW_APIDS_ADCS;
    tm.service = 3u;
    tm.subtype = 25u;
    tm.sequence_flags = CCSDS_SEQ_UNSEGMENTED;
    tm.sequence_count = (uint16_t)below(CCSDS_SEQUENCE_COUNT_MODULUS);
    tm.source_data_length = below(sizeof source);
    for (i = 0; i < tm.source_data_length; ++i) {
        source[i] = (uint8_t)next_random();
    }
    tm.source_data = source;
    expect(ccsds_pus_tm_encode(&tm, true, packet, sizeof packet, &packet_length) == CCSDS_OK, "tm encode",
           iteration);
    (void)ccsds_tm_unit_length(channel, &unit);
    /* Sometimes an output buffer too small for the frames the packet completes: refused, VC untouched. */
    if (ccsds_tm_vc_add_packet(vc, channel, packet, packet_length, clcw, out, below(sizeof out + 1u), &written) !=
        CCSDS_OK) {
        expect(ccsds_tm_vc_add_packet(vc, channel, packet, packet_length, clcw, out, sizeof out, &written) ==
                   CCSDS_OK,
               "add_packet with room", iteration);
    }
    for (offset = 0; offset < written; offset += unit) {
        ccsds_tm_frame frame;
        const uint8_t *raw = out + offset + (channel->with_asm ? FSW_TM_ASM_LENGTH : 0u);
        expect(ccsds_tm_frame_decode(raw, FSW_TM_FRAME_LENGTH, &frame) == CCSDS_OK, "built frame decodes",
               iteration);
    }
    if (below(3u) == 0u) {
        expect(ccsds_tm_vc_flush(vc, channel, clcw, out, unit, &written) == CCSDS_OK, "flush", iteration);
    }
    if (below(5u) == 0u) {
        expect(ccsds_tm_idle_frame(channel, clcw, out, unit, &written) == CCSDS_OK, "idle frame", iteration);
    }
}

int main(int argc, char **argv)
{
    static uint8_t stream[3000];
    static uint8_t valid[CCSDS_CLTU_MAX_LENGTH];
    static uint8_t frame_octets[CCSDS_TC_MAX_FRAME_LENGTH];
    static uint8_t data[CCSDS_TC_MAX_FRAME_LENGTH];
    static ccsds_cltu_decoder cltu_plain;
    static ccsds_cltu_decoder cltu_randomised;
    ccsds_farm farm;
    ccsds_tm_channel channel;
    ccsds_tm_vc vc;
    unsigned long iterations;
    unsigned long n;
    if (argc != 3) {
        fprintf(stderr, "usage: %s SEED ITERATIONS\n", argv[0]);
        return 2;
    }
    rng_state = strtoull(argv[1], NULL, 10) * 0x9E3779B97F4A7C15ULL + 1u;
    iterations = strtoul(argv[2], NULL, 10);
    (void)ccsds_cltu_decoder_init(&cltu_plain, false, true, true);
    (void)ccsds_cltu_decoder_init(&cltu_randomised, true, true, true);
    (void)ccsds_farm_init(&farm, FSW_SCID, FSW_TC_VC_COMMANDS, FSW_TC_FARM_WINDOW, 2u, 0u);
    (void)ccsds_tm_channel_init(&channel, true, false);
    (void)ccsds_tm_vc_init(&vc, FSW_TM_VC_REALTIME);
    for (n = 0; n < iterations; ++n) {
        ccsds_tc_frame frame;
        ccsds_farm_result release;
        size_t frame_length = 0;
        size_t valid_length = 0;
        size_t length;
        size_t i;
        bool randomise = below(2u) == 0u;
        memset(&frame, 0, sizeof frame);
        frame.scid = FSW_SCID;
        frame.vcid = (uint8_t)below(2u);
        frame.sequence_number = (uint8_t)(farm.vr + below(3u));
        frame.bypass = below(4u) == 0u;
        frame.control_command = frame.bypass && below(2u) == 0u;
        frame.data_length = below(60u) + 1u;
        for (i = 0; i < frame.data_length; ++i) {
            data[i] = (uint8_t)next_random();
        }
        frame.data = data;
        if (ccsds_tc_frame_encode(&frame, true, frame_octets, sizeof frame_octets, &frame_length) == CCSDS_OK) {
            ccsds_tc_frame back;
            expect(ccsds_tc_frame_decode(frame_octets, frame_length, true, &back) == CCSDS_OK &&
                       back.data_length == frame.data_length &&
                       memcmp(back.data, frame.data, frame.data_length) == 0,
                   "tc frame round trip", n);
            expect(ccsds_cltu_encode(frame_octets, frame_length, randomise, valid, sizeof valid, &valid_length) ==
                       CCSDS_OK,
                   "cltu encode", n);
        }
        length = random_stream(stream, sizeof stream, valid, valid_length);
        uplink(randomise ? &cltu_randomised : &cltu_plain, &farm, stream, length, n);
        decoders(stream, length < 1100u ? length : 1100u, n);
        decoders(frame_octets, frame_length, n);
        /* Every short prefix: the lengths where header fields are read. */
        for (i = 0; i <= 20u; ++i) {
            decoders(stream, i < length ? i : length, n);
            decoders(frame_octets, i < frame_length ? i : frame_length, n);
        }
        if (below(4u) == 0u) {
            (void)ccsds_farm_release_buffer(&farm, (uint16_t)below(3u), &release);
        }
        downlink(&channel, &vc, n);
    }
    printf("iterations %lu cltus %lu frames %lu rejected %lu failures %d\n", iterations,
           (unsigned long)(cltu_plain.counters.cltus + cltu_randomised.counters.cltus),
           (unsigned long)(cltu_plain.counters.frames + cltu_randomised.counters.frames),
           (unsigned long)(cltu_plain.counters.rejected + cltu_randomised.counters.rejected), failures);
    return failures == 0 ? 0 : 1;
}
