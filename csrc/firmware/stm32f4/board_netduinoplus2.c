/*
 * board_netduinoplus2.c - the QEMU `netduinoplus2` machine (STM32F405, Cortex-M4F).
 *
 * QEMU models RCC as a stub (writes ignored, reads 0) and runs SYSCLK at a fixed 168 MHz, so this variant
 * never waits on a clock-ready flag: it writes the enables a real F405 would need and carries on. The first
 * `-serial` of the machine is USART1 (0x40011000, IRQ 37) with F2-style registers.
 */
#include "board.h"
#include "stm32f4_regs.h"

#define NETDUINO_SYSCLK_HZ 168000000u
#define NETDUINO_APB2_HZ (NETDUINO_SYSCLK_HZ / 2u)

board_status board_init(board_config *config)
{
    if (config == 0) {
        return BOARD_ERR_NULL;
    }
    RCC_APB2ENR |= RCC_APB2ENR_USART1EN;
    config->name = "netduinoplus2";
    config->sysclk_hz = NETDUINO_SYSCLK_HZ;
    config->link_usart_base = USART1_BASE;
    config->link_usart_irqn = USART1_IRQN;
    config->link_usart_pclk_hz = NETDUINO_APB2_HZ;
    return BOARD_OK;
}
