/*
 * day.c — calendar days since 1970-01-01 UTC (see day.h).
 *
 * Conversions use Howard Hinnant's days_from_civil / civil_from_days on
 * the proleptic Gregorian calendar, counted in 400-year eras of 146097
 * days with the year starting in March so that the leap day falls last.
 * They need no time zone, no struct tm and no timegm, so a date means
 * the same on every node whatever its locale or TZ.
 */
#include "day.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define DAY_YEAR_MIN 1900
#define DAY_YEAR_MAX 9999
#define DAY_SECONDS 86400

/* 9999-12-31, the last day day_format can write in four-digit years. */
#define DAY_LAST 2932896u

/* Days from 1970-01-01 to y-m-d (may be negative). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);                  /* 0..399 */
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;      /* 0..146096 */
    return era * 146097 + (int64_t)doe - 719468;
}

/* The date of day z; z >= 0, as days are unsigned, so y >= 1970. */
static void civil_from_days(int64_t z, unsigned *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (unsigned)(yoe + era * 400 + (*m <= 2));
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(int y, unsigned m)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30,
                                           31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Value of n ASCII digits at s, or -1 if any is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int day_parse(const char *s, uint32_t *day, sd_err *err)
{
    static const char *const month_names[12] = {
        "January", "February", "March",     "April",   "May",      "June",
        "July",    "August",   "September", "October", "November", "December"};

    if (!s)
        s = "";
    while (is_space(*s))
        s++;
    size_t len = strlen(s);
    while (len > 0 && is_space(s[len - 1]))
        len--;
    int q = len > 40 ? 40 : (int)len; /* how much of s to quote back */

    int y = -1, m = -1, d = -1;
    if (len == DAY_STR_LEN - 1 && s[4] == '-' && s[7] == '-') {
        y = digits(s, 4);
        m = digits(s + 5, 2);
        d = digits(s + 8, 2);
    }
    if (y < 0 || m < 0 || d < 0)
        return sd_errf(err, SD_EINVAL,
                       "\"%.*s\" is not a date (expected YYYY-MM-DD)", q, s);
    if (y < DAY_YEAR_MIN || y > DAY_YEAR_MAX)
        return sd_errf(err, SD_EINVAL, "\"%.*s\": year must be %d-%d", q, s,
                       DAY_YEAR_MIN, DAY_YEAR_MAX);
    if (m < 1 || m > 12)
        return sd_errf(err, SD_EINVAL,
                       "\"%.*s\" is not a date: there is no month %d", q, s, m);
    if (d < 1 || (unsigned)d > month_days(y, (unsigned)m))
        return sd_errf(err, SD_EINVAL,
                       "\"%.*s\" is not a date: %s %d has %u days", q, s,
                       month_names[m - 1], y, month_days(y, (unsigned)m));

    int64_t z = days_from_civil(y, (unsigned)m, (unsigned)d);
    if (z < 0)
        return sd_errf(err, SD_EINVAL,
                       "\"%.*s\" is before 1970-01-01, the first day a record "
                       "can carry",
                       q, s);
    if (day)
        *day = (uint32_t)z;
    return SD_OK;
}

/* Days past 9999-12-31 are written as 9999-12-31: day_parse never makes
 * them, and a four-digit year keeps the output within DAY_STR_LEN. */
static void civil_clamped(uint32_t day, unsigned *y, unsigned *m,
                          unsigned *d)
{
    civil_from_days(day > DAY_LAST ? DAY_LAST : day, y, m, d);
}

/* "YYYY-MM" into out[0..6], by hand: the fold writes two of these per
 * member, and snprintf was a measurable part of a catch-up. */
static void put_year_month(char *out, unsigned y, unsigned m)
{
    y %= 10000;
    m %= 100;
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
}

void day_format(uint32_t day, char out[DAY_STR_LEN])
{
    unsigned y, m, d;
    civil_clamped(day, &y, &m, &d);
    put_year_month(out, y, m);
    d %= 100;
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
}

void day_format_month(uint32_t day, char out[8])
{
    unsigned y, m, d;
    civil_clamped(day, &y, &m, &d);
    put_year_month(out, y, m);
    out[7] = '\0';
}

uint32_t day_today(void)
{
    time_t now = time(NULL);
    if (now < 0)
        return 0;
    return (uint32_t)(now / DAY_SECONDS);
}
