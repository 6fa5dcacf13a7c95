/*
 * test_presign.c — unit tests for node/presign.c: the signing half gives
 * libsodium's own bytes when handed libsodium's own r; signatures from
 * the worker-fed signer verify with crypto_sign_verify_detached, fail
 * under another key and with any byte flipped; going back to an earlier
 * sequence number throws the pairs away instead of using one twice; and
 * PRESIGN_TEST_COUNT signatures (1,000,000 unless set) carry no repeated
 * R. The independent verifiers (PyNaCl, openssl) check imported entries
 * in tests/cli/test_import.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "entry.h"
#include "keys.h"
#include "presign.h"

static void message(uint8_t *m, size_t len, uint64_t seed)
{
    uint8_t s[randombytes_SEEDBYTES] = { 0 };
    memcpy(s, &seed, sizeof seed);
    randombytes_buf_deterministic(m, len, s);
}

/* With r = SHA-512(prefix ‖ M) mod ℓ, as libsodium derives it, the
 * signing half must give crypto_sign_detached's bytes exactly. */
static void test_same_bytes_as_libsodium(void **state)
{
    (void)state;
    keys_pair kp;
    assert_int_equal(keys_generate(&kp), 0);
    uint8_t az[64];
    crypto_hash_sha512(az, kp.sk, 32);
    static const size_t lens[] = { 0, 1, 31, 64, 200, 1000, 5000 };
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        uint8_t m[5000], want[64], got[64], h[64], r[32], R[32];
        message(m, lens[i], i);
        crypto_sign_detached(want, NULL, m, lens[i], kp.sk);
        crypto_hash_sha512_state st;
        crypto_hash_sha512_init(&st);
        crypto_hash_sha512_update(&st, az + 32, 32);
        crypto_hash_sha512_update(&st, m, lens[i]);
        crypto_hash_sha512_final(&st, h);
        crypto_core_ed25519_scalar_reduce(r, h);
        assert_int_equal(crypto_scalarmult_ed25519_base_noclamp(R, r), 0);
        /* The message in two parts, as entries are signed (domain ‖ bytes). */
        size_t cut = lens[i] / 3;
        presign_part parts[2] = { { m, cut }, { m + cut, lens[i] - cut } };
        assert_int_equal(presign_finish(kp.sk, r, R, parts, 2, got), 0);
        assert_memory_equal(got, want, 64);
    }
}

static void sign_one(presign *p, uint64_t seq, const uint8_t *m, size_t len,
                     uint8_t sig[64])
{
    presign_part part = { m, len };
    presign_sign(p, seq, &part, 1, sig);
}

static void test_verifies_and_refuses(void **state)
{
    (void)state;
    keys_pair kp, other;
    assert_int_equal(keys_generate(&kp), 0);
    assert_int_equal(keys_generate(&other), 0);
    presign *p;
    assert_int_equal(presign_new(&p, &kp, 2, 1, NULL), 0);
    for (uint64_t seq = 1; seq <= 500; seq++) {
        uint8_t m[300], sig[64];
        size_t len = (size_t)(seq * 7 % sizeof m);
        message(m, len, seq);
        sign_one(p, seq, m, len, sig);
        assert_int_equal(crypto_sign_verify_detached(sig, m, len, kp.pk), 0);
        assert_int_not_equal(crypto_sign_verify_detached(sig, m, len, other.pk), 0);
        if (len) {
            m[seq % len] ^= 0x01;
            assert_int_not_equal(crypto_sign_verify_detached(sig, m, len, kp.pk), 0);
            m[seq % len] ^= 0x01;
        }
        sig[seq % 64] ^= 0x80;
        assert_int_not_equal(crypto_sign_verify_detached(sig, m, len, kp.pk), 0);
    }
    assert_int_equal(presign_signed(p), 500);
    presign_destroy(&p);
    assert_null(p);
}

/* A signer that goes back (a commit failed, the head was re-read) signs
 * the same seq again: with a new pair, never the one already used. */
static void test_going_back_discards(void **state)
{
    (void)state;
    keys_pair kp;
    assert_int_equal(keys_generate(&kp), 0);
    presign *p;
    assert_int_equal(presign_new(&p, &kp, 3, 100, NULL), 0);
    uint8_t m[] = "an entry", first[64], again[64];
    for (uint64_t seq = 100; seq < 110; seq++)
        sign_one(p, seq, m, sizeof m, first);
    sign_one(p, 105, m, sizeof m, first);
    uint64_t thrown = presign_discarded(p);
    assert_true(thrown > 0);
    sign_one(p, 105, m, sizeof m, again); /* back again: another restart */
    assert_true(presign_discarded(p) > thrown);
    assert_memory_not_equal(first, again, 32); /* a different R */
    assert_int_equal(crypto_sign_verify_detached(first, m, sizeof m, kp.pk), 0);
    assert_int_equal(crypto_sign_verify_detached(again, m, sizeof m, kp.pk), 0);
    /* Jumping ahead works too (the pairs made for skipped seqs go). */
    sign_one(p, 5000, m, sizeof m, again);
    assert_int_equal(crypto_sign_verify_detached(again, m, sizeof m, kp.pk), 0);
    presign_destroy(&p);
}

/* Entries signed through presign pass the entry rule's check (domain tag
 * and all) and only under their own key. */
static void test_entry_rule(void **state)
{
    (void)state;
    keys_pair kp, other;
    assert_int_equal(keys_generate(&kp), 0);
    assert_int_equal(keys_generate(&other), 0);
    presign *p;
    assert_int_equal(presign_new(&p, &kp, 1, 7, NULL), 0);
    uint8_t bytes[120], sig[ENTRY_SIG_BYTES], plain[ENTRY_SIG_BYTES];
    message(bytes, sizeof bytes, 42);
    entry_sign_presigned(p, 7, bytes, sizeof bytes, sig);
    assert_true(entry_verify_sig(kp.pk, bytes, sizeof bytes, sig));
    assert_false(entry_verify_sig(other.pk, bytes, sizeof bytes, sig));
    /* Without the domain tag it is not a valid signature of the bytes. */
    assert_int_not_equal(crypto_sign_verify_detached(sig, bytes, sizeof bytes, kp.pk), 0);
    entry_sign(&kp, bytes, sizeof bytes, plain);
    assert_memory_not_equal(sig, plain, 32); /* hedged: another r than libsodium's */
    presign_destroy(&p);
}

static int cmp_r(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static void test_no_repeated_r(void **state)
{
    (void)state;
    const char *env = getenv("PRESIGN_TEST_COUNT");
    size_t count = env ? strtoul(env, NULL, 10) : 1000000;
    keys_pair kp;
    assert_int_equal(keys_generate(&kp), 0);
    presign *p;
    assert_int_equal(presign_new(&p, &kp, 2, 1, NULL), 0);
    uint8_t (*rs)[32] = malloc(count * 32);
    assert_non_null(rs);
    for (size_t i = 0; i < count; i++) {
        uint8_t m[16], sig[64];
        memcpy(m, &i, sizeof i);
        memset(m + sizeof i, 0x5a, sizeof m - sizeof i);
        sign_one(p, i + 1, m, sizeof m, sig);
        memcpy(rs[i], sig, 32);
        if (i % 997 == 0) /* a sample: verifying all would take a minute */
            assert_int_equal(crypto_sign_verify_detached(sig, m, sizeof m, kp.pk), 0);
    }
    qsort(rs, count, 32, cmp_r);
    for (size_t i = 1; i < count; i++)
        assert_memory_not_equal(rs[i - 1], rs[i], 32);
    assert_int_equal(presign_discarded(p), 0);
    free(rs);
    presign_destroy(&p);
}

static void test_bad_worker_count(void **state)
{
    (void)state;
    keys_pair kp;
    assert_int_equal(keys_generate(&kp), 0);
    presign *p = (presign *)&kp;
    assert_int_not_equal(presign_new(&p, &kp, 0, 1, NULL), 0);
    assert_null(p);
    assert_int_not_equal(presign_new(&p, &kp, PRESIGN_MAX_WORKERS + 1, 1, NULL), 0);
    assert_null(p);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bytes_as_libsodium),
        cmocka_unit_test(test_verifies_and_refuses),
        cmocka_unit_test(test_going_back_discards),
        cmocka_unit_test(test_bad_worker_count),
        cmocka_unit_test(test_entry_rule),
        cmocka_unit_test(test_no_repeated_r),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
