/*
 * stm32f4_regs.h - the STM32F4 and Cortex-M4 registers this firmware touches, and nothing more.
 *
 * Addresses and bit positions from the STM32F405/415 (RM0090) and STM32F446 (RM0390) reference manuals and
 * the ARMv7-M architecture reference manual. Both parts share these peripherals at the same addresses.
 */
#ifndef FSW_STM32F4_REGS_H
#define FSW_STM32F4_REGS_H

#include <stdint.h>

#define FSW_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* ---- Cortex-M4 system control space ---------------------------------------------------------- */
#define SCB_ICSR FSW_REG32(0xE000ED04u)
#define SCB_VTOR FSW_REG32(0xE000ED08u)
#define SCB_AIRCR FSW_REG32(0xE000ED0Cu)
#define SCB_SHCSR FSW_REG32(0xE000ED24u)
#define SCB_CFSR FSW_REG32(0xE000ED28u) /* MMFSR | BFSR << 8 | UFSR << 16 */
#define SCB_HFSR FSW_REG32(0xE000ED2Cu)
#define SCB_MMFAR FSW_REG32(0xE000ED34u)
#define SCB_BFAR FSW_REG32(0xE000ED38u)
#define SCB_CPACR FSW_REG32(0xE000ED88u)
#define SCB_AIRCR_VECTKEY (0x05FAu << 16)
#define SCB_AIRCR_SYSRESETREQ (1u << 2)
#define SCB_SHCSR_USGFAULTENA (1u << 18)
#define SCB_SHCSR_BUSFAULTENA (1u << 17)
#define SCB_SHCSR_MEMFAULTENA (1u << 16)
#define SCB_CPACR_CP10_CP11_FULL (0xFu << 20)

#define SYSTICK_CTRL FSW_REG32(0xE000E010u)
#define SYSTICK_LOAD FSW_REG32(0xE000E014u)
#define SYSTICK_VAL FSW_REG32(0xE000E018u)
#define SYSTICK_CTRL_ENABLE (1u << 0)
#define SYSTICK_CTRL_TICKINT (1u << 1)
#define SYSTICK_CTRL_CLKSOURCE_CPU (1u << 2)

#define NVIC_ISER(n) FSW_REG32(0xE000E100u + 4u * (n))
#define NVIC_IPR_BYTE(irq) (*(volatile uint8_t *)(uintptr_t)(0xE000E400u + (irq)))

/* ---- RCC --------------------------------------------------------------------------------------- */
#define RCC_BASE 0x40023800u
#define RCC_CR FSW_REG32(RCC_BASE + 0x00u)
#define RCC_PLLCFGR FSW_REG32(RCC_BASE + 0x04u)
#define RCC_CFGR FSW_REG32(RCC_BASE + 0x08u)
#define RCC_AHB1ENR FSW_REG32(RCC_BASE + 0x30u)
#define RCC_APB1ENR FSW_REG32(RCC_BASE + 0x40u)
#define RCC_APB2ENR FSW_REG32(RCC_BASE + 0x44u)
#define RCC_CSR FSW_REG32(RCC_BASE + 0x74u)

#define RCC_CR_HSION (1u << 0)
#define RCC_CR_HSIRDY (1u << 1)
#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_HSEBYP (1u << 18)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_PLLCFGR_SRC_HSE (1u << 22)
#define RCC_CFGR_SW_PLL 0x2u
#define RCC_CFGR_SWS_MASK (0x3u << 2)
#define RCC_CFGR_SWS_PLL (0x2u << 2)
#define RCC_CFGR_PPRE1_DIV4 (0x5u << 10)
#define RCC_CFGR_PPRE2_DIV2 (0x4u << 13)
#define RCC_AHB1ENR_GPIOAEN (1u << 0)
#define RCC_APB1ENR_USART2EN (1u << 17)
#define RCC_APB1ENR_PWREN (1u << 28)
#define RCC_APB2ENR_USART1EN (1u << 4)
/* RCC_CSR reset flags (RM0090 §7.3.21) and the bit that clears them. */
#define RCC_CSR_RMVF (1u << 24)
#define RCC_CSR_BORRSTF (1u << 25)
#define RCC_CSR_PINRSTF (1u << 26)
#define RCC_CSR_PORRSTF (1u << 27)
#define RCC_CSR_SFTRSTF (1u << 28)
#define RCC_CSR_IWDGRSTF (1u << 29)
#define RCC_CSR_WWDGRSTF (1u << 30)
#define RCC_CSR_LPWRRSTF (1u << 31)

/* ---- PWR and flash interface ------------------------------------------------------------------ */
#define PWR_CR FSW_REG32(0x40007000u)
#define PWR_CSR FSW_REG32(0x40007004u)
#define PWR_CR_VOS_SCALE1 (0x3u << 14)
#define PWR_CR_ODEN (1u << 16)
#define PWR_CR_ODSWEN (1u << 17)
#define PWR_CSR_ODRDY (1u << 16)
#define PWR_CSR_ODSWRDY (1u << 17)

#define FLASH_ACR FSW_REG32(0x40023C00u)
#define FLASH_ACR_LATENCY_MASK 0xFu
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ICEN (1u << 9)
#define FLASH_ACR_DCEN (1u << 10)

/* ---- GPIO A ------------------------------------------------------------------------------------ */
#define GPIOA_BASE 0x40020000u
#define GPIOA_MODER FSW_REG32(GPIOA_BASE + 0x00u)
#define GPIOA_OSPEEDR FSW_REG32(GPIOA_BASE + 0x08u)
#define GPIOA_PUPDR FSW_REG32(GPIOA_BASE + 0x0Cu)
#define GPIOA_AFRL FSW_REG32(GPIOA_BASE + 0x20u)

/* ---- USART (STM32F2/F4 register layout) -------------------------------------------------------- */
#define USART1_BASE 0x40011000u
#define USART2_BASE 0x40004400u
#define USART_SR_OFFSET 0x00u
#define USART_DR_OFFSET 0x04u
#define USART_BRR_OFFSET 0x08u
#define USART_CR1_OFFSET 0x0Cu
#define USART_CR2_OFFSET 0x10u
#define USART_CR3_OFFSET 0x14u
#define USART_SR_ORE (1u << 3)
#define USART_SR_RXNE (1u << 5)
#define USART_SR_TXE (1u << 7)
#define USART_CR1_RE (1u << 2)
#define USART_CR1_TE (1u << 3)
#define USART_CR1_RXNEIE (1u << 5)
#define USART_CR1_TXEIE (1u << 7)
#define USART_CR1_UE (1u << 13)
#define USART1_IRQN 37u
#define USART2_IRQN 38u

/* ---- Independent watchdog ---------------------------------------------------------------------- */
#define IWDG_KR FSW_REG32(0x40003000u)
#define IWDG_PR FSW_REG32(0x40003004u)
#define IWDG_RLR FSW_REG32(0x40003008u)
#define IWDG_SR FSW_REG32(0x4000300Cu)
#define IWDG_KEY_START 0xCCCCu
#define IWDG_KEY_UNLOCK 0x5555u
#define IWDG_KEY_RELOAD 0xAAAAu

static inline void fsw_dsb(void) { __asm__ volatile("dsb 0xF" ::: "memory"); }
static inline void fsw_isb(void) { __asm__ volatile("isb 0xF" ::: "memory"); }
static inline void fsw_wfi(void) { __asm__ volatile("wfi"); }
static inline void fsw_irq_disable(void) { __asm__ volatile("cpsid i" ::: "memory"); }
static inline void fsw_irq_enable(void) { __asm__ volatile("cpsie i" ::: "memory"); }

#endif /* FSW_STM32F4_REGS_H */
