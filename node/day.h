/*
 * day.h — calendar days as counted in entries: days since 1970-01-01 UTC.
 */
#ifndef SADASYA_DAY_H
#define SADASYA_DAY_H

#include <stdint.h>
#include "err.h"

#define DAY_STR_LEN 11 /* "YYYY-MM-DD" plus NUL */

/* Parses "YYYY-MM-DD" (a real calendar date, years 1900-9999).
 * Surrounding spaces are ignored. A date before 1970-01-01 has no
 * uint32_t day and is SD_EINVAL with a message that says so. */
int day_parse(const char *s, uint32_t *day, sd_err *err);

/* Writes "YYYY-MM-DD" for day into out (days after 9999-12-31, which
 * day_parse never yields, are written as 9999-12-31). */
void day_format(uint32_t day, char out[DAY_STR_LEN]);

/* Writes "YYYY-MM" (the month of joining, for counters) into out[8]. */
void day_format_month(uint32_t day, char out[8]);

/* Today, in UTC. */
uint32_t day_today(void);

#endif
