/*
 * text.c — tokens, phone numbers, display width, and the checks and
 * escaping that keep control and bidi characters out of the registry and
 * off terminals. See text.h.
 */
#define _XOPEN_SOURCE 700
#include "text.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

static int is_sep(unsigned char c)
{
    return c < 0x80 && (isspace(c) || ispunct(c) || c < 0x20);
}

/* Length of the UTF-8 sequence starting with lead byte c (1 if invalid). */
static size_t u8len(unsigned char c)
{
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) return 2;
    if ((c & 0xF0) == 0xE0) return 3;
    if ((c & 0xF8) == 0xF0) return 4;
    return 1;
}

int text_tokens(const char *s, int (*fn)(const char *tok, size_t len, void *ctx),
                void *ctx)
{
    char tok[TEXT_TOKEN_MAX];
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        while (*p && is_sep(*p))
            p++;
        size_t n = 0;
        int full = 0;
        while (*p && !is_sep(*p)) {
            size_t l = u8len(*p);
            for (size_t i = 1; i < l; i++)
                if (!p[i]) { l = i; break; }
            if (!full && n + l > sizeof tok)
                full = 1; /* cut here: the token stays a prefix */
            if (!full) {
                for (size_t i = 0; i < l; i++)
                    tok[n + i] = (char)(l == 1 ? tolower(p[i]) : p[i]);
                n += l;
            }
            p += l;
        }
        if (n) {
            int rc = fn(tok, n, ctx);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int text_phone_norm(const char *in, char out[TEXT_PHONE_MAX])
{
    char d[32];
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        if (isdigit((unsigned char)*p)) {
            if (n + 1 >= sizeof d)
                return -1;
            d[n++] = *p;
        } else if (!strchr(" +-()", *p)) {
            return -1;
        }
    }
    d[n] = '\0';
    const char *start = d;
    if (n > 10 && n <= 13) {
        if (n == 12 && d[0] == '9' && d[1] == '1')
            start = d + 2;
        else if (n == 11 && d[0] == '0')
            start = d + 1;
    }
    size_t len = strlen(start);
    if (len < 6 || len > 15)
        return -1;
    memcpy(out, start, len + 1);
    return (int)len;
}

int text_width(const char *s)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    int w = 0;
    const char *p = s;
    size_t left = strlen(s);
    while (left) {
        wchar_t wc;
        size_t n = mbrtowc(&wc, p, left, &st);
        if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
            memset(&st, 0, sizeof st);
            w++;
            p++;
            left--;
            continue;
        }
        int cw = wcwidth(wc);
        w += cw < 0 ? 1 : cw;
        p += n;
        left -= n;
    }
    return w;
}

/* Decodes the UTF-8 character at p (left bytes remain): its length, with
 * its code point in *cp; 0 if p does not start a valid, shortest-form
 * sequence of a Unicode scalar value. */
static size_t u8_next(const unsigned char *p, size_t left, uint32_t *cp)
{
    unsigned char c = p[0];
    size_t l = u8len(c);
    if (c >= 0x80 && l == 1)
        return 0; /* a continuation byte or 0xF8.. where a character starts */
    if (left < l)
        return 0;
    for (size_t i = 1; i < l; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if (l == 2 && c < 0xC2)
        return 0;                                      /* overlong */
    if (l == 3 && ((c == 0xE0 && p[1] < 0xA0) ||       /* overlong */
                   (c == 0xED && p[1] >= 0xA0)))       /* surrogate */
        return 0;
    if (l == 4 && (c > 0xF4 || (c == 0xF0 && p[1] < 0x90) ||
                   (c == 0xF4 && p[1] >= 0x90)))       /* overlong, > U+10FFFF */
        return 0;
    static const unsigned char lead_mask[] = { 0, 0x7F, 0x1F, 0x0F, 0x07 };
    uint32_t v = c & lead_mask[l];
    for (size_t i = 1; i < l; i++)
        v = (v << 6) | (p[i] & 0x3Fu);
    *cp = v;
    return l;
}

static int is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

static int is_bidi(uint32_t cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

int text_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        uint32_t cp;
        size_t l = u8_next(p, (size_t)(end - p), &cp);
        if (!l || cp < 0x20 || cp == 0x7F)
            return 0;
        p += l;
    }
    return 1;
}

int text_check(const char *s, size_t len, int flags)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        uint32_t cp;
        size_t l = u8_next(p, (size_t)(end - p), &cp);
        if (!l)
            return TEXT_BAD_UTF8;
        if (is_control(cp) && !((flags & TEXT_LINES) && (cp == '\n' || cp == '\t')))
            return TEXT_CONTROL;
        if (is_bidi(cp))
            return TEXT_BIDI;
        p += l;
    }
    return TEXT_OK;
}

int text_safe(const char *s, size_t len)
{
    return text_check(s, len, 0) == TEXT_OK;
}

/* Characters that show nothing: spaces of every width, zero-width ones. */
static int is_blank(uint32_t cp)
{
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' ||
           cp == '\v' || cp == '\f' || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200F) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x2060 || cp == 0x3000 ||
           cp == 0xFEFF;
}

int text_blank(const char *s)
{
    if (!s)
        return 1;
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);
    while (left) {
        uint32_t cp;
        size_t l = u8_next(p, left, &cp);
        if (!l || !is_blank(cp))
            return 0;
        p += l;
        left -= l;
    }
    return 1;
}

size_t text_display(const char *s, char *out, size_t cap, int flags)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s), need = 0, n = 0;
    int full = cap == 0;
    while (left) {
        char esc[8];
        const char *piece = (const char *)p;
        size_t plen;
        uint32_t cp = 0;
        size_t l = u8_next(p, left, &cp);
        if (!l) {
            snprintf(esc, sizeof esc, "\\x%02x", p[0]);
            piece = esc;
            plen = 4;
            l = 1;
        } else if (is_control(cp) &&
                   !((flags & TEXT_LINES) && (cp == '\n' || cp == '\t'))) {
            if (cp == '\n' || cp == '\t' || cp == '\r')
                plen = (size_t)snprintf(esc, sizeof esc, "\\%c",
                                        cp == '\n' ? 'n' : cp == '\t' ? 't' : 'r');
            else if (cp < 0x80)
                plen = (size_t)snprintf(esc, sizeof esc, "\\x%02x", (unsigned)cp);
            else
                plen = (size_t)snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
            piece = esc;
        } else if (is_bidi(cp)) {
            plen = (size_t)snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
            piece = esc;
        } else {
            plen = l;
        }
        if (!full && n + plen < cap) {
            memcpy(out + n, piece, plen);
            n += plen;
        } else {
            full = 1; /* nothing after a cut: the output stays a prefix */
        }
        need += plen;
        p += l;
        left -= l;
    }
    if (cap)
        out[n] = '\0';
    return need;
}

void text_place(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    int word_start = 1, pending_space = 0;
    if (!cap)
        return;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        if (*p == ' ' || *p == '\t') {
            pending_space = n > 0;
            word_start = 1;
            continue;
        }
        if (pending_space && n + 1 < cap) {
            out[n++] = ' ';
            pending_space = 0;
        }
        size_t l = u8len(*p);
        if (n + (l > 1 ? l : 1) >= cap)
            break;
        if (l > 1) { /* a whole character or none */
            size_t i;
            for (i = 1; i < l && p[i]; i++)
                ;
            memcpy(out + n, p, i);
            n += i;
            p += i - 1;
            word_start = 0;
            continue;
        }
        char c = (char)*p;
        if (*p < 0x80 && isalpha(*p))
            c = (char)(word_start ? toupper(*p) : tolower(*p));
        word_start = *p < 0x80 && !isalnum(*p) && *p != '\'';
        out[n++] = c;
    }
    /* Never leave a cut UTF-8 sequence at the end. */
    while (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0x80) {
        size_t k = n - 1;
        while (k > 0 && ((unsigned char)out[k] & 0xC0) == 0x80)
            k--;
        size_t need = ((unsigned char)out[k] & 0xE0) == 0xC0 ? 2
                      : ((unsigned char)out[k] & 0xF0) == 0xE0 ? 3 : 4;
        if (n - k == need)
            break;
        n = k;
    }
    out[n] = '\0';
}
