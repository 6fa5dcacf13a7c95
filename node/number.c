/*
 * number.c — state-prefixed membership numbers and their Verhoeff check
 * digit (see number.h and node/README.md).
 *
 * The Verhoeff scheme (the one Aadhaar uses) works in the dihedral group
 * D5: d is its multiplication table, p the position permutations (p[i] is
 * p[1] applied i times), inv the group inverses. Unlike a weighted-sum
 * digit it catches every single-digit error and every transposition of
 * adjacent digits, the two mistakes people make when copying a number
 * off a card or a receipt.
 *
 * number_format and number_parse are the only places that know the
 * textual shape of a number; everything else handles it as a canonical
 * string or as (state, serial).
 */
#include "number.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const unsigned char verhoeff_d[10][10] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
    {2, 3, 4, 0, 1, 7, 8, 9, 5, 6}, {3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
    {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
    {6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
    {8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
};

static const unsigned char verhoeff_p[8][10] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
    {5, 8, 0, 3, 7, 9, 6, 1, 4, 2}, {8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
    {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
    {2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8},
};

static const unsigned char verhoeff_inv[10] = {0, 4, 3, 2, 1, 5, 6, 7, 8, 9};

/* An example shown in error messages; its check digit is right. */
#define NUMBER_EXAMPLE "BR-0000042-7"

/* Longest input quoted back in an error message. */
#define NUMBER_QUOTE_MAX 40

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static int is_lower(char c) { return c >= 'a' && c <= 'z'; }
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

/* Folds digits[0..len) into the Verhoeff state, the rightmost digit taking
 * position `first` (1 when computing a check digit, 0 when validating a
 * string that already ends in one). -1 if a character is not a digit. */
static int verhoeff_fold(const char *digits, size_t len, size_t first)
{
    int c = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = digits[len - 1 - i];
        if (!is_digit(ch))
            return -1;
        c = verhoeff_d[c][verhoeff_p[(i + first) % 8][ch - '0']];
    }
    return c;
}

int verhoeff_digit(const char *digits)
{
    if (!digits || !digits[0])
        return -1;
    int c = verhoeff_fold(digits, strlen(digits), 1);
    return c < 0 ? -1 : verhoeff_inv[c];
}

/* A single digit has no "rest" to check, so it is never valid. */
int verhoeff_valid(const char *digits)
{
    if (!digits)
        return 0;
    size_t len = strlen(digits);
    if (len < 2)
        return 0;
    return verhoeff_fold(digits, len, 0) == 0;
}

int number_state_valid(const char *code)
{
    if (!code)
        return 0;
    size_t n = 0;
    while (is_upper(code[n]))
        n++;
    return code[n] == '\0' && n >= 2 && n <= NUMBER_STATE_MAX;
}

int number_format(char out[NUMBER_MAX_LEN], const char *state, uint64_t serial,
                  sd_err *err)
{
    if (!number_state_valid(state))
        return sd_errf(err, SD_EINVAL,
                       "state code \"%.*s\" is not 2-3 capital letters",
                       NUMBER_QUOTE_MAX, state ? state : "");
    if (serial < 1 || serial > NUMBER_SERIAL_MAX)
        return sd_errf(err, SD_EINVAL,
                       "serial %" PRIu64 " is outside 1..%u", serial,
                       NUMBER_SERIAL_MAX);

    char digits[NUMBER_SERIAL_DIGITS + 1];
    for (int k = NUMBER_SERIAL_DIGITS - 1; k >= 0; k--, serial /= 10)
        digits[k] = (char)('0' + serial % 10);
    digits[NUMBER_SERIAL_DIGITS] = '\0';
    snprintf(out, NUMBER_MAX_LEN, "%s-%s-%c", state, digits,
             (char)('0' + verhoeff_digit(digits)));
    return SD_OK;
}

int number_parse(const char *in, char canon[NUMBER_MAX_LEN],
                 char state[NUMBER_STATE_MAX + 1], uint64_t *serial,
                 sd_err *err)
{
    if (!in)
        in = "";
    while (is_space(*in))
        in++;
    size_t len = strlen(in);
    while (len > 0 && is_space(in[len - 1]))
        len--;
    int qlen = len > NUMBER_QUOTE_MAX ? NUMBER_QUOTE_MAX : (int)len;

    /* STATE: 2-3 letters, any case. */
    char st[NUMBER_STATE_MAX + 1];
    size_t i = 0, n = 0;
    while (i < len && (is_upper(in[i]) || is_lower(in[i]))) {
        if (n == NUMBER_STATE_MAX)
            goto malformed;
        st[n++] = is_lower(in[i]) ? (char)(in[i] - 'a' + 'A') : in[i];
        i++;
    }
    if (n < 2)
        goto malformed;
    st[n] = '\0';
    if (i < len && in[i] == '-')
        i++;

    /* Serial: exactly 7 digits. */
    char digits[NUMBER_SERIAL_DIGITS + 1];
    for (size_t k = 0; k < NUMBER_SERIAL_DIGITS; k++, i++) {
        if (i >= len || !is_digit(in[i]))
            goto malformed;
        digits[k] = in[i];
    }
    digits[NUMBER_SERIAL_DIGITS] = '\0';
    if (i < len && in[i] == '-')
        i++;

    /* Check digit: exactly one, and the last character. */
    if (i == len)
        return sd_errf(err, SD_EINVAL,
                       "\"%.*s\" has no check digit (expected like %s)",
                       qlen, in, NUMBER_EXAMPLE);
    if (!is_digit(in[i]) || i + 1 != len)
        goto malformed;

    int want = verhoeff_digit(digits);
    int got = in[i] - '0';
    /* The message never names the right digit: a mistyped serial with
     * its digit "corrected" would be another member's number. */
    if (got != want)
        return sd_errf(err, SD_EINVAL, "%s-%s-%d: wrong check digit (mistyped?)",
                       st, digits, got);

    uint64_t s = 0;
    for (size_t k = 0; k < NUMBER_SERIAL_DIGITS; k++)
        s = s * 10 + (uint64_t)(digits[k] - '0');
    if (s < 1)
        return sd_errf(err, SD_EINVAL,
                       "%s-%s-%d is not a membership number: serials start at 1",
                       st, digits, got);

    if (canon) { /* "ST-DDDDDDD-C", built by hand: it runs per entry folded */
        memcpy(canon, st, n);
        canon[n] = '-';
        memcpy(canon + n + 1, digits, NUMBER_SERIAL_DIGITS);
        canon[n + 1 + NUMBER_SERIAL_DIGITS] = '-';
        canon[n + 2 + NUMBER_SERIAL_DIGITS] = (char)('0' + got);
        canon[n + 3 + NUMBER_SERIAL_DIGITS] = '\0';
    }
    if (state)
        memcpy(state, st, n + 1);
    if (serial)
        *serial = s;
    return SD_OK;

malformed:
    return sd_errf(err, SD_EINVAL,
                   "\"%.*s%s\" is not a membership number (expected like %s)",
                   qlen, in, (size_t)qlen < len ? "..." : "", NUMBER_EXAMPLE);
}
