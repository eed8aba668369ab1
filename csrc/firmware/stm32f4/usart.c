/*
 * usart.c - link USART driver (STM32F2/F4 USART register layout).
 */
#include "usart.h"

#include "stm32f4_regs.h"

#define RX_MASK (USART_RX_RING_SIZE - 1u)
#define TX_MASK (USART_TX_RING_SIZE - 1u)
#define IRQ_PRIORITY 0x40u /* above SysTick's default, so no byte waits behind the tick */
#define RX_BYTES_PER_IRQ_LIMIT 64u

static uint32_t usart_base;
static uint8_t rx_ring[USART_RX_RING_SIZE];
static uint8_t tx_ring[USART_TX_RING_SIZE];
static volatile uint32_t rx_head; /* written by the interrupt */
static volatile uint32_t rx_tail; /* written by the main loop */
static volatile uint32_t tx_head; /* written by the main loop */
static volatile uint32_t tx_tail; /* written by the interrupt */
static volatile usart_counters counters;

#define USART_REG(offset) FSW_REG32(usart_base + (offset))

usart_status usart_init(uint32_t base, uint32_t irqn, uint32_t pclk_hz, uint32_t baud)
{
    if (base == 0u || baud == 0u || pclk_hz < 16u * baud || irqn > 96u) {
        return USART_ERR_PARAM;
    }
    usart_base = base;
    rx_head = rx_tail = 0u;
    tx_head = tx_tail = 0u;
    counters.rx_bytes = counters.rx_ring_overflows = counters.rx_hw_overruns = counters.tx_bytes = 0u;
    USART_REG(USART_CR1_OFFSET) = 0u;
    /* Oversampling by 16: BRR holds pclk / baud in 1/16 units, rounded (RM0090 §30.3.4). */
    USART_REG(USART_BRR_OFFSET) = (pclk_hz + baud / 2u) / baud;
    USART_REG(USART_CR2_OFFSET) = 0u; /* 1 stop bit */
    USART_REG(USART_CR3_OFFSET) = 0u;
    NVIC_IPR_BYTE(irqn) = IRQ_PRIORITY;
    NVIC_ISER(irqn / 32u) = 1u << (irqn % 32u);
    /* Received bytes are dropped until UE, TE and RE are all set: set them together with RXNEIE. */
    USART_REG(USART_CR1_OFFSET) = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE | USART_CR1_RXNEIE;
    return USART_OK;
}

size_t usart_read(uint8_t *buf, size_t cap)
{
    size_t n = 0u;
    uint32_t tail = rx_tail;
    uint32_t head = rx_head;
    if (buf == NULL) {
        return 0u;
    }
    while (n < cap && tail != head) {
        buf[n++] = rx_ring[tail & RX_MASK];
        ++tail;
    }
    rx_tail = tail;
    return n;
}

size_t usart_rx_pending(void)
{
    return (size_t)(rx_head - rx_tail);
}

size_t usart_tx_free(void)
{
    return USART_TX_RING_SIZE - (size_t)(tx_head - tx_tail);
}

size_t usart_write(const uint8_t *data, size_t len)
{
    size_t i;
    uint32_t head = tx_head;
    if (data == NULL || len == 0u || len > usart_tx_free()) {
        return 0u;
    }
    for (i = 0u; i < len; ++i) {
        tx_ring[head & TX_MASK] = data[i];
        ++head;
    }
    tx_head = head;
    /* Read-modify-write of CR1 races only with the interrupt clearing TXEIE, which it does when the ring
     * was empty; setting it again here is then exactly what is wanted. */
    fsw_irq_disable();
    USART_REG(USART_CR1_OFFSET) |= USART_CR1_TXEIE;
    fsw_irq_enable();
    return len;
}

void usart_get_counters(usart_counters *out)
{
    if (out != NULL) {
        out->rx_bytes = counters.rx_bytes;
        out->rx_ring_overflows = counters.rx_ring_overflows;
        out->rx_hw_overruns = counters.rx_hw_overruns;
        out->tx_bytes = counters.tx_bytes;
    }
}

/* Called with the USART interrupt unable to run (masked), so tx_tail has one writer at a time. */
static void send_while_empty(void)
{
    uint32_t rounds = 0u;
    while ((USART_REG(USART_SR_OFFSET) & USART_SR_TXE) != 0u && tx_tail != tx_head && rounds < USART_TX_RING_SIZE) {
        USART_REG(USART_DR_OFFSET) = tx_ring[tx_tail & TX_MASK];
        ++tx_tail;
        ++counters.tx_bytes;
        ++rounds;
    }
    if (tx_tail == tx_head) {
        USART_REG(USART_CR1_OFFSET) &= ~USART_CR1_TXEIE;
    }
}

void usart_tx_pump(void)
{
    if (usart_base == 0u) {
        return;
    }
    fsw_irq_disable();
    send_while_empty();
    fsw_irq_enable();
}

void USART_Link_IRQHandler(void)
{
    uint32_t sr = USART_REG(USART_SR_OFFSET);
    uint32_t rounds = 0u;
    while ((sr & (USART_SR_RXNE | USART_SR_ORE)) != 0u && rounds < RX_BYTES_PER_IRQ_LIMIT) {
        /* Reading DR after SR clears RXNE and ORE. */
        uint8_t byte = (uint8_t)USART_REG(USART_DR_OFFSET);
        if (sr & USART_SR_ORE) {
            ++counters.rx_hw_overruns;
        }
        if ((uint32_t)(rx_head - rx_tail) < USART_RX_RING_SIZE) {
            rx_ring[rx_head & RX_MASK] = byte;
            ++rx_head;
            ++counters.rx_bytes;
        } else {
            ++counters.rx_ring_overflows;
        }
        ++rounds;
        sr = USART_REG(USART_SR_OFFSET);
    }
    if ((USART_REG(USART_CR1_OFFSET) & USART_CR1_TXEIE) != 0u) {
        send_while_empty();
    }
}
