/*
 * retract.h — taking void entries out of the log, and re-folding the view
 * (node/README.md).
 *
 * Two things make a signed, chained entry void after a node took it:
 *  - its key's cut: a roster entry ended the key at last_seq, and the node
 *    held entries beyond it because they reached it before the cut did
 *    (the revocation race). They leave the log, their Personal blobs are
 *    deleted, the key's head goes back to last_seq, and the view is folded
 *    again from the log, so that every node ends with the same members
 *    whatever order roster and chapter entries arrived in;
 *  - a MemberJoined whose number another member already holds: refused,
 *    never folded over that member.
 * Either way the signed entry is kept in the `voided` table as evidence,
 * and shown by `verify`, `audit` and `sync-status`.
 */
#ifndef SADASYA_RETRACT_H
#define SADASYA_RETRACT_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "store.h"

enum {
    VOIDED_RETRACTED = 1,  /* beyond its key's cut */
    VOIDED_NUMBER_HELD = 2 /* a join for a number another member holds */
};

/* Keeps a signed entry in `voided` with its reason (one of VOIDED_*). */
int retract_keep(store *s, store_txn *txn, const uint8_t origin[32],
                 uint64_t seq, int reason, const uint8_t sig[ENTRY_SIG_BYTES],
                 const uint8_t *entry, size_t len, sd_err *err);

/* Takes key's entries beyond last_seq out of the log (into `voided`),
 * deletes their Personal blobs, and sets the key's head to last_seq (its
 * joins counted again). *n is how many were taken. Does not touch the
 * view: call retract_refold once all cuts of an update are done. */
int retract_beyond(store *s, store_txn *txn, const uint8_t key[32],
                   uint64_t last_seq, size_t *n, sd_err *err);

/* The MemberJoined entries among key's log entries 1..upto held here, and
 * the hash of the last of them (zero when none is held). */
int retract_count_joins(store *s, store_txn *txn, const uint8_t key[32],
                        uint64_t upto, uint64_t *joins,
                        uint8_t hash[ENTRY_HASH_BYTES], sd_err *err);

/* Empties every table derived from the chapters' logs (members, indexes,
 * counters, officers, events, attendance, honours, notices, directory) and
 * folds the logs into them again: the national office first (its roster
 * is kept as it is), then each state's keys in epoch order, then origins
 * the roster does not list (this node's own, awaiting authorisation). */
int retract_refold(store *s, store_txn *txn, sd_err *err);

/* The fold a view is made by: 2 indexes members' identity keys (name with
 * birth year or guardian); 3 counts members by state and gender, and by
 * state and area. A view made by an earlier fold (no
 * STORE_META_VIEW_FORMAT, or a lower one) is folded again, once, by
 * retract_view_current, in its own write transaction; a current view is
 * left alone. The writer calls it when it opens. */
#define RETRACT_VIEW_FORMAT 3
int retract_view_current(store *s, sd_err *err);

/* Calls fn for every origin whose head this store holds, in fold order
 * (national first, each state's keys in epoch order, then the rest in key
 * order). state is what the origin writes for. Stops on non-zero. */
int retract_each_origin(store *s, store_txn *txn,
                        int (*fn)(const uint8_t origin[32], const char *state,
                                  void *ctx),
                        void *ctx, sd_err *err);

/* Calls fn for each signed entry `voided` holds, in (origin, seq) order:
 * its origin and seq, its reason (VOIDED_*) and the signed entry's bytes
 * (pointing into the map: valid while txn lives). Stops on non-zero. */
int retract_each_void(store *s, store_txn *txn,
                      int (*fn)(const uint8_t origin[32], uint64_t seq,
                                int reason, const uint8_t *entry, size_t len,
                                void *ctx),
                      void *ctx, sd_err *err);

/* How many signed entries `voided` holds, by reason (either may be NULL). */
int retract_count(store *s, store_txn *txn, uint64_t *retracted,
                  uint64_t *number_held, sd_err *err);

#endif
