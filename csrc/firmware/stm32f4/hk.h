/*
 * hk.h - housekeeping (ST[03]): the structures the node reports as TM[3,25], periodic or one-shot.
 * Layouts follow the dictionary's structures (parameters in order, big-endian, no padding).
 */
#ifndef FSW_HK_H
#define FSW_HK_H

#include "node.h"

void hk_init(node *n);
/* Index of the structure, or -1 when the node does not produce it. */
int hk_find(const node *n, uint16_t id);
/* Send TM[3,25] for one structure now. Returns 0, or -1 for an unknown id. */
int hk_report(node *n, uint16_t id);
/* Periodic task: report every enabled structure that is due. */
void hk_task(void *context, uint32_t now_ms);

#endif /* FSW_HK_H */
