/*
 * recv.c — the receive worker and its group commit. See recv.h.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include "recv.h"

#include "clock.h"
#include "view.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#define RECV_GROUP_JOBS 256  /* jobs held for one commit, at most */
#define RECV_FAILED_MAX 64   /* (link, epoch) pairs remembered as failed */

typedef struct failed_link {
    uint64_t link, epoch;
} failed_link;

struct recv_worker {
    store *s;
    size_t group_max;
    void *ours, *theirs;        /* PAIR: the node's end, the worker's end */
    pthread_t tid;
    int running;
    int pending;                /* submitted, not yet collected (node's side) */
    /* The worker's own: */
    apply_txn *t;
    int64_t opened_ms;
    recv_job *group[RECV_GROUP_JOBS];
    int ngroup;
    failed_link failed[RECV_FAILED_MAX];
    int nfailed, next_failed;
};

recv_job *recv_job_new(int kind)
{
    recv_job *j = calloc(1, sizeof *j);
    if (j)
        j->kind = kind;
    return j;
}

void recv_job_release_input(recv_job *j)
{
    sync_incoming_clear(&j->in);
    if (j->msg)
        sadasya__sync_msg__free_unpacked(j->msg, NULL);
    j->msg = NULL;
}

void recv_job_free(recv_job **jp)
{
    if (!jp || !*jp)
        return;
    recv_job *j = *jp;
    recv_job_release_input(j);
    for (size_t i = 0; i < j->nmeta; i++) {
        free(j->meta_name[i]);
        free(j->meta_val[i]);
    }
    free(j);
    *jp = NULL;
}

/* --- the worker ---------------------------------------------------------- */

/* Words between the threads: a job pointer, and from the worker whether
 * the job is only applied (RECV_APPLIED) or finished (RECV_DONE). */
enum { RECV_DONE = 0, RECV_APPLIED = 1 };

typedef struct recv_word {
    recv_job *job;
    int kind;
} recv_word;

static int send_word(void *sock, recv_job *j, int kind)
{
    recv_word w = { j, kind };
    return zmq_send(sock, &w, sizeof w, 0) == (int)sizeof w ? 0 : -1;
}

static int send_ptr(void *sock, void *p)
{
    return zmq_send(sock, &p, sizeof p, 0) == (int)sizeof p ? 0 : -1;
}

static void *recv_ptr(void *sock, int *ok)
{
    void *p = NULL;
    *ok = zmq_recv(sock, &p, sizeof p, 0) == (int)sizeof p;
    return p;
}

static int link_failed(const recv_worker *r, const recv_job *j)
{
    for (int i = 0; i < r->nfailed; i++)
        if (r->failed[i].link == j->link && r->failed[i].epoch == j->epoch)
            return 1;
    return 0;
}

static void mark_failed(recv_worker *r, const recv_job *j)
{
    if (j->kind != RECV_BATCH || link_failed(r, j))
        return;
    r->failed[r->next_failed] = (failed_link){ j->link, j->epoch };
    r->next_failed = (r->next_failed + 1) % RECV_FAILED_MAX;
    if (r->nfailed < RECV_FAILED_MAX)
        r->nfailed++;
}

/* Refusal reports, delivered at commit (worker thread, into the job). */
static void on_report(const entry_signed *es, int kind, const char *why,
                      void *ctx)
{
    recv_job *j = ctx;
    uint8_t origin[32] = { 0 };
    uint64_t seq = 0;
    entry_peek(es->entry, es->entry_len, origin, &seq, NULL);
    if (j->nreports < RECV_MAX_REPORTS) {
        recv_report *rp = &j->reports[j->nreports++];
        memcpy(rp->origin, origin, 32);
        rp->seq = seq;
        rp->kind = kind;
        snprintf(rp->why, sizeof rp->why, "%s", why);
    }
}

/* After the last batch from a peer: a node restored from a backup may
 * write again once that peer holds nothing newer of its own log. */
static int check_fence(recv_worker *r, recv_job *j, sd_err *err)
{
    store_txn *txn = apply_txn_handle(r->t);
    store_head mine;
    int rc = store_head_get(r->s, txn, j->own_key, &mine, err);
    if (rc || j->theirs > mine.seq)
        return rc;
    rc = store_meta_del(r->s, txn, STORE_META_FENCE, err);
    if (rc && rc != SD_ENOTFOUND)
        return rc;
    j->unfenced = rc == SD_OK;
    j->own_seq = mine.seq;
    return SD_OK;
}

static int apply_job(recv_worker *r, recv_job *j)
{
    if (!r->t) {
        if ((j->rc = apply_txn_begin(r->s, &r->t, &j->err)))
            return j->rc;
        r->opened_ms = clock_mono_ms();
    }
    if (j->kind == RECV_META) {
        for (size_t i = 0; i < j->nmeta && !j->rc; i++)
            j->rc = store_meta_put(r->s, apply_txn_handle(r->t), j->meta_name[i],
                                   j->meta_val[i], j->meta_len[i], &j->err);
        return j->rc;
    }
    apply_opts o = { .on_reject = on_report, .ctx = j };
    j->rc = sync_incoming_apply(r->t, &j->in, &o, &j->res, &j->err);
    if (!j->rc && j->unfence)
        j->rc = check_fence(r, j, &j->err);
    if (j->rc)
        return j->rc;
    /* Its reports now (voided if the commit fails), so that the batch can
     * go: the node frees it and pulls the next one. */
    apply_txn_report(r->t);
    if (j->res.rejected)
        mark_failed(r, j); /* the rest of its pull would be gaps */
    send_word(r->theirs, j, RECV_APPLIED);
    return SD_OK;
}

/* Returns the group's jobs to the node; when the group failed, each job
 * not skipped takes its error (a full map is a full store: it cannot grow). */
static void return_group(recv_worker *r, int rc, const sd_err *err)
{
    sd_err e = *err;
    if (rc == SD_EMAPFULL)
        sd_errf(&e, rc = SD_EFULL, "store map full (%s); nothing of the "
                "batch was written", err->msg);
    for (int i = 0; i < r->ngroup; i++) {
        recv_job *j = r->group[i];
        if (rc && !j->skipped) {
            j->rc = rc;
            j->err = e;
            mark_failed(r, j);
        }
        if (send_word(r->theirs, j, RECV_DONE))
            recv_job_free(&j); /* the node is gone */
    }
    r->ngroup = 0;
}

static void commit_group(recv_worker *r)
{
    sd_err err;
    sd_err_clear(&err);
    int rc = r->t ? apply_txn_commit(&r->t, &err) : SD_OK;
    return_group(r, rc, &err);
}

static void fail_group(recv_worker *r, int rc, const sd_err *err)
{
    apply_txn_abort(&r->t);
    return_group(r, rc, err);
}

static void *worker(void *arg)
{
    recv_worker *r = arg;
    int64_t linger_until = 0;
    for (;;) {
        long timeout = -1;
        if (r->ngroup) {
            int64_t now = clock_mono_ms();
            timeout = linger_until > now ? (long)(linger_until - now) : 0;
        }
        zmq_pollitem_t it = { r->theirs, 0, ZMQ_POLLIN, 0 };
        int prc = zmq_poll(&it, 1, timeout);
        if (prc < 0 && zmq_errno() == ETERM)
            break;
        if (prc <= 0 || !(it.revents & ZMQ_POLLIN)) {
            if (r->ngroup)
                commit_group(r);
            continue;
        }
        int ok;
        recv_job *j = recv_ptr(r->theirs, &ok);
        if (!ok)
            continue;
        if (!j) { /* stop */
            if (r->ngroup)
                commit_group(r);
            send_word(r->theirs, NULL, RECV_DONE); /* stopped */
            break;
        }
        if (r->ngroup == RECV_GROUP_JOBS)
            commit_group(r);
        r->group[r->ngroup++] = j;
        if (j->kind == RECV_BATCH && link_failed(r, j)) {
            j->skipped = 1;
        } else if (apply_job(r, j)) {
            sd_err e = j->err;
            fail_group(r, j->rc, &e);
            continue;
        }
        int64_t now = clock_mono_ms();
        if ((r->t && apply_txn_added(r->t) >= r->group_max) ||
            (r->t && now - r->opened_ms >= RECV_GROUP_MS)) {
            commit_group(r);
            continue;
        }
        /* A catch-up's next batch is on its way: wait a little for it.
         * Anything else lands at once unless a job is already waiting. */
        linger_until = now + (j->kind == RECV_BATCH && j->more ? RECV_LINGER_MS : 0);
        if (r->t && linger_until > r->opened_ms + RECV_GROUP_MS)
            linger_until = r->opened_ms + RECV_GROUP_MS;
    }
    if (r->t)
        apply_txn_abort(&r->t);
    return NULL;
}

/* --- the node's side ----------------------------------------------------- */

int recv_new(recv_worker **out, void *ctx, store *s, unsigned group_max, sd_err *err)
{
    *out = NULL;
    recv_worker *r = calloc(1, sizeof *r);
    if (!r)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    r->s = s;
    r->group_max = group_max ? group_max : RECV_GROUP_ENTRIES;
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://sadasya-recv-%p", (void *)r);
    int zero = 0, hwm = 0; /* pointers only: never drop, never block */
    r->ours = zmq_socket(ctx, ZMQ_PAIR);
    r->theirs = zmq_socket(ctx, ZMQ_PAIR);
    if (!r->ours || !r->theirs) {
        recv_destroy(&r);
        return sd_errf(err, SD_EIO, "cannot make the receive worker's sockets");
    }
    zmq_setsockopt(r->ours, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(r->theirs, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(r->ours, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(r->ours, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(r->theirs, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(r->theirs, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (zmq_bind(r->ours, ep) || zmq_connect(r->theirs, ep)) {
        recv_destroy(&r);
        return sd_errf(err, SD_EIO, "cannot connect the receive worker: %s",
                       zmq_strerror(zmq_errno()));
    }
    if (pthread_create(&r->tid, NULL, worker, r)) {
        recv_destroy(&r);
        return sd_errf(err, SD_EIO, "cannot start the receive worker");
    }
    pthread_setname_np(r->tid, "sadasyad-recv"); /* top -H, perf */
    r->running = 1;
    *out = r;
    return SD_OK;
}

void recv_destroy(recv_worker **rp)
{
    if (!rp || !*rp)
        return;
    recv_worker *r = *rp;
    if (r->running) {
        /* Ask it to stop; it commits what it holds and says so last. */
        send_ptr(r->ours, NULL);
        for (;;) {
            recv_word w;
            if (zmq_recv(r->ours, &w, sizeof w, 0) != (int)sizeof w || !w.job)
                break;
            if (w.kind == RECV_DONE)
                recv_job_free(&w.job);
        }
        pthread_join(r->tid, NULL);
    }
    if (r->ours)
        zmq_close(r->ours);
    if (r->theirs)
        zmq_close(r->theirs);
    free(r);
    *rp = NULL;
}

int recv_submit(recv_worker *r, recv_job *job, sd_err *err)
{
    if (!job)
        return sd_errf(err, SD_EINVAL, "no job");
    if (send_ptr(r->ours, job))
        return sd_errf(err, SD_EIO, "cannot reach the receive worker: %s",
                       zmq_strerror(zmq_errno()));
    r->pending++;
    return SD_OK;
}

void *recv_socket(recv_worker *r)
{
    return r->ours;
}

recv_job *recv_next(recv_worker *r, int *applied)
{
    recv_word w;
    if (zmq_recv(r->ours, &w, sizeof w, ZMQ_DONTWAIT) != (int)sizeof w || !w.job)
        return NULL;
    *applied = w.kind == RECV_APPLIED;
    if (!*applied)
        r->pending--;
    return w.job;
}

int recv_pending(const recv_worker *r)
{
    return r->pending;
}
