/*
 * services.h - PUS-C telecommand routing and the node's services:
 *   ST[03] housekeeping: TC[3,5] / TC[3,6] enable / disable periodic, TC[3,27] one-shot, TC[3,31] period
 *   ST[05] events: TC[5,5] / TC[5,6] enable / disable reports
 *   ST[08] functions: TC[8,1] adcs_reset, adcs_slew (APID adcs), set_mode (APID cdh)
 *   ST[17] test: TC[17,1] -> TM[17,2]
 *   ST[20] parameters: TC[20,1] -> TM[20,2], TC[20,3] set
 *   HIL sensor injection on APID simulation (node_dictionary.h), accepted only on TC VC1.
 * The node answers TCs addressed to the ADCS APID and, standing alone on its link, to the C&DH APID.
 */
#ifndef FSW_SERVICES_H
#define FSW_SERVICES_H

#include "node.h"

/* One packet from a TC frame of virtual channel vcid. Never fails: refusals become TM[1,2] / TM[1,8]. */
void services_handle_packet(node *n, const uint8_t *packet, size_t length, uint8_t vcid);

#endif /* FSW_SERVICES_H */
