/*
 * main.c - the ADCS node: bring-up, then one loop that drains the UART, runs the scheduler, flushes
 * telemetry and sleeps until the next interrupt.
 */
#include <string.h>

#include "adcs.h"
#include "board.h"
#include "hk.h"
#include "link.h"
#include "params.h"
#include "pus.h"
#include "stm32f4_regs.h"
#include "systick.h"
#include "usart.h"
#include "watchdog.h"

#define WATCHDOG_TIMEOUT_MS 2000u
#define HK_TASK_PERIOD_MS 10u
#define REBOOT_DRAIN_LIMIT_MS 500u

static node the_node;

static void reboot_after_drain(node *n)
{
    uint32_t start = systick_now_ms();
    link_flush(n);
    while (usart_tx_free() < USART_TX_RING_SIZE && systick_now_ms() - start < REBOOT_DRAIN_LIMIT_MS) {
        usart_tx_pump();
        watchdog_kick();
        fsw_wfi();
    }
    fault_reset_now(FAULT_CAUSE_COMMANDED);
}

int main(void)
{
    board_config board;
    node *n = &the_node;
    uint32_t idle_ms;

    memset(n, 0, sizeof(*n));
    fault_boot(&n->boot);
    (void)board_init(&board);
    (void)systick_init(board.sysclk_hz);
    watchdog_start(WATCHDOG_TIMEOUT_MS);
    (void)usart_init(board.link_usart_base, board.link_usart_irqn, board.link_usart_pclk_hz, FSW_BAUD);

    n->now_ms = systick_now_ms();
    params_init(&n->parameters);
    link_init(n);
    pus_init(n);
    adcs_init(n);
    hk_init(n);
    (void)scheduler_init(&n->sched);
    idle_ms = (uint32_t)(params_get(&n->parameters, FSW_FP_LINK_IDLE_INTERVAL_ID) * 1000.0f + 0.5f);
    (void)scheduler_add(&n->sched, link_idle_task, n, idle_ms, n->now_ms);
    (void)scheduler_add(&n->sched, hk_task, n, HK_TASK_PERIOD_MS, n->now_ms);

    /* The first frame tells the ground the node is up and carries the initial CLCW. */
    link_send_idle_frame(n);
    usart_tx_pump();

    for (;;) {
        n->now_ms = systick_now_ms();
        link_poll_uplink(n);
        scheduler_run(&n->sched, n->now_ms);
        link_flush(n);
        usart_tx_pump();
        watchdog_kick();
        if (n->reboot_requested) {
            reboot_after_drain(n);
        }
        /* Sleep until the next interrupt (a received byte or the 1 ms tick). Interrupts are masked around the
         * check so a byte that arrives between the check and wfi still wakes the core. */
        fsw_irq_disable();
        if (usart_rx_pending() == 0u) {
            fsw_wfi();
        }
        fsw_irq_enable();
    }
}
