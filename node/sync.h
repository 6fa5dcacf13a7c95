/*
 * sync.h — the pull protocol between nodes (node/README.md), apart from
 * the sockets that carry it: decoding and checking messages, answering a
 * Pull from the store, and applying a received Batch through the one
 * write path. The daemon (node.c) moves these bytes over ZeroMQ; tests and
 * fuzzers call them directly.
 */
#ifndef SADASYA_SYNC_H
#define SADASYA_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "apply.h"
#include "audience.h"
#include "store.h"

#define SYNC_VERSION 1
#define SYNC_MSG_MAX (32u << 20)         /* larger messages are refused */
#define SYNC_BATCH_ENTRIES 4096          /* default entries per Batch */
#define SYNC_BATCH_BYTES (8u << 20)      /* a Batch stops growing here */
#define SYNC_MAX_HEADS 4096              /* origins a Pull may list */
#define SYNC_MAX_EVIDENCE 64             /* evidence entries per Batch */

/* Decodes a message from a peer: size, version, and shape (32-byte keys
 * and hashes in heads, entries carried whole). SD_EINVAL with the reason;
 * *out is the caller's (sadasya__sync_msg__free_unpacked). */
int sync_decode(const uint8_t *buf, size_t len, Sadasya__SyncMsg **out,
                sd_err *err);

/* Encodes m (its version set here) into a malloc'd buffer. */
int sync_encode(Sadasya__SyncMsg *m, uint8_t **out, size_t *len, sd_err *err);

/* Every head this store holds, as Head messages (national first). Free
 * with sync_heads_free. */
int sync_heads(store *s, store_txn *txn, Sadasya__Head ***heads, size_t *n,
               sd_err *err);
void sync_heads_free(Sadasya__Head **heads, size_t n);
/* A head (origin, seq, hash) of its own allocation (sync_head_free), or
 * NULL when out of memory. */
Sadasya__Head *sync_head_new(const uint8_t origin[32], uint64_t seq,
                             const uint8_t hash[32]);

void sync_head_free(Sadasya__Head *h);

/* The head of origin among hs, or NULL. */
Sadasya__Head *sync_head_find(Sadasya__Head *const *hs, size_t n,
                              const uint8_t origin[32]);

/* Which origins a pull asks for (Pull.select/want): NULL or select 0 for
 * every origin; else the n origins listed (none: heads only). */
typedef struct sync_want {
    int select;
    const uint8_t (*origins)[32];
    size_t n;
} sync_want;

/* Whether pull asks for origin's entries (every origin without select). */
int sync_pull_wants(const Sadasya__Pull *pull, const uint8_t origin[32]);

/* An encoded Pull for what this store lacks beyond its heads, adjusted by
 * `after` (heads a batch still being applied will reach; may be NULL),
 * asking for the origins of want (NULL: all). */
int sync_pull(store *s, uint64_t id, uint32_t max, uint32_t wait_ms,
              Sadasya__Head *const *after, size_t nafter,
              const sync_want *want, uint8_t **out,
              size_t *len, sd_err *err);

/* The encoded Batch answering pull from this store: entries beyond the
 * puller's heads, each origin's run in seq order, national first, with
 * every Personal blob held (tools and tests; the daemon answers through
 * sync_answer_only with the puller's audience); at most pull->max entries (SYNC_BATCH_ENTRIES if 0) and
 * about SYNC_BATCH_BYTES. Where the puller's head hash differs from ours
 * at its seq, that entry is sent again so the puller sees the conflict.
 * *nentries is how many entries it carries. */
int sync_answer(store *s, const Sadasya__Pull *pull, uint8_t **out,
                size_t *len, size_t *nentries, sd_err *err);

/* sync_answer carrying only the Personal blobs aud may hold (audience.h),
 * and for one origin only when only != NULL: what a node whose key the
 * roster has ended may still fetch, the national log that tells it. */
int sync_answer_only(store *s, const Sadasya__Pull *pull, const uint8_t *only,
                     const audience *aud, uint8_t **out, size_t *len,
                     size_t *nentries, sd_err *err);

/* A received batch made ready to apply, with no store needed (any thread
 * may prepare it): its entries as items borrowing the message's buffers
 * (the message must outlive it), decoded and run-verified
 * (apply_prepare, APPLY_RUNSIG), and the evidence it carries. (Origins that
 * equivocated are held back by the write path: apply_held_back.) */
typedef struct sync_incoming {
    entry_signed *items;
    size_t n;
    apply_prepared *prep;
    struct view_batch *ix;  /* joined members' index entries (apply_prepare_index) */
    entry_signed *evidence;
    size_t nev;
    apply_opts opts; /* what apply_txn_add was given (it must outlive it) */
} sync_incoming;

int sync_incoming_prepare(store *s, const Sadasya__Batch *b,
                          sync_incoming *in, sd_err *err);

/* Applies a prepared batch inside t: its evidence, then its entries.
 * opts->on_reject runs when t commits. */
int sync_incoming_apply(apply_txn *t, sync_incoming *in, const apply_opts *opts,
                        apply_result *res, sd_err *err);

void sync_incoming_clear(sync_incoming *in);

/* Applies a received batch (APPLY_RUNSIG) in a transaction of its own. */
int sync_receive(store *s, const Sadasya__Batch *b, const apply_opts *opts,
                 apply_result *res, sd_err *err);

#endif
