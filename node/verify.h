/*
 * verify.h — the auditor's re-check of a store (node/README.md).
 *
 * From the raw log alone: every signature (on all cores), every chain
 * link, seq continuity and the held heads, roster authorisation, gapless
 * membership numbers with valid check digits under the origin's own
 * prefix, Personal blobs against their signed hashes, and equivocation
 * evidence. Then the view: the logs are folded afresh into a scratch
 * store through the same write path, and its members, indexes, counters
 * (fee sums included) and roster must equal the stored ones byte for byte.
 * A warning, not a failure: Personal blobs this node should hold and lacks
 * (entries committing to one, the member not erased, on the national node
 * any member, on a chapter's its own state's members: node/README.md); a
 * peer or bundle that carries them restores them (apply.h).
 * Works on a read-only copy of another node's data directory.
 */
#ifndef SADASYA_VERIFY_H
#define SADASYA_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

typedef struct verify_result {
    uint64_t entries, signatures, origins, members, personal_checked,
        personal_missing, failures, warnings;
} verify_result;

typedef struct verify_opts {
    const char *state;        /* only this state's origins (and no view check) */
    const char *scratch_dir;  /* where the fold goes; NULL: $TMPDIR or /tmp */
    int threads;              /* signature threads; 0: all cores */
    /* Called for each finding; warning != 0 for warnings. */
    void (*report)(int warning, const char *line, void *ctx);
    void *ctx;
} verify_opts;

/* Runs every check. SD_OK when the checks ran (res->failures says whether
 * they passed); an error when they could not run (store unreadable, no
 * room for the scratch fold). */
int verify_run(store *s, const verify_opts *opts, verify_result *res,
               sd_err *err);

#endif
