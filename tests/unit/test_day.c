/*
 * test_day.c — unit tests for node/day.c: days since 1970-01-01 UTC
 * round-trip through "YYYY-MM-DD", agree with the C library's own
 * conversion, respect Gregorian leap years, and reject dates that do not
 * exist or cannot be counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "day.h"

static void test_known_days(void **state)
{
    (void)state;
    static const struct {
        const char *date;
        uint32_t day;
    } v[] = {
        {"1970-01-01", 0},     {"1970-01-02", 1},     {"1970-12-31", 364},
        {"1971-01-01", 365},   {"1972-02-29", 789},   {"1972-03-01", 790},
        {"2000-01-01", 10957}, {"2000-02-29", 11016}, {"2000-03-01", 11017},
        {"2024-02-29", 19782}, {"2024-03-01", 19783}, {"2038-01-19", 24855},
        {"2100-03-01", 47541}, {"9999-12-31", 2932896},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint32_t day = 0;
        sd_err err;
        if (day_parse(v[i].date, &day, &err) != SD_OK)
            fail_msg("%s rejected: %s", v[i].date, err.msg);
        assert_int_equal(day, v[i].day);
        char out[DAY_STR_LEN];
        day_format(v[i].day, out);
        assert_string_equal(out, v[i].date);
    }
}

/* Every day from 1970 to past 2100 formats and parses back, is one more
 * than the day before, and agrees with gmtime. */
static void test_roundtrip_range(void **state)
{
    (void)state;
    char prev[DAY_STR_LEN] = "";
    for (uint32_t day = 0; day <= 50000; day++) {
        char out[DAY_STR_LEN];
        day_format(day, out);
        assert_int_equal(strlen(out), DAY_STR_LEN - 1);
        assert_true(strcmp(prev, out) < 0);
        memcpy(prev, out, sizeof prev);

        uint32_t back = UINT32_MAX;
        assert_int_equal(day_parse(out, &back, NULL), SD_OK);
        assert_int_equal(back, day);

        time_t t = (time_t)day * 86400;
        struct tm tm;
        assert_non_null(gmtime_r(&t, &tm));
        char ref[32];
        snprintf(ref, sizeof ref, "%04d-%02d-%02d", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday);
        assert_string_equal(out, ref);

        char month[8];
        day_format_month(day, month);
        assert_memory_equal(month, out, 7);
        assert_int_equal(month[7], '\0');
    }
    /* and sparser to the end of year 9999 */
    for (uint32_t day = 50000; day <= 2932896; day += 997) {
        char out[DAY_STR_LEN];
        uint32_t back = 0;
        day_format(day, out);
        assert_int_equal(day_parse(out, &back, NULL), SD_OK);
        assert_int_equal(back, day);
    }
}

static void test_leap_years(void **state)
{
    (void)state;
    uint32_t a, b;
    sd_err err;
    /* 2000: divisible by 400, a leap year */
    assert_int_equal(day_parse("2000-02-29", &a, &err), SD_OK);
    assert_int_equal(day_parse("2000-03-01", &b, &err), SD_OK);
    assert_int_equal(b - a, 1);
    /* 2024: an ordinary leap year */
    assert_int_equal(day_parse("2024-02-29", &a, &err), SD_OK);
    assert_int_equal(day_parse("2024-03-01", &b, &err), SD_OK);
    assert_int_equal(b - a, 1);
    /* 1900 and 2100: divisible by 100 only, not leap years */
    assert_int_equal(day_parse("1900-02-29", &a, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "February 1900 has 28 days"));
    assert_int_equal(day_parse("2100-02-29", &a, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "February 2100 has 28 days"));
    assert_int_equal(day_parse("2100-02-28", &a, &err), SD_OK);
    assert_int_equal(day_parse("2100-03-01", &b, &err), SD_OK);
    assert_int_equal(b - a, 1);
    /* days in a year */
    assert_int_equal(day_parse("2000-01-01", &a, &err), SD_OK);
    assert_int_equal(day_parse("2001-01-01", &b, &err), SD_OK);
    assert_int_equal(b - a, 366);
    assert_int_equal(day_parse("2100-01-01", &a, &err), SD_OK);
    assert_int_equal(day_parse("2101-01-01", &b, &err), SD_OK);
    assert_int_equal(b - a, 365);
}

static void test_invalid_dates(void **state)
{
    (void)state;
    sd_err err;
    uint32_t day = 12345;

    sd_err_clear(&err);
    assert_int_equal(day_parse("2023-02-29", &day, &err), SD_EINVAL);
    assert_int_equal(err.code, SD_EINVAL);
    assert_string_equal(err.msg,
                        "\"2023-02-29\" is not a date: February 2023 has 28 "
                        "days");
    assert_int_equal(day_parse("2024-13-01", &day, &err), SD_EINVAL);
    assert_string_equal(err.msg,
                        "\"2024-13-01\" is not a date: there is no month 13");
    assert_int_equal(day_parse("2024-04-31", &day, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "April 2024 has 30 days"));

    static const char *const bad[] = {
        "2024-00-10", "2024-01-00", "2024-01-32", "2024-06-31",
        "0000-01-01", "1899-12-31", "10000-01-01",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (day_parse(bad[i], &day, &err) != SD_EINVAL)
            fail_msg("%s accepted", bad[i]);
    assert_int_equal(day, 12345); /* untouched on failure */
}

static void test_garbage(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",           "garbage",     "2024",        "2024-1-1",
        "2024-01-1",  "24-01-01",    "2024/01/01",  "2024-01-01x",
        "2024-01-01 12:00", "01-01-2024", "2024-0a-01", "+2024-01-01",
        "2024--1-01", "2024-01-01T00:00:00Z", "२०२४-०१-०१",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t day = 7;
        sd_err err;
        sd_err_clear(&err);
        if (day_parse(bad[i], &day, &err) != SD_EINVAL)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_int_equal(day, 7);
        assert_non_null(strstr(err.msg, "expected YYYY-MM-DD"));
    }
    sd_err err;
    assert_int_equal(day_parse("garbage", NULL, &err), SD_EINVAL);
    assert_string_equal(err.msg,
                        "\"garbage\" is not a date (expected YYYY-MM-DD)");
    assert_int_equal(day_parse(NULL, NULL, &err), SD_EINVAL);
    assert_int_equal(day_parse("garbage", NULL, NULL), SD_EINVAL);
}

static void test_spaces_trimmed(void **state)
{
    (void)state;
    uint32_t day = 0;
    assert_int_equal(day_parse("  2000-01-01\n", &day, NULL), SD_OK);
    assert_int_equal(day, 10957);
}

/* Days are unsigned: real dates before the epoch are refused, clearly. */
static void test_before_epoch(void **state)
{
    (void)state;
    uint32_t day = 5;
    sd_err err;
    assert_int_equal(day_parse("1969-12-31", &day, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "before 1970-01-01"));
    assert_int_equal(day_parse("1900-01-01", &day, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "before 1970-01-01"));
    assert_int_equal(day, 5);
}

static void test_format_clamps_far_future(void **state)
{
    (void)state;
    char out[DAY_STR_LEN];
    day_format(UINT32_MAX, out);
    assert_string_equal(out, "9999-12-31");
    char month[8];
    day_format_month(UINT32_MAX, month);
    assert_string_equal(month, "9999-12");
}

static void test_format_month(void **state)
{
    (void)state;
    char month[8];
    day_format_month(0, month);
    assert_string_equal(month, "1970-01");
    day_format_month(11016, month); /* 2000-02-29 */
    assert_string_equal(month, "2000-02");
    day_format_month(19783, month); /* 2024-03-01 */
    assert_string_equal(month, "2024-03");
}

static void test_today(void **state)
{
    (void)state;
    time_t before = time(NULL);
    uint32_t today = day_today();
    time_t after = time(NULL);
    assert_true(today >= (uint32_t)(before / 86400));
    assert_true(today <= (uint32_t)(after / 86400));
    assert_true(today > 19000); /* after 2022 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_days),
        cmocka_unit_test(test_roundtrip_range),
        cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_invalid_dates),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_spaces_trimmed),
        cmocka_unit_test(test_before_epoch),
        cmocka_unit_test(test_format_clamps_far_future),
        cmocka_unit_test(test_format_month),
        cmocka_unit_test(test_today),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
