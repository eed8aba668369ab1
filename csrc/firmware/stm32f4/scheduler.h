/*
 * scheduler.h - fixed-rate task scheduler on the millisecond time base (hardware-free; host-tested).
 *
 * Tasks have periods in milliseconds; their release times are computed from the start time (start + k *
 * period), so they do not drift. A task that falls more than one period behind skips the missed releases and
 * counts an overrun. Times wrap at 2^32 ms (49.7 days); comparisons are modular.
 */
#ifndef FSW_SCHEDULER_H
#define FSW_SCHEDULER_H

#include <stdint.h>

#define SCHEDULER_MAX_TASKS 8u

typedef enum {
    SCHED_OK = 0,
    SCHED_ERR_PARAM = -1,
    SCHED_ERR_FULL = -2
} sched_status;

typedef void (*sched_task_fn)(void *context, uint32_t now_ms);

typedef struct {
    sched_task_fn fn;
    void *context;
    uint32_t period_ms;
    uint32_t next_release_ms;
    uint32_t runs;
    uint32_t overruns;
} sched_task;

typedef struct {
    sched_task tasks[SCHEDULER_MAX_TASKS];
    uint32_t count;
    uint32_t overruns;
} scheduler;

sched_status scheduler_init(scheduler *s);
sched_status scheduler_add(scheduler *s, sched_task_fn fn, void *context, uint32_t period_ms, uint32_t now_ms);
sched_status scheduler_set_period(scheduler *s, sched_task_fn fn, uint32_t period_ms, uint32_t now_ms);
/* Run every task whose release time has come. */
void scheduler_run(scheduler *s, uint32_t now_ms);

#endif /* FSW_SCHEDULER_H */
