/*
 * apply.h — the one write path (DESIGN.md §1, §3; STYLE.md).
 *
 * A local registration, an imported CSV batch and a bundle from another
 * node all reach the store here: verify → append → fold, in one LMDB write
 * transaction. Per entry: decode; resolve the origin's state through the
 * roster (the national key is IN; this node's own key is accepted before
 * its roster entry arrives: "awaiting authorisation"); sequence and hash
 * chain against the held head; body rules (view_check); signature; the
 * Personal blob against its signed hash. An entry failing any of these is
 * rejected and reported; the rest of the batch goes on. An entry whose
 * (origin, seq) is held with another hash is equivocation: both are kept
 * as evidence and that origin's later entries in the batch are held back.
 *
 * When the map fills, the transaction is dropped, the map grown and the
 * batch applied again; a full disk is SD_EFULL with nothing written.
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
/* From a peer (DESIGN.md §4): within each origin's run in the batch, when
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
    size_t personal_dropped; /* blobs not matching their hash, or erased */
} apply_result;

/* What an on_reject report is about. */
enum { APPLY_REFUSED = 0, APPLY_PERSONAL_DROPPED = 1 };

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
} apply_opts;

/* Applies n items in order (an origin's run must be in seq order; put the
 * national origin's entries first so that rosters precede what they
 * authorise). res is filled even on error. SD_OK when the transaction
 * committed, whatever was rejected; else the store error (nothing written). */
int apply_batch(store *s, entry_signed *items, size_t n,
                const apply_opts *opts, apply_result *res, sd_err *err);

/* Keeps a signed entry learnt as evidence from a peer: stored when its
 * signature verifies and it conflicts with the entry this node holds for
 * that (origin, seq), or with another such entry in others (n of them).
 * Returns 1 when new evidence was stored, 0 when it was not evidence or
 * already held, or a negative SD code on a store failure. */
int apply_evidence(store *s, const entry_signed *es, const entry_signed *others,
                   size_t n, sd_err *err);

#endif
