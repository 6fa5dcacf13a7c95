/*
 * ident.h — a node's identity: its key, role, state code and name, and the
 * federation's trust anchor (the national public key).
 *
 * init.h makes a data directory: the store, the key file (0600) and the
 * identity in meta; this module reads them back.
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

/* Loads the identity of the store's directory (key file included). */
int ident_load(store *s, ident *id, sd_err *err);

/* The identity without the secret key (for read-only copies). */
int ident_load_public(store *s, store_txn *txn, ident *id, sd_err *err);

#endif
