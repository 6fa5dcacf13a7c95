/*
 * presign.c — see presign.h. Worker k of n makes the pairs for sequence
 * numbers base + k, base + k + n, …, into its own bounded ring, so the
 * signing thread knows which ring holds the pair for a seq and the
 * workers never contend with each other. One thread signs.
 */
#include "presign.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#define SCALAR_BYTES 32
#define POINT_BYTES 32

/* The key as signing needs it, in locked memory. */
typedef struct presign_key {
    uint8_t a[SCALAR_BYTES];      /* the secret scalar, reduced mod ℓ */
    uint8_t prefix[32];           /* SHA-512(seed)[32..64]: nonce secret */
    uint8_t A[POINT_BYTES];       /* the public key */
} presign_key;

typedef struct pair {
    uint64_t seq;
    uint8_t r[SCALAR_BYTES];
    uint8_t R[POINT_BYTES];
} pair;

typedef struct worker {
    presign *p;
    unsigned k;
    pthread_t thread;
    int started, inited;
    pthread_mutex_t mu;
    pthread_cond_t can_put, can_take;
    pair *ring;                   /* PRESIGN_DEPTH pairs, locked memory */
    size_t head, count;
    int putter_waiting, taker_waiting; /* who waits on the condvars */
    pair *batch;                  /* PRESIGN_BATCH being made, locked memory */
    uint8_t *rnd;                 /* their randomness, locked memory */
    uint64_t next_seq;            /* the next pair this worker makes */
    uint64_t gen;                 /* bumped by a restart */
    uint64_t made;
    int stop;
} worker;

struct presign {
    presign_key *key;
    unsigned n;
    uint64_t base;                /* worker k makes base + k + j·n */
    atomic_uint_fast64_t discarded, nsigned;
    worker w[PRESIGN_MAX_WORKERS];
};

static void key_from_sk(presign_key *k, const uint8_t sk[KEYS_SECRET_BYTES])
{
    uint8_t az[64], wide[64] = { 0 };
    crypto_hash_sha512(az, sk, KEYS_SEED_BYTES); /* sk is seed ‖ pk */
    az[0] &= 248;                                /* RFC 8032 clamping */
    az[31] &= 127;
    az[31] |= 64;
    memcpy(wide, az, 32);
    crypto_core_ed25519_scalar_reduce(k->a, wide);
    memcpy(k->prefix, az + 32, 32);
    memcpy(k->A, sk + KEYS_SEED_BYTES, POINT_BYTES);
    sodium_memzero(az, sizeof az);
    sodium_memzero(wide, sizeof wide);
}

static void finish(const presign_key *k, const uint8_t r[SCALAR_BYTES],
                   const uint8_t R[POINT_BYTES], const presign_part *parts,
                   size_t nparts, uint8_t sig[PRESIGN_SIG_BYTES])
{
    crypto_hash_sha512_state st;
    uint8_t h[64], hram[SCALAR_BYTES], ka[SCALAR_BYTES];
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, R, POINT_BYTES);
    crypto_hash_sha512_update(&st, k->A, POINT_BYTES);
    for (size_t i = 0; i < nparts; i++)
        crypto_hash_sha512_update(&st, parts[i].data, parts[i].len);
    crypto_hash_sha512_final(&st, h);
    crypto_core_ed25519_scalar_reduce(hram, h);
    crypto_core_ed25519_scalar_mul(ka, hram, k->a);
    memcpy(sig, R, POINT_BYTES);
    crypto_core_ed25519_scalar_add(sig + POINT_BYTES, r, ka);
    sodium_memzero(ka, sizeof ka); /* with hram public, ka would give a */
}

int presign_finish(const uint8_t sk[KEYS_SECRET_BYTES], const uint8_t r[32],
                   const uint8_t R[32], const presign_part *parts,
                   size_t nparts, uint8_t sig[PRESIGN_SIG_BYTES])
{
    presign_key *k = sodium_malloc(sizeof *k);
    if (!k)
        return SD_ENOMEM;
    key_from_sk(k, sk);
    finish(k, r, R, parts, nparts, sig);
    sodium_free(k); /* wipes */
    return SD_OK;
}

/* Makes the pair for seq from 32 fresh random bytes. The hash input
 * names the key's nonce secret, the randomness, and what makes it unique
 * in this process and run. */
static void make_pair(const presign_key *k, unsigned worker_no, uint32_t pid,
                      uint64_t count, uint64_t seq, const uint8_t rnd[32],
                      pair *out)
{
    for (uint64_t tries = 0;; tries++) {
        uint8_t h[64];
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        /* Hashed, never parsed: native byte order will do. */
        struct { uint64_t seq, count, tries, ns; uint32_t pid, worker; } uniq = {
            seq, count, tries,
            (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec,
            pid, worker_no,
        };
        crypto_hash_sha512_state st;
        crypto_hash_sha512_init(&st);
        crypto_hash_sha512_update(&st, k->prefix, sizeof k->prefix);
        crypto_hash_sha512_update(&st, rnd, 32);
        crypto_hash_sha512_update(&st, k->A, sizeof k->A);
        crypto_hash_sha512_update(&st, (const uint8_t *)&uniq, sizeof uniq);
        crypto_hash_sha512_final(&st, h);
        sodium_memzero(&st, sizeof st);
        crypto_core_ed25519_scalar_reduce(out->r, h);
        sodium_memzero(h, sizeof h);
        out->seq = seq;
        /* Fails only for r = 0 (odds 2^-252): draw again. */
        if (crypto_scalarmult_ed25519_base_noclamp(out->R, out->r) == 0)
            return;
    }
}

/* A worker makes PRESIGN_BATCH pairs at a time, outside the lock, with
 * one draw of randomness for them all, and hands them over under one lock
 * and at most one wake-up: per pair, only the fixed-base multiplication
 * and a hash are left. */
static void *work(void *arg)
{
    worker *w = arg;
    pair *made = w->batch;
    uint8_t *rnd = w->rnd;
    uint32_t pid = (uint32_t)getpid();
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->stop && PRESIGN_DEPTH - w->count < PRESIGN_BATCH) {
            w->putter_waiting = 1;
            pthread_cond_wait(&w->can_put, &w->mu);
            w->putter_waiting = 0;
        }
        if (w->stop)
            break;
        uint64_t seq = w->next_seq, gen = w->gen, count = w->made;
        w->made += PRESIGN_BATCH;
        pthread_mutex_unlock(&w->mu);
        randombytes_buf(rnd, PRESIGN_BATCH * 32);
        for (unsigned i = 0; i < PRESIGN_BATCH; i++)
            make_pair(w->p->key, w->k, pid, count + i, seq + (uint64_t)i * w->p->n,
                      rnd + 32 * i, &made[i]);
        sodium_memzero(rnd, PRESIGN_BATCH * 32);
        pthread_mutex_lock(&w->mu);
        if (gen == w->gen) { /* not restarted meanwhile */
            for (unsigned i = 0; i < PRESIGN_BATCH; i++)
                w->ring[(w->head + w->count++) % PRESIGN_DEPTH] = made[i];
            w->next_seq += (uint64_t)PRESIGN_BATCH * w->p->n;
            if (w->taker_waiting)
                pthread_cond_signal(&w->can_take);
        }
        sodium_memzero(made, PRESIGN_BATCH * sizeof *made);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Throws away every pair made and has the workers start again at seq. */
static void restart(presign *p, uint64_t seq)
{
    for (unsigned k = 0; k < p->n; k++) {
        worker *w = &p->w[k];
        pthread_mutex_lock(&w->mu);
        sodium_memzero(w->ring, PRESIGN_DEPTH * sizeof *w->ring);
        atomic_fetch_add(&p->discarded, w->count);
        w->head = w->count = 0;
        w->next_seq = seq + k;
        w->gen++;
        pthread_cond_signal(&w->can_put);
        pthread_mutex_unlock(&w->mu);
    }
    p->base = seq;
}

void presign_sign(presign *p, uint64_t seq, const presign_part *parts,
                  size_t nparts, uint8_t sig[PRESIGN_SIG_BYTES])
{
    pair use;
    for (;;) {
        if (seq < p->base)
            restart(p, seq);
        worker *w = &p->w[(seq - p->base) % p->n];
        pthread_mutex_lock(&w->mu);
        while (w->count == 0) {
            w->taker_waiting = 1;
            pthread_cond_wait(&w->can_take, &w->mu);
            w->taker_waiting = 0;
        }
        pair *slot = &w->ring[w->head];
        if (slot->seq != seq) {
            pthread_mutex_unlock(&w->mu);
            restart(p, seq);
            continue;
        }
        use = *slot;
        sodium_memzero(slot, sizeof *slot);
        w->head = (w->head + 1) % PRESIGN_DEPTH;
        w->count--;
        if (w->putter_waiting && PRESIGN_DEPTH - w->count >= PRESIGN_BATCH)
            pthread_cond_signal(&w->can_put);
        pthread_mutex_unlock(&w->mu);
        break;
    }
    finish(p->key, use.r, use.R, parts, nparts, sig);
    sodium_memzero(&use, sizeof use);
    atomic_fetch_add(&p->nsigned, 1);
}

int presign_new(presign **out, const keys_pair *kp, unsigned nworkers,
                uint64_t first_seq, sd_err *err)
{
    *out = NULL;
    if (nworkers < 1 || nworkers > PRESIGN_MAX_WORKERS)
        return sd_errf(err, SD_EINVAL, "presign: %u workers (1 to %d)",
                       nworkers, PRESIGN_MAX_WORKERS);
    presign *p = calloc(1, sizeof *p);
    if (!p)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    p->n = nworkers;
    p->base = first_seq;
    atomic_init(&p->discarded, 0);
    atomic_init(&p->nsigned, 0);
    p->key = sodium_malloc(sizeof *p->key);
    if (!p->key) {
        free(p);
        return sd_errf(err, SD_ENOMEM, "out of locked memory for the key");
    }
    key_from_sk(p->key, kp->sk);
    int rc = SD_OK;
    for (unsigned k = 0; k < nworkers; k++) {
        worker *w = &p->w[k];
        w->p = p;
        w->k = k;
        w->next_seq = first_seq + k;
        pthread_mutex_init(&w->mu, NULL);
        pthread_cond_init(&w->can_put, NULL);
        pthread_cond_init(&w->can_take, NULL);
        w->inited = 1;
        w->ring = sodium_allocarray(PRESIGN_DEPTH, sizeof *w->ring);
        w->batch = sodium_allocarray(PRESIGN_BATCH, sizeof *w->batch);
        w->rnd = sodium_malloc(PRESIGN_BATCH * 32);
        if (!w->ring || !w->batch || !w->rnd) {
            rc = sd_errf(err, SD_ENOMEM, "out of locked memory for signing nonces");
            break;
        }
        if (pthread_create(&w->thread, NULL, work, w)) {
            rc = sd_errf(err, SD_EIO, "cannot start a signing thread");
            break;
        }
        w->started = 1;
    }
    if (rc) {
        presign_destroy(&p);
        return rc;
    }
    *out = p;
    return SD_OK;
}

void presign_destroy(presign **pp)
{
    presign *p = *pp;
    if (!p)
        return;
    for (unsigned k = 0; k < p->n; k++) {
        worker *w = &p->w[k];
        if (w->started) {
            pthread_mutex_lock(&w->mu);
            w->stop = 1;
            pthread_cond_signal(&w->can_put);
            pthread_mutex_unlock(&w->mu);
            pthread_join(w->thread, NULL);
        }
        if (w->ring)
            sodium_free(w->ring); /* wipes the pairs left */
        if (w->batch)
            sodium_free(w->batch);
        if (w->rnd)
            sodium_free(w->rnd);
        if (w->inited) {
            pthread_mutex_destroy(&w->mu);
            pthread_cond_destroy(&w->can_put);
            pthread_cond_destroy(&w->can_take);
        }
    }
    sodium_free(p->key);
    free(p);
    *pp = NULL;
}

uint64_t presign_discarded(const presign *p)
{
    return atomic_load(&((presign *)p)->discarded);
}

uint64_t presign_signed(const presign *p)
{
    return atomic_load(&((presign *)p)->nsigned);
}
