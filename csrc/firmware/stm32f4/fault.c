/*
 * fault.c - fault exceptions recorded in .noinit RAM, then a system reset (ARMv7-M ARM B1.5.6, B3.2.6).
 */
#include "fault.h"

#include <stddef.h>

#include "stm32f4_regs.h"

#define FAULT_RECORD_MAGIC 0xFA17C0DEu

/* Not zeroed by the startup code: the record written before a reset is read after it. */
__attribute__((section(".noinit"))) static fault_record noinit_record;

static uint32_t record_check(const fault_record *r)
{
    return ~(r->magic + r->cause + r->cfsr + r->hfsr + r->bfar + r->mmfar + r->pc + r->lr + r->xpsr +
             r->resets);
}

static int record_valid(const fault_record *r)
{
    return r->magic == FAULT_RECORD_MAGIC && r->check == record_check(r);
}

static __attribute__((noreturn)) void system_reset(void)
{
    fsw_dsb();
    SCB_AIRCR = SCB_AIRCR_VECTKEY | SCB_AIRCR_SYSRESETREQ;
    fsw_dsb();
    for (;;) {
        fsw_wfi();
    }
}

static void record_fault(fault_cause cause, const uint32_t *stacked)
{
    uint32_t resets = record_valid(&noinit_record) ? noinit_record.resets : 0u;
    noinit_record.magic = FAULT_RECORD_MAGIC;
    noinit_record.cause = (uint32_t)cause;
    noinit_record.cfsr = SCB_CFSR;
    noinit_record.hfsr = SCB_HFSR;
    noinit_record.bfar = SCB_BFAR;
    noinit_record.mmfar = SCB_MMFAR;
    /* Exception stack frame: r0, r1, r2, r3, r12, lr, pc, xpsr (B1.5.6). */
    noinit_record.lr = stacked != NULL ? stacked[5] : 0u;
    noinit_record.pc = stacked != NULL ? stacked[6] : 0u;
    noinit_record.xpsr = stacked != NULL ? stacked[7] : 0u;
    noinit_record.resets = resets;
    noinit_record.check = record_check(&noinit_record);
}

void fault_reset_now(fault_cause cause)
{
    fsw_irq_disable();
    record_fault(cause, NULL);
    system_reset();
}

void fault_record_from_stack(const uint32_t *stacked);
void fault_record_from_stack(const uint32_t *stacked)
{
    record_fault(FAULT_CAUSE_HARD_FAULT, stacked);
    system_reset();
}

/* Pick the stack the faulting context used (EXC_RETURN bit 2) and hand its frame to the recorder. */
__attribute__((naked)) void HardFault_Handler(void)
{
    __asm__ volatile(
        "tst lr, #4\n"
        "ite eq\n"
        "mrseq r0, msp\n"
        "mrsne r0, psp\n"
        "b fault_record_from_stack\n");
}

void fault_boot(boot_info *info)
{
    uint32_t csr = RCC_CSR;
    int valid = record_valid(&noinit_record);
    uint32_t resets = valid ? noinit_record.resets + 1u : 0u;
    reset_cause cause = RESET_CAUSE_POWER_ON;

    if (info == NULL) {
        return;
    }
    info->last_fault.magic = 0u;
    if (valid && noinit_record.cause == (uint32_t)FAULT_CAUSE_COMMANDED) {
        cause = RESET_CAUSE_SOFTWARE;
    } else if (valid && noinit_record.cause != (uint32_t)FAULT_CAUSE_NONE) {
        cause = RESET_CAUSE_FAULT;
        info->last_fault = noinit_record;
    } else if (csr & (RCC_CSR_IWDGRSTF | RCC_CSR_WWDGRSTF)) {
        cause = RESET_CAUSE_WATCHDOG;
    } else if (csr & RCC_CSR_LPWRRSTF) {
        cause = RESET_CAUSE_LOW_POWER;
    } else if (csr & RCC_CSR_PORRSTF) {
        cause = RESET_CAUSE_POWER_ON;
        resets = 0u;
    } else if (csr & RCC_CSR_BORRSTF) {
        cause = RESET_CAUSE_BROWN_OUT;
    } else if (csr & RCC_CSR_SFTRSTF) {
        cause = RESET_CAUSE_SOFTWARE;
    } else if (csr & RCC_CSR_PINRSTF) {
        cause = RESET_CAUSE_PIN;
    }
    RCC_CSR |= RCC_CSR_RMVF;
    info->cause = cause;
    info->resets = resets;

    /* Re-arm: valid record, no fault pending, the reset count carried forward. */
    noinit_record.magic = FAULT_RECORD_MAGIC;
    noinit_record.cause = (uint32_t)FAULT_CAUSE_NONE;
    noinit_record.cfsr = 0u;
    noinit_record.hfsr = 0u;
    noinit_record.bfar = 0u;
    noinit_record.mmfar = 0u;
    noinit_record.pc = 0u;
    noinit_record.lr = 0u;
    noinit_record.xpsr = 0u;
    noinit_record.resets = resets;
    noinit_record.check = record_check(&noinit_record);
}
