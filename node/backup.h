/*
 * backup.h — consistent copies of a data directory, and putting one back.
 *
 * A backup is itself a data directory: LMDB's compacting copy of the store
 * (mdb_env_copy2, consistent while other processes write) and the key
 * file. It is marked fenced (STORE_META_FENCE): a node restored from it
 * signs nothing until it has caught up its own log from a peer, so that no
 * membership number is issued twice (node/README.md).
 */
#ifndef SADASYA_BACKUP_H
#define SADASYA_BACKUP_H

#include "store.h"

/* Copies s into dest, which must not exist (created mode 0700). With
 * BACKUP_WITHOUT_KEY the copy is a mirror: no key file, so it can never
 * sign (a data directory with a signing key exists once: node/README.md);
 * it reads, verifies and takes bundles like any node's store. */
#define BACKUP_WITHOUT_KEY 0x1
int backup_make(store *s, const char *dest, int flags, sd_err *err);

/* Copies the backup in src to dir (absent or empty), fenced. */
int backup_restore(const char *src, const char *dir, sd_err *err);

/* Marks the store in dir fenced. */
int backup_fence(const char *dir, sd_err *err);

#endif
