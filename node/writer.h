/*
 * writer.h — this node writing its own log.
 *
 * A writer holds the node's signing key and an exclusive lock on the data
 * directory's writer.lock for its lifetime, so that two local processes
 * (a registration and an import, say) never sign the same seq. It predicts
 * the head as it signs; writer_commit sends the signed entries through the
 * one write path (apply_batch) and re-reads the head if anything failed.
 */
#ifndef SADASYA_WRITER_H
#define SADASYA_WRITER_H

#include "apply.h"
#include "entry.h"
#include "keys.h"
#include "number.h"
#include "presign.h"
#include "store.h"

#define WRITER_LOCK_FILE "writer.lock"

typedef struct writer {
    store *s;
    keys_pair kp;
    char state[STORE_STATE_BYTES];
    int national;
    int lock_fd;
    store_head head; /* after the last signed entry */
    uint64_t first_serial; /* of this key's first MemberJoined (roster) */
    presign *ps;     /* while a bulk signer runs: pairs made ahead */
} writer;

/* Whether the node with key own may sign now (fence.h), with the serial of
 * its first MemberJoined. SD_ECONFLICT (with the operator's way out) for a
 * copy that may be behind or that another copy signs beside, unless opened
 * with STORE_OVERRIDE_FENCE; SD_EAUTH for a key the roster ended or one
 * awaiting its roster entry (`init --replacing`). */
int writer_check_fence(store *s, const uint8_t own[32], int national,
                       uint64_t *first_serial, sd_err *err);

/* Locks the directory (waiting for another local writer to finish), loads
 * the key, checks the fence and reads this node's head. */
int writer_open(writer **out, store *s, sd_err *err);
void writer_destroy(writer **w);

/* The number the next MemberJoined signed by w will carry. */
int writer_next_number(const writer *w, char out[NUMBER_MAX_LEN], sd_err *err);

/* Fills origin, seq, prev and time_ms of e (whose body the caller set),
 * encodes and signs it into out (which owns the bytes), and attaches
 * personal (copied) when given. Advances the predicted head. */
int writer_sign(writer *w, Sadasya__Entry *e, const uint8_t *personal,
                size_t plen, entry_signed *out, sd_err *err);

/* For a bulk signer (import): from now on writer_sign signs with pairs
 * that nworkers threads make ahead (presign.h), starting at the next seq.
 * Same signatures for every verifier; single registrations do without.
 * On failure (no thread, no locked memory) w signs as before and the
 * error says why. writer_presign_stop ends it, wiping what was made. */
int writer_presign_start(writer *w, unsigned nworkers, sd_err *err);
void writer_presign_stop(writer *w);

/* Applies signed entries as this node's own. Any refusal is an error here
 * (its reason in err). extra (may be NULL) adds a meta record to the same
 * transaction. On any failure the predicted head is re-read. */
int writer_commit(writer *w, entry_signed *items, size_t n,
                  const apply_opts *extra, apply_result *res, sd_err *err);

/* Re-reads the head from the store. */
int writer_reload(writer *w, sd_err *err);

#endif
