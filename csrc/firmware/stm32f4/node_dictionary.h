/*
 * node_dictionary.h - definitions of the ADCS node that the mission dictionary does not (yet) carry.
 *
 * Everything with an entry in mission.toml comes from csrc/generated/mission_dictionary.h; what is here is
 * specific to the node and mirrored by the tests in tests/firmware/ (and documented in DEVELOPERS.md).
 */
#ifndef FSW_NODE_DICTIONARY_H
#define FSW_NODE_DICTIONARY_H

/* ---- HIL sensor injection: TC[128,1] "sim_imu_sample" to APID FSW_APIDS_SIMULATION, on TC VC1 only ------
 * As the executive defines it (flightsw.cdh.adcs.injection_command): one IMU sample of nine IEEE-754
 * binary64, big-endian: gyro x y z (rad/s), accelerometer x y z (m/s^2), magnetometer x y z (uT). Each sample
 * is one att_mekf_step over the flight parameter adcs_update_period. A NaN in any accelerometer
 * (magnetometer) component means "no accelerometer (magnetometer) sample" (a node extension). */
#define NODE_SIM_SERVICE 128u /* mission-specific service type (ECSS-E-ST-70-41C §5.3.3: 128..255) */
#define NODE_SIM_INJECT_SUBTYPE 1u
#define NODE_SIM_SAMPLE_OCTETS (9u * 8u)

/* ---- PUS 1 failure codes: the mission's flightsw.cdh.service.FailureCode -----------------------------
 * Failure reports carry the request ID, the code (uint16) and a short ASCII detail (uint8 length first).
 * Acceptance (TM[1,2]): */
#define NODE_FAIL_ILLEGAL_APID 1u            /* APID not served, or not allowed on this VC */
#define NODE_FAIL_INVALID_LENGTH 2u          /* packet length disagrees with its header */
#define NODE_FAIL_BAD_CHECKSUM 3u            /* packet error control does not match */
#define NODE_FAIL_ILLEGAL_SERVICE 4u
#define NODE_FAIL_ILLEGAL_SUBTYPE 5u         /* also an unknown function id of TC[8,1] */
#define NODE_FAIL_MALFORMED_DATA 6u          /* application data does not decode */
#define NODE_FAIL_OUT_OF_RANGE 7u            /* an argument outside the dictionary's range */
#define NODE_FAIL_UNSUPPORTED_PUS_VERSION 8u /* not PUS-C, or not a TC */
/* Start and completion (TM[1,4], TM[1,8]): */
#define NODE_FAIL_UNKNOWN_ID 16u             /* no such structure, event, parameter */
#define NODE_FAIL_NOT_ALLOWED_IN_MODE 18u
#define NODE_FAIL_INVALID_VALUE 19u          /* well formed but not acceptable (flight parameter bounds, ...) */
#define NODE_FAIL_RESOURCE_UNAVAILABLE 20u
#define NODE_FAIL_EXECUTION_ERROR 21u

/* ---- node housekeeping structure (TM[3,25]) not in the dictionary ------------------------------------
 * uint16 structure id, then: reset cause uint8 (fault.h reset_cause), resets uint32, uptime s uint32,
 * last fault cause uint8, fault CFSR uint32, fault HFSR uint32, fault PC uint32, UART bytes in uint32,
 * UART bytes lost uint32, TM packets dropped uint32, samples in uint32, samples refused uint32,
 * mode enum8. */
#define NODE_HK_NODE_STATUS_ID 0x0020u
#define NODE_HK_NODE_STATUS_PERIOD_S 10.0
#define NODE_HK_NODE_STATUS_ENABLED 1

/* Structures the node produces: the ADCS and link ones of the dictionary plus its own. */
#define NODE_HK_STRUCTURE_COUNT 4u
#define NODE_FLIGHT_PARAMETER_COUNT 10u
#define NODE_EVENT_SLOTS 16u

/* Octets of TM frames (with ASM) the node stages at once before the transmit ring. */
#define NODE_TM_OUT_BUFFER (8u * (FSW_TM_ASM_LENGTH + FSW_TM_FRAME_LENGTH))
#define NODE_TM_MAX_PACKET 512u

#endif /* FSW_NODE_DICTIONARY_H */
