/*
 * workq.h — a bounded queue between threads, and a progress reporter.
 *
 * The queue carries pointers from any number of producers to any number
 * of consumers, first in first out; a producer waits while it is full, a
 * consumer while it is empty. Closing it wakes everyone: producers are
 * refused from then on, consumers take what is left and then hear that
 * it is closed. Either side may close it (a consumer that failed closes
 * it so that producers stop). The import pipeline (import.c) and the
 * card drawers (cli/cmd_card.c) use it.
 *
 * The progress reporter counts work done (from any thread) and calls its
 * callback at most once per interval with "done of total, per second";
 * the caller decides what to print. Nothing here prints.
 */
#ifndef SADASYA_WORKQ_H
#define SADASYA_WORKQ_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"

#define WORKQ_CLOSED 1    /* workq_push/_pop: the queue is closed */
#define WORKQ_TIMEOUT 2   /* workq_pop_wait: nothing came in time */

typedef struct workq workq;

/* A queue holding at most cap items (cap >= 1). */
int workq_new(workq **out, size_t cap, sd_err *err);
/* Frees the queue (NULL is fine; *q becomes NULL). Items still in it are
 * the caller's: take them with workq_pop after workq_close first. No
 * thread may be using it. */
void workq_destroy(workq **q);

/* Adds item, waiting while the queue is full. 0, or WORKQ_CLOSED when it
 * is (or gets) closed: the item was not taken. */
int workq_push(workq *q, void *item);
/* Takes the oldest item into *item, waiting while the queue is empty and
 * open. 0, or WORKQ_CLOSED when it is closed and empty. */
int workq_pop(workq *q, void **item);
/* workq_pop waiting at most timeout_ns: WORKQ_TIMEOUT when nothing came. */
int workq_pop_wait(workq *q, void **item, int64_t timeout_ns);
/* No more items: wakes every waiting thread. Idempotent. */
void workq_close(workq *q);
int workq_closed(workq *q);

/* Called with the work done so far, the total (0: unknown), the rate
 * since the start and whether this is the last call (workq_progress_end). */
typedef void (*workq_progress_fn)(uint64_t done, uint64_t total,
                                  double per_sec, int last, void *ctx);

typedef struct workq_progress {
    pthread_mutex_t mu;
    uint64_t done, total;
    int64_t every_ns;           /* at most one report per interval */
    struct timespec start, last;
    workq_progress_fn fn;       /* NULL: count only */
    void *ctx;
} workq_progress;

/* Starts counting from 0 now. */
void workq_progress_init(workq_progress *p, uint64_t total, int64_t every_ns,
                         workq_progress_fn fn, void *ctx);
/* Adds n to the work done; reports when the interval has passed. */
void workq_progress_add(workq_progress *p, uint64_t n);
/* Sets the work done to done; reports when the interval has passed. */
void workq_progress_set(workq_progress *p, uint64_t done);
/* Reports when the interval has passed (a waiting thread's heartbeat). */
void workq_progress_tick(workq_progress *p);
uint64_t workq_progress_done(workq_progress *p);
/* Seconds since workq_progress_init. */
double workq_progress_seconds(workq_progress *p);
/* Reports a last time (last = 1) and releases p. */
void workq_progress_end(workq_progress *p);

#endif
