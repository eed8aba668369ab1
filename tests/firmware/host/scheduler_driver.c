/*
 * scheduler_driver.c - drives the firmware's scheduler (csrc/firmware/stm32f4/scheduler.c) on the host.
 *
 * stdin, one command per line:  "add PERIOD_MS NOW_MS"  adds a task;  "run NOW_MS"  calls scheduler_run.
 * stdout: "ran TASK NOW_MS" for every task execution, then "task TASK runs N overruns M" per task.
 */
#include <stdio.h>
#include <string.h>

#include "scheduler.h"

static unsigned ids[SCHEDULER_MAX_TASKS];

static void record(void *context, uint32_t now_ms)
{
    printf("ran %u %lu\n", *(const unsigned *)context, (unsigned long)now_ms);
}

int main(void)
{
    scheduler s;
    char word[16];
    unsigned long a;
    unsigned long b;
    uint32_t i;
    if (scheduler_init(&s) != SCHED_OK) {
        return 1;
    }
    while (scanf("%15s", word) == 1) {
        if (strcmp(word, "add") == 0 && scanf("%lu %lu", &a, &b) == 2) {
            ids[s.count] = (unsigned)s.count;
            if (scheduler_add(&s, record, &ids[s.count], (uint32_t)a, (uint32_t)b) != SCHED_OK) {
                return 2;
            }
        } else if (strcmp(word, "run") == 0 && scanf("%lu", &a) == 1) {
            scheduler_run(&s, (uint32_t)a);
        } else {
            return 3;
        }
    }
    for (i = 0; i < s.count; ++i) {
        printf("task %lu runs %lu overruns %lu\n", (unsigned long)i, (unsigned long)s.tasks[i].runs,
               (unsigned long)s.tasks[i].overruns);
    }
    return 0;
}
