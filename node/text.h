/*
 * text.h — the small pieces of text handling the view's indexes need:
 * name tokens (Devanagari and Latin), phone numbers, and display width;
 * and what makes text safe to keep and to show: the character checks that
 * rules.c holds every text field of every entry to, and the escaping that
 * every printer applies before text reaches a terminal.
 */
#ifndef SADASYA_TEXT_H
#define SADASYA_TEXT_H

#include <stddef.h>

#define TEXT_TOKEN_MAX 64   /* bytes; longer tokens are cut at a character boundary */
#define TEXT_PHONE_MAX 16

/* Calls fn(token, len, ctx) for each token of s: runs of characters that
 * are not ASCII spaces or punctuation. ASCII letters are lower-cased;
 * other UTF-8 characters (Devanagari) are kept as they are. Stops and
 * returns fn's value when it is non-zero; 0 otherwise. */
int text_tokens(const char *s, int (*fn)(const char *tok, size_t len, void *ctx),
                void *ctx);

/* Normalises a phone number for matching: its digits only, an Indian
 * "+91"/"91"/"0" prefix on a longer number dropped so that the last ten
 * digits remain. Returns the length, or -1 if it has fewer than 6 or more
 * than 15 digits, or characters other than digits, spaces, '+', '-', '(' ')'. */
int text_phone_norm(const char *in, char out[TEXT_PHONE_MAX]);

/* Columns that s takes in a terminal (wcwidth per character: Devanagari
 * vowel signs and viramas take none). Invalid UTF-8 counts a column a byte. */
int text_width(const char *s);

/* The canonical spelling of a place name, so that "patna", "PATNA" and
 * " Patna " count as one district: surrounding spaces dropped, inner runs
 * of spaces made one, each ASCII word capitalised ("East Champaran");
 * other scripts kept as they are. Writes at most cap bytes with the NUL. */
void text_place(const char *in, char *out, size_t cap);

/* 1 if s is valid UTF-8 with no C0 control characters or DEL. */
int text_utf8_valid(const char *s, size_t len);

/* What text_check finds wrong with a piece of text (the first fault). */
enum {
    TEXT_OK = 0,
    TEXT_BAD_UTF8,   /* not valid UTF-8 (overlong, surrogate, cut…) */
    TEXT_CONTROL,    /* a C0 control (U+0000-U+001F), DEL or a C1 control
                        (U+0080-U+009F): line breaks, terminal escapes */
    TEXT_BIDI,       /* a bidi embedding, override or isolate (U+202A-U+202E,
                        U+2066-U+2069), which reorders what a reader sees */
};

#define TEXT_LINES 0x1   /* text_check, text_display: newlines and tabs are text */

/* Checks the len bytes of s: valid UTF-8 without control or bidi control
 * characters (flags TEXT_LINES: '\n' and '\t' allowed). Returns TEXT_OK or
 * the first fault's TEXT_* code. Devanagari, its joiners (ZWJ, ZWNJ) and
 * every other script are text. */
int text_check(const char *s, size_t len, int flags);

/* 1 if text_check(s, len, 0) finds nothing wrong: one line of safe text. */
int text_safe(const char *s, size_t len);

/* 1 if s is NULL, empty, or only white space (ASCII spaces, tabs and line
 * breaks, no-break and other Unicode spaces, zero-width characters): text
 * that shows nothing. */
int text_blank(const char *s);

/* Writes s for a terminal into out (cap bytes with the NUL, as snprintf):
 * control characters become visible escapes ("\x1b", "\n", "\t", C1 as
 * "\u009b"), bidi controls "\u202e", bytes that are not UTF-8 "\xff";
 * flags TEXT_LINES keeps newlines and tabs as they are. Everything else is
 * copied unchanged. The output is cut only between whole characters or
 * escapes. Returns the length the whole result needs (without the NUL),
 * so text_display(s, NULL, 0, f) + 1 sizes a buffer. */
size_t text_display(const char *s, char *out, size_t cap, int flags);

#endif
