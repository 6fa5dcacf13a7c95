/*
 * member_edit.c — a member's correction, compared, prepared and signed.
 * See member_edit.h.
 */
#include "member_edit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "day.h"
#include "text.h"

static const char *or_empty(const char *s) { return s ? s : ""; }

int member_edit_same(const char *a, const char *b)
{
    a = or_empty(a);
    b = or_empty(b);
    while (*a == ' ')
        a++;
    while (*b == ' ')
        b++;
    size_t la = strlen(a), lb = strlen(b);
    while (la && a[la - 1] == ' ')
        la--;
    while (lb && b[lb - 1] == ' ')
        lb--;
    return la == lb && !memcmp(a, b, la);
}

static const char *pick(const char *given, const char *held)
{
    return given ? given : held;
}

void member_edit_fill(const Sadasya__MemberView *m, const Sadasya__Personal *p,
                      const member_input *given, int interests_given,
                      member_input *full, member_edit_bufs *b)
{
    b->birth_year[0] = '\0';
    if (p && p->birth_year)
        snprintf(b->birth_year, sizeof b->birth_year, "%u", p->birth_year);
    snprintf(b->fee, sizeof b->fee, "%llu", (unsigned long long)m->fee_paise);
    day_format(m->joined_day, b->joined);
    memset(full, 0, sizeof *full);
    full->name = pick(given->name, p ? p->name : NULL);
    full->name_en = pick(given->name_en, p ? p->name_en : NULL);
    full->guardian = pick(given->guardian, p ? p->guardian : NULL);
    full->phone = pick(given->phone, p ? p->phone : NULL);
    full->email = pick(given->email, p ? p->email : NULL);
    full->address = pick(given->address, p ? p->address : NULL);
    full->birth_year = pick(given->birth_year, b->birth_year);
    full->gender = pick(given->gender, view_gender_name(m->gender));
    full->district = pick(given->district, m->district);
    full->area = pick(given->area, m->area ? view_area_name(m->area) : NULL);
    full->occupation = pick(given->occupation, m->occupation);
    full->fee = given->fee;
    full->fee_paise = given->fee ? given->fee_paise : pick(given->fee_paise, b->fee);
    full->payment_ref = pick(given->payment_ref, m->payment_ref);
    full->joined = pick(given->joined, b->joined);
    full->referred_by = given->referred_by;
    full->allow_duplicate = given->allow_duplicate;
    if (given->n_interests || interests_given) {
        full->n_interests = given->n_interests;
        memcpy(full->interests, given->interests, sizeof full->interests);
    } else {
        full->n_interests = m->n_interests < MEMBER_MAX_INTERESTS
                                ? m->n_interests : MEMBER_MAX_INTERESTS;
        for (size_t i = 0; i < full->n_interests; i++)
            full->interests[i] = m->interests[i];
    }
}

static void changed_add(member_edit *ed, const char *field)
{
    size_t n = strlen(ed->changed);
    snprintf(ed->changed + n, sizeof ed->changed - n, "%s%s", n ? ", " : "",
             field);
}

static char *dup_or_fail(const char *s, int *oom)
{
    char *d = strdup(or_empty(s));
    if (!d)
        *oom = 1;
    return d;
}

/* The fields an entry cannot change: SD_EINVAL naming the first. */
static int fixed_fields(const Sadasya__MemberView *m, const member_input *in,
                        sd_err *err)
{
    if (view_gender_parse(in->gender) != (int)m->gender)
        return sd_errf(err, SD_EINVAL, "gender cannot be changed (it stays "
                       "%s)", view_gender_name(m->gender));
    uint32_t day;
    if (in->joined && *in->joined &&
        (day_parse(in->joined, &day, NULL) || day != m->joined_day)) {
        char d[DAY_STR_LEN];
        day_format(m->joined_day, d);
        return sd_errf(err, SD_EINVAL, "the joining date cannot be changed "
                       "(it stays %s)", d);
    }
    if (in->fee_paise && *in->fee_paise &&
        strtoull(in->fee_paise, NULL, 10) != m->fee_paise)
        return sd_errf(err, SD_EINVAL, "the fee cannot be changed (it stays "
                       "%llu paise)", (unsigned long long)m->fee_paise);
    if (!member_edit_same(in->payment_ref, m->payment_ref))
        return sd_errf(err, SD_EINVAL, "the payment reference cannot be "
                       "changed (it stays \"%s\")", m->payment_ref);
    return SD_OK;
}

int member_edit_prepare(const Sadasya__MemberView *m,
                        const Sadasya__Personal *p, const member_input *in,
                        const char *status, const char *reason,
                        member_edit *ed, sd_err *err)
{
    memset(ed, 0, sizeof *ed);
    ed->status = -1;
    snprintf(ed->number, sizeof ed->number, "%s", m->number);
    int rc = member_check(in, err);
    if (!rc)
        rc = fixed_fields(m, in, err);
    if (rc)
        return rc;

    /* personal data: sealed anew when any of it differs */
    const char *held[] = { p ? p->name : "", p ? p->name_en : "",
                           p ? p->guardian : "", p ? p->email : "",
                           p ? p->address : "" };
    const char *given[] = { in->name, in->name_en, in->guardian, in->email,
                            in->address };
    const char *names[] = { "name", "name-en", "guardian", "email",
                            "address" };
    int personal = 0;
    for (size_t i = 0; i < sizeof held / sizeof held[0]; i++)
        if (!member_edit_same(given[i], held[i])) {
            changed_add(ed, names[i]);
            personal = 1;
        }
    char a[TEXT_PHONE_MAX], b[TEXT_PHONE_MAX];
    if (!p || text_phone_norm(in->phone, a) < 0 ||
        text_phone_norm(p->phone, b) < 0 || strcmp(a, b)) {
        changed_add(ed, "phone");
        personal = 1;
    }
    char by[16] = "";
    if (p && p->birth_year)
        snprintf(by, sizeof by, "%u", p->birth_year);
    if (!member_edit_same(in->birth_year, by)) {
        changed_add(ed, "birth-year");
        personal = 1;
    }
    if (personal && !p)
        return sd_errf(err, SD_ENOTFOUND, "personal data of %s is not held "
                       "here: it cannot be changed", m->number);

    /* the member's record */
    int oom = 0;
    char district[MEMBER_FIELD_MAX + 1];
    text_place(in->district, district, sizeof district);
    ed->district = dup_or_fail(strcmp(district, m->district) ? district : "",
                               &oom);
    if (ed->district && *ed->district)
        changed_add(ed, "district");
    int area = in->area && *in->area ? view_area_parse(in->area) : 0;
    if (area != (int)m->area) {
        if (!area)
            return sd_errf(err, SD_EINVAL, "area cannot be emptied (it is "
                           "%s)", view_area_name(m->area));
        ed->area = area;
        changed_add(ed, "area");
    }
    int occ = !member_edit_same(in->occupation, m->occupation);
    if (occ && !(in->occupation && *in->occupation))
        return sd_errf(err, SD_EINVAL, "occupation cannot be emptied (it is "
                       "\"%s\")", m->occupation);
    ed->occupation = dup_or_fail(occ ? in->occupation : "", &oom);
    if (occ)
        changed_add(ed, "occupation");
    int ints = in->n_interests != m->n_interests;
    for (size_t i = 0; !ints && i < m->n_interests; i++)
        ints = !member_edit_same(in->interests[i], m->interests[i]);
    if (ints && in->n_interests) {
        ed->interests = calloc(in->n_interests, sizeof *ed->interests);
        if (!ed->interests)
            oom = 1;
        else
            ed->n_interests = in->n_interests;
        for (size_t i = 0; i < ed->n_interests; i++)
            ed->interests[i] = dup_or_fail(in->interests[i], &oom);
    }
    if (ints) {
        ed->interests_set = 1;
        changed_add(ed, "interest");
    }
    ed->update = personal || (ed->district && *ed->district) || ed->area ||
                 occ || ints;

    /* the status */
    if (status && *status) {
        int st = view_status_parse(status);
        if (st < 0)
            return sd_errf(err, SD_EINVAL, "status \"%s\" is not active, "
                           "inactive, resigned or deceased", status);
        if (st != (int)m->status ||
            !member_edit_same(reason, m->status_reason)) {
            if ((rc = rules_text("status-reason", or_empty(reason),
                                 RULES_TEXT_MAX, 0, err)))
                return rc;
            ed->status = st;
            ed->reason = dup_or_fail(reason, &oom);
            changed_add(ed, st != (int)m->status ? "status" : "status-reason");
        }
    }
    if (oom)
        return sd_errf(err, SD_ENOMEM, "out of memory");

    if (personal) {
        Sadasya__Personal np = *p;
        np.name = (char *)or_empty(in->name);
        np.name_en = (char *)or_empty(in->name_en);
        np.guardian = (char *)or_empty(in->guardian);
        np.phone = (char *)or_empty(in->phone);
        np.email = (char *)or_empty(in->email);
        np.address = (char *)or_empty(in->address);
        np.birth_year = in->birth_year && *in->birth_year
                            ? (uint32_t)strtoul(in->birth_year, NULL, 10) : 0;
        rc = entry_personal_seal(&np, &ed->personal, &ed->personal_len,
                                 ed->personal_hash, err);
    }
    return rc;
}

int member_edit_sign(writer *w, const member_edit *ed,
                     entry_signed out[MEMBER_EDIT_ENTRIES], size_t *n,
                     sd_err *err)
{
    *n = 0;
    int rc = SD_OK;
    if (ed->update) {
        Sadasya__MemberUpdated u = SADASYA__MEMBER_UPDATED__INIT;
        u.number = (char *)ed->number;
        if (ed->personal) {
            u.personal_hash.data = (uint8_t *)ed->personal_hash;
            u.personal_hash.len = sizeof ed->personal_hash;
        }
        u.district = ed->district;
        u.area = ed->area;
        u.occupation = ed->occupation;
        u.interests_set = ed->interests_set;
        u.n_interests = ed->n_interests;
        u.interests = ed->interests;
        Sadasya__Entry e = SADASYA__ENTRY__INIT;
        e.body_case = SADASYA__ENTRY__BODY_UPDATED;
        e.updated = &u;
        rc = writer_sign(w, &e, ed->personal, ed->personal_len, &out[*n], err);
        if (!rc)
            (*n)++;
    }
    if (!rc && ed->status >= 0) {
        Sadasya__MemberStatus ms = SADASYA__MEMBER_STATUS__INIT;
        ms.number = (char *)ed->number;
        ms.status = ed->status;
        ms.reason = (char *)or_empty(ed->reason);
        Sadasya__Entry e = SADASYA__ENTRY__INIT;
        e.body_case = SADASYA__ENTRY__BODY_STATUS;
        e.status = &ms;
        rc = writer_sign(w, &e, NULL, 0, &out[*n], err);
        if (!rc)
            (*n)++;
    }
    return rc;
}

void member_edit_clear(member_edit *ed)
{
    free(ed->personal);
    free(ed->district);
    free(ed->occupation);
    for (size_t i = 0; i < ed->n_interests; i++)
        free(ed->interests[i]);
    free(ed->interests);
    free(ed->reason);
    memset(ed, 0, sizeof *ed);
    ed->status = -1;
}
