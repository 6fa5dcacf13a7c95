/*
 * init.h — making a node's data directory: the store (mode 0700), the key
 * file (0600) and the identity in meta (ident.h reads them back). A
 * national node's log opens with a RosterUpdate naming the office, signed
 * through the writer; a state node's log starts with its first member.
 */
#ifndef SADASYA_INIT_H
#define SADASYA_INIT_H

#include "ident.h"

/* A state node that takes over from an earlier key of its state: it
 * numbers no member before its own roster entry (and first serial)
 * reaches it (fence.h). */
#define INIT_REPLACING 0x1

/* Creates a data directory in dir for a national (trust == NULL) or state
 * node (state code, trust = the national public key), with flags
 * (INIT_REPLACING). Refuses, writing nothing, when dir already holds an
 * identity; leaves nothing half made on failure. On success *pk is the
 * new public key. */
int init_dir(const char *dir, const char *state, const char *name,
             const unsigned char *trust, int flags,
             unsigned char pk[KEYS_PUBLIC_BYTES], sd_err *err);

#endif
