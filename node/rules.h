/*
 * rules.h — what every entry body must satisfy, wherever it was written.
 *
 * node/README.md: peers' entries are checked exactly like local input. A
 * chapter key can sign anything, so the bounds and character rules that
 * `register`, `import`, `update`, `event`, `notice`… apply to what a user
 * types are applied again, here, to every body that reaches the store:
 * fold_check calls rules_body_check first, for this node's own entries,
 * a peer's batch, a bundle and verify's rebuild alike. The CLI checks what
 * users type with the same functions (rules_text, rules_tag, rules_fee,
 * rules_day), so each rule has one home and one wording.
 *
 * These rules look at the entry alone (no store): they are the same on
 * every node and at every time, so all nodes agree on what they take. The
 * date bounds use the entry's own signed time (its writer's clock), never
 * the receiver's clock.
 */
#ifndef SADASYA_RULES_H
#define SADASYA_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"

#define RULES_TEXT_MAX 256      /* bytes of one line of text: a district, title… */
#define RULES_TAG_MAX 64        /* bytes of a tag: a role, cell or event kind */
#define RULES_BODY_MAX 16384    /* bytes of a notice's body */
#define RULES_INTERESTS_MAX 16  /* interests of one member */

/* The largest fee one member may pay: ₹10,00,000 (ten lakh rupees) in
 * paise. Far above any membership fee, and small enough that the counters
 * (uint64 paise) cannot wrap before 1.8 × 10^11 members. */
#define RULES_FEE_MAX_PAISE 100000000ull

/* Dates (days since 1970-01-01): none before 2000-01-01, none after the
 * day after the entry was signed (its writer's clock; the slack of a day
 * covers time zones). Officers' terms may be set ahead, up to ten years
 * after signing ("upcoming" appointments). */
#define RULES_DAY_MIN 10957u          /* 2000-01-01 */
#define RULES_DAY_SLACK 1u
#define RULES_TERM_AHEAD_DAYS 3660u

/* Flags for rules_text. */
#define RULES_REQUIRED 0x1  /* not blank (text_blank) */
#define RULES_LINES 0x2     /* newlines and tabs allowed (a notice's body) */

/* Checks one text field, named `what` in the message: at most max bytes,
 * valid UTF-8 without control characters (line breaks, terminal escapes)
 * or bidi overrides and isolates, and with RULES_REQUIRED not blank. NULL
 * is empty. The message never quotes the text (it may hold escapes).
 * SD_OK or SD_EINVAL. */
int rules_text(const char *what, const char *s, size_t max, int flags,
               sd_err *err);

/* A field read with its length (a CSV cell, a web form's value) holds no
 * NUL byte: C strings would end there and keep only the part before it
 * ("Pat\0na" read as "Pat"). SD_OK or SD_EINVAL naming the field ("name
 * holds a NUL byte"). Call it before the field becomes a C string. */
int rules_no_nul(const char *what, const char *s, size_t len, sd_err *err);

/* A tag (role, cell, event kind) as stored: letters a-z, digits and single
 * hyphens inside, at most RULES_TAG_MAX bytes; empty only when !required.
 * SD_OK or SD_EINVAL. */
int rules_tag(const char *what, const char *s, int required, sd_err *err);

/* A fee of at most RULES_FEE_MAX_PAISE. SD_OK or SD_EINVAL. */
int rules_fee(uint64_t paise, sd_err *err);

/* A date from RULES_DAY_MIN to latest (inclusive). SD_OK or SD_EINVAL,
 * the message naming `what` and the bounds as dates. */
int rules_day(const char *what, uint32_t day, uint32_t latest, sd_err *err);

/* The latest date an entry signed at time_ms may carry:
 * its day + RULES_DAY_SLACK. */
uint32_t rules_latest_day(uint64_t time_ms);

/* A birth year from 1900 to the year of the day latest. SD_OK or
 * SD_EINVAL ("birth year 2090 is in the future (after 2026)"). */
int rules_birth_year(uint32_t year, uint32_t latest, sd_err *err);

/* The Personal data an entry committed to, checked like the body: a name
 * that is not blank, every text field (rules_text), a birth year (0: not
 * given) by rules_birth_year against the entry's signed time_ms. SD_OK or
 * SD_EINVAL naming the field ("personal data: name is empty"). */
int rules_personal(const Sadasya__Personal *p, uint64_t time_ms, sd_err *err);

/* Checks every text field and bound of e's body, whatever its kind:
 * texts (rules_text), tags (rules_tag), the fee, the dates, the number of
 * interests; a referred-by number well formed. Numbers, serials and what
 * the store holds are fold_check's. SD_OK or SD_EINVAL with one line that
 * names the body and field ("member BR-0000001-4: district holds a
 * control character (a line break?)"). */
int rules_body_check(const Sadasya__Entry *e, sd_err *err);

#endif
