/*
 * audience.h — who a sync answer or a bundle is for, and so which
 * Personal blobs it may carry (node/README.md, "Where personal data
 * goes"): a member's blob goes to the national office and to the chapter
 * of the member's state, never to another chapter. Entries go to everyone
 * (they hold only the blob's hash).
 */
#ifndef SADASYA_AUDIENCE_H
#define SADASYA_AUDIENCE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "roster.h"
#include "store.h"

typedef struct audience {
    int all;                       /* every blob: the national office */
    char state[STORE_STATE_BYTES]; /* else this state's members' ("": none) */
} audience;

/* Every blob (the national office). */
void audience_all(audience *a);

/* For a recipient named by its state code: "IN" (the national office) gets
 * every blob, a chapter's code its own state's. SD_EINVAL for anything
 * that is not a state code. */
int audience_for_state(audience *a, const char *code, sd_err *err);

/* For a key as the roster classifies it: the national key gets every
 * blob, an active chapter key its state's, any other (ended, unknown)
 * none. */
void audience_for_who(audience *a, const roster_who *who);

/* This node's own audience: every blob on the national node, its state's
 * on a chapter. It is also what a chapter's lists and calling sheets show
 * by default (its own state's members). */
int audience_of_node(store *s, store_txn *txn, audience *a, sd_err *err);

/* Whether the blob that the entry (encoded, as in the log) commits to
 * may go to a: its member's state (the number's prefix) is a's state.
 * An entry that does not decode or names no member gives 0. */
int audience_takes(const audience *a, const uint8_t *entry, size_t len);

#endif
