/*
 * test_number.c — unit tests for node/number.c: the Verhoeff check digit
 * against published vectors, its promise to catch every single-digit
 * error and adjacent transposition, and the format/parse round trip of
 * membership numbers with the errors a user sees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "number.h"

/* Published Verhoeff vectors (Wikipedia, Rosetta Code, the Aadhaar
 * literature); each was re-derived by hand from D5 before use here. */
static void test_verhoeff_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *digits;
        int check;
    } v[] = {
        {"236", 3},
        {"12345", 1},
        {"142857", 0},
        {"123456789012", 0},
        {"8473643095483728456789", 2},
        {"0000042", 7},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        assert_int_equal(verhoeff_digit(v[i].digits), v[i].check);
        char full[64];
        snprintf(full, sizeof full, "%s%d", v[i].digits, v[i].check);
        assert_true(verhoeff_valid(full));
        full[strlen(full) - 1] = (char)('0' + (v[i].check + 1) % 10);
        assert_false(verhoeff_valid(full));
    }
    assert_true(verhoeff_valid("2363"));
    assert_false(verhoeff_valid("2364"));
    assert_true(verhoeff_valid("84736430954837284567892"));
}

static void test_verhoeff_bad_input(void **state)
{
    (void)state;
    assert_int_equal(verhoeff_digit(""), -1);
    assert_int_equal(verhoeff_digit(NULL), -1);
    assert_int_equal(verhoeff_digit("12a4"), -1);
    assert_int_equal(verhoeff_digit("12 4"), -1);
    assert_false(verhoeff_valid(""));
    assert_false(verhoeff_valid(NULL));
    assert_false(verhoeff_valid("0")); /* nothing to check */
    assert_false(verhoeff_valid("236-3"));
}

/* The serial plus check digit of each sample, as an 8-digit string. */
static const char *const samples[] = {
    "0000001", "0000042", "1234567", "9876543", "9999999",
    "5050505", "1000000", "0909090", "3141592", "2718281",
};

static void full_digits(const char *serial, char out[9])
{
    memcpy(out, serial, 7);
    out[7] = (char)('0' + verhoeff_digit(serial));
    out[8] = '\0';
}

static void test_verhoeff_catches_substitutions(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof samples / sizeof samples[0]; s++) {
        char full[9];
        full_digits(samples[s], full);
        assert_true(verhoeff_valid(full));
        for (int pos = 0; pos < 8; pos++) {
            for (char c = '0'; c <= '9'; c++) {
                if (c == full[pos])
                    continue;
                char typo[9];
                memcpy(typo, full, sizeof typo);
                typo[pos] = c;
                if (verhoeff_valid(typo))
                    fail_msg("substitution %s -> %s not caught", full, typo);
            }
        }
    }
}

static void test_verhoeff_catches_transpositions(void **state)
{
    (void)state;
    int tried = 0;
    for (size_t s = 0; s < sizeof samples / sizeof samples[0]; s++) {
        char full[9];
        full_digits(samples[s], full);
        for (int pos = 0; pos + 1 < 8; pos++) {
            if (full[pos] == full[pos + 1])
                continue;
            char swapped[9];
            memcpy(swapped, full, sizeof swapped);
            swapped[pos] = full[pos + 1];
            swapped[pos + 1] = full[pos];
            tried++;
            if (verhoeff_valid(swapped))
                fail_msg("transposition %s -> %s not caught", full, swapped);
        }
    }
    assert_true(tried > 40);
}

/* Every adjacent transposition of every pair of distinct digits, at
 * every position of a 7-digit serial, is caught. */
static void test_verhoeff_catches_all_pair_transpositions(void **state)
{
    (void)state;
    for (int pos = 0; pos + 1 < 8; pos++) {
        for (char a = '0'; a <= '9'; a++) {
            for (char b = '0'; b <= '9'; b++) {
                if (a == b)
                    continue;
                char serial[8] = "3141592";
                char full[9];
                if (pos < 6) {
                    serial[pos] = a;
                    serial[pos + 1] = b;
                    full_digits(serial, full);
                } else {
                    /* swap the last serial digit with the check digit */
                    serial[6] = a;
                    full_digits(serial, full);
                    if (full[7] == a)
                        continue;
                }
                char swapped[9];
                memcpy(swapped, full, sizeof swapped);
                swapped[pos] = full[pos + 1];
                swapped[pos + 1] = full[pos];
                if (verhoeff_valid(swapped))
                    fail_msg("transposition %s -> %s not caught", full,
                             swapped);
            }
        }
    }
}

static void test_state_valid(void **state)
{
    (void)state;
    assert_true(number_state_valid("BR"));
    assert_true(number_state_valid("MAH"));
    assert_false(number_state_valid("B"));
    assert_false(number_state_valid("ABCD"));
    assert_false(number_state_valid("br"));
    assert_false(number_state_valid("B1"));
    assert_false(number_state_valid(""));
    assert_false(number_state_valid(NULL));
}

static void test_format(void **state)
{
    (void)state;
    char out[NUMBER_MAX_LEN];
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(number_format(out, "BR", 42, &err), SD_OK);
    assert_string_equal(out, "BR-0000042-7");
    assert_int_equal(number_format(out, "UP", 1, &err), SD_OK);
    assert_string_equal(out, "UP-0000001-7");
    assert_int_equal(number_format(out, "MAH", NUMBER_SERIAL_MAX, &err), SD_OK);
    assert_string_equal(out, "MAH-9999999-5");
}

static void test_format_rejects(void **state)
{
    (void)state;
    char out[NUMBER_MAX_LEN];
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(number_format(out, "BR", 0, &err), SD_EINVAL);
    assert_int_equal(err.code, SD_EINVAL);
    assert_non_null(strstr(err.msg, "serial 0"));
    assert_int_equal(number_format(out, "BR", NUMBER_SERIAL_MAX + 1, &err),
                     SD_EINVAL);
    assert_non_null(strstr(err.msg, "10000000"));
    assert_int_equal(number_format(out, "BR", UINT64_MAX, &err), SD_EINVAL);
    assert_int_equal(number_format(out, "br", 1, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "\"br\""));
    assert_int_equal(number_format(out, "B", 1, &err), SD_EINVAL);
    assert_int_equal(number_format(out, "ABCD", 1, &err), SD_EINVAL);
    assert_int_equal(number_format(out, NULL, 1, &err), SD_EINVAL);
    assert_int_equal(number_format(out, "BR", 1, NULL), SD_OK); /* err optional */
}

static void test_roundtrip(void **state)
{
    (void)state;
    static const char *const states[] = {"BR", "UP", "MAH", "TN", "DLI"};
    static const uint64_t serials[] = {1,      2,       42,      999,
                                       100000, 1234567, 9999998, 9999999};
    for (size_t s = 0; s < sizeof states / sizeof states[0]; s++) {
        for (size_t k = 0; k < sizeof serials / sizeof serials[0]; k++) {
            char out[NUMBER_MAX_LEN], canon[NUMBER_MAX_LEN];
            char st[NUMBER_STATE_MAX + 1];
            uint64_t serial = 0;
            sd_err err;
            assert_int_equal(number_format(out, states[s], serials[k], &err),
                             SD_OK);
            assert_int_equal(number_parse(out, canon, st, &serial, &err),
                             SD_OK);
            assert_string_equal(canon, out);
            assert_string_equal(st, states[s]);
            assert_true(serial == serials[k]);
        }
    }
    /* A sweep of serials, each through format and parse. */
    for (uint64_t n = 1; n <= NUMBER_SERIAL_MAX; n += 9973) {
        char out[NUMBER_MAX_LEN];
        uint64_t serial = 0;
        assert_int_equal(number_format(out, "KA", n, NULL), SD_OK);
        assert_int_equal(number_parse(out, NULL, NULL, &serial, NULL), SD_OK);
        assert_true(serial == n);
    }
}

static void test_parse_forms(void **state)
{
    (void)state;
    static const char *const forms[] = {
        "BR-0000042-7", "br-0000042-7", "Br-0000042-7", "BR00000427",
        "br00000427",   "BR-00000427",  "BR0000042-7",  "  br-0000042-7\n",
        "\tBR00000427 ",
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char canon[NUMBER_MAX_LEN], st[NUMBER_STATE_MAX + 1];
        uint64_t serial = 0;
        sd_err err;
        sd_err_clear(&err);
        if (number_parse(forms[i], canon, st, &serial, &err) != SD_OK)
            fail_msg("\"%s\" rejected: %s", forms[i], err.msg);
        assert_string_equal(canon, "BR-0000042-7");
        assert_string_equal(st, "BR");
        assert_true(serial == 42);
    }
    char canon[NUMBER_MAX_LEN];
    assert_int_equal(number_parse("mah-1234567-9", canon, NULL, NULL, NULL),
                     SD_OK);
    assert_string_equal(canon, "MAH-1234567-9");
}

static void test_parse_wrong_check_digit(void **state)
{
    (void)state;
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(number_parse("BR-0000042-3", NULL, NULL, NULL, &err),
                     SD_EINVAL);
    assert_int_equal(err.code, SD_EINVAL);
    assert_string_equal(err.msg, "BR-0000042-3: wrong check digit (mistyped?)");
    assert_int_equal(number_parse("br00000423", NULL, NULL, NULL, &err),
                     SD_EINVAL);
    assert_string_equal(err.msg, "BR-0000042-3: wrong check digit (mistyped?)");
    /* The right digit (7) is never told. */
    assert_null(strstr(err.msg, "7"));
    /* A typo in the serial is caught the same way. */
    assert_int_equal(number_parse("BR-0000024-7", NULL, NULL, NULL, &err),
                     SD_EINVAL);
    assert_string_equal(err.msg, "BR-0000024-7: wrong check digit (mistyped?)");
}

static void test_parse_malformed(void **state)
{
    (void)state;
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(number_parse("XYZ", NULL, NULL, NULL, &err), SD_EINVAL);
    assert_string_equal(
        err.msg, "\"XYZ\" is not a membership number (expected like BR-0000042-7)");

    static const char *const bad[] = {
        "",                /* empty */
        "   ",             /* blank */
        "B-0000042-7",     /* state too short */
        "ABCD-0000042-7",  /* state too long */
        "12-0000042-7",    /* state not letters */
        "BR-000042-7",     /* 6-digit serial */
        "BR-00000042-7",   /* 8-digit serial, i.e. check digit slot + 1 */
        "BR-0000042-77",   /* two check digits */
        "BR-0000042-X",    /* check digit not a digit */
        "BR--0000042-7",   /* doubled hyphen */
        "BR 0000042 7",    /* inner spaces */
        "BR-00000a2-7",    /* letter in serial */
        "BR-0000042-7x",   /* trailing junk */
        "-BR-0000042-7",   /* leading hyphen */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sd_err_clear(&err);
        if (number_parse(bad[i], NULL, NULL, NULL, &err) != SD_EINVAL)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_int_equal(err.code, SD_EINVAL);
        assert_true(err.msg[0] != '\0');
    }
    assert_int_equal(number_parse(NULL, NULL, NULL, NULL, &err), SD_EINVAL);
}

static void test_parse_missing_check_digit(void **state)
{
    (void)state;
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(number_parse("BR-0000042", NULL, NULL, NULL, &err),
                     SD_EINVAL);
    assert_non_null(strstr(err.msg, "no check digit"));
    assert_int_equal(number_parse("br0000042", NULL, NULL, NULL, &err),
                     SD_EINVAL);
    assert_non_null(strstr(err.msg, "no check digit"));
}

static void test_parse_serial_zero(void **state)
{
    (void)state;
    sd_err err;
    sd_err_clear(&err);
    /* 0000000 with its correct check digit (1) is still not a number. */
    assert_int_equal(verhoeff_digit("0000000"), 1);
    assert_int_equal(number_parse("BR-0000000-1", NULL, NULL, NULL, &err),
                     SD_EINVAL);
    assert_non_null(strstr(err.msg, "serials start at 1"));
}

static void test_parse_long_input_quoted_short(void **state)
{
    (void)state;
    char in[400];
    memset(in, 'Q', sizeof in - 1);
    in[sizeof in - 1] = '\0';
    sd_err err;
    assert_int_equal(number_parse(in, NULL, NULL, NULL, &err), SD_EINVAL);
    assert_true(strlen(err.msg) < 120);
    assert_non_null(strstr(err.msg, "...\""));
}

/* Outputs are untouched when parsing fails. */
static void test_parse_failure_leaves_outputs(void **state)
{
    (void)state;
    char canon[NUMBER_MAX_LEN] = "untouched";
    char st[NUMBER_STATE_MAX + 1] = "ZZ";
    uint64_t serial = 77;
    assert_int_equal(number_parse("BR-0000042-3", canon, st, &serial, NULL),
                     SD_EINVAL);
    assert_string_equal(canon, "untouched");
    assert_string_equal(st, "ZZ");
    assert_true(serial == 77);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verhoeff_vectors),
        cmocka_unit_test(test_verhoeff_bad_input),
        cmocka_unit_test(test_verhoeff_catches_substitutions),
        cmocka_unit_test(test_verhoeff_catches_transpositions),
        cmocka_unit_test(test_verhoeff_catches_all_pair_transpositions),
        cmocka_unit_test(test_state_valid),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_rejects),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_parse_forms),
        cmocka_unit_test(test_parse_wrong_check_digit),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_parse_missing_check_digit),
        cmocka_unit_test(test_parse_serial_zero),
        cmocka_unit_test(test_parse_long_input_quoted_short),
        cmocka_unit_test(test_parse_failure_leaves_outputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
