/*
 * node.h - the state of the ADCS node application, owned by main() and passed by pointer.
 *
 * The application is the same on every board: link (CLTU in, FARM-1, TM frames out), PUS services, the
 * attitude estimator and housekeeping. Only board.c and the linker script differ between variants.
 */
#ifndef FSW_NODE_H
#define FSW_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../attitude/attitude.h"
#include "../../ccsds/ccsds.h"
#include "../../generated/link_profile.h"
#include "../../generated/mission_dictionary.h"
#include "fault.h"
#include "node_dictionary.h"
#include "scheduler.h"

/* ---- link --------------------------------------------------------------------------------------- */

typedef struct {
    uint32_t frames_in;        /* TC frames with a good FECF */
    uint32_t frames_out;       /* TM frames sent, idle frames included */
    uint32_t crc_errors;       /* TC frames and PUS packets refused for a bad CRC */
    uint32_t cltu_rejections;  /* CLTUs that carried no valid frame */
    uint16_t farm_lockouts;
    uint32_t frames_refused;   /* wrong SCID or VC, bad segment header, FARM discards */
    uint32_t tm_dropped;       /* TM packets that found no room in the transmit ring */
} link_counters;

typedef struct {
    ccsds_cltu_decoder cltu;
    ccsds_farm farm;
    ccsds_tm_channel channel;
    ccsds_tm_vc vc_realtime;
    link_counters counters;
    uint8_t clcw[CCSDS_CLCW_LENGTH];
    uint8_t out[NODE_TM_OUT_BUFFER];
} link_state;

/* ---- PUS ----------------------------------------------------------------------------------------- */

typedef struct {
    ccsds_sequence_counter sequence;
    ccsds_message_type_counter message_types;
    uint32_t tc_accepted;
    uint32_t tc_rejected;
    uint16_t events_disabled[NODE_EVENT_SLOTS]; /* ids of events whose reports are off */
    uint8_t events_disabled_count;
} pus_state;

/* ---- housekeeping --------------------------------------------------------------------------------- */

typedef struct {
    uint16_t id;
    bool periodic;
    uint32_t period_ms;
    uint32_t next_due_ms;
} hk_structure;

typedef struct {
    hk_structure structures[NODE_HK_STRUCTURE_COUNT];
} hk_state;

/* ---- flight parameters ----------------------------------------------------------------------------- */

typedef struct {
    uint16_t id;
    float value;
    float minimum;
    float maximum;
} flight_parameter;

typedef struct {
    flight_parameter entries[NODE_FLIGHT_PARAMETER_COUNT];
} parameter_table;

/* ---- ADCS ------------------------------------------------------------------------------------------ */

typedef struct {
    att_mekf_params params;
    att_mekf_state state;
    uint8_t estimator_state;   /* FSW_ENUM_ESTIMATOR_STATE_* */
    uint8_t mode;              /* FSW_ENUM_MODE_* */
    uint32_t samples_in;
    uint32_t samples_refused;  /* the core returned an error for the sample */
    uint16_t resets;
    float body_rate;           /* |gyr - bias| of the last sample, rad/s */
    bool has_target;
    float target[4];           /* commanded attitude for the pointing error, body -> reference */
} adcs_state;

/* ---- the node --------------------------------------------------------------------------------------- */

typedef struct {
    link_state link;
    pus_state pus;
    hk_state hk;
    parameter_table parameters;
    adcs_state adcs;
    boot_info boot;
    scheduler sched;
    uint32_t now_ms;
    bool reboot_requested;
} node;

#endif /* FSW_NODE_H */
