/*
 * ident.h — a node's identity: its key, role, state code and name, and the
 * federation's trust anchor (the national public key).
 *
 * `init` makes a data directory: the store, the key file (0600) and the
 * identity in meta. A national node's log starts with a RosterUpdate that
 * names the office; a state node's log starts with its first member.
 */
#ifndef SADASYA_IDENT_H
#define SADASYA_IDENT_H

#include "keys.h"
#include "store.h"

#define IDENT_NAME_MAX 256

typedef struct ident {
    keys_pair kp;
    char state[STORE_STATE_BYTES];
    int national;
    char name[IDENT_NAME_MAX];
    unsigned char national_key[KEYS_PUBLIC_BYTES];
} ident;

/* Creates a data directory in dir for a national (trust == NULL) or state
 * node (state code, trust = the national public key). Refuses, writing
 * nothing, when dir already holds an identity. On success *pk is the new
 * public key. */
int ident_init(const char *dir, const char *state, const char *name,
               const unsigned char *trust, unsigned char pk[KEYS_PUBLIC_BYTES],
               sd_err *err);

/* ident_init with flags: IDENT_REPLACING makes a state node that takes
 * over from an earlier key of its state, so that it numbers no member
 * before its own roster entry (and first serial) reaches it (fence.h). */
#define IDENT_REPLACING 0x1
int ident_init_flags(const char *dir, const char *state, const char *name,
                     const unsigned char *trust, int flags,
                     unsigned char pk[KEYS_PUBLIC_BYTES], sd_err *err);

/* Loads the identity of the store's directory (key file included). */
int ident_load(store *s, ident *id, sd_err *err);

/* The identity without the secret key (for read-only copies). */
int ident_load_public(store *s, MDB_txn *txn, ident *id, sd_err *err);

#endif
