/*
 * startup.c - vector table and reset handler for the STM32F4 (both board variants).
 *
 * The reset handler enables the FPU first (CPACR CP10/CP11 full access, then DSB/ISB so no FP instruction
 * runs before the write takes effect; ARMv7-M ARM B3.2.20), copies .data from flash, zeroes .bss, leaves
 * .noinit alone (it carries the fault record across a reset) and calls main.
 */
#include <stdint.h>

#include "fault.h"
#include "stm32f4_regs.h"
#include "usart.h"
#include "systick.h"

/* The largest device of the family (F446) has 97 interrupt lines; the F405 ignores the upper entries. */
#define VECTOR_IRQ_COUNT 97u
#define VECTOR_COUNT (16u + VECTOR_IRQ_COUNT)

extern uint32_t _estack;
extern uint32_t _sidata;
extern uint32_t _sdata;
extern uint32_t _edata;
extern uint32_t _sbss;
extern uint32_t _ebss;

int main(void);
void Reset_Handler(void);
void Default_Handler(void);
void NMI_Handler(void);

typedef union {
    void (*handler)(void);
    const uint32_t *stack_top;
} vector_entry;

__attribute__((section(".isr_vector"), used)) const vector_entry vector_table[VECTOR_COUNT] = {
    [0] = {.stack_top = &_estack},
    [1] = {.handler = Reset_Handler},
    [2] = {.handler = NMI_Handler},
    [3] = {.handler = HardFault_Handler},
    [4] = {.handler = HardFault_Handler}, /* MemManage: recorded like a hard fault */
    [5] = {.handler = HardFault_Handler}, /* BusFault */
    [6] = {.handler = HardFault_Handler}, /* UsageFault */
    [11] = {.handler = Default_Handler},  /* SVCall */
    [12] = {.handler = Default_Handler},  /* DebugMonitor */
    [14] = {.handler = Default_Handler},  /* PendSV */
    [15] = {.handler = SysTick_Handler},
    [16u + USART1_IRQN] = {.handler = USART_Link_IRQHandler},
    [16u + USART2_IRQN] = {.handler = USART_Link_IRQHandler},
};

void Reset_Handler(void)
{
    const uint32_t *src = &_sidata;
    uint32_t *dst;

    SCB_CPACR |= SCB_CPACR_CP10_CP11_FULL;
    fsw_dsb();
    fsw_isb();
    for (dst = &_sdata; dst < &_edata; ++dst, ++src) {
        *dst = *src;
    }
    for (dst = &_sbss; dst < &_ebss; ++dst) {
        *dst = 0u;
    }
    SCB_VTOR = (uint32_t)(uintptr_t)vector_table;
    /* Separate fault handlers see precise causes; the vector table routes them to the one recorder. */
    SCB_SHCSR |= SCB_SHCSR_USGFAULTENA | SCB_SHCSR_BUSFAULTENA | SCB_SHCSR_MEMFAULTENA;
    (void)main();
    fault_reset_now(FAULT_CAUSE_MAIN_RETURNED);
}

void NMI_Handler(void)
{
    fault_reset_now(FAULT_CAUSE_NMI);
}

/* An interrupt nobody enabled: record which one and reset rather than spin. */
void Default_Handler(void)
{
    fault_reset_now(FAULT_CAUSE_UNEXPECTED_IRQ);
}
