/*
 * watchdog.h - the independent watchdog (IWDG, LSI ~32 kHz): once started it cannot be stopped, and the
 * main loop must reload it within the timeout or the part resets (the reset cause then reads "watchdog").
 */
#ifndef FSW_WATCHDOG_H
#define FSW_WATCHDOG_H

#include <stdint.h>

/* Start with a timeout of about timeout_ms (clamped to 8..8192 ms at prescaler /64, or the largest). */
void watchdog_start(uint32_t timeout_ms);
void watchdog_kick(void);

#endif /* FSW_WATCHDOG_H */
