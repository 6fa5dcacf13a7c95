/*
 * member.c — checking a new member and signing its MemberJoined entry.
 */
#include "member.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "day.h"
#include "number.h"
#include "text.h"
#include "view.h"

#define FEE_PARSE_MAX 1000000000000000000ull /* far above RULES_FEE_MAX_PAISE */

static int given(const char *s) { return s && *s; }

static int parse_uint(const char *s, unsigned long long max,
                      unsigned long long *out)
{
    if (!given(s))
        return -1;
    unsigned long long v = 0;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return -1;
        v = v * 10 + (unsigned long long)(*p - '0');
        if (v > max)
            return -1;
    }
    *out = v;
    return 0;
}

static int check_text(const char *field, const char *v, int required,
                      sd_err *err)
{
    if (!given(v))
        return SD_OK; /* absent: member_check says which are required */
    return rules_text(field, v, MEMBER_FIELD_MAX,
                      required ? RULES_REQUIRED : 0, err);
}

static int all_digits(const char *s)
{
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

static int check_email(const char *v)
{
    const char *at = strchr(v, '@');
    return at && at != v && strchr(at + 1, '.') && !strchr(at + 1, '@') &&
           !strchr(v, ' ');
}

int member_check(const member_input *in, sd_err *err)
{
    if (in->n_interests > MEMBER_MAX_INTERESTS)
        return sd_errf(err, SD_EINVAL, "more than %d interests",
                       MEMBER_MAX_INTERESTS);
    struct { const char *name, *v; int required; } text[] = {
        { "name", in->name, 1 }, { "name-en", in->name_en, 0 },
        { "guardian", in->guardian, 0 }, { "email", in->email, 0 },
        { "address", in->address, 0 }, { "district", in->district, 1 },
        { "occupation", in->occupation, 0 }, { "payment-ref", in->payment_ref, 0 },
    };
    for (size_t i = 0; i < sizeof text / sizeof text[0]; i++) {
        int rc = check_text(text[i].name, text[i].v, text[i].required, err);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < in->n_interests; i++) {
        int rc = check_text("interest", in->interests[i], 1, err);
        if (rc)
            return rc;
    }
    if (!given(in->name))
        return sd_errf(err, SD_EINVAL, "name is required");
    if (!given(in->gender))
        return sd_errf(err, SD_EINVAL, "gender is required");
    if (view_gender_parse(in->gender) < 0)
        return sd_errf(err, SD_EINVAL,
                       "gender \"%s\" is not female, male or other", in->gender);
    if (!given(in->phone))
        return sd_errf(err, SD_EINVAL, "phone is required");
    char ph[TEXT_PHONE_MAX];
    if (text_phone_norm(in->phone, ph) < 0)
        return sd_errf(err, SD_EINVAL, "phone \"%s\" is not a phone number",
                       in->phone);
    if (!given(in->district))
        return sd_errf(err, SD_EINVAL, "district is required");
    if (given(in->area) && view_area_parse(in->area) < 0)
        return sd_errf(err, SD_EINVAL, "area \"%s\" is not urban or rural",
                       in->area);
    if (given(in->email) && !check_email(in->email))
        return sd_errf(err, SD_EINVAL, "email \"%s\" is not an e-mail address",
                       in->email);
    uint32_t latest = rules_latest_day((uint64_t)time(NULL) * 1000);
    if (given(in->birth_year)) {
        int rc = member_birth_year(in->birth_year, latest, err);
        if (rc)
            return rc;
    }
    uint64_t fee;
    int frc = member_fee(in, &fee, err);
    if (frc)
        return frc;
    if (given(in->referred_by)) {
        sd_err why;
        int rc = number_parse(in->referred_by, NULL, NULL, NULL, &why);
        if (rc)
            return sd_errf(err, rc, "referred-by: %s", why.msg);
    }
    if (given(in->joined)) {
        uint32_t d;
        int rc = day_parse(in->joined, &d, err);
        if (!rc)
            rc = rules_day("joining date", d, latest, err);
        if (rc)
            return rc;
    }
    return SD_OK;
}

int member_birth_year(const char *year, uint32_t latest_day, sd_err *err)
{
    unsigned long long v;
    if (parse_uint(year, 9999, &v) || v < 1900)
        return sd_errf(err, SD_EINVAL, "birth year \"%s\" is not a year", year);
    return rules_birth_year((uint32_t)v, latest_day, err);
}

/* Rupees as people write them: an optional "₹", "Rs", "Rs." or "INR",
 * then digits (commas between them allowed) and at most two decimals. */
static int parse_rupees(const char *s, uint64_t *paise)
{
    static const char *const marks[] = { "\xe2\x82\xb9", "Rs.", "Rs", "rs.",
                                         "rs", "RS", "INR", "inr" };
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        if (!strncmp(s, marks[i], strlen(marks[i]))) {
            s += strlen(marks[i]);
            break;
        }
    while (*s == ' ')
        s++;
    uint64_t rupees = 0;
    int digits = 0;
    for (; isdigit((unsigned char)*s) || (*s == ',' && digits); s++) {
        if (*s == ',')
            continue;
        rupees = rupees * 10 + (uint64_t)(*s - '0');
        if (rupees > RULES_FEE_MAX_PAISE)
            rupees = RULES_FEE_MAX_PAISE + 1; /* refused by rules_fee */
        digits++;
    }
    if (!digits)
        return -1;
    uint64_t p = 0;
    if (*s == '.') {
        s++;
        int dec = 0;
        for (; isdigit((unsigned char)*s) && dec < 2; s++, dec++)
            p = p * 10 + (uint64_t)(*s - '0');
        if (!dec)
            return -1;
        if (dec == 1)
            p *= 10;
    }
    if (*s)
        return -1;
    *paise = rupees * 100 + p;
    return 0;
}

int member_fee(const member_input *in, uint64_t *paise, sd_err *err)
{
    unsigned long long v;
    if (given(in->fee) && given(in->fee_paise))
        return sd_errf(err, SD_EINVAL, "give the fee once: --fee or --fee-paise");
    if (given(in->fee)) {
        uint64_t p;
        if (parse_rupees(in->fee, &p))
            return sd_errf(err, SD_EINVAL,
                           "fee \"%s\" is not an amount in rupees (like 11 "
                           "or 11.00)", in->fee);
        int rc = rules_fee(p, err);
        if (rc)
            return rc;
        if (p && p < MEMBER_FEE_MIN)
            return sd_errf(err, SD_EINVAL,
                           "fee of Rs %s is below Rs 1: give the fee in rupees "
                           "(like --fee 11)", in->fee);
        *paise = p;
        return SD_OK;
    }
    if (!given(in->fee_paise)) {
        *paise = MEMBER_DEFAULT_FEE;
        return SD_OK;
    }
    if (!all_digits(in->fee_paise))
        return sd_errf(err, SD_EINVAL, "fee \"%s\" is not a whole number of paise",
                       in->fee_paise);
    /* Any longer run of digits is above the limit too. */
    if (parse_uint(in->fee_paise, FEE_PARSE_MAX, &v))
        v = FEE_PARSE_MAX + 1;
    int rc = rules_fee(v, err);
    if (rc)
        return rc;
    if (v && v < MEMBER_FEE_MIN)
        return sd_errf(err, SD_EINVAL,
                       "fee of %llu paise is below Rs 1: did you mean --fee %llu?",
                       v, v);
    *paise = v;
    return SD_OK;
}

/* --- checks against the store ------------------------------------------ */

typedef struct dup_ctx {
    store *s;
    store_txn *txn;
    const char *state, *self;
    const char *same;   /* what the index matched: "phone", ... */
    char found[NUMBER_MAX_LEN];
} dup_ctx;

/* view_find_* callback: stops (1) at the first member of the state, other
 * than self, that the index lookup found. */
static int dup_one(const char *number, void *ctx)
{
    dup_ctx *x = ctx;
    if (x->self && !strcmp(number, x->self))
        return 0;
    Sadasya__MemberView *m = NULL;
    if (view_member_get(x->s, x->txn, number, &m, NULL))
        return 0;
    int hit = !strcmp(m->state, x->state);
    sadasya__member_view__free_unpacked(m, NULL);
    if (hit)
        snprintf(x->found, sizeof x->found, "%s", number);
    return hit;
}

static int check_referrer(store *s, store_txn *txn, const char *state,
                          const char *referred_by, sd_err *warn, sd_err *err)
{
    char canon[NUMBER_MAX_LEN], st[NUMBER_MAX_LEN];
    int rc = number_parse(referred_by, canon, st, NULL, err);
    if (rc)
        return rc;
    Sadasya__MemberView *m = NULL;
    rc = view_member_get(s, txn, canon, &m, NULL);
    if (m)
        sadasya__member_view__free_unpacked(m, NULL);
    if (rc != SD_ENOTFOUND)
        return rc ? sd_errf(err, rc, "referred-by: cannot read %s", canon) : SD_OK;
    if (!strcmp(st, state))
        return sd_errf(err, SD_ENOTFOUND, "referred-by: no member %s in %s",
                       canon, state);
    if (warn)
        sd_errf(warn, SD_OK, "referred-by: %s is not held here (yet): "
                "recorded as given", canon);
    return SD_OK;
}

int member_check_store(store *s, store_txn *txn, const char *state,
                       const char *self, const member_input *in,
                       sd_err *warn, sd_err *err)
{
    if (warn)
        sd_err_clear(warn);
    int rc;
    if (given(in->referred_by) &&
        (rc = check_referrer(s, txn, state, in->referred_by, warn, err)))
        return rc;
    if (in->allow_duplicate)
        return SD_OK;
    dup_ctx x = { s, txn, state, self, "phone", "" };
    rc = given(in->phone) ? view_find_phone(s, txn, in->phone, dup_one, &x, err) : 0;
    if (!rc && given(in->name) && given(in->birth_year)) {
        x.same = "name and birth year";
        rc = view_find_identity(s, txn, in->name, 'b', in->birth_year, dup_one,
                                &x, err);
    }
    if (!rc && given(in->name) && given(in->guardian)) {
        x.same = "name and guardian";
        rc = view_find_identity(s, txn, in->name, 'g', in->guardian, dup_one,
                                &x, err);
    }
    if (rc < 0)
        return rc;
    if (x.found[0])
        return sd_errf(err, SD_ECONFLICT,
                       "likely the same person as %s (same %s): give "
                       "--allow-duplicate to register anyway", x.found,
                       x.same);
    return SD_OK;
}

static char *nz(const char *s) { return (char *)(s ? s : ""); }

int member_build(writer *w, const member_input *in, entry_signed *out,
                 char number[NUMBER_MAX_LEN], sd_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = member_check(in, err);
    if (rc)
        return rc;
    if ((rc = writer_next_number(w, number, err)))
        return rc;

    Sadasya__Personal p = SADASYA__PERSONAL__INIT;
    p.name = nz(in->name);
    p.name_en = nz(in->name_en);
    p.guardian = nz(in->guardian);
    p.phone = nz(in->phone);
    p.email = nz(in->email);
    p.address = nz(in->address);
    unsigned long long v = 0;
    if (given(in->birth_year) && !parse_uint(in->birth_year, 9999, &v))
        p.birth_year = (uint32_t)v;
    uint8_t *blob = NULL;
    size_t blen = 0;
    uint8_t phash[ENTRY_HASH_BYTES];
    if ((rc = entry_personal_seal(&p, &blob, &blen, phash, err)))
        return rc;

    Sadasya__MemberJoined j = SADASYA__MEMBER_JOINED__INIT;
    j.number = number;
    j.personal_hash.data = phash;
    j.personal_hash.len = sizeof phash;
    j.gender = view_gender_parse(in->gender);
    char district[MEMBER_FIELD_MAX + 1];
    text_place(in->district, district, sizeof district);
    j.district = district;
    j.area = given(in->area) ? view_area_parse(in->area)
                             : SADASYA__AREA__AREA_UNSPECIFIED;
    j.occupation = nz(in->occupation);
    j.n_interests = in->n_interests;
    j.interests = (char **)in->interests;
    uint64_t fee = MEMBER_DEFAULT_FEE;
    member_fee(in, &fee, NULL); /* checked above */
    j.fee_paise = fee;
    j.payment_ref = nz(in->payment_ref);
    char ref[NUMBER_MAX_LEN] = "";
    if (given(in->referred_by))
        number_parse(in->referred_by, ref, NULL, NULL, NULL);
    j.referred_by = ref;
    uint32_t day = day_today();
    if (given(in->joined))
        day_parse(in->joined, &day, NULL);
    j.joined_day = day;

    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_JOINED;
    e.joined = &j;
    rc = writer_sign(w, &e, blob, blen, out, err);
    free(blob);
    return rc;
}

void member_split_interests(member_input *in, char *list)
{
    char *save = NULL;
    for (char *t = strtok_r(list, ";|", &save); t;
         t = strtok_r(NULL, ";|", &save)) {
        while (*t == ' ')
            t++;
        if (!*t)
            continue;
        if (in->n_interests < MEMBER_MAX_INTERESTS)
            in->interests[in->n_interests] = t;
        /* Counted past the limit, so that member_check refuses the list
         * rather than dropping tags silently. */
        if (in->n_interests <= MEMBER_MAX_INTERESTS)
            in->n_interests++;
    }
}
