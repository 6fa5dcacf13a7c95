/*
 * durable.h — writing a file so that a crash or a full disk never leaves
 * half of it under its name.
 *
 * The bytes go to a temporary file in the same directory (mode as asked,
 * from the start: the key file and bundles hold secrets or personal data),
 * are written whole and fsync'd, then the file takes its name (rename, or
 * link for a file that must not replace another) and the directory is
 * fsync'd. On any failure the temporary file is removed and whatever had
 * the name before is kept. A full disk (ENOSPC, EDQUOT) is SD_EFULL.
 *
 * Used for the key file (keys.c), bundles (bundle_write.c), backups
 * (backup.c) and cards (card_render.c, DURABLE_NOSYNC).
 */
#ifndef SADASYA_DURABLE_H
#define SADASYA_DURABLE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "err.h"

/* The file must not exist yet: SD_ECONFLICT if it does (checked
 * atomically as it takes its name), and nothing is replaced. */
#define DURABLE_EXCL 0x1
/* Whole or not at all, but not synced: for files that can be made again
 * (a member's card), where a sync per file would cost more than a crash
 * could. */
#define DURABLE_NOSYNC 0x2

/* A file being written. */
typedef struct durable_file durable_file;

/* Starts writing name in dir; dir NULL means name is a whole path (its
 * directory is the part before the last '/', else "."). mode is the
 * file's (e.g. 0600); flags: DURABLE_EXCL, DURABLE_NOSYNC. */
int durable_open(durable_file **out, const char *dir, const char *name,
                 mode_t mode, int flags, sd_err *err);

/* Appends len bytes (all of them, or an error: SD_EFULL, SD_EIO). */
int durable_write(durable_file *f, const void *bytes, size_t len, sd_err *err);

/* A stdio stream over the file, for writers that want one (bundle_write).
 * It stays the durable file's: flushed by durable_commit, closed by it or
 * durable_abort. NULL when out of memory. Do not mix with durable_write. */
FILE *durable_stream(durable_file *f);

/* Flushes, syncs, gives the file its name and syncs the directory. *f is
 * freed and NULL either way; on failure the temporary file is gone. */
int durable_commit(durable_file **f, sd_err *err);

/* Removes the temporary file; the name keeps what it had. NULL is fine. */
void durable_abort(durable_file **f);

/* The whole file at once: durable_open, durable_write, durable_commit.
 * Without DURABLE_EXCL an existing file is replaced. */
int durable_write_file(const char *dir, const char *name, const void *bytes,
                       size_t len, mode_t mode, int flags, sd_err *err);

#endif
