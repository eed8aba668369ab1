/*
 * systick.h - millisecond time base from SysTick (1 kHz from the core clock).
 */
#ifndef FSW_SYSTICK_H
#define FSW_SYSTICK_H

#include <stdint.h>

int systick_init(uint32_t sysclk_hz);
uint32_t systick_now_ms(void);
void SysTick_Handler(void);

#endif /* FSW_SYSTICK_H */
