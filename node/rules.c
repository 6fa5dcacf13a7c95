/*
 * rules.c — the body rules every entry meets, local or received. See
 * rules.h; fold_check calls rules_body_check before anything else.
 */
#include "rules.h"

#include <string.h>

#include "day.h"
#include "number.h"
#include "text.h"

int rules_text(const char *what, const char *s, size_t max, int flags,
               sd_err *err)
{
    if (!s)
        s = "";
    size_t len = strlen(s);
    if (len > max)
        return sd_errf(err, SD_EINVAL, "%s is longer than %zu bytes", what, max);
    switch (text_check(s, len, flags & RULES_LINES ? TEXT_LINES : 0)) {
    case TEXT_OK:
        break;
    case TEXT_CONTROL:
        return sd_errf(err, SD_EINVAL,
                       "%s holds a control character (a line break?)", what);
    case TEXT_BIDI:
        return sd_errf(err, SD_EINVAL,
                       "%s holds a bidirectional override or isolate "
                       "(U+202A-U+202E, U+2066-U+2069)", what);
    default:
        return sd_errf(err, SD_EINVAL, "%s is not valid UTF-8 text", what);
    }
    if ((flags & RULES_REQUIRED) && text_blank(s))
        return sd_errf(err, SD_EINVAL, "%s is empty", what);
    return SD_OK;
}

int rules_no_nul(const char *what, const char *s, size_t len, sd_err *err)
{
    if (len && memchr(s, '\0', len))
        return sd_errf(err, SD_EINVAL, "%s holds a NUL byte", what);
    return SD_OK;
}

int rules_tag(const char *what, const char *s, int required, sd_err *err)
{
    if (!s || !*s)
        return required ? sd_errf(err, SD_EINVAL, "%s is empty", what) : SD_OK;
    size_t len = strlen(s);
    if (len > RULES_TAG_MAX)
        return sd_errf(err, SD_EINVAL, "%s is longer than %d bytes", what,
                       RULES_TAG_MAX);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int hyphen_ok = i > 0 && i + 1 < len && s[i - 1] != '-';
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              (c == '-' && hyphen_ok)))
            return sd_errf(err, SD_EINVAL,
                           "%s is not words of letters a-z and digits joined "
                           "by hyphens", what);
    }
    return SD_OK;
}

int rules_fee(uint64_t paise, sd_err *err)
{
    if (paise > RULES_FEE_MAX_PAISE)
        return sd_errf(err, SD_EINVAL,
                       "fee of %llu paise is above the limit of %llu paise "
                       "(Rs 10,00,000)",
                       (unsigned long long)paise, RULES_FEE_MAX_PAISE);
    return SD_OK;
}

uint32_t rules_latest_day(uint64_t time_ms)
{
    uint64_t day = time_ms / 86400000ull + RULES_DAY_SLACK;
    return day > UINT32_MAX ? UINT32_MAX : (uint32_t)day;
}

int rules_day(const char *what, uint32_t day, uint32_t latest, sd_err *err)
{
    char d[DAY_STR_LEN], b[DAY_STR_LEN];
    if (day < RULES_DAY_MIN) {
        day_format(day, d);
        day_format(RULES_DAY_MIN, b);
        return sd_errf(err, SD_EINVAL, "%s %s is before %s", what, d, b);
    }
    if (day > latest) {
        day_format(day, d);
        day_format(latest, b);
        return sd_errf(err, SD_EINVAL, "%s %s is after %s", what,
                       day > 2932896u ? "beyond 9999-12-31" : d, b);
    }
    return SD_OK;
}

int rules_birth_year(uint32_t year, uint32_t latest, sd_err *err)
{
    char d[DAY_STR_LEN];
    day_format(latest, d);
    uint32_t last = (uint32_t)((d[0] - '0') * 1000 + (d[1] - '0') * 100 +
                               (d[2] - '0') * 10 + (d[3] - '0'));
    if (year < 1900)
        return sd_errf(err, SD_EINVAL, "birth year %u is before 1900", year);
    if (year > last)
        return sd_errf(err, SD_EINVAL, "birth year %u is in the future (after %u)",
                       year, last);
    return SD_OK;
}

/* One line of optional text, one of required text. */
static int line(const char *what, const char *s, sd_err *err)
{
    return rules_text(what, s, RULES_TEXT_MAX, 0, err);
}

static int need(const char *what, const char *s, sd_err *err)
{
    return rules_text(what, s, RULES_TEXT_MAX, RULES_REQUIRED, err);
}

static int interests(char **v, size_t n, sd_err *err)
{
    if (n > RULES_INTERESTS_MAX)
        return sd_errf(err, SD_EINVAL, "more than %d interests",
                       RULES_INTERESTS_MAX);
    for (size_t i = 0; i < n; i++) {
        int rc = need("interest", v[i], err);
        if (rc)
            return rc;
    }
    return SD_OK;
}

/* Empty, or a membership number in canonical form. */
static int optional_number(const char *what, const char *s, sd_err *err)
{
    if (!s || !*s)
        return SD_OK;
    char canon[NUMBER_MAX_LEN];
    if (strlen(s) >= NUMBER_MAX_LEN || number_parse(s, canon, NULL, NULL, NULL) ||
        strcmp(canon, s))
        return sd_errf(err, SD_EINVAL, "%s is not a membership number", what);
    return SD_OK;
}

static int check_roster(const Sadasya__RosterUpdate *r, sd_err *err)
{
    int rc = line("national name", r->national_name, err);
    for (size_t i = 0; !rc && i < r->n_chapters; i++) {
        const Sadasya__Chapter *c = r->chapters[i];
        if (!c)
            continue;
        rc = line("chapter name", c->name, err);
        for (size_t k = 0; !rc && k < c->n_endpoints; k++)
            rc = need("endpoint", c->endpoints[k], err);
    }
    return rc;
}

static int check_joined(const Sadasya__MemberJoined *j, uint32_t latest,
                        sd_err *err)
{
    int rc;
    if ((rc = need("district", j->district, err)) ||
        (rc = line("occupation", j->occupation, err)) ||
        (rc = interests(j->interests, j->n_interests, err)) ||
        (rc = line("payment reference", j->payment_ref, err)) ||
        (rc = optional_number("referred-by", j->referred_by, err)) ||
        (rc = rules_fee(j->fee_paise, err)))
        return rc;
    return rules_day("joining date", j->joined_day, latest, err);
}

static int check_updated(const Sadasya__MemberUpdated *u, sd_err *err)
{
    int rc;
    /* An empty district leaves it as it was; a given one is not blank. */
    if (u->district && *u->district && (rc = need("district", u->district, err)))
        return rc;
    if ((rc = line("occupation", u->occupation, err)))
        return rc;
    return interests(u->interests, u->n_interests, err);
}

static int check_officer(const Sadasya__OfficerAppointed *o, uint64_t time_ms,
                         sd_err *err)
{
    int rc;
    uint32_t ahead = rules_latest_day(time_ms) + RULES_TERM_AHEAD_DAYS;
    if ((rc = rules_tag("role", o->role, 1, err)) ||
        (rc = rules_tag("cell", o->cell, 0, err)) ||
        (rc = rules_day("term start", o->from_day, ahead, err)))
        return rc;
    if (!o->to_day)
        return SD_OK; /* open-ended */
    if ((rc = rules_day("term end", o->to_day, ahead, err)))
        return rc;
    if (o->to_day < o->from_day)
        return sd_errf(err, SD_EINVAL, "term ends before it begins");
    return SD_OK;
}

static int check_body(const Sadasya__Entry *e, sd_err *err)
{
    uint32_t latest = rules_latest_day(e->time_ms);
    int rc;
    switch (e->body_case) {
    case SADASYA__ENTRY__BODY_ROSTER:
        return check_roster(e->roster, err);
    case SADASYA__ENTRY__BODY_JOINED:
        return check_joined(e->joined, latest, err);
    case SADASYA__ENTRY__BODY_UPDATED:
        return check_updated(e->updated, err);
    case SADASYA__ENTRY__BODY_STATUS:
        return line("reason", e->status->reason, err);
    case SADASYA__ENTRY__BODY_OFFICER:
        return check_officer(e->officer, e->time_ms, err);
    case SADASYA__ENTRY__BODY_EVENT:
        if ((rc = rules_tag("kind", e->event->kind, 1, err)) ||
            (rc = need("title", e->event->title, err)) ||
            (rc = line("place", e->event->place, err)))
            return rc;
        return rules_day("date", e->event->day, latest, err);
    case SADASYA__ENTRY__BODY_ATTENDANCE:
        /* 0: the day the entry was signed. */
        return e->attendance->day ? rules_day("date", e->attendance->day, latest, err)
                                  : SD_OK;
    case SADASYA__ENTRY__BODY_HONOUR:
        if ((rc = need("title", e->honour->title, err)))
            return rc;
        return rules_day("date", e->honour->day, latest, err);
    case SADASYA__ENTRY__BODY_NOTICE:
        if ((rc = need("title", e->notice->title, err)))
            return rc;
        return rules_text("body", e->notice->body, RULES_BODY_MAX,
                          RULES_REQUIRED | RULES_LINES, err);
    case SADASYA__ENTRY__BODY_REDACTION:
        return need("reason", e->redaction->reason, err);
    case SADASYA__ENTRY__BODY_ENTERPRISE: {
        const Sadasya__EnterpriseListed *en = e->enterprise;
        int req = en->withdrawn ? 0 : RULES_REQUIRED;
        if ((rc = rules_text("name", en->name, RULES_TEXT_MAX, req, err)) ||
            (rc = rules_text("craft", en->craft, RULES_TEXT_MAX, req, err)) ||
            (rc = line("products", en->products, err)))
            return rc;
        return line("place", en->place, err);
    }
    default:
        return SD_OK; /* an unknown kind is fold_check's to refuse */
    }
}

int rules_personal(const Sadasya__Personal *p, uint64_t time_ms, sd_err *err)
{
    sd_err why;
    sd_err_clear(&why);
    int rc;
    if ((rc = need("name", p->name, &why)) ||
        (rc = line("name-en", p->name_en, &why)) ||
        (rc = line("guardian", p->guardian, &why)) ||
        (rc = need("phone", p->phone, &why)) ||
        (rc = line("email", p->email, &why)) ||
        (rc = line("address", p->address, &why)) ||
        (p->birth_year &&
         (rc = rules_birth_year(p->birth_year, rules_latest_day(time_ms), &why))))
        return sd_errf(err, rc, "personal data: %s", why.msg);
    return SD_OK;
}

int rules_body_check(const Sadasya__Entry *e, sd_err *err)
{
    sd_err why;
    sd_err_clear(&why);
    int rc = check_body(e, &why);
    if (rc)
        return sd_errf(err, rc, "%s entry: %s", entry_kind(e), why.msg);
    return SD_OK;
}
