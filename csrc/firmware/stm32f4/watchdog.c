/*
 * watchdog.c - IWDG driver (RM0090 §21). The prescaler and reload registers are written after the unlock
 * key; the status flags say when the low-speed domain has taken them. Every wait is bounded: on the QEMU
 * board the IWDG is not modelled and its status reads 0, so the waits end at once.
 */
#include "watchdog.h"

#include "stm32f4_regs.h"

#define LSI_HZ 32000u
#define IWDG_PRESCALER_DIV64 4u
#define IWDG_TICK_DIVIDER 64u
#define IWDG_RELOAD_MAX 0x0FFFu
#define IWDG_SR_WAIT_LIMIT 100000u

void watchdog_start(uint32_t timeout_ms)
{
    uint32_t reload = (timeout_ms * (LSI_HZ / 1000u)) / IWDG_TICK_DIVIDER;
    uint32_t spins;
    if (reload == 0u) {
        reload = 1u;
    }
    if (reload > IWDG_RELOAD_MAX) {
        reload = IWDG_RELOAD_MAX;
    }
    IWDG_KR = IWDG_KEY_START;
    IWDG_KR = IWDG_KEY_UNLOCK;
    IWDG_PR = IWDG_PRESCALER_DIV64;
    IWDG_RLR = reload;
    for (spins = 0u; spins < IWDG_SR_WAIT_LIMIT && IWDG_SR != 0u; ++spins) {
    }
    IWDG_KR = IWDG_KEY_RELOAD;
}

void watchdog_kick(void)
{
    IWDG_KR = IWDG_KEY_RELOAD;
}
