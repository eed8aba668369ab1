/*
 * scheduler.c - the fixed-rate scheduler.
 */
#include "scheduler.h"

#include <stddef.h>

/* True when time a is at or after time b on the wrapping 32-bit millisecond clock. */
static int time_reached(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) >= 0;
}

sched_status scheduler_init(scheduler *s)
{
    if (s == NULL) {
        return SCHED_ERR_PARAM;
    }
    s->count = 0u;
    s->overruns = 0u;
    return SCHED_OK;
}

sched_status scheduler_add(scheduler *s, sched_task_fn fn, void *context, uint32_t period_ms, uint32_t now_ms)
{
    sched_task *t;
    if (s == NULL || fn == NULL || period_ms == 0u) {
        return SCHED_ERR_PARAM;
    }
    if (s->count >= SCHEDULER_MAX_TASKS) {
        return SCHED_ERR_FULL;
    }
    t = &s->tasks[s->count++];
    t->fn = fn;
    t->context = context;
    t->period_ms = period_ms;
    t->next_release_ms = now_ms + period_ms;
    t->runs = 0u;
    t->overruns = 0u;
    return SCHED_OK;
}

sched_status scheduler_set_period(scheduler *s, sched_task_fn fn, uint32_t period_ms, uint32_t now_ms)
{
    uint32_t i;
    if (s == NULL || fn == NULL || period_ms == 0u) {
        return SCHED_ERR_PARAM;
    }
    for (i = 0u; i < s->count; ++i) {
        if (s->tasks[i].fn == fn) {
            s->tasks[i].period_ms = period_ms;
            s->tasks[i].next_release_ms = now_ms + period_ms;
            return SCHED_OK;
        }
    }
    return SCHED_ERR_PARAM;
}

void scheduler_run(scheduler *s, uint32_t now_ms)
{
    uint32_t i;
    if (s == NULL) {
        return;
    }
    for (i = 0u; i < s->count; ++i) {
        sched_task *t = &s->tasks[i];
        if (!time_reached(now_ms, t->next_release_ms)) {
            continue;
        }
        t->fn(t->context, now_ms);
        ++t->runs;
        t->next_release_ms += t->period_ms;
        if (time_reached(now_ms, t->next_release_ms)) {
            /* More than a period late: skip the missed releases, keep the phase. */
            uint32_t behind = (now_ms - t->next_release_ms) / t->period_ms + 1u;
            t->next_release_ms += behind * t->period_ms;
            ++t->overruns;
            ++s->overruns;
        }
    }
}
