/*
 * fence.h — when this node must not sign (node/README.md).
 *
 * A membership number is a pure function of the signing key's log, so two
 * copies of one data directory that both sign issue the same numbers to
 * different people. A data directory with a signing key exists once; any
 * sign that another copy signs, or that this one may be behind, stops
 * signing until the operator resolves it:
 *  - restored from a backup and not yet caught up (STORE_META_FENCE);
 *  - this key's entries came from outside, beyond what this copy signed
 *    (from a peer or a bundle: FENCE_META_COPY, set by apply);
 *  - a peer's last known head of this key is ahead of this copy, or holds
 *    another entry at a seq this copy has (its status, written by sadasyad);
 *  - equivocation evidence against this key is held;
 * and, whatever the operator says:
 *  - the roster has ended this key (a handover or a revocation);
 *  - the node was made to replace an earlier key (`init --replacing`) and
 *    its own roster entry has not reached it, so it cannot know its series.
 */
#ifndef SADASYA_FENCE_H
#define SADASYA_FENCE_H

#include <stdint.h>

#include "store.h"

#define FENCE_META_COPY "fence_copy"       /* value: a line naming the cause */
#define FENCE_META_REPLACING "replacing"   /* set by `init --replacing` */

/* SD_OK when the node whose key is own may sign now, with *first_serial the
 * serial its first MemberJoined carries. Else one clear line in err and
 * SD_ECONFLICT (fences --override-fence lifts: s->override_fence) or
 * SD_EAUTH (the key ended, or awaits its roster entry). */
int fence_check(store *s, store_txn *txn, const uint8_t own[32], int national,
                uint64_t *first_serial, sd_err *err);

/* Records that own's entries arrived from outside (another copy signs),
 * unless the store is a restored copy catching up, which expects them. */
int fence_mark_copy(store *s, store_txn *txn, const uint8_t own[32],
                    sd_err *err);

#endif
