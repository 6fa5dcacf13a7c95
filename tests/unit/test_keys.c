/*
 * test_keys.c — unit tests for node/keys.c: key files round-trip, are
 * created 0600 and never overwritten, are refused when others can read
 * them or when they do not hold a key; public keys parse from hex.
 * Each test works in its own mkdtemp directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "keys.h"

typedef struct fixture {
    char dir[64];
    char path[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/test_keys.XXXXXX",
             tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/node.key", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_generate_signs(void **state)
{
    (void)state;
    keys_pair a, b;
    assert_int_equal(keys_generate(&a), SD_OK);
    assert_int_equal(keys_generate(&b), SD_OK);
    assert_memory_not_equal(a.pk, b.pk, KEYS_PUBLIC_BYTES);

    const unsigned char msg[] = "sadasya";
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, msg, sizeof msg, a.sk);
    assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof msg, a.pk),
                     0);
    assert_int_not_equal(
        crypto_sign_verify_detached(sig, msg, sizeof msg, b.pk), 0);
}

static void test_save_load_roundtrip(void **state)
{
    fixture *f = *state;
    keys_pair kp, back;
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(keys_generate(&kp), SD_OK);
    assert_int_equal(keys_save(f->path, &kp, &err), SD_OK);

    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 65);

    /* The file is the seed in lower-case hex and a newline. */
    FILE *fp = fopen(f->path, "r");
    assert_non_null(fp);
    char text[80] = {0};
    assert_int_equal(fread(text, 1, sizeof text, fp), 65);
    fclose(fp);
    assert_int_equal(text[64], '\n');
    char seed_hex[65];
    sodium_bin2hex(seed_hex, sizeof seed_hex, kp.sk, KEYS_SEED_BYTES);
    assert_memory_equal(text, seed_hex, 64);

    memset(&back, 0, sizeof back);
    assert_int_equal(keys_load(f->path, &back, &err), SD_OK);
    assert_memory_equal(back.pk, kp.pk, KEYS_PUBLIC_BYTES);
    assert_memory_equal(back.sk, kp.sk, KEYS_SECRET_BYTES);
}

static void test_save_refuses_existing(void **state)
{
    fixture *f = *state;
    keys_pair kp, other, back;
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(keys_generate(&kp), SD_OK);
    assert_int_equal(keys_generate(&other), SD_OK);
    assert_int_equal(keys_save(f->path, &kp, &err), SD_OK);
    assert_int_equal(keys_save(f->path, &other, &err), SD_ECONFLICT);
    assert_int_equal(err.code, SD_ECONFLICT);
    assert_non_null(strstr(err.msg, f->path));
    /* The first key is still there. */
    assert_int_equal(keys_load(f->path, &back, NULL), SD_OK);
    assert_memory_equal(back.pk, kp.pk, KEYS_PUBLIC_BYTES);
}

static void test_save_bad_dir(void **state)
{
    fixture *f = *state;
    keys_pair kp;
    sd_err err;
    char path[200];
    snprintf(path, sizeof path, "%s/no/such/dir/node.key", f->dir);
    assert_int_equal(keys_generate(&kp), SD_OK);
    assert_int_equal(keys_save(path, &kp, &err), SD_EIO);
    assert_non_null(strstr(err.msg, path));
}

static void test_load_refuses_open_mode(void **state)
{
    fixture *f = *state;
    keys_pair kp, back;
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(keys_generate(&kp), SD_OK);
    assert_int_equal(keys_save(f->path, &kp, &err), SD_OK);

    assert_int_equal(chmod(f->path, 0644), 0);
    assert_int_equal(keys_load(f->path, &back, &err), SD_EAUTH);
    assert_int_equal(err.code, SD_EAUTH);
    assert_non_null(strstr(err.msg, f->path));
    assert_non_null(strstr(err.msg, "0644"));

    static const mode_t open_modes[] = {0640, 0604, 0620, 0602, 0610, 0601};
    for (size_t i = 0; i < sizeof open_modes / sizeof open_modes[0]; i++) {
        assert_int_equal(chmod(f->path, open_modes[i]), 0);
        assert_int_equal(keys_load(f->path, &back, NULL), SD_EAUTH);
    }

    /* Owner-only modes are fine. */
    assert_int_equal(chmod(f->path, 0400), 0);
    assert_int_equal(keys_load(f->path, &back, &err), SD_OK);
    assert_memory_equal(back.pk, kp.pk, KEYS_PUBLIC_BYTES);
    assert_int_equal(chmod(f->path, 0600), 0);
}

static void test_load_missing(void **state)
{
    fixture *f = *state;
    keys_pair kp;
    sd_err err;
    assert_int_equal(keys_load(f->path, &kp, &err), SD_ENOTFOUND);
    assert_non_null(strstr(err.msg, f->path));
}

static void test_load_corrupt(void **state)
{
    fixture *f = *state;
    keys_pair kp;
    sd_err err;
    static const char *const corrupt[] = {
        "",
        "\n",
        "not a key\n",
        /* 63 hex characters */
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeef\n",
        /* 65 hex characters */
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0\n",
        /* a non-hex character inside */
        "00112233445566778899aabbccddeeff0011223344556677889Xaabbccddeeff\n",
        /* junk after the key */
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\nx",
        /* a second line */
        ("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
         "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"),
        /* hex with separators */
        "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55\n",
    };
    for (size_t i = 0; i < sizeof corrupt / sizeof corrupt[0]; i++) {
        unlink(f->path);
        write_file(f->path, corrupt[i], 0600);
        sd_err_clear(&err);
        if (keys_load(f->path, &kp, &err) != SD_ECORRUPT)
            fail_msg("corrupt key file %zu accepted", i);
        assert_non_null(strstr(err.msg, f->path));
    }
}

/* A seed written by hand (upper case, no newline, or CRLF) loads, and
 * gives the key pair libsodium derives from it. */
static void test_load_handwritten(void **state)
{
    fixture *f = *state;
    static const char *const forms[] = {
        "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF\n",
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\r\n",
    };
    unsigned char seed[KEYS_SEED_BYTES], pk[KEYS_PUBLIC_BYTES],
        sk[KEYS_SECRET_BYTES];
    for (size_t i = 0; i < KEYS_SEED_BYTES; i++)
        seed[i] = (unsigned char)((i % 16) * 0x11);
    crypto_sign_seed_keypair(pk, sk, seed);

    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        unlink(f->path);
        write_file(f->path, forms[i], 0600);
        keys_pair kp;
        sd_err err;
        if (keys_load(f->path, &kp, &err) != SD_OK)
            fail_msg("form %zu rejected: %s", i, err.msg);
        assert_memory_equal(kp.pk, pk, KEYS_PUBLIC_BYTES);
        assert_memory_equal(kp.sk, sk, KEYS_SECRET_BYTES);
    }
}

static void test_load_directory(void **state)
{
    fixture *f = *state;
    keys_pair kp;
    assert_int_equal(chmod(f->dir, 0700), 0);
    assert_int_equal(keys_load(f->dir, &kp, NULL), SD_ECORRUPT);
}

static void test_public_hex_roundtrip(void **state)
{
    (void)state;
    keys_pair kp;
    assert_int_equal(keys_generate(&kp), SD_OK);
    char hex[KEYS_HEX_LEN + 1];
    memset(hex, 'Z', sizeof hex);
    keys_public_hex(kp.pk, hex);
    assert_int_equal(strlen(hex), KEYS_HEX_LEN);
    for (size_t i = 0; i < KEYS_HEX_LEN; i++)
        assert_non_null(strchr("0123456789abcdef", hex[i]));

    unsigned char pk[KEYS_PUBLIC_BYTES];
    sd_err err;
    assert_int_equal(keys_parse_public(hex, pk, &err), SD_OK);
    assert_memory_equal(pk, kp.pk, KEYS_PUBLIC_BYTES);

    /* Upper case parses to the same key. */
    for (size_t i = 0; i < KEYS_HEX_LEN; i++)
        if (hex[i] >= 'a' && hex[i] <= 'f')
            hex[i] = (char)(hex[i] - 'a' + 'A');
    memset(pk, 0, sizeof pk);
    assert_int_equal(keys_parse_public(hex, pk, &err), SD_OK);
    assert_memory_equal(pk, kp.pk, KEYS_PUBLIC_BYTES);
}

static void test_parse_public_rejects(void **state)
{
    (void)state;
    unsigned char pk[KEYS_PUBLIC_BYTES];
    sd_err err;
    const char *good =
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    assert_int_equal(keys_parse_public(good, pk, &err), SD_OK);

    /* wrong lengths */
    assert_int_equal(keys_parse_public("", pk, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "64"));
    assert_int_equal(keys_parse_public("0011", pk, &err), SD_EINVAL);
    char longer[80];
    snprintf(longer, sizeof longer, "%s00", good);
    assert_int_equal(keys_parse_public(longer, pk, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "66"));
    char shorter[80];
    snprintf(shorter, sizeof shorter, "%.63s", good);
    assert_int_equal(keys_parse_public(shorter, pk, &err), SD_EINVAL);
    snprintf(longer, sizeof longer, " %s", good);
    assert_int_equal(keys_parse_public(longer, pk, &err), SD_EINVAL);
    assert_int_equal(keys_parse_public(NULL, pk, &err), SD_EINVAL);

    /* bad hex, at the first and at an odd position */
    char bad[KEYS_HEX_LEN + 1];
    memcpy(bad, good, sizeof bad);
    bad[0] = 'g';
    assert_int_equal(keys_parse_public(bad, pk, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "position 1"));
    memcpy(bad, good, sizeof bad);
    bad[41] = 'x';
    assert_int_equal(keys_parse_public(bad, pk, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "position 42"));
    memcpy(bad, good, sizeof bad);
    bad[63] = ' ';
    assert_int_equal(keys_parse_public(bad, pk, &err), SD_EINVAL);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_signs),
        cmocka_unit_test_setup_teardown(test_save_load_roundtrip, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_save_refuses_existing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_save_bad_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_refuses_open_mode, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_load_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_handwritten, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_load_directory, setup, teardown),
        cmocka_unit_test(test_public_hex_roundtrip),
        cmocka_unit_test(test_parse_public_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
