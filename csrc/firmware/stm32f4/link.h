/*
 * link.h - the node's end of the space link over the UART.
 *
 * Uplink: bytes -> CLTU decoder (231.0) -> TC frame (232.0) -> VC0 through FARM-1 (232.1), VC1 without
 * (simulation injection) -> segment header -> one PUS packet per frame -> services.
 * Downlink: PUS TM packets -> TM frames on VC0 (132.0), packets spanning frames, each frame with the ASM and
 * the CLCW of FARM-1 in its OCF; only-idle-data frames on VC7 from a periodic task.
 */
#ifndef FSW_LINK_H
#define FSW_LINK_H

#include "node.h"

void link_init(node *n);
/* Take every byte the UART has received and act on the frames they complete. */
void link_poll_uplink(node *n);
/* Queue one TM packet on VC0; complete frames go to the UART at once. Returns 0, or -1 when dropped. */
int link_send_packet(node *n, const uint8_t *packet, size_t length);
/* Close the VC0 frame being filled (with an idle packet) and send it. */
void link_flush(node *n);
/* Send one only-idle-data frame on VC7. */
void link_send_idle_frame(node *n);
/* Scheduler task (context: the node): one idle frame per link_idle_interval. */
void link_idle_task(void *context, uint32_t now_ms);

#endif /* FSW_LINK_H */
