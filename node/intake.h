/*
 * intake.h — reading a secretary's spreadsheet cells as the register
 * flags would have them: column names in English and Hindi with their
 * common spellings, dates as Indian offices write them, gender words,
 * and phones a spreadsheet turned into numbers. The import (import.h) and
 * the web upload read rows through these; nothing here touches the store.
 */
#ifndef SADASYA_INTAKE_H
#define SADASYA_INTAKE_H

#include <stddef.h>

#include "err.h"

#define INTAKE_DATE_LEN 11 /* "YYYY-MM-DD" and its NUL */

/* The canonical column ("name", "phone", "referred-by", ...) a header
 * cell names, or NULL when it names none. Case, spaces, dots, hyphens and
 * underscores do not matter ("Mobile No.", "full_name"), nor the nukta in
 * Devanagari ("ज़िला" is "जिला"). */
const char *intake_column(const char *header);

/* A date as DD/MM/YYYY, DD-MM-YYYY, DD.MM.YYYY, YYYY-MM-DD or with the
 * month's name ("15 Oct 2026", "15-Oct-2026", "15 October 2026"), written
 * to out as YYYY-MM-DD. Never month first: "10/15/2026" is SD_EINVAL,
 * the message naming the forms taken. The date itself (a real day, its
 * range) is day_parse's to check. */
int intake_date(const char *in, char out[INTAKE_DATE_LEN], sd_err *err);

/* "female", "male" or "other" for the common words in English and Hindi
 * (F, M, Female, Woman, महिला, स्त्री, पुरुष, अन्य, ...); in itself
 * otherwise (for member_check to refuse). */
const char *intake_gender(const char *in);

/* SD_EINVAL when a phone cell is one a spreadsheet made a number of
 * ("9.43110E+09", "9431100000.0"), the message saying so and how to keep
 * the column as text; SD_OK otherwise (member_check judges the rest). */
int intake_phone(const char *in, sd_err *err);

#endif
