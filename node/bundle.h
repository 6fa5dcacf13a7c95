/*
 * bundle.h — offline sync by file (node/README.md, cli/README.md "bundle").
 *
 * A bundle carries signed entries between nodes that share no network:
 * a USB stick is just a slow peer. What it carries goes through the one
 * write path (apply_batch, every signature verified), so a bundle is
 * trusted no more than a peer is.
 *
 * File format (proto/sadasya.proto, BundleFrame):
 *
 *   "SADASYA-BUNDLE-1\n"
 *   frame*      4-byte big-endian length ‖ packed BundleFrame
 *
 * Every frame but the last is `carried` (SignedEntry {entry, sig} and the
 * Personal blob where the writer holds one and the recipient may hold it:
 * audience.h). The last is `end`: the
 * number of carried frames and BLAKE2b-256 over every byte of the file
 * before the end frame (magic and length prefixes included). Nothing may
 * follow it. A frame is at most BUNDLE_FRAME_MAX bytes.
 *
 * Order: the national origin's log first (its roster authorises the
 * states), then each other origin by state code (then key), each log in
 * seq order.
 */
#ifndef SADASYA_BUNDLE_H
#define SADASYA_BUNDLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "apply.h"
#include "audience.h"
#include "entry.h"
#include "store.h"

#define BUNDLE_MAGIC "SADASYA-BUNDLE-1\n"
#define BUNDLE_MAGIC_LEN 17
#define BUNDLE_FRAME_HDR 4               /* the length before each frame */
#define BUNDLE_FRAME_MAX (256 * 1024)    /* bytes of one packed frame */
#define BUNDLE_DIGEST_BYTES 32
#define BUNDLE_BATCH_ENTRIES 5000        /* entries per apply transaction */
#define BUNDLE_BATCH_BYTES (32u << 20)   /* and at most this much of them */

typedef struct bundle_stats {
    size_t entries;        /* carried frames written or read */
    size_t personal;       /* of them, with a Personal blob */
    size_t origins;        /* distinct origins among them */
    uint64_t bytes;        /* size of the bundle file */
    apply_result applied;  /* bundle_read_apply: what the store made of it */
} bundle_stats;

/* One entry of a bundle the receiver refused, or kept without its
 * Personal blob (personal_only). state is the origin's state code as the
 * receiver knows it after the batch ("IN" for the national key), else
 * "key " and the first 16 hex digits of the origin; seq is 0 when the
 * entry does not decode. */
typedef struct bundle_reject {
    char state[24];
    uint64_t seq;
    int personal_only;
    const char *why;
} bundle_reject;

typedef void (*bundle_reject_fn)(const bundle_reject *r, void *ctx);

/* Writes a whole bundle to out (from its current position) in one read
 * transaction: every origin this node holds, or, when nstates > 0, only
 * the origins of those state codes plus the national origin (its roster
 * entries authorise the states at the receiver). A state code that is
 * malformed or names no origin held here is SD_EINVAL / SD_ENOTFOUND
 * before anything is written. Personal blobs go only where aud may hold
 * them (audience.h: "IN" every one, a chapter its own state's); entries
 * go whatever aud is. st (may be NULL) is filled. out is flushed but
 * neither synced nor closed. SD_EIO on a write failure. */
int bundle_write(store *s, FILE *out, const char *const *states,
                 size_t nstates, const audience *aud, bundle_stats *st,
                 sd_err *err);

/* bundle_write into path, atomically: into a temporary file in the same
 * directory, synced, then renamed over path (and the directory synced),
 * so that a crash never leaves a half bundle under path. On failure the
 * temporary file is removed and path is untouched. */
int bundle_create(store *s, const char *path, const char *const *states,
                  size_t nstates, const audience *aud, bundle_stats *st,
                  sd_err *err);

/* Reads a bundle from in (which must be seekable; from its current
 * position) and applies it. First the whole structure is checked —
 * magic, frame lengths, every frame decoding, the end frame's count and
 * digest, nothing after it — and a damaged bundle is refused with
 * SD_EINVAL and nothing applied. Then the entries go through apply_batch
 * (flags 0) in batches of BUNDLE_BATCH_ENTRIES: the receiver's national
 * entries first, each origin's run in seq order. Per-entry refusals are
 * not errors: they are counted in st->applied and reported through
 * on_reject (may be NULL) after their batch commits. Returns SD_OK when
 * the bundle was read whole; a store error stops it (earlier batches
 * stay applied: each is a complete transaction, and applying the bundle
 * again resumes). st (may be NULL) is filled either way. */
int bundle_read_apply(store *s, FILE *in, bundle_stats *st,
                      bundle_reject_fn on_reject, void *ctx, sd_err *err);

/* Checks the structure of a bundle as bundle_read_apply does, applying
 * nothing; fills st's entries, personal, origins and bytes. */
int bundle_check(FILE *in, bundle_stats *st, sd_err *err);

#endif
