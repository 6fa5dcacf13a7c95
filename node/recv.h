/*
 * recv.h — the node's receive worker: applies the batches peers send on a
 * thread of its own, several batches to one LMDB transaction (group
 * commit), while the node's loop goes on receiving, decoding and
 * verifying the next ones (node/README.md).
 *
 * The node's thread prepares each batch (sync_incoming_prepare: decoding,
 * chain hashes, run signatures) and submits it as a job; the worker folds
 * it into the open transaction and commits when no further job is waiting
 * (a live push lands at once), when the group holds RECV_GROUP_ENTRIES
 * entries, or RECV_GROUP_MS after it began. The node's thread hears of
 * each job twice, on a socket it polls: once applied (its batch may then
 * be freed and the link's next one pulled: the credit that keeps a few
 * batches, not a group's worth, in memory), and once finished (committed
 * or failed), in the order submitted.
 *
 * Nothing a peer sent is acknowledged to anyone, so a failed group (a full
 * disk, a map that cannot grow) loses nothing: the node pulls it again.
 * After a job fails or has refusals, later jobs of the same link and
 * epoch are returned unapplied (skipped): they were pulled on the
 * assumption that it would land whole, and would only be refused as gaps.
 *
 * The worker is the node's only writer. LMDB's map may only change size
 * while no transaction of the process is open, and the node's thread
 * reads the store at any time: so the node maps the store at its largest
 * size once, at start (store_map_reserve), and neither thread ever grows
 * or adopts a size. A full map is then a full store: the group fails
 * with SD_EFULL.
 */
#ifndef SADASYA_RECV_H
#define SADASYA_RECV_H

#include <stdint.h>

#include "apply.h"
#include "store.h"
#include "sync.h"

#define RECV_GROUP_ENTRIES 32768 /* a group commits at this many entries (default) */
#define RECV_GROUP_MS 500        /* ... or this long after it began */
#define RECV_LINGER_MS 20        /* wait for the next batch of a catch-up */
#define RECV_MAX_REPORTS 16      /* refusals reported per job */
#define RECV_MAX_META 128        /* records per RECV_META job */

enum { RECV_BATCH = 1, RECV_META = 2 };

typedef struct recv_report {
    uint8_t origin[32];
    uint64_t seq;
    int kind;          /* APPLY_REFUSED, APPLY_EQUIVOCATION, ... (apply.h) */
    char why[200];
} recv_report;

typedef struct recv_job {
    int kind;
    /* RECV_BATCH, set by the submitter: */
    uint64_t link, epoch;       /* which link it came from, and when */
    Sadasya__SyncMsg *msg;      /* owned: the batch */
    sync_incoming in;           /* prepared from msg */
    int more;                   /* the peer has more after it */
    int unfence;                /* then check this node's fence (backup.h) */
    uint64_t theirs;            /* the peer's head of this node's own log */
    const uint8_t *own_key;     /* this node's key (for the fence) */
    /* RECV_META: records for the meta table (peer status) */
    char *meta_name[RECV_MAX_META];
    uint8_t *meta_val[RECV_MAX_META];
    size_t meta_len[RECV_MAX_META];
    size_t nmeta;
    /* Results, set by the worker: */
    int rc;                     /* SD_OK: committed (refusals counted in res) */
    sd_err err;
    int skipped;                /* not applied: see above */
    apply_result res;
    recv_report reports[RECV_MAX_REPORTS];
    size_t nreports;
    int unfenced;               /* the fence was lifted */
    uint64_t own_seq;           /* this node's own head then */
    int credited;               /* the node's: it heard "applied" */
} recv_job;

typedef struct recv_worker recv_worker;

/* Starts the worker on store s; ctx is the node's ZeroMQ context. A group
 * commits at group_max entries (0: RECV_GROUP_ENTRIES). */
int recv_new(recv_worker **out, void *ctx, store *s, unsigned group_max, sd_err *err);

/* Stops the worker: what it applied is committed, then the thread ends.
 * Jobs not yet collected with recv_done are freed. */
void recv_destroy(recv_worker **r);

/* A new job of kind, zeroed. NULL when out of memory. */
recv_job *recv_job_new(int kind);
void recv_job_free(recv_job **j);

/* Hands job to the worker (which owns it until recv_done returns it).
 * On failure the caller keeps it. */
int recv_submit(recv_worker *r, recv_job *job, sd_err *err);

/* The socket to poll (ZMQ_POLLIN) for finished jobs. */
void *recv_socket(recv_worker *r);

/* The next word from the worker, or NULL when none is waiting. With
 * *applied set, the job was applied and is still the worker's: only
 * recv_job_release_input may be called on it (from then on the worker
 * reads only its link and epoch). Else it is finished, and the caller's. */
recv_job *recv_next(recv_worker *r, int *applied);

/* Frees a job's batch and what was prepared from it. */
void recv_job_release_input(recv_job *j);

/* Jobs submitted and not yet returned. */
int recv_pending(const recv_worker *r);

#endif
