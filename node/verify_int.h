/*
 * verify_int.h — what verify.c (the raw-log checks and the run) shares
 * with verify_view.c (the view against a fresh fold). Private to the
 * verify module.
 */
#ifndef SADASYA_VERIFY_INT_H
#define SADASYA_VERIFY_INT_H

#include <pthread.h>
#include <stdint.h>

#include "keys.h"
#include "roster.h"
#include "store.h"
#include "verify.h"

#define VERIFY_LACKING_SHOWN 5   /* seqs named per origin lacking blobs */

/* One run's context: the store and its read transaction, the options, the
 * result being counted. */
typedef struct vctx {
    store *s;
    store_txn *txn;
    const verify_opts *o;
    verify_result *r;
    pthread_mutex_t *lock; /* findings come from two threads */
    /* Whose Personal blobs this node should hold (node/README.md): every
     * member's on the national node, else its own state's members'. */
    int holds_all;
    char own_state[STORE_STATE_BYTES];
    /* The last (origin, seq) reported as equivocation: one line each. */
    uint8_t evidence_last[KEYS_PUBLIC_BYTES];
    uint64_t evidence_seq;
} vctx;

/* One finding: counted in v->r and passed to the caller's report, under
 * v->lock (findings come from two threads). */
void verify_finding(vctx *v, int warning, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An origin held, as verify_run gathers them. */
typedef struct origin_state_ {
    uint8_t origin[32];
    store_head head;
    char state[STORE_STATE_BYTES];
    int national, own, listed, flag;
    roster_key rk;  /* when listed: first serial and cut (node/README.md) */
    /* Blobs this node should hold and lacks: how many, the first seqs. */
    uint64_t lacking, lacking_seq[VERIFY_LACKING_SHOWN];
} origin_info;

/* Folds the logs of ois (n origins) afresh into a scratch store under
 * v->o->scratch_dir and reports every table entry that differs from the
 * stored view. SD_OK when the comparison ran; an error when it could not
 * (no room for the scratch store). v->txn is a read transaction on v->s. */
int verify_view_check(vctx *v, origin_info *ois, size_t n, sd_err *err);

/* verify_view_check on a thread of its own, with its own read
 * transaction: the result in rc and err. */
typedef struct view_job {
    vctx v;           /* its own read transaction */
    origin_info *ois;
    size_t n;
    int rc;
    sd_err err;
} view_job;

void *verify_view_thread(void *arg);

#endif
