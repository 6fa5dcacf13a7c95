/*
 * workq.c — a bounded queue (a ring under one mutex and two condition
 * variables) and a rate-limited progress reporter. See workq.h.
 */
#include "workq.h"

#include <errno.h>
#include <stdlib.h>

struct workq {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    void **ring;
    size_t cap, head, len;
    int closed;
};

int workq_new(workq **out, size_t cap, sd_err *err)
{
    *out = NULL;
    if (cap < 1)
        return sd_errf(err, SD_EINVAL, "a queue holds at least one item");
    workq *q = calloc(1, sizeof *q);
    if (q && !(q->ring = calloc(cap, sizeof *q->ring))) {
        free(q);
        q = NULL;
    }
    if (!q)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    q->cap = cap;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    *out = q;
    return SD_OK;
}

void workq_destroy(workq **q)
{
    if (!q || !*q)
        return;
    pthread_cond_destroy(&(*q)->not_empty);
    pthread_cond_destroy(&(*q)->not_full);
    pthread_mutex_destroy(&(*q)->mu);
    free((*q)->ring);
    free(*q);
    *q = NULL;
}

int workq_push(workq *q, void *item)
{
    pthread_mutex_lock(&q->mu);
    while (q->len == q->cap && !q->closed)
        pthread_cond_wait(&q->not_full, &q->mu);
    int rc = q->closed ? WORKQ_CLOSED : 0;
    if (!rc) {
        q->ring[(q->head + q->len) % q->cap] = item;
        q->len++;
        pthread_cond_signal(&q->not_empty);
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

/* Takes the head; q->mu held and q->len > 0. */
static void *take(workq *q)
{
    void *item = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    pthread_cond_signal(&q->not_full);
    return item;
}

int workq_pop(workq *q, void **item)
{
    pthread_mutex_lock(&q->mu);
    while (!q->len && !q->closed)
        pthread_cond_wait(&q->not_empty, &q->mu);
    int rc = q->len ? 0 : WORKQ_CLOSED;
    *item = rc ? NULL : take(q);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

int workq_pop_wait(workq *q, void **item, int64_t timeout_ns)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(timeout_ns / 1000000000ll);
    until.tv_nsec += (long)(timeout_ns % 1000000000ll);
    if (until.tv_nsec >= 1000000000l) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000l;
    }
    int timed_out = 0;
    pthread_mutex_lock(&q->mu);
    while (!q->len && !q->closed && !timed_out)
        timed_out = pthread_cond_timedwait(&q->not_empty, &q->mu, &until) ==
                    ETIMEDOUT;
    int rc = q->len ? 0 : q->closed ? WORKQ_CLOSED : WORKQ_TIMEOUT;
    *item = rc ? NULL : take(q);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

void workq_close(workq *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
}

int workq_closed(workq *q)
{
    pthread_mutex_lock(&q->mu);
    int closed = q->closed;
    pthread_mutex_unlock(&q->mu);
    return closed;
}

/* --- progress ------------------------------------------------------------ */

static int64_t ns_between(const struct timespec *a, const struct timespec *b)
{
    return (int64_t)(b->tv_sec - a->tv_sec) * 1000000000ll +
           (b->tv_nsec - a->tv_nsec);
}

void workq_progress_init(workq_progress *p, uint64_t total, int64_t every_ns,
                         workq_progress_fn fn, void *ctx)
{
    pthread_mutex_init(&p->mu, NULL);
    p->done = 0;
    p->total = total;
    p->every_ns = every_ns;
    p->fn = fn;
    p->ctx = ctx;
    clock_gettime(CLOCK_MONOTONIC, &p->start);
    p->last = p->start;
}

/* Calls fn when due (always when last); p->mu held. The callback runs
 * under the lock, so reports never overlap. */
static void report(workq_progress *p, int last)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!p->fn || (!last && ns_between(&p->last, &now) < p->every_ns))
        return;
    p->last = now;
    double secs = (double)ns_between(&p->start, &now) / 1e9;
    p->fn(p->done, p->total, secs > 0 ? (double)p->done / secs : 0.0, last,
          p->ctx);
}

void workq_progress_add(workq_progress *p, uint64_t n)
{
    pthread_mutex_lock(&p->mu);
    p->done += n;
    report(p, 0);
    pthread_mutex_unlock(&p->mu);
}

void workq_progress_set(workq_progress *p, uint64_t done)
{
    pthread_mutex_lock(&p->mu);
    p->done = done;
    report(p, 0);
    pthread_mutex_unlock(&p->mu);
}

void workq_progress_tick(workq_progress *p)
{
    workq_progress_add(p, 0);
}

uint64_t workq_progress_done(workq_progress *p)
{
    pthread_mutex_lock(&p->mu);
    uint64_t done = p->done;
    pthread_mutex_unlock(&p->mu);
    return done;
}

double workq_progress_seconds(workq_progress *p)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)ns_between(&p->start, &now) / 1e9;
}

void workq_progress_end(workq_progress *p)
{
    pthread_mutex_lock(&p->mu);
    report(p, 1);
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_destroy(&p->mu);
}
