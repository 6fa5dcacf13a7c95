/*
 * roster.h — which keys may write for which state (DESIGN.md §1).
 *
 * The national origin's RosterUpdate entries are folded into the `roster`
 * table: "s" ‖ CODE → ChapterView, and "k" ‖ key → CODE ‖ flag, where flag
 * is ROSTER_ACTIVE, ROSTER_REVOKED or ROSTER_REPLACED (the state has since
 * been given another key). The national key itself is the trust anchor,
 * fixed at `init` and held in meta as "national_key"; its state code is IN.
 */
#ifndef SADASYA_ROSTER_H
#define SADASYA_ROSTER_H

#include <stdint.h>

#include "entry.h"
#include "store.h"

#define ROSTER_NATIONAL_STATE "IN"
#define ROSTER_INACTIVE_KEY "cinactive_after_days"
#define ROSTER_INACTIVE_DEFAULT 180 /* days without activity: inactive */

enum { ROSTER_ACTIVE = 0, ROSTER_REVOKED = 1, ROSTER_REPLACED = 2 };

/* Checks that a RosterUpdate is well formed (state codes, 32-byte keys,
 * nothing for IN). SD_EINVAL with the reason. */
int roster_check(const Sadasya__RosterUpdate *ru, sd_err *err);

/* Folds a checked RosterUpdate, written at national seq, into the table. */
int roster_fold(store *s, MDB_txn *txn, const Sadasya__RosterUpdate *ru,
                uint64_t seq, sd_err *err);

/* The state a key is listed for, and its flag. SD_ENOTFOUND if not listed. */
int roster_key_state(store *s, MDB_txn *txn, const uint8_t key[32],
                     char state[STORE_STATE_BYTES], int *flag, sd_err *err);

/* The chapter of a state; *out is the caller's to free with
 * sadasya__chapter_view__free_unpacked. SD_ENOTFOUND if none. */
int roster_chapter(store *s, MDB_txn *txn, const char *state,
                   Sadasya__ChapterView **out, sd_err *err);

/* Calls fn for each chapter in state-code order; stops on non-zero. */
int roster_each(store *s, MDB_txn *txn,
                int (*fn)(const Sadasya__ChapterView *cv, void *ctx),
                void *ctx, sd_err *err);

/* The federation's rule for "inactive": days without activity (set by a
 * national RosterUpdate; ROSTER_INACTIVE_DEFAULT until then). */
uint32_t roster_inactive_days(store *s, MDB_txn *txn);

/* The national key from meta. SD_ENOTFOUND when the store has none. */
int roster_national_key(store *s, MDB_txn *txn, uint8_t key[32], sd_err *err);

#endif
