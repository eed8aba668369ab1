/*
 * pus.h - PUS-C telemetry of the node: TM packets with message type counters and CUC time, verification
 * reports (ST[01]) and event reports (ST[05]).
 */
#ifndef FSW_PUS_H
#define FSW_PUS_H

#include "node.h"

/* The request being verified: its request ID (first four octets of the TC) and its acknowledgement flags. */
typedef struct {
    uint8_t request_id[4];
    uint8_t ack_flags;
    uint16_t apid;
} pus_request;

void pus_init(node *n);
/* Build TM[service, subtype] from apid with source data and send it on VC0. Returns 0, or -1. */
int pus_send_tm(node *n, uint16_t apid, uint8_t service, uint8_t subtype, const uint8_t *data, size_t length);

/* ST[01]: success reports go out only when the matching ack flag is set; failure reports always do
 * (ECSS-E-ST-70-41C §6.1.3: a failure is reported whatever the flags). */
void pus_accept_ok(node *n, const pus_request *request);
void pus_start_ok(node *n, const pus_request *request);
void pus_complete_ok(node *n, const pus_request *request);
/* Failure report TM[1,subtype]: request ID, code, and the ASCII detail "<what> 0x<value>". */
void pus_fail(node *n, const pus_request *request, uint8_t subtype, uint16_t code, const char *what,
              uint32_t value);

/* ST[05]: TM[5, severity] with the event id then aux; nothing when the event was disabled. */
void pus_event(node *n, uint16_t event_id, uint8_t severity, const uint8_t *aux, size_t aux_length);
int pus_event_set_enabled(node *n, uint16_t event_id, bool enabled);

/* Big-endian writers for source data; each returns the octets written. */
size_t put_u8(uint8_t *out, uint8_t v);
size_t put_u16(uint8_t *out, uint16_t v);
size_t put_u32(uint8_t *out, uint32_t v);
size_t put_f32(uint8_t *out, float v);
size_t put_f64(uint8_t *out, double v);
uint16_t get_u16(const uint8_t *in);
uint32_t get_u32(const uint8_t *in);
float get_f32(const uint8_t *in);
double get_f64(const uint8_t *in);

#endif /* FSW_PUS_H */
