/*
 * view_int.h — what the view's files share (view.c the readers,
 * view_batch.c the batch engine, view_fold.c the member folds), and the
 * batch's write cursors, which apply.c also writes the log through; not
 * for other modules, which use view.h.
 */
#ifndef SADASYA_VIEW_INT_H
#define SADASYA_VIEW_INT_H

#include <stddef.h>
#include <stdint.h>

#include "store_db.h"
#include "view.h"

/* A write cursor on dbi in txn, kept by the batch for the life of the
 * transaction (one batch, one transaction): puts near each other through
 * it skip LMDB's search from the root. */
int view_cursor(view_batch *b, MDB_txn *txn, MDB_dbi dbi, MDB_cursor **c,
                sd_err *err);

#define VIEW_COUNTER_KEY_MAX 256
#define VIEW_INDEX_KEY_MAX 300

/* --- keys (view_batch.c, view_fold.c) ---------------------------------- */

/* A counter's key: "dim" NUL "v1" ["/" "v2"], cut to
 * VIEW_COUNTER_KEY_MAX - 1 bytes and NUL-terminated; returns its length. */
size_t view_dim_key(char out[VIEW_COUNTER_KEY_MAX], const char *dim,
                    const char *v1, const char *v2);

/* A district index key: state NUL district in lower case, cut to
 * VIEW_INDEX_KEY_MAX bytes; returns its length. */
size_t view_district_key(char out[VIEW_INDEX_KEY_MAX], const char *state,
                         const char *district);

/* A member's identity key in the name index: 0x01, kind ('b': with the
 * birth year, 'g': with the guardian), then a 16-byte BLAKE2b of the
 * name's and other's words (text_tokens: lower-cased, spaces and ASCII
 * punctuation dropped). Names' words never start with 0x01, so the keys
 * never meet a word. Returns the length, or 0 when name or other has no
 * word (no key). */
#define VIEW_IDENTITY_KEY_LEN 18
size_t view_identity_key(char out[VIEW_IDENTITY_KEY_LEN], const char *name,
                         char kind, const char *other);
/* Under which origin m's i-th Personal blob is filed (its log key is that
 * origin and personal_seqs[i]); i == n_personal_seqs names the current one
 * (personal_seq). A later key of the state files blobs under its own.
 * (view.c) */
const uint8_t *view_blob_origin(const Sadasya__MemberView *m, size_t i);

/* --- the batch (view_batch.c) ------------------------------------------ */

/* Adds d to the counter under key (view_dim_key) in the batch. */
int view_counter_add(view_batch *b, const char *key, size_t klen,
                     const int64_t d[6], sd_err *err);

/* Defers the index put k → v on dbi until view_flush (or view_index_put,
 * for entries made ahead: item is the place in its batch of the item they
 * index). An empty key puts nothing. */
int view_index_defer(view_batch *b, MDB_dbi dbi, uint32_t item, const void *k,
                     size_t kl, const void *v, size_t vl, sd_err *err);

/* Whether joined members' index entries were made ahead
 * (view_batch_indexed): the fold leaves them out. */
int view_batch_is_indexed(const view_batch *b);

#endif
