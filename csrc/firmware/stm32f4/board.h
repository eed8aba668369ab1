/*
 * board.h - what differs between the boards: clock tree, which USART carries the link, its pins.
 * Everything above this interface (drivers, application) is shared by every board variant.
 */
#ifndef FSW_BOARD_H
#define FSW_BOARD_H

#include <stdint.h>

typedef enum {
    BOARD_OK = 0,
    BOARD_CLOCK_FALLBACK = 1, /* the PLL or HSE did not start; running from HSI */
    BOARD_ERR_NULL = -1
} board_status;

typedef struct {
    const char *name;
    uint32_t sysclk_hz;      /* core clock, drives SysTick */
    uint32_t link_usart_base; /* USART carrying the CCSDS link */
    uint32_t link_usart_irqn;
    uint32_t link_usart_pclk_hz; /* peripheral clock of that USART, for the baud-rate divider */
} board_config;

/* Bring up clocks, enable the link USART and route its pins. Fills *config even on BOARD_CLOCK_FALLBACK. */
board_status board_init(board_config *config);

#endif /* FSW_BOARD_H */
