/*
 * keys.h — a node's Ed25519 identity (libsodium crypto_sign).
 *
 * The key file holds the 32-byte seed as 64 hex characters and a newline.
 * It is created with mode 0600 and refused when group or others can read
 * or write it: it is the chapter's signing authority.
 */
#ifndef SADASYA_KEYS_H
#define SADASYA_KEYS_H

#include "err.h"

#define KEYS_PUBLIC_BYTES 32
#define KEYS_SECRET_BYTES 64
#define KEYS_SEED_BYTES 32
#define KEYS_HEX_LEN 64 /* hex of a public key, without NUL */

typedef struct keys_pair {
    unsigned char pk[KEYS_PUBLIC_BYTES];
    unsigned char sk[KEYS_SECRET_BYTES];
} keys_pair;

/* Fresh random key pair. Returns SD_OK (or SD_EIO if libsodium fails to init). */
int keys_generate(keys_pair *kp);

/* Writes the seed of kp to path, creating it exclusively with mode 0600.
 * SD_ECONFLICT if the file exists, SD_EIO on a write failure. */
int keys_save(const char *path, const keys_pair *kp, sd_err *err);

/* Loads a key file written by keys_save. SD_EAUTH if the file's mode lets
 * group or others read or write it (message names the path and the mode),
 * SD_ECORRUPT if it does not hold 64 hex characters, SD_ENOTFOUND if absent. */
int keys_load(const char *path, keys_pair *kp, sd_err *err);

/* Parses a public key given as 64 hex characters (either case). */
int keys_parse_public(const char *hex, unsigned char pk[KEYS_PUBLIC_BYTES],
                      sd_err *err);

/* Writes the lower-case hex of pk and a NUL into out. */
void keys_public_hex(const unsigned char pk[KEYS_PUBLIC_BYTES],
                     char out[KEYS_HEX_LEN + 1]);

#endif
