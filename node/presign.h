/*
 * presign.h — Ed25519 signing with the message-independent half made
 * ahead of time, on other cores (for bulk signers such as `import`).
 *
 * An Ed25519 signature is (R, S) with R = r·B and S = r + H(R ‖ A ‖ M)·a
 * mod ℓ. The fixed-base multiplication r·B is most of its cost, and
 * libsodium's crypto_sign derives r from the message, so a chain of
 * entries (each names the hash of the one before, signature included)
 * signs one at a time. Any r that is secret, uniform and never used for
 * two messages gives a standard signature that every verifier accepts
 * (the hedged variant), so worker threads make (r, R) pairs ahead and the
 * signing thread is left one SHA-512 and a scalar multiply-add. The bytes
 * are the same RFC 8032 signature: auditors see no difference
 * (proto/README.md).
 *
 * Each pair is made for one sequence number of the signer's log:
 *   r = SHA-512(prefix ‖ 32 random bytes ‖ A ‖ seq ‖ pid ‖ worker ‖ count
 *               ‖ time) mod ℓ
 * where prefix is the key's own nonce prefix (the second half of
 * SHA-512(seed)), so even a failing random source cannot give two
 * sequence numbers the same r. A pair is used once and wiped; secrets live
 * in locked, guarded memory (sodium_malloc). Only libsodium's primitives
 * are used: no field or curve arithmetic of ours.
 */
#ifndef SADASYA_PRESIGN_H
#define SADASYA_PRESIGN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "keys.h"

#define PRESIGN_SIG_BYTES 64
#define PRESIGN_MAX_WORKERS 16
#define PRESIGN_DEPTH 1024 /* pairs made ahead, per worker */
#define PRESIGN_BATCH 64   /* pairs a worker makes at a time */

typedef struct presign presign;

/* A message to sign as consecutive parts (a domain tag, then the bytes). */
typedef struct presign_part {
    const uint8_t *data;
    size_t len;
} presign_part;

/* Starts nworkers threads (1..PRESIGN_MAX_WORKERS) making pairs for kp,
 * the first for sequence number first_seq. The key is copied into locked
 * memory; kp may be wiped after. SD_ENOMEM / SD_EIO when memory or a
 * thread cannot be had (the caller then signs with crypto_sign). */
int presign_new(presign **out, const keys_pair *kp, unsigned nworkers,
                uint64_t first_seq, sd_err *err);

/* Stops the workers, wipes every pair and the key, frees; nulls *p. */
void presign_destroy(presign **p);

/* Signs the message (parts concatenated) as the entry of sequence number
 * seq, with the pair made for seq, waiting for it if the workers are
 * behind. Sequence numbers are expected in order; any other seq (a signer
 * that went back after a failed commit, say) throws away every pair made
 * and starts again from seq, so a pair is never used twice. */
void presign_sign(presign *p, uint64_t seq, const presign_part *parts,
                  size_t nparts, uint8_t sig[PRESIGN_SIG_BYTES]);

/* Pairs thrown away by restarts, and signatures made (for tests and
 * benchmarks). */
uint64_t presign_discarded(const presign *p);
uint64_t presign_signed(const presign *p);

/* The signing half alone, from a given r (32-byte scalar < ℓ) and
 * R = r·B: what presign_sign does with a pair. sk is libsodium's 64-byte
 * secret key. Tests use it with libsodium's own deterministic r to check
 * that both give the same bytes. */
int presign_finish(const uint8_t sk[KEYS_SECRET_BYTES], const uint8_t r[32],
                   const uint8_t R[32], const presign_part *parts,
                   size_t nparts, uint8_t sig[PRESIGN_SIG_BYTES]);

#endif
