/*
 * intake.c — spreadsheet cells read as the register flags would have
 * them. See intake.h.
 */
#include "intake.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Header spellings, normalised as header_key makes them. */
static const struct { const char *key, *column; } aliases[] = {
    { "name", "name" }, { "fullname", "name" }, { "membername", "name" },
    { "नाम", "name" }, { "पूरानाम", "name" }, { "सदस्यकानाम", "name" },
    { "gender", "gender" }, { "sex", "gender" }, { "लिंग", "gender" },
    { "phone", "phone" }, { "mobile", "phone" }, { "mobileno", "phone" },
    { "mobilenumber", "phone" }, { "phoneno", "phone" },
    { "phonenumber", "phone" }, { "mobno", "phone" }, { "contact", "phone" },
    { "contactno", "phone" }, { "contactnumber", "phone" },
    { "मोबाइल", "phone" }, { "मोबाइलनंबर", "phone" }, { "मोबाइलनं", "phone" },
    { "फोन", "phone" }, { "फोननंबर", "phone" },
    { "district", "district" }, { "जिला", "district" }, { "zila", "district" },
    { "zilla", "district" },
    { "joined", "joined" }, { "dateofjoining", "joined" },
    { "joiningdate", "joined" }, { "joinedon", "joined" }, { "doj", "joined" },
    { "सदस्यतातिथि", "joined" },
    { "nameen", "name-en" }, { "englishname", "name-en" },
    { "nameinenglish", "name-en" },
    { "guardian", "guardian" }, { "fathername", "guardian" },
    { "fathersname", "guardian" }, { "fatherhusbandname", "guardian" },
    { "पिताकानाम", "guardian" }, { "पिता/पतिकानाम", "guardian" },
    { "birthyear", "birth-year" }, { "yearofbirth", "birth-year" },
    { "जन्मवर्ष", "birth-year" },
    { "email", "email" }, { "emailid", "email" }, { "ईमेल", "email" },
    { "address", "address" }, { "पता", "address" },
    { "area", "area" }, { "क्षेत्र", "area" },
    { "occupation", "occupation" }, { "व्यवसाय", "occupation" },
    { "interest", "interest" }, { "interests", "interest" },
    { "रुचि", "interest" },
    { "feepaise", "fee-paise" }, { "paymentref", "payment-ref" },
    { "referredby", "referred-by" }, { "referrer", "referred-by" },
    { "number", "number" }, { "membershipnumber", "number" },
    { "membershipno", "number" }, { "memberno", "number" },
    { "सदस्यतासंख्या", "number" },
    /* what an export writes besides: read back, not imported */
    { "state", "state" }, { "status", "status" },
    { "statusreason", "status-reason" }, { "origin", "origin" },
    { "seq", "seq" },
};

/* Devanagari letters with a nukta written as one code point, and the
 * letter they are without it (the nukta itself, U+093C, is dropped). */
static const struct { const char *with, *without; } nukta[] = {
    { "\xe0\xa5\x98", "\xe0\xa4\x95" }, /* क़ */
    { "\xe0\xa5\x99", "\xe0\xa4\x96" }, /* ख़ */
    { "\xe0\xa5\x9a", "\xe0\xa4\x97" }, /* ग़ */
    { "\xe0\xa5\x9b", "\xe0\xa4\x9c" }, /* ज़ */
    { "\xe0\xa5\x9c", "\xe0\xa4\xa1" }, /* ड़ */
    { "\xe0\xa5\x9d", "\xe0\xa4\xa2" }, /* ढ़ */
    { "\xe0\xa5\x9e", "\xe0\xa4\xab" }, /* फ़ */
};
#define NUKTA "\xe0\xa4\xbc"

/* A header cell as it is looked up: ASCII letters in lower case; spaces,
 * dots, hyphens, underscores and nuktas dropped. */
static void header_key(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    while (*in && n + 4 < cap) {
        unsigned char c = (unsigned char)*in;
        if (c == ' ' || c == '.' || c == '-' || c == '_' || c == '\t') {
            in++;
            continue;
        }
        if (!strncmp(in, NUKTA, 3)) {
            in += 3;
            continue;
        }
        size_t k = 0;
        for (; k < sizeof nukta / sizeof nukta[0]; k++)
            if (!strncmp(in, nukta[k].with, 3))
                break;
        if (k < sizeof nukta / sizeof nukta[0]) {
            memcpy(out + n, nukta[k].without, 3);
            n += 3;
            in += 3;
            continue;
        }
        out[n++] = (char)tolower(c);
        in++;
    }
    out[n] = '\0';
}

const char *intake_column(const char *header)
{
    char key[256];
    header_key(header, key, sizeof key);
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (!strcmp(key, aliases[i].key))
            return aliases[i].column;
    return NULL;
}

/* --- dates --------------------------------------------------------------- */

static const char *const months[12] = {
    "jan", "feb", "mar", "apr", "may", "jun",
    "jul", "aug", "sep", "oct", "nov", "dec",
};
static const char *const months_long[12] = {
    "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december",
};

#define DATE_FORMS "DD/MM/YYYY, DD-MM-YYYY, YYYY-MM-DD or 15 Oct 2026"

/* Reads up to max digits at *p (at least one); -1 when there are none. */
static int read_num(const char **p, int max)
{
    int v = 0, n = 0;
    while (n < max && isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    return n ? v : -1;
}

/* A month's name (three letters or whole, any case) at *p: 1-12, or -1. */
static int read_month(const char **p)
{
    char w[16];
    size_t n = 0;
    while (isalpha((unsigned char)(*p)[n]) && n + 1 < sizeof w) {
        w[n] = (char)tolower((unsigned char)(*p)[n]);
        n++;
    }
    w[n] = '\0';
    for (int m = 0; m < 12; m++)
        if (!strcmp(w, months[m]) || !strcmp(w, months_long[m]) ||
            (n == 4 && !strcmp(w, "sept") && m == 8)) {
            *p += n;
            return m + 1;
        }
    return -1;
}

int intake_date(const char *in, char out[INTAKE_DATE_LEN], sd_err *err)
{
    const char *p = in;
    while (*p == ' ')
        p++;
    size_t len = strlen(p);
    while (len && p[len - 1] == ' ')
        len--;
    char s[64];
    if (len >= sizeof s)
        return sd_errf(err, SD_EINVAL, "date \"%.40s\" is not a date "
                       "(write %s)", in, DATE_FORMS);
    memcpy(s, p, len);
    s[len] = '\0';
    /* A spreadsheet may add a time: "15/10/2026 00:00:00". */
    char *sp = strstr(s, " 00:00");
    if (sp)
        *sp = '\0';
    const char *q = s;
    int y = -1, m = -1, d = -1;
    int a = read_num(&q, 4);
    if (a >= 0 && q - s == 4 && *q == '-') { /* YYYY-MM-DD */
        y = a;
        q++;
        m = read_num(&q, 2);
        if (*q++ == '-')
            d = read_num(&q, 2);
    } else if (a >= 0 && q - s <= 2 && (*q == '/' || *q == '-' || *q == '.' ||
                                        *q == ' ')) {
        char sep = *q++;
        d = a;
        if (isdigit((unsigned char)*q) && sep != ' ')
            m = read_num(&q, 2);
        else
            m = read_month(&q);
        if (*q == sep || (sep == ' ' && *q == ',')) {
            q++;
            while (*q == ' ')
                q++;
            const char *ys = q;
            y = read_num(&q, 4);
            if (q - ys != 4)
                y = -1;
        }
    }
    if (*q || y < 0 || m < 0 || d < 0)
        return sd_errf(err, SD_EINVAL, "date \"%s\" is not a date (write %s)",
                       s, DATE_FORMS);
    if (m < 1 || m > 12)
        return sd_errf(err, SD_EINVAL, "date \"%s\": month %d does not exist "
                       "(dates are read day first: write %s)", s, m,
                       DATE_FORMS);
    char buf[48]; /* y < 10000, m <= 12, d < 100: always 10 characters */
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    memcpy(out, buf, INTAKE_DATE_LEN - 1);
    out[INTAKE_DATE_LEN - 1] = '\0';
    return SD_OK;
}

/* --- gender -------------------------------------------------------------- */

static const struct { const char *word, *gender; } genders[] = {
    { "f", "female" }, { "female", "female" }, { "w", "female" },
    { "woman", "female" }, { "महिला", "female" }, { "स्त्री", "female" },
    { "औरत", "female" },
    { "m", "male" }, { "male", "male" }, { "man", "male" },
    { "पुरुष", "male" }, { "पु", "male" }, { "आदमी", "male" },
    { "o", "other" }, { "other", "other" }, { "अन्य", "other" },
    { "transgender", "other" }, { "किन्नर", "other" },
};

const char *intake_gender(const char *in)
{
    char key[64];
    size_t n = 0;
    const char *p = in;
    while (*p == ' ')
        p++;
    for (; *p && n + 1 < sizeof key; p++)
        key[n++] = (char)tolower((unsigned char)*p);
    while (n && key[n - 1] == ' ')
        n--;
    key[n] = '\0';
    for (size_t i = 0; i < sizeof genders / sizeof genders[0]; i++)
        if (!strcmp(key, genders[i].word))
            return genders[i].gender;
    return in;
}

/* --- phones -------------------------------------------------------------- */

int intake_phone(const char *in, sd_err *err)
{
    const char *p = in;
    while (*p == ' ')
        p++;
    const char *s = p;
    while (isdigit((unsigned char)*p))
        p++;
    int lead = (int)(p - s);
    int mangled = 0;
    if (lead >= 1 && *p == '.') {
        const char *f = ++p;
        while (isdigit((unsigned char)*p))
            p++;
        if ((*p == 'E' || *p == 'e') &&
            (p[1] == '+' || isdigit((unsigned char)p[1])))
            mangled = 1; /* 9.43110E+09 */
        else if (!*p && p > f && lead >= 6 && strspn(f, "0") == (size_t)(p - f))
            mangled = 1; /* 9431100000.0 */
    } else if (lead >= 1 && (*p == 'E' || *p == 'e') && p[1] == '+') {
        mangled = 1;     /* 9E+09 */
    }
    if (!mangled)
        return SD_OK;
    return sd_errf(err, SD_EINVAL, "phone \"%s\" was turned into a number by "
                   "Excel (digits may be lost): format the phone column as "
                   "Text, type the numbers again (or from the original list) "
                   "and save", in);
}
