/*
 * systick.c - SysTick time base.
 */
#include "systick.h"

#include "stm32f4_regs.h"

#define TICK_HZ 1000u
#define SYSTICK_MAX_RELOAD 0x00FFFFFFu

static volatile uint32_t ticks_ms;

int systick_init(uint32_t sysclk_hz)
{
    uint32_t reload = sysclk_hz / TICK_HZ;
    if (reload == 0u || reload - 1u > SYSTICK_MAX_RELOAD) {
        return -1;
    }
    SYSTICK_LOAD = reload - 1u;
    SYSTICK_VAL = 0u;
    SYSTICK_CTRL = SYSTICK_CTRL_CLKSOURCE_CPU | SYSTICK_CTRL_TICKINT | SYSTICK_CTRL_ENABLE;
    return 0;
}

uint32_t systick_now_ms(void)
{
    return ticks_ms;
}

void SysTick_Handler(void)
{
    ++ticks_ms;
}
