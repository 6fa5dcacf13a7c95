/*
 * import_run.c — an import's pass 2: rows signed by a worker thread (with
 * presigned nonces), batches committed by the calling thread through the
 * one write path, resumable after an interruption. See import.h.
 */
#define _FILE_OFFSET_BITS 64
#include "import_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "apply.h"
#include "member.h"
#include "notify.h"
#include "view.h"
#include "workq.h"

/* --- pass 2: sign in a worker, commit in the calling thread --------------- */

typedef struct batch {
    entry_signed *items;         /* room for a batch and one more row */
    size_t n;
    size_t joins, updates;       /* members registered, corrected */
    uint64_t rows_done;          /* data rows of the file done once it lands */
    char first[NUMBER_MAX_LEN], last[NUMBER_MAX_LEN];
} batch;

typedef struct pipeline {
    /* set before the worker starts */
    FILE *in;
    const import_plan *plan;
    const import_opts *o;
    writer *w;                   /* signs in the worker alone while it runs */
    uint64_t skip;               /* data rows done by an earlier run */
    size_t batch_size;
    workq *q;                    /* batches, worker → committer */

    /* the worker's */
    int have_header;
    uint64_t rows;               /* data rows read (atomic: progress reads it) */
    uint64_t pushed_rows;        /* rows_done of the last batch handed over */
    uint64_t bytes;
    batch *cur;
    import_bad *skipped;         /* bad rows skipped in this run */
    size_t next_edit;            /* the plan's next correction */
    int rc;                      /* the worker's failure, read after join */
    sd_err err;
} pipeline;

static void batch_destroy(batch **b)
{
    if (!b || !*b)
        return;
    for (size_t i = 0; i < (*b)->n; i++)
        entry_signed_clear(&(*b)->items[i]);
    free((*b)->items);
    free(*b);
    *b = NULL;
}

static batch *batch_new(size_t size)
{
    batch *b = calloc(1, sizeof *b);
    if (b && !(b->items = calloc(size + MEMBER_EDIT_ENTRIES, sizeof *b->items))) {
        free(b);
        b = NULL;
    }
    return b;
}

/* Hands a batch to the committer. Non-zero when the committer has stopped
 * (the batch is then freed). */
static int hand_over(pipeline *pl, batch *b)
{
    if (workq_push(pl->q, b) == 0)
        return 0;
    batch_destroy(&b);
    return 1;
}

/* Records the worker's failure; 1, to stop the reading. */
static int worker_fail(pipeline *pl, int rc, const sd_err *err)
{
    pl->rc = rc;
    pl->err = *err;
    return 1;
}

/* Hands the current batch over once it holds batch_size entries. */
static int batch_full(pipeline *pl, batch *b)
{
    if (b->n < pl->batch_size)
        return 0;
    b->rows_done = pl->pushed_rows = pl->rows;
    pl->cur = NULL;
    return hand_over(pl, b);
}

static int build_row(csvio_row *row, void *ctx)
{
    pipeline *pl = ctx;
    if (!pl->have_header) {
        pl->have_header = 1;
        return 0;
    }
    if (import_row_blank(row))
        return 0;
    uint64_t n = __atomic_add_fetch(&pl->rows, 1, __ATOMIC_RELAXED);
    if (n <= pl->skip || import_known_has(pl->plan, n - 1))
        return 0;
    if (workq_closed(pl->q))
        return 1; /* the committer failed: no use signing more */
    sd_err err;
    sd_err_clear(&err);
    if (!pl->cur && !(pl->cur = batch_new(pl->batch_size)))
        return worker_fail(pl, sd_errf(&err, SD_ENOMEM, "out of memory"),
                           &err);
    batch *b = pl->cur;
    const import_plan *plan = pl->plan;
    while (pl->next_edit < plan->nedits && plan->edits[pl->next_edit].row < n - 1)
        pl->next_edit++;
    if (pl->next_edit < plan->nedits && plan->edits[pl->next_edit].row == n - 1) {
        size_t k;
        int rc = member_edit_sign(pl->w, &plan->edits[pl->next_edit++].ed,
                                  &b->items[b->n], &k, &err);
        if (rc)
            return worker_fail(pl, rc, &err);
        b->n += k;
        b->updates++;
        return batch_full(pl, b);
    }
    member_input in;
    import_row_extra x;
    int rc = import_row_input(pl->plan, row, &in, &x, &err);
    if (!rc && x.number) /* not registered, so refused by the check */
        rc = import_bad_why(&plan->bad, row->line, "its number column names no "
                     "member of this state as the row has it", &err);
    else if (!rc && import_rowbit_has(plan->refused, plan->refused_cap, n - 1))
        rc = import_bad_why(&plan->bad, row->line, "a likely duplicate of a member "
                     "(--allow-duplicate registers it)", &err);
    char number[NUMBER_MAX_LEN];
    /* member_build checks the row first: only when that passes is a
     * failure not the row's (no number left, out of memory). */
    if (!rc && (rc = member_build(pl->w, &in, &b->items[b->n], number,
                                  &err)) && !member_check(&in, NULL))
        return worker_fail(pl, rc, &err);
    if (rc) {
        if (!pl->o->skip_bad) {
            sd_err e;
            return worker_fail(pl, sd_errf(&e, SD_EINVAL, "%s changed while "
                                           "it was imported (line %lu: %s)",
                                           pl->o->name, row->line, err.msg),
                               &e);
        }
        import_bad_add(pl->skipped, row->line, err.msg);
        return 0;
    }
    if (!b->joins)
        memcpy(b->first, number, sizeof number);
    memcpy(b->last, number, sizeof number);
    b->n++;
    b->joins++;
    return batch_full(pl, b);
}

static void *worker_main(void *arg)
{
    pipeline *pl = arg;
    uint8_t hash[ENTRY_HASH_BYTES];
    sd_err err;
    sd_err_clear(&err);
    int stopped = 0;
    int rc = SD_OK;
    if (fseeko(pl->in, pl->plan->start, SEEK_SET) != 0)
        rc = sd_errf(&err, SD_EIO, "rewinding %s: %s", pl->o->name,
                     strerror(errno));
    else
        rc = import_read_file(pl->in, pl->o->name, build_row, pl, &pl->bytes, hash,
                       &stopped, &err);
    if (rc) {
        worker_fail(pl, rc, &err);
    } else if (!stopped) {
        if (pl->rows != pl->plan->rows ||
            memcmp(hash, pl->plan->hash, sizeof hash)) {
            worker_fail(pl, sd_errf(&err, SD_EINVAL, "%s changed while it "
                                    "was imported; run the import again",
                                    pl->o->name), &err);
        } else if (pl->rows > pl->pushed_rows) {
            /* The last batch also records that every row is done. */
            batch *b = pl->cur ? pl->cur : batch_new(1);
            pl->cur = NULL;
            if (!b) {
                worker_fail(pl, sd_errf(&err, SD_ENOMEM, "out of memory"),
                            &err);
            } else {
                b->rows_done = pl->rows;
                hand_over(pl, b);
            }
        }
    }
    batch_destroy(&pl->cur);
    workq_close(pl->q); /* the committer takes what is queued, then stops */
    return NULL;
}

/* Commits one batch through the one write path, with the file's progress
 * in the same transaction. */
static int commit_batch(writer *w, const import_plan *plan, batch *b,
                        sd_err *err)
{
    uint8_t be[8];
    store_put_be64(be, b->rows_done);
    apply_opts o = { 0 };
    o.flags = APPLY_OWN; /* any refusal fails the batch, its reason in err */
    o.meta_name = plan->meta_name;
    o.meta_val = be;
    o.meta_len = sizeof be;
    apply_result res;
    int rc = apply_batch(w->s, b->items, b->n, &o, &res, err);
    if (!rc)
        notify_node(store_dir(w->s));
    return rc;
}

/* Threads making signature halves: one per online core, since the
 * signing and committing threads wait on them more than they work. */
static unsigned import_signers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > PRESIGN_MAX_WORKERS ? PRESIGN_MAX_WORKERS : (unsigned)n;
}

/* Good rows still to import, at least: rows left less every bad row. */
static uint64_t at_least(uint64_t left, uint64_t bad)
{
    return left > bad ? left - bad : 0;
}

int import_commit(writer *w, FILE *in, const import_plan *plan,
                  const import_opts *o, import_result *res, sd_err *err)
{
    memset(res, 0, sizeof *res);
    res->rows = plan->rows;
    /* Read under the writer's lock: another import of the same file may
     * have been running. */
    int rc = import_done_rows(w->s, plan, &res->already, err);
    if (rc || res->already >= plan->rows)
        return rc;
    if (plan->bad.n && !o->skip_bad)
        return sd_errf(err, SD_EINVAL, "%s: %llu bad row%s of %llu; nothing "
                       "imported", o->name, (unsigned long long)plan->bad.n,
                       plan->bad.n == 1 ? "" : "s",
                       (unsigned long long)plan->rows);
    for (uint64_t i = res->already; i < plan->rows; i++)
        res->registered += (uint64_t)import_known_has(plan, i);
    uint64_t more = at_least(plan->rows - res->already - res->registered,
                             plan->bad.n);
    if (w->first_serial - 1 + w->head.joins + more > NUMBER_SERIAL_MAX)
        return sd_errf(err, SD_EINVAL, "%s: %llu more members would pass the "
                       "last membership number of %s (serial %u); nothing "
                       "imported", o->name, (unsigned long long)more,
                       w->state, NUMBER_SERIAL_MAX);

    pipeline pl;
    memset(&pl, 0, sizeof pl);
    pl.in = in;
    pl.plan = plan;
    pl.o = o;
    pl.w = w;
    pl.skip = pl.pushed_rows = res->already;
    pl.batch_size = o->batch ? o->batch : IMPORT_BATCH_DEFAULT;
    pl.skipped = &res->skipped;
    if ((rc = workq_new(&pl.q, IMPORT_QUEUE_SLOTS, err)))
        return rc;
    /* Signing is most of an import's work and a chain signs one entry at
     * a time: the (r, R) halves of the signatures are made ahead, one
     * thread per core (presign.h). Without them it still signs, slower. */
    if (writer_presign_start(w, import_signers(), NULL))
        res->plain_signing = 1;
    pthread_t th;
    int prc = pthread_create(&th, NULL, worker_main, &pl);
    if (prc) {
        writer_presign_stop(w);
        workq_destroy(&pl.q);
        return sd_errf(err, SD_ENOMEM, "cannot start the import thread: %s",
                       strerror(prc));
    }
    import_phase pr = { o, IMPORT_SIGNING };
    workq_progress prog;
    workq_progress_init(&prog, plan->rows - pl.skip, IMPORT_PROGRESS_NS,
                        o->progress ? import_on_progress : NULL, &pr);
    /* The committer never touches w's head while the worker signs: it
     * commits through apply_batch (not writer_commit, which re-reads the
     * head on a failure) and re-reads the head once the worker is done. */
    void *item;
    int got;
    while ((got = workq_pop_wait(pl.q, &item, IMPORT_PROGRESS_NS)) !=
           WORKQ_CLOSED) {
        workq_progress_set(&prog, __atomic_load_n(&pl.rows, __ATOMIC_RELAXED) -
                                      pl.skip);
        if (got == WORKQ_TIMEOUT)
            continue;
        batch *b = item;
        rc = commit_batch(w, plan, b, err);
        if (!rc) {
            if (b->joins && !res->imported)
                memcpy(res->first, b->first, sizeof res->first);
            if (b->joins)
                memcpy(res->last, b->last, sizeof res->last);
            res->imported += b->joins;
            res->updated += b->updates;
        }
        batch_destroy(&b);
        if (rc) {
            workq_close(pl.q); /* stops the worker */
            break;
        }
    }
    pthread_join(th, NULL);
    writer_presign_stop(w);
    while (workq_pop(pl.q, &item) == 0) {
        batch *b = item;
        batch_destroy(&b);
    }
    workq_destroy(&pl.q);
    workq_progress_end(&prog);
    if (!rc && pl.rc) {
        rc = pl.rc;
        *err = pl.err;
    }
    if (rc)
        writer_reload(w, NULL);
    return rc;
}
