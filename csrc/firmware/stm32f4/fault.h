/*
 * fault.h - the reset-cause record that survives a reset in the .noinit RAM section.
 *
 * A hard fault (or MemManage, BusFault, UsageFault, NMI, stray interrupt) writes its cause, the fault status
 * registers and the stacked PC/LR into the record and requests a system reset. After the reset, fault_boot()
 * combines the record with the RCC reset flags into one reset cause for housekeeping.
 */
#ifndef FSW_FAULT_H
#define FSW_FAULT_H

#include <stdint.h>

/* Reset causes as reported in housekeeping (one octet). */
typedef enum {
    RESET_CAUSE_POWER_ON = 0,   /* cold start, or no flag and no record */
    RESET_CAUSE_PIN = 1,        /* NRST pin (debugger, reset button) */
    RESET_CAUSE_SOFTWARE = 2,   /* commanded reboot (TC[8,1] adcs_reset, scope node) */
    RESET_CAUSE_WATCHDOG = 3,   /* independent or window watchdog */
    RESET_CAUSE_FAULT = 4,      /* hard fault or another fault exception; details in the record */
    RESET_CAUSE_BROWN_OUT = 5,
    RESET_CAUSE_LOW_POWER = 6
} reset_cause;

typedef enum {
    FAULT_CAUSE_NONE = 0,
    FAULT_CAUSE_HARD_FAULT = 1,
    FAULT_CAUSE_NMI = 2,
    FAULT_CAUSE_UNEXPECTED_IRQ = 3,
    FAULT_CAUSE_MAIN_RETURNED = 4,
    FAULT_CAUSE_COMMANDED = 5
} fault_cause;

typedef struct {
    uint32_t magic;      /* FAULT_RECORD_MAGIC when the fields below are valid */
    uint32_t cause;      /* fault_cause */
    uint32_t cfsr;       /* configurable fault status (MMFSR | BFSR | UFSR) */
    uint32_t hfsr;
    uint32_t bfar;
    uint32_t mmfar;
    uint32_t pc;         /* stacked program counter of the faulting context */
    uint32_t lr;
    uint32_t xpsr;
    uint32_t resets;     /* resets since power-on (counts while the record stays valid) */
    uint32_t check;      /* ~ of the sum of the fields above */
} fault_record;

typedef struct {
    reset_cause cause;
    fault_record last_fault; /* valid (magic set) only when cause == RESET_CAUSE_FAULT */
    uint32_t resets;
} boot_info;

/* Called once at start: classify the reset, clear the RCC flags, re-arm the record for the next fault. */
void fault_boot(boot_info *info);

/* Record cause and reset the part; never returns. */
__attribute__((noreturn)) void fault_reset_now(fault_cause cause);

void HardFault_Handler(void);

#endif /* FSW_FAULT_H */
