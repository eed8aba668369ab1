/* Status names: the reason strings of the Python stack's DecodeError/EncodeError. */
#include "ccsds.h"

static const char *const status_names[CCSDS_STATUS_COUNT] = {
    "ok",
    "null_pointer",
    "buffer_too_small",
    "truncated",
    "trailing_bytes",
    "length_mismatch",
    "bad_crc",
    "wrong_version",
    "wrong_type",
    "wrong_scid",
    "wrong_vcid",
    "bad_spare",
    "inconsistent_flags",
    "sec_header_flag",
    "idle_packet",
    "unknown_pus_version",
    "unknown_control_command",
    "ocf_mismatch",
    "secondary_header_mismatch",
    "bad_first_header_pointer",
    "out_of_range",
    "empty_data",
    "too_long",
    "empty_cltu",
    "trailing_codeblocks",
    "bad_fill",
    "uncorrectable",
    "codeblock_error",
    "lockout",
    "sequence_gap",
    "duplicate",
    "lockout_area",
    "no_buffer",
    "bad_config",
    "no_space",
    "unsupported_cop",
};

const char *ccsds_status_name(ccsds_status status)
{
    if ((unsigned)status >= (unsigned)CCSDS_STATUS_COUNT) {
        return "unknown";
    }
    return status_names[status];
}
