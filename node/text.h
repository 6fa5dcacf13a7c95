/*
 * text.h — the small pieces of text handling the view's indexes need:
 * name tokens (Devanagari and Latin), phone numbers, and display width.
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

/* 1 if s is valid UTF-8 with no control characters. */
int text_utf8_valid(const char *s, size_t len);

#endif
