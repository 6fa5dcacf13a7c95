/*
 * test_intake.c — unit tests for node/intake.c: column names in English
 * and Hindi (case, spaces, dots, underscores and the nukta ignored), dates
 * day first in every form taken and month-first refused, gender words,
 * and the phones Excel turns into numbers.
 */
#include "helpers.h"

#include "intake.h"

static void test_columns(void **state)
{
    (void)state;
    static const struct { const char *header, *column; } cases[] = {
        { "Name", "name" }, { "Full Name", "name" }, { "नाम", "name" },
        { "Mobile No.", "phone" }, { "MOBILE_NUMBER", "phone" },
        { "मोबाइल", "phone" }, { "फ़ोन", "phone" },
        { "\xe0\xa4\xab\xe0\xa4\xbc\xe0\xa5\x8b\xe0\xa4\xa8", "phone" },
        { "\xe0\xa5\x9e\xe0\xa5\x8b\xe0\xa4\xa8", "phone" }, /* फ़ as one */
        { "Sex", "gender" }, { "लिंग", "gender" }, { "जिला", "district" },
        { "ज़िला", "district" }, { " District ", "district" },
        { "Date of joining", "joined" }, { "name_en", "name-en" },
        { "Referred-By", "referred-by" }, { "number", "number" },
        { "status-reason", "status-reason" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *c = intake_column(cases[i].header);
        assert_non_null(c);
        assert_string_equal(c, cases[i].column);
    }
    assert_null(intake_column("Sr No"));
    assert_null(intake_column("distrikt"));
    assert_null(intake_column(""));
}

static void test_dates(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } ok[] = {
        { "15/10/2026", "2026-10-15" }, { "15-10-2026", "2026-10-15" },
        { "2026-10-15", "2026-10-15" }, { "5/1/2026", "2026-01-05" },
        { "15.10.2026", "2026-10-15" }, { "15 Oct 2026", "2026-10-15" },
        { "15-Oct-2026", "2026-10-15" }, { "15 october 2026", "2026-10-15" },
        { " 3 Sept 2026 ", "2026-09-03" }, { "15/10/2026 00:00:00", "2026-10-15" },
    };
    char out[INTAKE_DATE_LEN];
    sd_err err;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(intake_date(ok[i].in, out, &err), SD_OK);
        assert_string_equal(out, ok[i].out);
    }
    assert_int_equal(intake_date("10/15/2026", out, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "month 15 does not exist"));
    assert_non_null(strstr(err.msg, "DD/MM/YYYY"));
    static const char *const bad[] = {
        "Oct 15 2026", "15/10/26", "2026/10/15", "15 Octo 2026", "yesterday",
        "15/10/2026x", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(intake_date(bad[i], out, &err), SD_EINVAL);
        assert_non_null(strstr(err.msg, "15 Oct 2026"));
    }
}

static void test_gender(void **state)
{
    (void)state;
    assert_string_equal(intake_gender("F"), "female");
    assert_string_equal(intake_gender(" Female "), "female");
    assert_string_equal(intake_gender("महिला"), "female");
    assert_string_equal(intake_gender("स्त्री"), "female");
    assert_string_equal(intake_gender("m"), "male");
    assert_string_equal(intake_gender("पुरुष"), "male");
    assert_string_equal(intake_gender("अन्य"), "other");
    assert_string_equal(intake_gender("mail"), "mail"); /* left to refuse */
}

static void test_phone(void **state)
{
    (void)state;
    sd_err err;
    static const char *const mangled[] = {
        "9.43110E+09", "9.4311E+9", "9431100000.0", "9E+09", "9.43110e+09",
    };
    for (size_t i = 0; i < sizeof mangled / sizeof mangled[0]; i++) {
        assert_int_equal(intake_phone(mangled[i], &err), SD_EINVAL);
        assert_non_null(strstr(err.msg, "turned into a number by Excel"));
        assert_non_null(strstr(err.msg, "as Text"));
    }
    static const char *const fine[] = {
        "9431100000", "+91 94311 00000", "094311-00000", "12ab", "",
    };
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++)
        assert_int_equal(intake_phone(fine[i], &err), SD_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_gender),
        cmocka_unit_test(test_phone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
