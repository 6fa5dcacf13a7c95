/*
 * entry.h — signed entries: the unit of everything (proto/README.md).
 *
 *   sig  = Ed25519(origin key, "SADASYA-ENTRY-V1" || entry_bytes)
 *   hash = BLAKE2b-256(entry_bytes || sig)      -- the next entry's prev
 *
 * Entry bytes are signed and hashed exactly as stored and never re-encoded
 * after receipt (protobuf encoding is not canonical).
 */
#ifndef SADASYA_ENTRY_H
#define SADASYA_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "keys.h"
#include "presign.h"
#include "sadasya.pb-c.h"

#define ENTRY_DOMAIN "SADASYA-ENTRY-V1"
#define ENTRY_SIG_BYTES 64
#define ENTRY_HASH_BYTES 32
#define ENTRY_SALT_BYTES 16
#define ENTRY_MAX_BYTES (64 * 1024)     /* larger entries are refused */
#define PERSONAL_MAX_BYTES (16 * 1024)

/* A signed entry as held in memory: the entry bytes, its signature, and the
 * Personal blob carried beside it (NULL when none is held). The struct owns
 * `entry` and `personal` when it came from entry_signed_* constructors. */
typedef struct entry_signed {
    uint8_t *entry;
    size_t entry_len;
    uint8_t sig[ENTRY_SIG_BYTES];
    uint8_t *personal;
    size_t personal_len;
} entry_signed;

/* Signs entry bytes with kp. */
void entry_sign(const keys_pair *kp, const uint8_t *entry, size_t len,
                uint8_t sig[ENTRY_SIG_BYTES]);
/* The same signature bytes' kind, with the pair presign made ahead for
 * seq, the entry's own sequence number (presign.h: for bulk signers). */
void entry_sign_presigned(presign *p, uint64_t seq, const uint8_t *entry,
                          size_t len, uint8_t sig[ENTRY_SIG_BYTES]);

/* 1 when sig is origin's signature over entry (with the domain prefix). */
int entry_verify_sig(const uint8_t origin[KEYS_PUBLIC_BYTES],
                     const uint8_t *entry, size_t len,
                     const uint8_t sig[ENTRY_SIG_BYTES]);

/* The chain hash of a signed entry. */
void entry_hash(const uint8_t *entry, size_t len,
                const uint8_t sig[ENTRY_SIG_BYTES],
                uint8_t out[ENTRY_HASH_BYTES]);

/* BLAKE2b-256 of a Personal blob as stored. */
void entry_personal_hash(const uint8_t *personal, size_t len,
                         uint8_t out[ENTRY_HASH_BYTES]);

/* Decodes entry bytes and checks their shape: origin and prev 32 bytes,
 * seq >= 1, seq 1 has a zero prev, a body is present. On success *out is
 * owned by the caller (free with sadasya__entry__free_unpacked(e, NULL)). */
int entry_decode(const uint8_t *bytes, size_t len, Sadasya__Entry **out,
                 sd_err *err);

/* The hash that the entry's body commits its Personal blob to (joined or
 * updated bodies), or NULL when the body carries none. */
const ProtobufCBinaryData *entry_personal_commitment(const Sadasya__Entry *e);

/* Encodes e with protobuf-c into a malloc'd buffer. */
int entry_encode(const Sadasya__Entry *e, uint8_t **out, size_t *len,
                 sd_err *err);

/* Frees what an entry_signed owns and zeroes it. */
void entry_signed_clear(entry_signed *es);

/* A short name of the body kind ("joined", "roster", ...). */
const char *entry_kind(const Sadasya__Entry *e);

/* Decodes a Personal blob; *out is the caller's (free with
 * sadasya__personal__free_unpacked). SD_EINVAL if it does not decode, is
 * over PERSONAL_MAX_BYTES, or holds text that is not valid UTF-8. */
int entry_personal_decode(const uint8_t *bytes, size_t len,
                          Sadasya__Personal **out, sd_err *err);

/* Seals personal data for a new entry: sets a fresh random salt in p,
 * encodes it into a malloc'd *blob and writes its hash. */
int entry_personal_seal(Sadasya__Personal *p, uint8_t **blob, size_t *len,
                        uint8_t hash[ENTRY_HASH_BYTES], sd_err *err);

/* Reads origin (field 1), seq (field 2) and, when prev is not NULL, prev
 * (field 3) from entry bytes by walking the protobuf wire format without
 * decoding the rest: cheap enough to group a batch by origin and check
 * its links. -1 unless each of the three fields appears exactly once with
 * its wire type and the whole message is well formed at the wire level;
 * entry_decode refuses what this refuses, so both readings agree. */
int entry_peek(const uint8_t *bytes, size_t len, uint8_t origin[32],
               uint64_t *seq, uint8_t prev[32]);

#endif
