/*
 * board_nucleo_f446re.c - the NUCLEO-F446RE board (STM32F446RE, Cortex-M4F).
 *
 * Clock: PLL to 180 MHz from the 8 MHz HSE in bypass mode (the ST-LINK's MCO output), or from the 16 MHz
 * HSI when the ST-LINK clock is absent (solder bridge SB50 open). 180 MHz needs voltage scale 1 with
 * over-drive and five flash wait states (RM0390 §3.4.1, §5.1.4). APB1 = 45 MHz, APB2 = 90 MHz.
 * Link: USART2 on PA2 (TX) / PA3 (RX), alternate function 7, wired to the ST-LINK virtual COM port.
 * Every wait on a hardware flag is bounded; a clock that does not come up leaves the part on HSI.
 */
#include "board.h"
#include "stm32f4_regs.h"

#define HSI_HZ 16000000u
#define HSE_HZ 8000000u
#define PLL_VCO_IN_HZ 1000000u
#define PLL_N 360u
#define PLL_P_DIV2 0u /* PLLP field 0 = /2 */
#define PLL_Q 8u      /* unused 48 MHz domain; must be >= 2 */
#define PLL_R 2u      /* unused; must be >= 2 */
#define SYSCLK_PLL_HZ 180000000u
#define FLASH_WAIT_STATES_180MHZ 5u
#define READY_WAIT_LIMIT 200000u

static int wait_set(volatile uint32_t *reg, uint32_t mask)
{
    uint32_t spins;
    for (spins = 0; spins < READY_WAIT_LIMIT; ++spins) {
        if ((*reg & mask) == mask) {
            return 1;
        }
    }
    return 0;
}

static int start_hse_bypass(void)
{
    RCC_CR |= RCC_CR_HSEBYP;
    RCC_CR |= RCC_CR_HSEON;
    if (wait_set(&RCC_CR, RCC_CR_HSERDY)) {
        return 1;
    }
    RCC_CR &= ~(RCC_CR_HSEON | RCC_CR_HSEBYP);
    return 0;
}

static int start_pll(int from_hse)
{
    uint32_t pllm = (from_hse ? HSE_HZ : HSI_HZ) / PLL_VCO_IN_HZ;
    RCC_APB1ENR |= RCC_APB1ENR_PWREN;
    PWR_CR |= PWR_CR_VOS_SCALE1;
    RCC_PLLCFGR = pllm | (PLL_N << 6) | (PLL_P_DIV2 << 16) | (from_hse ? RCC_PLLCFGR_SRC_HSE : 0u) |
                  (PLL_Q << 24) | (PLL_R << 28);
    RCC_CR |= RCC_CR_PLLON;
    if (!wait_set(&RCC_CR, RCC_CR_PLLRDY)) {
        RCC_CR &= ~RCC_CR_PLLON;
        return 0;
    }
    /* Over-drive is required above 168 MHz (RM0390 §5.1.4). */
    PWR_CR |= PWR_CR_ODEN;
    if (!wait_set(&PWR_CSR, PWR_CSR_ODRDY)) {
        return 0;
    }
    PWR_CR |= PWR_CR_ODSWEN;
    if (!wait_set(&PWR_CSR, PWR_CSR_ODSWRDY)) {
        return 0;
    }
    /* Wait states before raising the clock, not after. */
    FLASH_ACR = (FLASH_ACR & ~FLASH_ACR_LATENCY_MASK) | FLASH_WAIT_STATES_180MHZ | FLASH_ACR_PRFTEN |
                FLASH_ACR_ICEN | FLASH_ACR_DCEN;
    RCC_CFGR = (RCC_CFGR & ~0x3u) | RCC_CFGR_PPRE1_DIV4 | RCC_CFGR_PPRE2_DIV2;
    RCC_CFGR |= RCC_CFGR_SW_PLL;
    {
        uint32_t spins;
        for (spins = 0; spins < READY_WAIT_LIMIT; ++spins) {
            if ((RCC_CFGR & RCC_CFGR_SWS_MASK) == RCC_CFGR_SWS_PLL) {
                return 1;
            }
        }
    }
    return 0;
}

static void route_usart2_pins(void)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOAEN;
    RCC_APB1ENR |= RCC_APB1ENR_USART2EN;
    /* PA2, PA3: alternate function mode (0b10), AF7, high speed, pull-up on RX. */
    GPIOA_MODER = (GPIOA_MODER & ~((0x3u << 4) | (0x3u << 6))) | (0x2u << 4) | (0x2u << 6);
    GPIOA_AFRL = (GPIOA_AFRL & ~((0xFu << 8) | (0xFu << 12))) | (0x7u << 8) | (0x7u << 12);
    GPIOA_OSPEEDR |= (0x3u << 4) | (0x3u << 6);
    GPIOA_PUPDR = (GPIOA_PUPDR & ~(0x3u << 6)) | (0x1u << 6);
}

board_status board_init(board_config *config)
{
    int from_hse;
    int pll_up;
    if (config == 0) {
        return BOARD_ERR_NULL;
    }
    from_hse = start_hse_bypass();
    pll_up = start_pll(from_hse);
    route_usart2_pins();
    config->name = "nucleo-f446re";
    config->link_usart_base = USART2_BASE;
    config->link_usart_irqn = USART2_IRQN;
    if (pll_up) {
        config->sysclk_hz = SYSCLK_PLL_HZ;
        config->link_usart_pclk_hz = SYSCLK_PLL_HZ / 4u;
        return BOARD_OK;
    }
    /* Back to HSI with no prescalers and no extra wait states. */
    RCC_CFGR &= ~0x3u;
    RCC_CFGR &= ~((0x7u << 10) | (0x7u << 13));
    config->sysclk_hz = HSI_HZ;
    config->link_usart_pclk_hz = HSI_HZ;
    return BOARD_CLOCK_FALLBACK;
}
