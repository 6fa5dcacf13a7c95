/*
 * number.h — state-prefixed membership numbers (node/README.md).
 *
 * Canonical form: "<STATE>-<serial, 7 digits>-<Verhoeff check digit>",
 * e.g. "BR-0000042-X" where X is the Verhoeff digit of "0000042".
 * STATE is 2-3 capital ASCII letters. Serials run 1..9999999.
 * Parsing accepts any case, with or without hyphens ("br00000427").
 */
#ifndef SADASYA_NUMBER_H
#define SADASYA_NUMBER_H

#include <stdint.h>
#include "err.h"

#define NUMBER_SERIAL_DIGITS 7
#define NUMBER_SERIAL_MAX 9999999u
#define NUMBER_STATE_MAX 3
#define NUMBER_MAX_LEN 16 /* "ABC-1234567-8" plus NUL, with room */

/* Verhoeff check digit (0-9) for a string of ASCII digits; -1 if any
 * character is not a digit or the string is empty. */
int verhoeff_digit(const char *digits);

/* 1 if the last digit of `digits` is the Verhoeff check digit of the rest. */
int verhoeff_valid(const char *digits);

/* 1 if code is 2-3 capital ASCII letters. */
int number_state_valid(const char *code);

/* Writes the canonical number for state and serial into out. Returns SD_OK,
 * or SD_EINVAL for a bad state code or a serial outside 1..NUMBER_SERIAL_MAX. */
int number_format(char out[NUMBER_MAX_LEN], const char *state, uint64_t serial,
                  sd_err *err);

/* Parses user input in any case, with or without hyphens, surrounding
 * spaces ignored. On success writes the canonical form to canon, the state
 * code (NUL-terminated) to state and the serial to *serial (any of these
 * may be NULL). A wrong check digit is SD_EINVAL with a message that says
 * so without naming the right digit ("BR-0000042-3: wrong check digit
 * (mistyped?)"), which would turn a mistyped serial into another
 * member's number. */
int number_parse(const char *in, char canon[NUMBER_MAX_LEN],
                 char state[NUMBER_STATE_MAX + 1], uint64_t *serial,
                 sd_err *err);

#endif
