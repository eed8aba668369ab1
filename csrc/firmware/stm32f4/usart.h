/*
 * usart.h - the link USART: interrupt-driven receive and transmit through two ring buffers.
 *
 * The receive interrupt moves every byte from DR into the RX ring (dropped and counted when full); the main
 * loop drains it with usart_read. usart_write queues bytes in the TX ring and the TXE interrupt sends them,
 * so the main loop never waits on the line (see usart_tx_pump for the QEMU board). Single producer, single consumer per ring: no locks needed.
 */
#ifndef FSW_USART_H
#define FSW_USART_H

#include <stddef.h>
#include <stdint.h>

#define USART_RX_RING_SIZE 4096u /* power of two */
#define USART_TX_RING_SIZE 4096u /* power of two */

typedef enum {
    USART_OK = 0,
    USART_ERR_PARAM = -1
} usart_status;

typedef struct {
    uint32_t rx_bytes;
    uint32_t rx_ring_overflows; /* bytes lost because the RX ring was full */
    uint32_t rx_hw_overruns;    /* bytes lost in hardware (ORE) */
    uint32_t tx_bytes;
} usart_counters;

usart_status usart_init(uint32_t base, uint32_t irqn, uint32_t pclk_hz, uint32_t baud);
/* Copy up to cap received bytes into buf; returns how many. */
size_t usart_read(uint8_t *buf, size_t cap);
/* Queue all of data or nothing: returns len, or 0 when the TX ring has less free space. */
size_t usart_write(const uint8_t *data, size_t len);
size_t usart_tx_free(void);
/* Received bytes waiting in the RX ring. */
size_t usart_rx_pending(void);
void usart_get_counters(usart_counters *out);
/* Move queued bytes to the data register while it is empty. The TXE interrupt does this on the hardware;
 * QEMU's model raises no TXE interrupt (its transmit is synchronous, TXE always set), so the main loop
 * calls this after queueing and the ring drains there. Bounded by the ring size. */
void usart_tx_pump(void);

void USART_Link_IRQHandler(void);

#endif /* FSW_USART_H */
