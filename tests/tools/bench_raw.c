/*
 * bench_raw.c — what this machine's primitives can do, the ceiling the
 * import and verify benchmarks are held against (tests/bench/README.md).
 *
 *   bench_raw [--only sign|verify|blake2b|lmdb|presign] [--seconds S]
 *
 * Prints one "name value" line per figure, rounded to whole units:
 *   ed25519_sign_per_s     crypto_sign_detached on 250-byte messages
 *   ed25519_verify_per_s   crypto_sign_verify_detached, same messages
 *   blake2b256_per_s       crypto_generichash (32-byte out) of 300 bytes
 *   presign_per_s          presign_sign (node/presign.h) on the same
 *                          messages, one worker thread per online core
 *                          making the (r, R) pairs; its _per_cpu_s is the
 *                          signing thread's own share
 *   ..._per_cpu_s          each of those three per second of CPU time
 *   lmdb_append_per_s      MDB_APPEND puts of 1M 40-byte keys, 300-byte
 *                          values, 100k per txn, MDB_NOSYNC, temp env
 * Each crypto figure runs for about --seconds (default 1) on one core.
 * A benchmark prints figures; it never fails on how slow they are.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "presign.h"

#define MSG_BYTES 250
#define HASH_IN_BYTES 300
#define NMSG 64                /* distinct messages cycled through */
#define LMDB_KEYS 1000000
#define LMDB_KEY_BYTES 40
#define LMDB_VAL_BYTES 300
#define LMDB_BATCH 100000
#define LMDB_MAP (1ull << 30)  /* 1M × ~350 bytes fits with room */

static double seconds = 1.0;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned char msgs[NMSG][MSG_BYTES];
static unsigned char sigs[NMSG][crypto_sign_BYTES];
static unsigned char pk[crypto_sign_PUBLICKEYBYTES];
static unsigned char sk[crypto_sign_SECRETKEYBYTES];

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs op in rounds of `chunk` until `seconds` have passed and prints
 * "name_per_s" (ops per wall-clock second, the figure that matters) and
 * "name_per_cpu_s" (per second of this thread's CPU time: the same as the
 * first on an idle machine, and what a core can do when others compete
 * for it). */
static void rate(const char *name, void (*op)(size_t i), size_t chunk)
{
    size_t n = 0;
    double t0 = now(), c0 = cpu_now(), t;
    do {
        for (size_t k = 0; k < chunk; k++, n++)
            op(n);
        t = now();
    } while (t - t0 < seconds);
    double c = cpu_now() - c0;
    printf("%s_per_s %.0f\n", name, (double)n / (t - t0));
    printf("%s_per_cpu_s %.0f\n", name, (double)n / (c > 0 ? c : t - t0));
}

static void op_sign(size_t i)
{
    crypto_sign_detached(sigs[i % NMSG], NULL, msgs[i % NMSG], MSG_BYTES, sk);
}

static volatile int verify_failures;

static void op_verify(size_t i)
{
    if (crypto_sign_verify_detached(sigs[i % NMSG], msgs[i % NMSG], MSG_BYTES, pk))
        verify_failures++;
}

static presign *ps;

static void op_presign(size_t i)
{
    presign_part part = { msgs[i % NMSG], MSG_BYTES };
    presign_sign(ps, i + 1, &part, 1, sigs[i % NMSG]);
}

static unsigned char hash_in[HASH_IN_BYTES];
static unsigned char hash_out[32];

static void op_blake2b(size_t i)
{
    hash_in[0] = (unsigned char)i;
    crypto_generichash(hash_out, sizeof hash_out, hash_in, sizeof hash_in, NULL, 0);
}

static int lmdb_fail(const char *what, int rc)
{
    fprintf(stderr, "bench_raw: error: %s: %s\n", what, mdb_strerror(rc));
    return -1;
}

/* 1M appends into a fresh environment in a temp directory; puts per second
 * including the commits, or -1. */
static double bench_lmdb(void)
{
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/bench_raw.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench_raw: error: mkdtemp %s: %s\n", dir, strerror(errno));
        return -1;
    }
    MDB_env *env = NULL;
    MDB_dbi dbi;
    MDB_txn *txn;
    double r = -1;
    int rc;
    unsigned char key[LMDB_KEY_BYTES], val[LMDB_VAL_BYTES];
    randombytes_buf(key, sizeof key);
    randombytes_buf(val, sizeof val);
    if ((rc = mdb_env_create(&env)) || (rc = mdb_env_set_mapsize(env, LMDB_MAP)) ||
        (rc = mdb_env_set_maxdbs(env, 4)) ||
        (rc = mdb_env_open(env, dir, MDB_NOSYNC | MDB_NOMETASYNC, 0600))) {
        lmdb_fail("open", rc);
        goto out;
    }
    if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) ||
        (rc = mdb_dbi_open(txn, "log", MDB_CREATE, &dbi)) || (rc = mdb_txn_commit(txn))) {
        lmdb_fail("dbi", rc);
        goto out;
    }
    double t0 = now();
    for (uint64_t i = 0; i < LMDB_KEYS;) {
        if ((rc = mdb_txn_begin(env, NULL, 0, &txn))) {
            lmdb_fail("txn", rc);
            goto out;
        }
        for (uint64_t end = i + LMDB_BATCH; i < end && i < LMDB_KEYS; i++) {
            /* a 32-byte prefix (an origin) and a big-endian counter: the
             * shape of the log's keys, ascending as MDB_APPEND wants */
            for (int b = 0; b < 8; b++)
                key[LMDB_KEY_BYTES - 1 - b] = (unsigned char)(i >> (8 * b));
            memcpy(val, &i, sizeof i);
            MDB_val k = { sizeof key, key }, v = { sizeof val, val };
            if ((rc = mdb_put(txn, dbi, &k, &v, MDB_APPEND))) {
                mdb_txn_abort(txn);
                lmdb_fail("put", rc);
                goto out;
            }
        }
        if ((rc = mdb_txn_commit(txn))) {
            lmdb_fail("commit", rc);
            goto out;
        }
    }
    r = LMDB_KEYS / (now() - t0);
out:
    if (env)
        mdb_env_close(env);
    char f[4200];
    snprintf(f, sizeof f, "%s/data.mdb", dir);
    unlink(f);
    snprintf(f, sizeof f, "%s/lock.mdb", dir);
    unlink(f);
    rmdir(dir);
    return r;
}

static void usage(FILE *to)
{
    fputs("usage: bench_raw [--only sign|verify|blake2b|lmdb|presign] [--seconds S]\n", to);
}

int main(int argc, char **argv)
{
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            only = argv[++i];
        } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            seconds = atof(argv[++i]);
            if (seconds <= 0)
                seconds = 1.0;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (only && strcmp(only, "sign") && strcmp(only, "verify") &&
        strcmp(only, "blake2b") && strcmp(only, "lmdb") && strcmp(only, "presign")) {
        usage(stderr);
        return 2;
    }
    if (sodium_init() < 0) {
        fputs("bench_raw: error: sodium_init failed\n", stderr);
        return 1;
    }
    crypto_sign_keypair(pk, sk);
    randombytes_buf(msgs, sizeof msgs);
    randombytes_buf(hash_in, sizeof hash_in);
    for (size_t i = 0; i < NMSG; i++)
        op_sign(i);
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (!only || !strcmp(only, "sign"))
        rate("ed25519_sign", op_sign, 256);
    if (!only || !strcmp(only, "verify")) {
        rate("ed25519_verify", op_verify, 128);
        if (verify_failures) {
            fputs("bench_raw: error: a signature did not verify\n", stderr);
            return 1;
        }
    }
    if (!only || !strcmp(only, "blake2b"))
        rate("blake2b256", op_blake2b, 4096);
    if (!only || !strcmp(only, "presign")) {
        keys_pair kp;
        memcpy(kp.pk, pk, sizeof kp.pk);
        memcpy(kp.sk, sk, sizeof kp.sk);
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        unsigned workers = cores < 1 ? 1 : cores > PRESIGN_MAX_WORKERS
                                               ? PRESIGN_MAX_WORKERS : (unsigned)cores;
        sd_err err;
        if (presign_new(&ps, &kp, workers, 1, &err)) {
            fprintf(stderr, "bench_raw: error: %s\n", err.msg);
            return 1;
        }
        sodium_memzero(&kp, sizeof kp);
        rate("presign", op_presign, 256);
        presign_destroy(&ps);
        for (size_t i = 0; i < NMSG; i++)
            if (crypto_sign_verify_detached(sigs[i], msgs[i], MSG_BYTES, pk)) {
                fputs("bench_raw: error: a presigned signature did not verify\n", stderr);
                return 1;
            }
    }
    if (!only || !strcmp(only, "lmdb")) {
        double r = bench_lmdb();
        if (r < 0)
            return 1;
        printf("lmdb_append_per_s %.0f\n", r);
    }
    return 0;
}
