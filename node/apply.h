/*
 * apply.h — the one write path (proto/README.md, node/README.md; README.md, Contributing).
 *
 * A local registration, an imported CSV batch and a bundle from another
 * node all reach the store here: verify → append → fold, in one LMDB write
 * transaction. Per entry: decode; resolve the origin's state through the
 * roster (the national key is IN; this node's own key is accepted before
 * its roster entry arrives: "awaiting authorisation"); sequence and hash
 * chain against the held head; body rules (fold_check); signature; the
 * Personal blob against its signed hash. An entry failing any of these is
 * rejected and reported; the rest of the batch goes on. An entry whose
 * (origin, seq) is held with another hash is equivocation: both are kept
 * as evidence, and from then on that origin's entries beyond the held head
 * are held back, whoever carries them (every peer and bundle, across
 * reconnects and restarts: the evidence table says so), until the national
 * roster cuts the key (apply_held_back).
 * An entry held already may still bring its Personal blob: one that
 * matches the signed hash is taken then (view_personal_healed), unless the
 * member was erased.
 *
 * When the map fills, the transaction is dropped, the map grown and the
 * batch applied again; a full disk is SD_EFULL with nothing written.
 *
 * Two ways in: apply_batch (one batch, one transaction: the CLI, bundles,
 * verify's rebuild), and apply_txn_* (several batches in one transaction:
 * the node's receive worker, recv.h, which commits a catch-up in groups).
 * The part of the work that needs no store (decoding, hashing, the run
 * signatures) can be done beforehand on another thread: apply_prepare.
 */
#ifndef SADASYA_APPLY_H
#define SADASYA_APPLY_H

#include <stddef.h>

#include "entry.h"
#include "store.h"

/* This node just signed them: skip re-verifying, and commit all or none
 * (any refusal fails the batch with its reason). */
#define APPLY_OWN 0x1
/* Re-folding a log that was verified already (verify's rebuild): skip
 * signatures, and accept keys revoked or replaced since they wrote. */
#define APPLY_REBUILD 0x2
/* From a peer (node/README.md): within each origin's run in the batch, when
 * every entry's prev is the hash of the one before it, the signature of
 * the run's last entry vouches for all of them (it commits to the rest
 * through the chain), so only that one is verified. A run that does not
 * link up, or whose last signature fails, falls back to every signature. */
#define APPLY_RUNSIG 0x4

typedef struct apply_result {
    size_t added;       /* new entries appended and folded */
    size_t duplicate;   /* already held, same hash */
    size_t rejected;    /* refused (reported through on_reject) */
    size_t evidence;    /* equivocations found */
    size_t held_back;   /* refused as their origin is held back (in rejected) */
    size_t personal_dropped; /* blobs not matching their hash, or erased */
    size_t personal_healed;  /* blobs taken for entries held without them */
    size_t retracted;   /* entries taken out of the log by a key's cut */
} apply_result;

/* What an on_reject report is about. All but APPLY_PERSONAL_DROPPED are
 * refusals of the entry. */
enum {
    APPLY_REFUSED = 0,          /* refused: why says what rule it breaks */
    APPLY_PERSONAL_DROPPED = 1, /* the entry is kept, its blob dropped */
    APPLY_EQUIVOCATION = 2,     /* another entry signed for a held seq */
    APPLY_HELD_BACK = 3         /* its origin is held back (apply_held_back) */
};

/* What is known of an item before the store is read: its decoded entry
 * and Personal blob, its chain hash, and whether its run's signature
 * vouches for it (APPLY_RUNSIG). */
typedef struct apply_prepared {
    Sadasya__Entry *e;          /* NULL when the entry does not decode */
    Sadasya__Personal *p;       /* the carried blob when it matches its commitment */
    char *why;                  /* why e is NULL (malloc'd) */
    uint8_t hash[ENTRY_HASH_BYTES];
    uint8_t vouched;            /* authenticated by its run's last signature */
    uint8_t personal_bad;       /* a blob was carried that does not match or decode */
} apply_prepared;

typedef struct apply_opts {
    int flags;
    /* Called for each refused entry (kind APPLY_REFUSED) and each Personal
     * blob dropped from a kept entry (APPLY_PERSONAL_DROPPED): es is the
     * item, why one line. Called once the batch has committed, for that
     * attempt only (never for one abandoned to grow the map). */
    void (*on_reject)(const entry_signed *es, int kind, const char *why,
                      void *ctx);
    void *ctx;
    /* Optional meta record written in the same transaction (import
     * progress): nothing of the batch lands without it, nor it without. */
    const char *meta_name;
    const void *meta_val;
    size_t meta_len;
    /* From apply_prepare over the same items with the same flags, or NULL
     * (then the work is done here). Read only. */
    const apply_prepared *prepared;
    /* From apply_prepare_index over the same items, or NULL. Used only
     * when the batch changes no member it does not add (the index entries
     * of a change must follow those of the join they change). */
    struct view_batch *prepared_index;
} apply_opts;

/* Decodes and hashes n items and, with APPLY_RUNSIG in flags, checks the
 * last signature of each origin's run. Needs no store: any thread may run
 * it. *out (n of them) is the caller's: apply_prepared_free. */
int apply_prepare(const entry_signed *items, size_t n, int flags,
                  apply_prepared **out, sd_err *err);
void apply_prepared_free(apply_prepared **v, size_t n);

/* The index entries of the joined members among prepared items, made and
 * sorted ahead (view.h): any thread, no transaction; s names the tables.
 * *out is the caller's: view_batch_destroy. */
int apply_prepare_index(store *s, const apply_prepared *pr, size_t n,
                        struct view_batch **out, sd_err *err);

/* Applies n items in order (an origin's run must be in seq order; put the
 * national origin's entries first so that rosters precede what they
 * authorise). res is filled even on error. SD_OK when the transaction
 * committed, whatever was rejected; else the store error (nothing written). */
int apply_batch(store *s, entry_signed *items, size_t n,
                const apply_opts *opts, apply_result *res, sd_err *err);

/* --- several batches in one transaction -------------------------------- */

typedef struct apply_txn apply_txn;

/* Opens the write transaction (LMDB's writer lock: other writers wait).
 * Use it from one thread only. */
int apply_txn_begin(store *s, apply_txn **out, sd_err *err);

/* Applies items into t as apply_batch does (res, refusals, the meta
 * record), without committing. opts->on_reject runs at commit: items and
 * opts must stay valid until then. A store error (SD_EMAPFULL among them)
 * leaves t fit only for apply_txn_abort. APPLY_OWN is not for this. */
int apply_txn_add(apply_txn *t, entry_signed *items, size_t n,
                  const apply_opts *opts, apply_result *res, sd_err *err);

/* The open LMDB transaction, for other records written with the batches. */
store_txn *apply_txn_handle(apply_txn *t);

/* Entries added so far. */
size_t apply_txn_added(const apply_txn *t);

/* Commits, then delivers the refusal reports of every batch; *t is freed
 * and NULLed whatever happens. */
int apply_txn_commit(apply_txn **t, sd_err *err);

/* Delivers now the reports of what was applied into t so far (they are
 * cleared from t): for a caller that frees a batch's items before the
 * commit, and voids the reports itself should the commit fail. */
void apply_txn_report(apply_txn *t);

/* Drops everything applied into *t; no reports. */
void apply_txn_abort(apply_txn **t);

/* apply_evidence inside an open transaction. */
int apply_txn_evidence(apply_txn *t, const entry_signed *es,
                       const entry_signed *others, size_t n, sd_err *err);

/* Whether origin's entries beyond the held head are held back: this node
 * holds equivocation evidence against it, and the national roster has not
 * cut the key (a cut decides which of its entries stand, node/README.md,
 * roster_key_allows). The one place that decides it. 1 held back, 0 not,
 * or a negative SD code. */
int apply_held_back(store *s, store_txn *txn, const uint8_t origin[32],
                    sd_err *err);

/* Keeps a signed entry learnt as evidence from a peer: stored when its
 * signature verifies and it conflicts with the entry this node holds for
 * that (origin, seq), or with another such entry in others (n of them).
 * Returns 1 when new evidence was stored, 0 when it was not evidence or
 * already held, or a negative SD code on a store failure. */
int apply_evidence(store *s, const entry_signed *es, const entry_signed *others,
                   size_t n, sd_err *err);

#endif
