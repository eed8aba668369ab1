/* Mission dictionary constants. Generated from mission.toml by
 * `flightsw dictionary c-header --write`; do not edit. */
#ifndef FSW_MISSION_DICTIONARY_H
#define FSW_MISSION_DICTIONARY_H

#define FSW_DICTIONARY_VERSION 1u

/* Event severities: the subtype of the TM[5,x] event report */
#define FSW_EVENT_SEVERITY_INFORMATIVE 1u
#define FSW_EVENT_SEVERITY_LOW 2u
#define FSW_EVENT_SEVERITY_MEDIUM 3u
#define FSW_EVENT_SEVERITY_HIGH 4u

/* Enumerations */
/* mode (enum8): Spacecraft mode managed by the C&DH executive. */
#define FSW_ENUM_MODE_SAFE 0u  /* Minimal load, sun-pointing or tumbling; entered on faults */
#define FSW_ENUM_MODE_NOMINAL 1u  /* Attitude estimation and control active, all services on */
/* estimator_state (enum8): State of the attitude estimator of the ADCS. */
#define FSW_ENUM_ESTIMATOR_STATE_OFF 0u
#define FSW_ENUM_ESTIMATOR_STATE_INITIALISING 1u  /* Coarse attitude from accelerometer and magnetometer */
#define FSW_ENUM_ESTIMATOR_STATE_CONVERGED 2u  /* Filter running with covariance below its bound */
#define FSW_ENUM_ESTIMATOR_STATE_DIVERGED 3u  /* Innovations rejected or covariance above its bound */
/* farm_state (enum8): FARM-1 state (CCSDS 232.1-B-2 §6). */
#define FSW_ENUM_FARM_STATE_OPEN 1u  /* S1: accepting in-sequence Type-AD frames */
#define FSW_ENUM_FARM_STATE_WAIT 2u  /* S2: no buffer space, waiting for the Wait flag to clear */
#define FSW_ENUM_FARM_STATE_LOCKOUT 3u  /* S3: frame outside the window; needs an Unlock directive */
/* adcs_reset_scope (enum8): What an ADCS reset restarts. */
#define FSW_ENUM_ADCS_RESET_SCOPE_ESTIMATOR 0u  /* Re-initialise the attitude estimator only */
#define FSW_ENUM_ADCS_RESET_SCOPE_NODE 1u  /* Reboot the ADCS node */
/* packet_store (enum8): On-board packet stores of ST[15]. */
#define FSW_ENUM_PACKET_STORE_HOUSEKEEPING 1u  /* Housekeeping reports TM[3,25] */
#define FSW_ENUM_PACKET_STORE_EVENTS 2u  /* Event reports TM[5,1..4] */
#define FSW_ENUM_PACKET_STORE_ADCS 3u  /* High-rate ADCS telemetry */
/* limit_crossed (enum8): Which monitoring limit a value crossed. */
#define FSW_ENUM_LIMIT_CROSSED_HARD_LOW 0u
#define FSW_ENUM_LIMIT_CROSSED_SOFT_LOW 1u
#define FSW_ENUM_LIMIT_CROSSED_SOFT_HIGH 2u
#define FSW_ENUM_LIMIT_CROSSED_HARD_HIGH 3u
/* safe_cause (enum8): Why the executive entered safe mode. */
#define FSW_ENUM_SAFE_CAUSE_COMMANDED 0u
#define FSW_ENUM_SAFE_CAUSE_MONITORING 1u  /* A hard limit of an on-board monitoring definition */
#define FSW_ENUM_SAFE_CAUSE_WATCHDOG 2u  /* A task missed its watchdog deadline */
#define FSW_ENUM_SAFE_CAUSE_LINK_LOCKOUT 3u  /* FARM-1 lockout with safe-on-lockout set */
#define FSW_ENUM_SAFE_CAUSE_ESTIMATOR 4u  /* The attitude estimator diverged */
#define FSW_ENUM_SAFE_CAUSE_ADCS_NODE 5u  /* The ADCS node stopped answering */
/* slew_abort_cause (enum8): Why a commanded slew stopped before its target. */
#define FSW_ENUM_SLEW_ABORT_CAUSE_ATTITUDE_ERROR 0u  /* adcs_attitude_error above its hard_high limit, mon_attitude_error_high */
#define FSW_ENUM_SLEW_ABORT_CAUSE_MODE 1u  /* The spacecraft left NOMINAL */
#define FSW_ENUM_SLEW_ABORT_CAUSE_FDIR 2u  /* The attitude estimator diverged or the attitude sensor data stopped */
#define FSW_ENUM_SLEW_ABORT_CAUSE_RESET 3u  /* An ADCS reset was commanded */
/* sdls_reject_reason (enum8): Why SDLS refused a TC frame (CCSDS 355.0-B-2). */
#define FSW_ENUM_SDLS_REJECT_REASON_UNKNOWN_SPI 0u
#define FSW_ENUM_SDLS_REJECT_REASON_BAD_MAC 1u
#define FSW_ENUM_SDLS_REJECT_REASON_REPLAY 2u  /* Anti-replay sequence number outside the window */

/* Telecommands: PUS-C TC[service, subtype], destination APID, function id of TC[8,1] */
#define FSW_CMD_HK_ENABLE_PERIODIC_SERVICE 3u  /* Enable the periodic generation of housekeeping reports */
#define FSW_CMD_HK_ENABLE_PERIODIC_SUBTYPE 5u
#define FSW_CMD_HK_ENABLE_PERIODIC_APID 0x010u  /* cdh */
#define FSW_CMD_HK_DISABLE_PERIODIC_SERVICE 3u  /* Disable the periodic generation of housekeeping reports */
#define FSW_CMD_HK_DISABLE_PERIODIC_SUBTYPE 6u
#define FSW_CMD_HK_DISABLE_PERIODIC_APID 0x010u  /* cdh */
#define FSW_CMD_HK_REPORT_ONE_SHOT_SERVICE 3u  /* Generate one report of each structure now */
#define FSW_CMD_HK_REPORT_ONE_SHOT_SUBTYPE 27u
#define FSW_CMD_HK_REPORT_ONE_SHOT_APID 0x010u  /* cdh */
#define FSW_CMD_HK_CHANGE_PERIOD_SERVICE 3u  /* Modify the collection interval of housekeeping structures */
#define FSW_CMD_HK_CHANGE_PERIOD_SUBTYPE 31u
#define FSW_CMD_HK_CHANGE_PERIOD_APID 0x010u  /* cdh */
#define FSW_CMD_EVENT_ENABLE_SERVICE 5u  /* Enable the report generation of event definitions */
#define FSW_CMD_EVENT_ENABLE_SUBTYPE 5u
#define FSW_CMD_EVENT_ENABLE_APID 0x010u  /* cdh */
#define FSW_CMD_EVENT_DISABLE_SERVICE 5u  /* Disable the report generation of event definitions */
#define FSW_CMD_EVENT_DISABLE_SUBTYPE 6u
#define FSW_CMD_EVENT_DISABLE_APID 0x010u  /* cdh */
#define FSW_CMD_SET_MODE_SERVICE 8u  /* Change the spacecraft mode */
#define FSW_CMD_SET_MODE_SUBTYPE 1u
#define FSW_CMD_SET_MODE_APID 0x010u  /* cdh */
#define FSW_CMD_SET_MODE_FUNCTION_ID 1u
#define FSW_CMD_ADCS_RESET_SERVICE 8u  /* Reset the attitude estimator or reboot the ADCS node */
#define FSW_CMD_ADCS_RESET_SUBTYPE 1u
#define FSW_CMD_ADCS_RESET_APID 0x020u  /* adcs */
#define FSW_CMD_ADCS_RESET_FUNCTION_ID 1u
#define FSW_CMD_ADCS_SLEW_SERVICE 8u  /* Slew to an absolute target attitude (body to reference, scalar first) at a given rate, not a rotation relative to the current attitude: the guidance starts from the on-board estimate when the command executes, so the slew angle is the angle from that estimate to the target */
#define FSW_CMD_ADCS_SLEW_SUBTYPE 1u
#define FSW_CMD_ADCS_SLEW_APID 0x020u  /* adcs */
#define FSW_CMD_ADCS_SLEW_FUNCTION_ID 2u
#define FSW_CMD_TIME_REPORT_RATE_SERVICE 9u  /* Set the time report generation rate: one TM[9,2] every 2^exponent TM frames of VC0 */
#define FSW_CMD_TIME_REPORT_RATE_SUBTYPE 1u
#define FSW_CMD_TIME_REPORT_RATE_APID 0x010u  /* cdh */
#define FSW_CMD_TIME_SET_SERVICE 9u  /* Set the on-board time (mission-specific subtype) */
#define FSW_CMD_TIME_SET_SUBTYPE 128u
#define FSW_CMD_TIME_SET_APID 0x010u  /* cdh */
#define FSW_CMD_SCHEDULE_ENABLE_SERVICE 11u  /* Enable the time-based schedule execution function */
#define FSW_CMD_SCHEDULE_ENABLE_SUBTYPE 1u
#define FSW_CMD_SCHEDULE_ENABLE_APID 0x010u  /* cdh */
#define FSW_CMD_SCHEDULE_DISABLE_SERVICE 11u  /* Disable the time-based schedule execution function */
#define FSW_CMD_SCHEDULE_DISABLE_SUBTYPE 2u
#define FSW_CMD_SCHEDULE_DISABLE_APID 0x010u  /* cdh */
#define FSW_CMD_SCHEDULE_INSERT_SERVICE 11u  /* Insert activities into the time-based schedule */
#define FSW_CMD_SCHEDULE_INSERT_SUBTYPE 4u
#define FSW_CMD_SCHEDULE_INSERT_APID 0x010u  /* cdh */
#define FSW_CMD_SCHEDULE_DELETE_SERVICE 11u  /* Delete time-based scheduled activities identified by request identifier */
#define FSW_CMD_SCHEDULE_DELETE_SUBTYPE 5u
#define FSW_CMD_SCHEDULE_DELETE_APID 0x010u  /* cdh */
#define FSW_CMD_SCHEDULE_TIME_SHIFT_SERVICE 11u  /* Time-shift all scheduled activities */
#define FSW_CMD_SCHEDULE_TIME_SHIFT_SUBTYPE 15u
#define FSW_CMD_SCHEDULE_TIME_SHIFT_APID 0x010u  /* cdh */
#define FSW_CMD_SCHEDULE_SUMMARY_REPORT_SERVICE 11u  /* Summary-report all time-based scheduled activities (answered by TM[11,13]) */
#define FSW_CMD_SCHEDULE_SUMMARY_REPORT_SUBTYPE 17u
#define FSW_CMD_SCHEDULE_SUMMARY_REPORT_APID 0x010u  /* cdh */
#define FSW_CMD_MONITORING_ENABLE_SERVICE 12u  /* Enable parameter monitoring definitions */
#define FSW_CMD_MONITORING_ENABLE_SUBTYPE 1u
#define FSW_CMD_MONITORING_ENABLE_APID 0x010u  /* cdh */
#define FSW_CMD_MONITORING_DISABLE_SERVICE 12u  /* Disable parameter monitoring definitions */
#define FSW_CMD_MONITORING_DISABLE_SUBTYPE 2u
#define FSW_CMD_MONITORING_DISABLE_APID 0x010u  /* cdh */
#define FSW_CMD_MONITORING_CHANGE_LIMITS_SERVICE 12u  /* Modify the limits of parameter monitoring definitions */
#define FSW_CMD_MONITORING_CHANGE_LIMITS_SUBTYPE 7u
#define FSW_CMD_MONITORING_CHANGE_LIMITS_APID 0x010u  /* cdh */
#define FSW_CMD_MONITORING_FUNCTION_ENABLE_SERVICE 12u  /* Enable the parameter monitoring function */
#define FSW_CMD_MONITORING_FUNCTION_ENABLE_SUBTYPE 15u
#define FSW_CMD_MONITORING_FUNCTION_ENABLE_APID 0x010u  /* cdh */
#define FSW_CMD_MONITORING_FUNCTION_DISABLE_SERVICE 12u  /* Disable the parameter monitoring function */
#define FSW_CMD_MONITORING_FUNCTION_DISABLE_SUBTYPE 16u
#define FSW_CMD_MONITORING_FUNCTION_DISABLE_APID 0x010u  /* cdh */
#define FSW_CMD_STORAGE_ENABLE_SERVICE 15u  /* Enable the storage function of packet stores */
#define FSW_CMD_STORAGE_ENABLE_SUBTYPE 1u
#define FSW_CMD_STORAGE_ENABLE_APID 0x010u  /* cdh */
#define FSW_CMD_STORAGE_DISABLE_SERVICE 15u  /* Disable the storage function of packet stores */
#define FSW_CMD_STORAGE_DISABLE_SUBTYPE 2u
#define FSW_CMD_STORAGE_DISABLE_APID 0x010u  /* cdh */
#define FSW_CMD_STORAGE_DUMP_TIME_RANGE_SERVICE 15u  /* Start the by-time-range retrieval of a packet store on VC1 */
#define FSW_CMD_STORAGE_DUMP_TIME_RANGE_SUBTYPE 9u
#define FSW_CMD_STORAGE_DUMP_TIME_RANGE_APID 0x010u  /* cdh */
#define FSW_CMD_STORAGE_DELETE_UNTIL_SERVICE 15u  /* Delete the content of packet stores up to a time */
#define FSW_CMD_STORAGE_DELETE_UNTIL_SUBTYPE 11u
#define FSW_CMD_STORAGE_DELETE_UNTIL_APID 0x010u  /* cdh */
#define FSW_CMD_STORAGE_STATUS_REPORT_SERVICE 15u  /* Report the status of each packet store (answered by TM[15,19]) */
#define FSW_CMD_STORAGE_STATUS_REPORT_SUBTYPE 18u
#define FSW_CMD_STORAGE_STATUS_REPORT_APID 0x010u  /* cdh */
#define FSW_CMD_ARE_YOU_ALIVE_SERVICE 17u  /* Are-you-alive connection test of the C&DH executive (answered by TM[17,2]) */
#define FSW_CMD_ARE_YOU_ALIVE_SUBTYPE 1u
#define FSW_CMD_ARE_YOU_ALIVE_APID 0x010u  /* cdh */
#define FSW_CMD_ADCS_ARE_YOU_ALIVE_SERVICE 17u  /* Are-you-alive connection test of the ADCS node (answered by TM[17,2]) */
#define FSW_CMD_ADCS_ARE_YOU_ALIVE_SUBTYPE 1u
#define FSW_CMD_ADCS_ARE_YOU_ALIVE_APID 0x020u  /* adcs */
#define FSW_CMD_EVENT_ACTION_ADD_SERVICE 19u  /* Add event-action definitions: on the event, release the request */
#define FSW_CMD_EVENT_ACTION_ADD_SUBTYPE 1u
#define FSW_CMD_EVENT_ACTION_ADD_APID 0x010u  /* cdh */
#define FSW_CMD_EVENT_ACTION_DELETE_SERVICE 19u  /* Delete event-action definitions */
#define FSW_CMD_EVENT_ACTION_DELETE_SUBTYPE 2u
#define FSW_CMD_EVENT_ACTION_DELETE_APID 0x010u  /* cdh */
#define FSW_CMD_EVENT_ACTION_ENABLE_SERVICE 19u  /* Enable event-action definitions */
#define FSW_CMD_EVENT_ACTION_ENABLE_SUBTYPE 4u
#define FSW_CMD_EVENT_ACTION_ENABLE_APID 0x010u  /* cdh */
#define FSW_CMD_EVENT_ACTION_DISABLE_SERVICE 19u  /* Disable event-action definitions */
#define FSW_CMD_EVENT_ACTION_DISABLE_SUBTYPE 5u
#define FSW_CMD_EVENT_ACTION_DISABLE_APID 0x010u  /* cdh */
#define FSW_CMD_PARAMETER_REPORT_SERVICE 20u  /* Report parameter values (answered by TM[20,2]) */
#define FSW_CMD_PARAMETER_REPORT_SUBTYPE 1u
#define FSW_CMD_PARAMETER_REPORT_APID 0x010u  /* cdh */
#define FSW_CMD_PARAMETER_SET_SERVICE 20u  /* Set flight parameter values; each value is converted to the parameter's type and checked against its bounds */
#define FSW_CMD_PARAMETER_SET_SUBTYPE 3u
#define FSW_CMD_PARAMETER_SET_APID 0x010u  /* cdh */

/* Telemetry parameters */
#define FSW_PARAM_CDH_MODE_ID 0x0101u  /* enum8: Current spacecraft mode */
#define FSW_PARAM_CDH_UPTIME_ID 0x0102u  /* uint32 [s]: Seconds since the executive started */
#define FSW_PARAM_CDH_ONBOARD_TIME_ID 0x0103u  /* cuc [s]: On-board time (TAI, mission CUC format) */
#define FSW_PARAM_CDH_CPU_LOAD_ID 0x0104u  /* float32 [1]: Fraction of the scheduler cycle spent in tasks, averaged over the last HK period */
#define FSW_PARAM_CDH_SCHEDULER_OVERRUNS_ID 0x0105u  /* uint32: Scheduler cycles whose tasks did not finish within the cycle */
#define FSW_PARAM_CDH_SCHEDULER_JITTER_MAX_ID 0x0106u  /* float32 [s]: Largest release jitter of a periodic task over the last HK period */
#define FSW_PARAM_CDH_TC_ACCEPTED_ID 0x0107u  /* uint32: Telecommands accepted (TM[1,1] sent or acceptance not requested) */
#define FSW_PARAM_CDH_TC_REJECTED_ID 0x0108u  /* uint32: Telecommands refused at acceptance (TM[1,2]) */
#define FSW_PARAM_CDH_SCHEDULE_ENABLED_ID 0x0109u  /* bool: Time-based schedule execution enabled (ST[11]) */
#define FSW_PARAM_CDH_SCHEDULE_ENTRIES_ID 0x010Au  /* uint16: Activities waiting in the time-based schedule */
#define FSW_PARAM_CDH_SCHEDULER_JITTER_P50_ID 0x010Bu  /* float32 [s]: Median release jitter of the fastest rate group (ADCS) over its last 4096 releases */
#define FSW_PARAM_CDH_SCHEDULER_JITTER_P99_ID 0x010Cu  /* float32 [s]: 99th percentile release jitter of the fastest rate group (ADCS) over its last 4096 releases */
#define FSW_PARAM_CDH_SCHEDULER_FRAMES_SKIPPED_ID 0x010Du  /* uint32: Scheduler minor frames skipped after overruns (never run late in a burst) */
#define FSW_PARAM_LINK_FRAMES_IN_ID 0x0201u  /* uint32: TC transfer frames received with a good FECF */
#define FSW_PARAM_LINK_FRAMES_OUT_ID 0x0202u  /* uint32: TM transfer frames sent, idle frames included */
#define FSW_PARAM_LINK_CRC_ERRORS_ID 0x0203u  /* uint32: TC frames and PUS packets refused for a bad CRC */
#define FSW_PARAM_LINK_CLTU_REJECTIONS_ID 0x0204u  /* uint32: CLTUs refused (uncorrectable BCH codeblock, missing tail) */
#define FSW_PARAM_LINK_FARM_STATE_ID 0x0205u  /* enum8: FARM-1 state of TC VC0 */
#define FSW_PARAM_LINK_FARM_VR_ID 0x0206u  /* uint8: FARM-1 receiver frame sequence number V(R) */
#define FSW_PARAM_LINK_FARM_LOCKOUTS_ID 0x0207u  /* uint16: Times FARM-1 entered Lockout */
#define FSW_PARAM_LINK_SDLS_REJECTIONS_ID 0x0208u  /* uint32: TC frames refused by SDLS (bad MAC, replay, unknown SPI) */
#define FSW_PARAM_ADCS_Q_W_ID 0x0301u  /* float32 [1]: Estimated attitude quaternion, scalar part (body to reference) */
#define FSW_PARAM_ADCS_Q_X_ID 0x0302u  /* float32 [1]: Estimated attitude quaternion, x component */
#define FSW_PARAM_ADCS_Q_Y_ID 0x0303u  /* float32 [1]: Estimated attitude quaternion, y component */
#define FSW_PARAM_ADCS_Q_Z_ID 0x0304u  /* float32 [1]: Estimated attitude quaternion, z component */
#define FSW_PARAM_ADCS_GYRO_BIAS_X_ID 0x0305u  /* float32 [rad/s]: Estimated gyro bias, body x */
#define FSW_PARAM_ADCS_GYRO_BIAS_Y_ID 0x0306u  /* float32 [rad/s]: Estimated gyro bias, body y */
#define FSW_PARAM_ADCS_GYRO_BIAS_Z_ID 0x0307u  /* float32 [rad/s]: Estimated gyro bias, body z */
#define FSW_PARAM_ADCS_COV_ATTITUDE_X_ID 0x0308u  /* float32 [rad^2]: Estimator covariance diagonal, attitude error about body x */
#define FSW_PARAM_ADCS_COV_ATTITUDE_Y_ID 0x0309u  /* float32 [rad^2]: Estimator covariance diagonal, attitude error about body y */
#define FSW_PARAM_ADCS_COV_ATTITUDE_Z_ID 0x030Au  /* float32 [rad^2]: Estimator covariance diagonal, attitude error about body z */
#define FSW_PARAM_ADCS_COV_BIAS_X_ID 0x030Bu  /* float32 [(rad/s)^2]: Estimator covariance diagonal, gyro bias x */
#define FSW_PARAM_ADCS_COV_BIAS_Y_ID 0x030Cu  /* float32 [(rad/s)^2]: Estimator covariance diagonal, gyro bias y */
#define FSW_PARAM_ADCS_COV_BIAS_Z_ID 0x030Du  /* float32 [(rad/s)^2]: Estimator covariance diagonal, gyro bias z */
#define FSW_PARAM_ADCS_ESTIMATOR_STATE_ID 0x030Eu  /* enum8: State of the attitude estimator */
#define FSW_PARAM_ADCS_ESTIMATOR_UPDATES_ID 0x030Fu  /* uint32: Measurement updates applied by the estimator */
#define FSW_PARAM_ADCS_ESTIMATOR_REJECTIONS_ID 0x0310u  /* uint32: Measurements refused by the innovation gate */
#define FSW_PARAM_ADCS_ESTIMATOR_RESETS_ID 0x0311u  /* uint16: Estimator re-initialisations (commanded or on divergence) */
#define FSW_PARAM_ADCS_ATTITUDE_ERROR_ID 0x0312u  /* float32 [rad]: Angle between the estimated and the commanded attitude (at a slew's end: its final error; 0 after an abort) */
#define FSW_PARAM_ADCS_BODY_RATE_ID 0x0313u  /* float32 [rad/s]: Norm of the bias-corrected body angular rate */
#define FSW_PARAM_ADCS_TRUTH_ERROR_ID 0x0314u  /* float32 [rad]: Simulation mode only: angle between the estimated and the simulated true attitude (0 otherwise) */
#define FSW_PARAM_PLATFORM_BATTERY_VOLTAGE_ID 0x0401u  /* float32 [V]: Battery bus voltage (2S Li-ion) */
#define FSW_PARAM_PLATFORM_BATTERY_CURRENT_ID 0x0402u  /* float32 [A]: Battery current, positive when charging */
#define FSW_PARAM_PLATFORM_BATTERY_TEMPERATURE_ID 0x0403u  /* float32 [K]: Battery temperature */
#define FSW_PARAM_PLATFORM_OBC_TEMPERATURE_ID 0x0404u  /* float32 [K]: On-board computer temperature */
#define FSW_PARAM_STORAGE_FILL_ID 0x0405u  /* float32 [1]: Fraction of on-board storage in use, all packet stores */
#define FSW_PARAM_STORAGE_PACKETS_ID 0x0406u  /* uint32: Packets held in the packet stores */
#define FSW_PARAM_STORAGE_ENABLED_ID 0x0407u  /* bool: Storage function enabled (ST[15]) */

/* Housekeeping report structures */
#define FSW_HK_CDH_ESSENTIAL_ID 1u  /* Executive health */
#define FSW_HK_CDH_ESSENTIAL_PERIOD_S 1.0
#define FSW_HK_CDH_ESSENTIAL_ENABLED 1
#define FSW_HK_CDH_ESSENTIAL_PARAMETER_COUNT 10u
#define FSW_HK_CDH_ESSENTIAL_PARAMETER_IDS {0x0101u, 0x0102u, 0x0103u, 0x0104u, 0x0105u, 0x0106u, 0x0107u, 0x0108u, 0x0109u, 0x010Au}
#define FSW_HK_LINK_STATUS_ID 2u  /* Space link counters and COP-1 state */
#define FSW_HK_LINK_STATUS_PERIOD_S 4.0
#define FSW_HK_LINK_STATUS_ENABLED 1
#define FSW_HK_LINK_STATUS_PARAMETER_COUNT 8u
#define FSW_HK_LINK_STATUS_PARAMETER_IDS {0x0201u, 0x0202u, 0x0203u, 0x0204u, 0x0205u, 0x0206u, 0x0207u, 0x0208u}
#define FSW_HK_ADCS_ATTITUDE_ID 3u  /* Attitude estimate and pointing */
#define FSW_HK_ADCS_ATTITUDE_PERIOD_S 1.0
#define FSW_HK_ADCS_ATTITUDE_ENABLED 1
#define FSW_HK_ADCS_ATTITUDE_PARAMETER_COUNT 7u
#define FSW_HK_ADCS_ATTITUDE_PARAMETER_IDS {0x030Eu, 0x0301u, 0x0302u, 0x0303u, 0x0304u, 0x0312u, 0x0313u}
#define FSW_HK_ADCS_ESTIMATOR_ID 4u  /* Estimator internals for ground analysis */
#define FSW_HK_ADCS_ESTIMATOR_PERIOD_S 10.0
#define FSW_HK_ADCS_ESTIMATOR_ENABLED 0
#define FSW_HK_ADCS_ESTIMATOR_PARAMETER_COUNT 12u
#define FSW_HK_ADCS_ESTIMATOR_PARAMETER_IDS {0x0305u, 0x0306u, 0x0307u, 0x0308u, 0x0309u, 0x030Au, 0x030Bu, 0x030Cu, 0x030Du, 0x030Fu, 0x0310u, 0x0311u}
#define FSW_HK_PLATFORM_ID 5u  /* Power, thermal and storage */
#define FSW_HK_PLATFORM_PERIOD_S 10.0
#define FSW_HK_PLATFORM_ENABLED 1
#define FSW_HK_PLATFORM_PARAMETER_COUNT 7u
#define FSW_HK_PLATFORM_PARAMETER_IDS {0x0401u, 0x0402u, 0x0403u, 0x0404u, 0x0405u, 0x0406u, 0x0407u}
#define FSW_HK_SIM_TRUTH_ID 6u  /* Simulation mode only: estimator error against the simulated truth (the demo enables it) */
#define FSW_HK_SIM_TRUTH_PERIOD_S 1.0
#define FSW_HK_SIM_TRUTH_ENABLED 0
#define FSW_HK_SIM_TRUTH_PARAMETER_COUNT 1u
#define FSW_HK_SIM_TRUTH_PARAMETER_IDS {0x0314u}
#define FSW_HK_CDH_SCHEDULER_ID 7u  /* Scheduler timing: release jitter of the ADCS rate group, overruns, processor load */
#define FSW_HK_CDH_SCHEDULER_PERIOD_S 10.0
#define FSW_HK_CDH_SCHEDULER_ENABLED 1
#define FSW_HK_CDH_SCHEDULER_PARAMETER_COUNT 6u
#define FSW_HK_CDH_SCHEDULER_PARAMETER_IDS {0x010Bu, 0x010Cu, 0x0106u, 0x0105u, 0x010Du, 0x0104u}

/* Events */
#define FSW_EVENT_MODE_CHANGED_ID 0x0001u  /* The spacecraft mode changed */
#define FSW_EVENT_MODE_CHANGED_SEVERITY FSW_EVENT_SEVERITY_INFORMATIVE
#define FSW_EVENT_SAFE_MODE_ENTERED_ID 0x0002u  /* The executive entered safe mode */
#define FSW_EVENT_SAFE_MODE_ENTERED_SEVERITY FSW_EVENT_SEVERITY_HIGH
#define FSW_EVENT_TIME_SET_ID 0x0003u  /* On-board time was set by TC[9,128] */
#define FSW_EVENT_TIME_SET_SEVERITY FSW_EVENT_SEVERITY_INFORMATIVE
#define FSW_EVENT_TC_REJECTED_ID 0x0004u  /* A telecommand was refused at acceptance (TM[1,2]); flightsw.cdh.service.FailureCode lists the codes */
#define FSW_EVENT_TC_REJECTED_SEVERITY FSW_EVENT_SEVERITY_LOW
#define FSW_EVENT_SCHEDULER_OVERRUN_ID 0x0010u  /* A scheduler cycle overran its period */
#define FSW_EVENT_SCHEDULER_OVERRUN_SEVERITY FSW_EVENT_SEVERITY_LOW
#define FSW_EVENT_WATCHDOG_EXPIRED_ID 0x0011u  /* A task stayed silent longer than fdir_watchdog_timeout */
#define FSW_EVENT_WATCHDOG_EXPIRED_SEVERITY FSW_EVENT_SEVERITY_MEDIUM
#define FSW_EVENT_FARM_LOCKOUT_ID 0x0020u  /* FARM-1 entered Lockout on TC VC0 */
#define FSW_EVENT_FARM_LOCKOUT_SEVERITY FSW_EVENT_SEVERITY_MEDIUM
#define FSW_EVENT_SDLS_REJECTION_ID 0x0021u  /* SDLS refused a TC frame */
#define FSW_EVENT_SDLS_REJECTION_SEVERITY FSW_EVENT_SEVERITY_LOW
#define FSW_EVENT_ESTIMATOR_CONVERGED_ID 0x0030u  /* The attitude estimator converged */
#define FSW_EVENT_ESTIMATOR_CONVERGED_SEVERITY FSW_EVENT_SEVERITY_INFORMATIVE
#define FSW_EVENT_ESTIMATOR_DIVERGED_ID 0x0031u  /* The attitude estimator diverged and was reset */
#define FSW_EVENT_ESTIMATOR_DIVERGED_SEVERITY FSW_EVENT_SEVERITY_HIGH
#define FSW_EVENT_SLEW_COMPLETE_ID 0x0032u  /* A commanded slew reached its target */
#define FSW_EVENT_SLEW_COMPLETE_SEVERITY FSW_EVENT_SEVERITY_INFORMATIVE
#define FSW_EVENT_ADCS_NODE_LOST_ID 0x0033u  /* The ADCS node stopped answering */
#define FSW_EVENT_ADCS_NODE_LOST_SEVERITY FSW_EVENT_SEVERITY_MEDIUM
#define FSW_EVENT_SLEW_ABORTED_ID 0x0034u  /* A commanded slew stopped before its target */
#define FSW_EVENT_SLEW_ABORTED_SEVERITY FSW_EVENT_SEVERITY_MEDIUM
#define FSW_EVENT_MONITORING_OUT_OF_LIMITS_ID 0x0040u  /* A monitored parameter crossed a limit (the check transition also goes to TM[12,12]) */
#define FSW_EVENT_MONITORING_OUT_OF_LIMITS_SEVERITY FSW_EVENT_SEVERITY_MEDIUM
#define FSW_EVENT_STORAGE_FULL_ID 0x0050u  /* A packet store is full; new packets are dropped */
#define FSW_EVENT_STORAGE_FULL_SEVERITY FSW_EVENT_SEVERITY_MEDIUM

/* Flight parameters (ST[20]): id, default and bounds */
#define FSW_FP_ADCS_GYRO_NOISE_SIGMA_ID 0x0801u  /* float32 [rad/s]: Gyro white-noise standard deviation per sample used by the estimator */
#define FSW_FP_ADCS_GYRO_NOISE_SIGMA_DEFAULT 0.001f
#define FSW_FP_ADCS_GYRO_NOISE_SIGMA_MIN 1e-06f
#define FSW_FP_ADCS_GYRO_NOISE_SIGMA_MAX 0.1f
#define FSW_FP_ADCS_GYRO_BIAS_SIGMA_ID 0x0802u  /* float32 [rad/s^2]: Gyro bias random-walk standard deviation */
#define FSW_FP_ADCS_GYRO_BIAS_SIGMA_DEFAULT 1e-05f
#define FSW_FP_ADCS_GYRO_BIAS_SIGMA_MIN 1e-09f
#define FSW_FP_ADCS_GYRO_BIAS_SIGMA_MAX 0.01f
#define FSW_FP_ADCS_ACCEL_SIGMA_ID 0x0803u  /* float32 [m/s^2]: Accelerometer (gravity reference) measurement standard deviation */
#define FSW_FP_ADCS_ACCEL_SIGMA_DEFAULT 0.05f
#define FSW_FP_ADCS_ACCEL_SIGMA_MIN 0.0001f
#define FSW_FP_ADCS_ACCEL_SIGMA_MAX 5.0f
#define FSW_FP_ADCS_MAG_SIGMA_ID 0x0804u  /* float32 [uT]: Magnetometer measurement standard deviation */
#define FSW_FP_ADCS_MAG_SIGMA_DEFAULT 0.5f
#define FSW_FP_ADCS_MAG_SIGMA_MIN 0.001f
#define FSW_FP_ADCS_MAG_SIGMA_MAX 50.0f
#define FSW_FP_ADCS_GAIN_KP_ID 0x0805u  /* float32 [N m/rad]: Attitude controller proportional gain */
#define FSW_FP_ADCS_GAIN_KP_DEFAULT 0.01f
#define FSW_FP_ADCS_GAIN_KP_MIN 0.0f
#define FSW_FP_ADCS_GAIN_KP_MAX 1.0f
#define FSW_FP_ADCS_GAIN_KD_ID 0x0806u  /* float32 [N m s/rad]: Attitude controller derivative gain */
#define FSW_FP_ADCS_GAIN_KD_DEFAULT 0.05f
#define FSW_FP_ADCS_GAIN_KD_MIN 0.0f
#define FSW_FP_ADCS_GAIN_KD_MAX 5.0f
#define FSW_FP_ADCS_SLEW_RATE_MAX_ID 0x0807u  /* float32 [rad/s]: Largest rate a commanded slew may ask for */
#define FSW_FP_ADCS_SLEW_RATE_MAX_DEFAULT 0.02f
#define FSW_FP_ADCS_SLEW_RATE_MAX_MIN 0.001f
#define FSW_FP_ADCS_SLEW_RATE_MAX_MAX 0.1f
#define FSW_FP_ADCS_UPDATE_PERIOD_ID 0x0808u  /* float32 [s]: Period of the estimator update on the ADCS node */
#define FSW_FP_ADCS_UPDATE_PERIOD_DEFAULT 0.01f
#define FSW_FP_ADCS_UPDATE_PERIOD_MIN 0.001f
#define FSW_FP_ADCS_UPDATE_PERIOD_MAX 1.0f
#define FSW_FP_HK_MIN_PERIOD_ID 0x0809u  /* float32 [s]: Shortest collection interval TC[3,31] may set */
#define FSW_FP_HK_MIN_PERIOD_DEFAULT 0.1f
#define FSW_FP_HK_MIN_PERIOD_MIN 0.01f
#define FSW_FP_HK_MIN_PERIOD_MAX 10.0f
#define FSW_FP_LINK_IDLE_INTERVAL_ID 0x080Au  /* float32 [s]: Longest gap between TM frames; an idle frame on VC7 fills it */
#define FSW_FP_LINK_IDLE_INTERVAL_DEFAULT 1.0f
#define FSW_FP_LINK_IDLE_INTERVAL_MIN 0.1f
#define FSW_FP_LINK_IDLE_INTERVAL_MAX 10.0f
#define FSW_FP_MON_CPU_LOAD_HIGH_ID 0x080Bu  /* float32 [1]: CPU load above which FDIR sheds optional tasks */
#define FSW_FP_MON_CPU_LOAD_HIGH_DEFAULT 0.9f
#define FSW_FP_MON_CPU_LOAD_HIGH_MIN 0.1f
#define FSW_FP_MON_CPU_LOAD_HIGH_MAX 1.0f
#define FSW_FP_MON_BATTERY_VOLTAGE_LOW_ID 0x080Cu  /* float32 [V]: Battery voltage below which FDIR enters safe mode */
#define FSW_FP_MON_BATTERY_VOLTAGE_LOW_DEFAULT 6.6f
#define FSW_FP_MON_BATTERY_VOLTAGE_LOW_MIN 6.0f
#define FSW_FP_MON_BATTERY_VOLTAGE_LOW_MAX 7.5f
#define FSW_FP_MON_ATTITUDE_ERROR_HIGH_ID 0x080Du  /* float32 [rad]: Attitude error above which FDIR stops a slew (event slew_aborted): hard_high of adcs_attitude_error's ST[12] check */
#define FSW_FP_MON_ATTITUDE_ERROR_HIGH_DEFAULT 0.17f
#define FSW_FP_MON_ATTITUDE_ERROR_HIGH_MIN 0.01f
#define FSW_FP_MON_ATTITUDE_ERROR_HIGH_MAX 3.14f
#define FSW_FP_FDIR_WATCHDOG_TIMEOUT_ID 0x080Eu  /* float32 [s]: Time a task may stay silent before FDIR acts */
#define FSW_FP_FDIR_WATCHDOG_TIMEOUT_DEFAULT 5.0f
#define FSW_FP_FDIR_WATCHDOG_TIMEOUT_MIN 1.0f
#define FSW_FP_FDIR_WATCHDOG_TIMEOUT_MAX 60.0f
#define FSW_FP_FDIR_ADCS_NODE_TIMEOUT_ID 0x080Fu  /* float32 [s]: Time without ADCS node telemetry before the node is declared lost */
#define FSW_FP_FDIR_ADCS_NODE_TIMEOUT_DEFAULT 2.0f
#define FSW_FP_FDIR_ADCS_NODE_TIMEOUT_MIN 0.5f
#define FSW_FP_FDIR_ADCS_NODE_TIMEOUT_MAX 30.0f
#define FSW_FP_FDIR_SAFE_ON_LOCKOUT_ID 0x0810u  /* bool: Enter safe mode when FARM-1 locks out */
#define FSW_FP_FDIR_SAFE_ON_LOCKOUT_DEFAULT 1
#define FSW_FP_CDH_BOOT_MODE_ID 0x0811u  /* enum8: Mode entered after a restart */
#define FSW_FP_CDH_BOOT_MODE_DEFAULT 0u
#define FSW_FP_STORAGE_FILL_DUMP_THRESHOLD_ID 0x0812u  /* uint8 [%]: Storage fill at which a dump is requested from the ground */
#define FSW_FP_STORAGE_FILL_DUMP_THRESHOLD_DEFAULT 80u
#define FSW_FP_STORAGE_FILL_DUMP_THRESHOLD_MIN 10u
#define FSW_FP_STORAGE_FILL_DUMP_THRESHOLD_MAX 100u

#endif /* FSW_MISSION_DICTIONARY_H */
