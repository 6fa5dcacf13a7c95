/*
 * test_text.c — unit tests for node/text.c: name tokens (Latin folded to
 * lower case, Devanagari kept, punctuation splitting), phone number
 * normalisation, display width in a UTF-8 locale, the UTF-8 validity
 * check that guards every indexed text field, canonical place names, and
 * safe text: control and bidi characters found (text_check), blank text,
 * and the escaping copy every printer makes (text_display).
 */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

/* --- tokens -------------------------------------------------------------- */

typedef struct toks {
    char t[16][TEXT_TOKEN_MAX + 1];
    size_t len[16];
    int n;
    int stop_after; /* 0: never */
} toks;

static int collect(const char *tok, size_t len, void *ctx)
{
    toks *k = ctx;
    assert_true(len > 0);
    assert_true(len <= TEXT_TOKEN_MAX);
    if (k->n < 16) {
        memcpy(k->t[k->n], tok, len);
        k->t[k->n][len] = '\0';
        k->len[k->n] = len;
    }
    k->n++;
    return k->stop_after && k->n == k->stop_after ? 42 : 0;
}

static toks tokens_of(const char *s)
{
    toks k;
    memset(&k, 0, sizeof k);
    assert_int_equal(text_tokens(s, collect, &k), 0);
    return k;
}

static void test_tokens_latin_lowercased(void **state)
{
    (void)state;
    toks k = tokens_of("  Ram KUMAR\tsiNgh  ");
    assert_int_equal(k.n, 3);
    assert_string_equal(k.t[0], "ram");
    assert_string_equal(k.t[1], "kumar");
    assert_string_equal(k.t[2], "singh");
    /* Digits are kept, as they are. */
    k = tokens_of("Flat 4B");
    assert_int_equal(k.n, 2);
    assert_string_equal(k.t[1], "4b");
}

static void test_tokens_punctuation_splits(void **state)
{
    (void)state;
    toks k = tokens_of("O'Brien-Smith,  J.R.R.(Tolkien)!");
    assert_int_equal(k.n, 7);
    const char *want[] = { "o", "brien", "smith", "j", "r", "r", "tolkien" };
    for (int i = 0; i < 7; i++)
        assert_string_equal(k.t[i], want[i]);
    k = tokens_of(" ,.;-!? ");
    assert_int_equal(k.n, 0);
    k = tokens_of("");
    assert_int_equal(k.n, 0);
}

static void test_tokens_devanagari_preserved(void **state)
{
    (void)state;
    toks k = tokens_of("राम कुमार");
    assert_int_equal(k.n, 2);
    assert_string_equal(k.t[0], "राम");
    assert_string_equal(k.t[1], "कुमार");
    /* ASCII punctuation splits Devanagari words too. */
    k = tokens_of("सीता-देवी, Ram");
    assert_int_equal(k.n, 3);
    assert_string_equal(k.t[0], "सीता");
    assert_string_equal(k.t[1], "देवी");
    assert_string_equal(k.t[2], "ram");
}

static void test_tokens_stop_on_nonzero(void **state)
{
    (void)state;
    toks k;
    memset(&k, 0, sizeof k);
    k.stop_after = 2;
    assert_int_equal(text_tokens("a b c d", collect, &k), 42);
    assert_int_equal(k.n, 2);
}

static void test_tokens_long_cut_at_char_boundary(void **state)
{
    (void)state;
    char s[512];
    memset(s, 'A', 100);
    s[100] = '\0';
    toks k = tokens_of(s);
    assert_int_equal(k.n, 1);
    assert_int_equal(k.len[0], TEXT_TOKEN_MAX);
    for (size_t i = 0; i < TEXT_TOKEN_MAX; i++)
        assert_int_equal(k.t[0][i], 'a');

    /* 30 three-byte characters: cut to 21 whole ones (63 bytes). */
    s[0] = '\0';
    for (int i = 0; i < 30; i++)
        strcat(s, "क");
    k = tokens_of(s);
    assert_int_equal(k.n, 1);
    assert_int_equal(k.len[0], 63);
    assert_memory_equal(k.t[0], s, 63);
    assert_int_equal(text_utf8_valid(k.t[0], k.len[0]), 1);

    /* The cut keeps a prefix of the token: a short character after one
     * that no longer fits is not appended past the gap. */
    s[0] = '\0';
    for (int i = 0; i < 22; i++)
        strcat(s, "क");
    strcat(s, "x");
    k = tokens_of(s);
    assert_int_equal(k.n, 1);
    assert_int_equal(k.len[0], 63);
    assert_memory_equal(k.t[0], s, k.len[0]);
}

/* --- phones -------------------------------------------------------------- */

static void assert_phone(const char *in, const char *want)
{
    char out[TEXT_PHONE_MAX];
    memset(out, 0x55, sizeof out);
    int n = text_phone_norm(in, out);
    if (!want) {
        if (n != -1)
            fail_msg("\"%s\" normalised to \"%.*s\", expected a refusal", in,
                     n > 0 ? n : 0, out);
        return;
    }
    if (n < 0)
        fail_msg("\"%s\" refused, expected \"%s\"", in, want);
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(out, want);
}

static void test_phone_norm(void **state)
{
    (void)state;
    assert_phone("9876543210", "9876543210");
    assert_phone("+91 98765 43210", "9876543210");
    assert_phone("+91-98765-43210", "9876543210");
    assert_phone("919876543210", "9876543210");
    assert_phone("09876543210", "9876543210");
    assert_phone("(0612) 222 3333", "6122223333");
    assert_phone("98765 43210", "9876543210");
    /* Short local and foreign numbers are kept as they are. */
    assert_phone("123456", "123456");
    assert_phone("+44 20 7946 0958", "442079460958");
    assert_phone("123456789012345", "123456789012345");
}

static void test_phone_refused(void **state)
{
    (void)state;
    assert_phone("12345", NULL);                /* too short */
    assert_phone("", NULL);
    assert_phone("+91", NULL);
    assert_phone("1234567890123456", NULL);     /* 16 digits */
    assert_phone("12345678901234567890123456789012345", NULL);
    assert_phone("98765abcde", NULL);           /* letters */
    assert_phone("98765 4321O", NULL);          /* a letter O for a zero */
    assert_phone("9876543210 ext 5", NULL);
    assert_phone("98765/43210", NULL);
    assert_phone("९८७६५४३२१०", NULL);          /* Devanagari digits */
}

/* --- width --------------------------------------------------------------- */

static void test_width(void **state)
{
    (void)state;
    assert_non_null(setlocale(LC_CTYPE, "C.UTF-8"));
    assert_int_equal(text_width("abc"), 3);
    assert_int_equal(text_width(""), 0);
    /* न म स ् त े: virama and vowel sign E take no column. */
    const char *namaste = "नमस्ते";
    assert_int_equal(strlen(namaste), 18);
    assert_int_equal(text_width(namaste), 4);
    assert_true(text_width(namaste) < (int)strlen(namaste));
    /* "कुमार": the vowel sign U (U+0941) takes none: fewer columns than
     * its five characters. */
    assert_true(text_width("कुमार") < 5);
    assert_int_equal(text_width("Ram राम"), 4 + text_width("राम"));
    /* Invalid UTF-8 counts a column a byte. */
    assert_int_equal(text_width("\xff\xfe"), 2);
    assert_int_equal(text_width("a\xe0\xa4"), 3);
}

/* --- UTF-8 --------------------------------------------------------------- */

static int valid(const char *s)
{
    return text_utf8_valid(s, strlen(s));
}

static void test_utf8_accepts(void **state)
{
    (void)state;
    assert_int_equal(valid(""), 1);
    assert_int_equal(valid("Ram Kumar"), 1);
    assert_int_equal(valid("राम कुमार"), 1);
    assert_int_equal(valid("₹11"), 1);
    assert_int_equal(valid("\xc2\xa0"), 1);          /* U+00A0, smallest 2-byte */
    assert_int_equal(valid("\xe0\xa0\x80"), 1);      /* U+0800, smallest 3-byte */
    assert_int_equal(valid("\xef\xbf\xbd"), 1);      /* U+FFFD */
    assert_int_equal(valid("\xf0\x90\x80\x80"), 1);  /* U+10000 */
    assert_int_equal(valid("\xf4\x8f\xbf\xbf"), 1);  /* U+10FFFF */
    assert_int_equal(valid("😀"), 1);
    /* The length is what counts, not a NUL. */
    assert_int_equal(text_utf8_valid("ab\xff", 2), 1);
}

static void test_utf8_truncated_and_stray(void **state)
{
    (void)state;
    assert_int_equal(valid("\xe0\xa4"), 0);          /* 3-byte cut short */
    assert_int_equal(valid("ab\xe0"), 0);
    assert_int_equal(valid("\xf0\x9f\x98"), 0);      /* 4-byte cut short */
    assert_int_equal(text_utf8_valid("राम", 8), 0);  /* cut inside म */
    assert_int_equal(valid("\xc3"), 0);
    assert_int_equal(valid("\x80"), 0);              /* stray continuation */
    assert_int_equal(valid("a\xbf" "b"), 0);
    assert_int_equal(valid("\xe0\xa4" "a"), 0);      /* ASCII for a continuation */
    assert_int_equal(valid("\xff"), 0);
    assert_int_equal(valid("\xfe"), 0);
    assert_int_equal(valid("\xf8\x88\x80\x80\x80"), 0); /* 5-byte form */
}

static void test_utf8_control_chars(void **state)
{
    (void)state;
    assert_int_equal(valid("a\nb"), 0);
    assert_int_equal(valid("a\tb"), 0);
    assert_int_equal(valid("\r"), 0);
    assert_int_equal(valid("\x01"), 0);
    assert_int_equal(valid("\x1b[31m"), 0);
    assert_int_equal(valid("del\x7f"), 0);
    assert_int_equal(text_utf8_valid("a\0b", 3), 0);
}

static void test_utf8_overlong_two_byte(void **state)
{
    (void)state;
    assert_int_equal(valid("\xc0\xaf"), 0); /* '/' in two bytes */
    assert_int_equal(valid("\xc1\xbf"), 0);
    assert_int_equal(valid("\xc0\x80"), 0); /* NUL in two bytes */
}

static void test_utf8_overlong_long_forms(void **state)
{
    (void)state;
    /* Overlong three- and four-byte forms (RFC 3629 §3): '/' and U+07FF
     * and U+FFFF encoded longer than they must be. */
    assert_int_equal(valid("\xe0\x80\xaf"), 0);
    assert_int_equal(valid("\xe0\x9f\xbf"), 0);
    assert_int_equal(valid("\xf0\x80\x80\xaf"), 0);
    assert_int_equal(valid("\xf0\x8f\xbf\xbf"), 0);
}

static void test_utf8_surrogates_and_range(void **state)
{
    (void)state;
    assert_int_equal(valid("\xed\xa0\x80"), 0);     /* U+D800, a surrogate */
    assert_int_equal(valid("\xed\xbf\xbf"), 0);     /* U+DFFF */
    assert_int_equal(valid("\xf4\x90\x80\x80"), 0); /* U+110000 */
    assert_int_equal(valid("\xf5\x80\x80\x80"), 0); /* lead bytes F5..F7 */
    assert_int_equal(valid("\xf7\xbf\xbf\xbf"), 0);
}

/* --- place names ------------------------------------------------------------ */

static void assert_place(const char *in, const char *want)
{
    char out[128];
    memset(out, 0x55, sizeof out);
    text_place(in, out, sizeof out);
    assert_string_equal(out, want);
}

static void test_place_canonical(void **state)
{
    (void)state;
    assert_place("Patna", "Patna");
    assert_place("patna", "Patna");
    assert_place("PATNA", "Patna");
    assert_place("  patna  ", "Patna");
    assert_place("east   CHAMPARAN", "East Champaran");
    assert_place("\teast\tchamparan\t", "East Champaran");
    assert_place("kaimur (bhabua)", "Kaimur (Bhabua)");
    assert_place("purbi singhbhum-east", "Purbi Singhbhum-East");
    assert_place("o'brien town", "O'brien Town");
    assert_place("24 parganas north", "24 Parganas North");
    assert_place("पटना", "पटना");
    assert_place(" पूर्वी  चंपारण ", "पूर्वी चंपारण");
    assert_place("", "");
    assert_place("   ", "");
}

static void test_place_cut_keeps_utf8_whole(void **state)
{
    (void)state;
    char out[16];
    /* Room for "Ab" only. */
    text_place("abcdef", out, 3);
    assert_string_equal(out, "Ab");
    /* Cut inside the second क (3 bytes each): only the first is kept. */
    for (size_t cap = 1; cap <= 7; cap++) {
        memset(out, 0x55, sizeof out);
        text_place("ककक", out, cap);
        size_t n = strlen(out);
        assert_true(n < cap);
        if (!text_utf8_valid(out, n) || n % 3)
            fail_msg("cap %zu left a cut character (%zu bytes)", cap, n);
    }
    memset(out, 0x55, sizeof out);
    text_place("abc", out, 0); /* no room: nothing written */
    assert_int_equal((unsigned char)out[0], 0x55);
}

/* --- safe text and its display ------------------------------------------- */

static int check(const char *s, int flags)
{
    return text_check(s, strlen(s), flags);
}

static void test_check_controls_and_bidi(void **state)
{
    (void)state;
    assert_int_equal(check("राम कुमार", 0), TEXT_OK);
    assert_int_equal(check("शिक्ष\xe2\x80\x8d" "क", 0), TEXT_OK); /* ZWJ */
    assert_int_equal(check("\xe2\x80\x8c", 0), TEXT_OK);           /* ZWNJ */
    assert_int_equal(check("\xe2\x80\x8f", 0), TEXT_OK);           /* RLM: a mark */
    assert_int_equal(check("\x1b[31m", 0), TEXT_CONTROL);
    assert_int_equal(check("a\nb", 0), TEXT_CONTROL);
    assert_int_equal(check("a\nb\tc", TEXT_LINES), TEXT_OK);
    assert_int_equal(check("a\rb", TEXT_LINES), TEXT_CONTROL);
    assert_int_equal(check("a\x1b" "b", TEXT_LINES), TEXT_CONTROL);
    assert_int_equal(check("del\x7f", 0), TEXT_CONTROL);
    assert_int_equal(check("\xc2\x80", 0), TEXT_CONTROL);  /* U+0080 */
    assert_int_equal(check("\xc2\x9b" "31m", 0), TEXT_CONTROL); /* CSI */
    assert_int_equal(check("\xc2\x9f", 0), TEXT_CONTROL);  /* U+009F */
    assert_int_equal(check("\xc2\xa0", 0), TEXT_OK);       /* U+00A0 */
    assert_int_equal(text_check("a\0b", 3, 0), TEXT_CONTROL);
    const char *bidi[] = { "\xe2\x80\xaa", "\xe2\x80\xab", "\xe2\x80\xac",
                           "\xe2\x80\xad", "\xe2\x80\xae", "\xe2\x81\xa6",
                           "\xe2\x81\xa7", "\xe2\x81\xa8", "\xe2\x81\xa9" };
    for (size_t i = 0; i < sizeof bidi / sizeof bidi[0]; i++)
        assert_int_equal(check(bidi[i], TEXT_LINES), TEXT_BIDI);
    assert_int_equal(check("\xe2\x80\xa9", 0), TEXT_OK);   /* U+2029, next to them */
    assert_int_equal(check("\xe2\x81\xaa", 0), TEXT_OK);   /* U+206A */
    assert_int_equal(check("ab\xff", 0), TEXT_BAD_UTF8);
    assert_int_equal(check("\xed\xa0\x80", 0), TEXT_BAD_UTF8); /* surrogate */
    assert_int_equal(text_safe("Patna", 5), 1);
    assert_int_equal(text_safe("Patna\n", 6), 0);
}

static void test_blank(void **state)
{
    (void)state;
    assert_int_equal(text_blank(NULL), 1);
    assert_int_equal(text_blank(""), 1);
    assert_int_equal(text_blank("  \t\n"), 1);
    assert_int_equal(text_blank("\xc2\xa0\xe2\x80\x8b\xe3\x80\x80"), 1); /* NBSP ZWSP ideographic */
    assert_int_equal(text_blank(" a "), 0);
    assert_int_equal(text_blank("पटना"), 0);
    assert_int_equal(text_blank("\xff"), 0);
}

static void test_display_escapes(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(text_display("पटना", out, sizeof out, 0), strlen("पटना"));
    assert_string_equal(out, "पटना");
    text_display("\x1b[31mPatna\x1b[0m", out, sizeof out, 0);
    assert_string_equal(out, "\\x1b[31mPatna\\x1b[0m");
    text_display("a\nb\tc\rd", out, sizeof out, 0);
    assert_string_equal(out, "a\\nb\\tc\\rd");
    text_display("a\nb\tc\rd", out, sizeof out, TEXT_LINES);
    assert_string_equal(out, "a\nb\tc\\rd");
    text_display("x\xc2\x9by\x7fz", out, sizeof out, 0);
    assert_string_equal(out, "x\\u009by\\x7fz");
    text_display("Sita \xe2\x80\xae" "atiS\xe2\x81\xa9", out, sizeof out, 0);
    assert_string_equal(out, "Sita \\u202eatiS\\u2069");
    text_display("a\xff" "b\xe0\xa4", out, sizeof out, 0);
    assert_string_equal(out, "a\\xffb\\xe0\\xa4");
    /* Nothing unsafe survives, whatever goes in. */
    for (int c = 1; c < 256; c++) {
        char in[2] = { (char)c, 0 };
        text_display(in, out, sizeof out, 0);
        for (const unsigned char *p = (const unsigned char *)out; *p; p++)
            assert_true(*p >= 0x20 && *p != 0x7f && *p < 0x80);
    }
}

static void test_display_cut_and_size(void **state)
{
    (void)state;
    char out[8];
    memset(out, 'Z', sizeof out);
    /* snprintf's contract: the whole length back, a NUL-ended prefix. */
    size_t need = text_display("ab\x1b" "cd", out, 5, 0);
    assert_int_equal(need, 8);
    assert_string_equal(out, "ab"); /* never half an escape */
    assert_int_equal(text_display("राम", out, 5, 0), 9);
    assert_string_equal(out, "र"); /* never half a character */
    assert_int_equal(text_display("\x1b", NULL, 0, 0), 4);
    char big[16];
    need = text_display("a\x1b" "b", big, sizeof big, 0);
    assert_int_equal(need, strlen(big));
    assert_string_equal(big, "a\\x1bb");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens_latin_lowercased),
        cmocka_unit_test(test_tokens_punctuation_splits),
        cmocka_unit_test(test_tokens_devanagari_preserved),
        cmocka_unit_test(test_tokens_stop_on_nonzero),
        cmocka_unit_test(test_tokens_long_cut_at_char_boundary),
        cmocka_unit_test(test_phone_norm),
        cmocka_unit_test(test_phone_refused),
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_utf8_accepts),
        cmocka_unit_test(test_utf8_truncated_and_stray),
        cmocka_unit_test(test_utf8_control_chars),
        cmocka_unit_test(test_utf8_overlong_two_byte),
        cmocka_unit_test(test_utf8_overlong_long_forms),
        cmocka_unit_test(test_utf8_surrogates_and_range),
        cmocka_unit_test(test_place_canonical),
        cmocka_unit_test(test_place_cut_keeps_utf8_whole),
        cmocka_unit_test(test_check_controls_and_bidi),
        cmocka_unit_test(test_blank),
        cmocka_unit_test(test_display_escapes),
        cmocka_unit_test(test_display_cut_and_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
