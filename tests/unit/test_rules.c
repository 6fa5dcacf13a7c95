/*
 * test_rules.c — unit tests for node/rules.c through the one write path:
 * entries that Bihar's roster-listed key signs by hand (so no CLI check
 * stands in the way) and the national node receives as a peer's batch.
 * Each body rule refuses what local input would refuse: a fee that would
 * wrap the counters (2^64 - 1000 paise), dates of 1970 and 2^32 - 1 days,
 * districts holding terminal escapes or line breaks, bidi overrides in any
 * text, blank required fields; normal values, Devanagari among them, are
 * taken. This node's own entries meet the same rules, and register's
 * checks (member_check) speak with the same words.
 *
 * Each test makes a small federation in its own directory: a national
 * node and Bihar (BR, in the roster).
 */
#include "helpers.h"

#include <time.h>

#include "day.h"
#include "member.h"
#include "number.h"
#include "org.h"
#include "rules.h"
#include "view.h"

typedef th_fed fed;

#define SIGNED_DAY 20706u /* th_sign's time, 2026-09-10 */

static void assert_has(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle))
        fail_msg("\"%s\" does not say \"%s\"", haystack, needle);
}

static counter_row total(store *s)
{
    counter_row r;
    MDB_txn *txn;
    assert_int_equal(store_begin(s, 0, &txn, NULL), SD_OK);
    assert_int_equal(view_counter_get(s, txn, "total", "", &r, NULL), SD_OK);
    mdb_txn_abort(txn);
    return r;
}

/* Signs e with BR's key as the next entry of BR's log that the national
 * node holds, and gives it to the national node as a peer's batch.
 * Returns 1 if it was added, 0 if refused (the reason in why). */
static int offer(fed *f, Sadasya__Entry *e, char why[SD_ERR_MSG_MAX])
{
    keys_pair kp;
    th_keys(&f->br, &kp);
    store_head h = th_head(f->nat.s, f->br.pk);
    entry_signed es;
    th_sign(&kp, e, h.seq + 1, h.seq ? h.hash : NULL, &es);
    th_rejects rej;
    apply_result r = th_apply(f->nat.s, &es, 1, 0, &rej);
    entry_signed_clear(&es);
    snprintf(why, SD_ERR_MSG_MAX, "%s", rej.last);
    assert_int_equal(r.added + r.rejected, 1);
    return (int)r.added;
}

/* e, offered as offer does, is refused with a reason that says so. */
static void refused(fed *f, Sadasya__Entry *e, const char *says)
{
    char why[SD_ERR_MSG_MAX];
    assert_false(offer(f, e, why));
    assert_has(why, says);
}

/* A MemberJoined for the next BR serial at the national node, normal in
 * every field; callers spoil one. Strings live in the caller's storage. */
typedef struct joined_buf {
    char number[NUMBER_MAX_LEN];
    uint8_t phash[ENTRY_HASH_BYTES];
    char *interests[2];
    Sadasya__MemberJoined j;
    Sadasya__Entry e;
} joined_buf;

static Sadasya__Entry *joined(fed *f, joined_buf *b)
{
    store_head h = th_head(f->nat.s, f->br.pk);
    assert_int_equal(number_format(b->number, "BR", h.joins + 1, NULL), SD_OK);
    memset(b->phash, 7, sizeof b->phash);
    b->interests[0] = (char *)"music";
    b->interests[1] = (char *)"सेवा";
    Sadasya__MemberJoined j = SADASYA__MEMBER_JOINED__INIT;
    j.number = b->number;
    j.personal_hash.data = b->phash;
    j.personal_hash.len = sizeof b->phash;
    j.gender = SADASYA__GENDER__FEMALE;
    j.district = (char *)"Patna";
    j.area = SADASYA__AREA__URBAN;
    j.occupation = (char *)"teacher";
    j.interests = b->interests;
    j.n_interests = 2;
    j.fee_paise = 1100;
    j.payment_ref = (char *)"UPI-1";
    j.referred_by = (char *)"";
    j.joined_day = SIGNED_DAY - 3;
    b->j = j;
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_JOINED;
    e.joined = &b->j;
    b->e = e;
    return &b->e;
}

/* --- fees ------------------------------------------------------------------ */

static void test_fee_that_would_wrap_is_refused(void **state)
{
    fed *f = *state;
    char why[SD_ERR_MSG_MAX];
    joined_buf b;
    /* One honest member of Rs 11 first. */
    assert_true(offer(f, joined(f, &b), why));
    assert_int_equal(total(f->nat.s).fee_paise, 1100);

    /* 2^64 - 1000 paise: added to 1100 it would read Rs 1.00. */
    joined(f, &b)->joined->fee_paise = UINT64_MAX - 999;
    refused(f, &b.e, "fee of 18446744073709550616 paise is above the limit");
    counter_row t = total(f->nat.s);
    assert_int_equal(t.members, 1);
    assert_int_equal(t.fee_paise, 1100);

    joined(f, &b)->joined->fee_paise = RULES_FEE_MAX_PAISE + 1;
    refused(f, &b.e, "above the limit");

    /* The limit itself is a fee. */
    joined(f, &b)->joined->fee_paise = RULES_FEE_MAX_PAISE;
    assert_true(offer(f, &b.e, why));
    assert_int_equal(total(f->nat.s).fee_paise, 1100 + RULES_FEE_MAX_PAISE);
}

/* --- dates ------------------------------------------------------------------ */

static void test_joined_day_bounds(void **state)
{
    fed *f = *state;
    char why[SD_ERR_MSG_MAX];
    joined_buf b;
    const struct { uint32_t day; const char *says; } bad[] = {
        { 0, "joining date 1970-01-01 is before 2000-01-01" },
        { UINT32_MAX, "joining date beyond 9999-12-31 is after 2026-09-11" },
        { RULES_DAY_MIN - 1, "1999-12-31 is before 2000-01-01" },
        { SIGNED_DAY + 2, "2026-09-12 is after 2026-09-11" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        joined(f, &b)->joined->joined_day = bad[i].day;
        assert_false(offer(f, &b.e, why));
        assert_has(why, "joined entry: ");
        assert_has(why, bad[i].says);
    }
    assert_int_equal(total(f->nat.s).members, 0);

    /* The first and last days that are dates: 2000-01-01 and the day
     * after the entry was signed (the writer's clock, never ours). */
    joined(f, &b)->joined->joined_day = RULES_DAY_MIN;
    assert_true(offer(f, &b.e, why));
    joined(f, &b)->joined->joined_day = SIGNED_DAY + 1;
    assert_true(offer(f, &b.e, why));
    assert_int_equal(total(f->nat.s).members, 2);
}

/* --- text ------------------------------------------------------------------- */

static void test_district_with_escapes_refused(void **state)
{
    fed *f = *state;
    char why[SD_ERR_MSG_MAX];
    joined_buf b;
    const struct { const char *district, *says; } bad[] = {
        { "\x1b[31mPatna", "district holds a control character" },
        { "Patna\n", "district holds a control character" },
        { "Pat\rna", "district holds a control character" },
        { "Patna\xc2\x9b" "31m", "district holds a control character" }, /* C1 CSI */
        { "Pat\x7fna", "district holds a control character" },
        { "\xe2\x80\xaePatna", "district holds a bidirectional override" },
        { "Patna\xe2\x81\xa6", "district holds a bidirectional override" },
        { "Pat\xffna", "district is not valid UTF-8" },
        { "\xc0\xafPatna", "district is not valid UTF-8" }, /* overlong '/' */
        { "", "district is empty" },
        { "   ", "district is empty" },
        { "\xe2\x80\x8b\xc2\xa0", "district is empty" }, /* ZWSP, NBSP */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        joined(f, &b)->joined->district = (char *)bad[i].district;
        refused(f, &b.e, bad[i].says);
        /* The reason never quotes the text it refuses. */
        assert_null(strchr(why, '\x1b'));
        assert_null(strchr(why, '\n'));
    }
    char longer[RULES_TEXT_MAX + 2];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    joined(f, &b)->joined->district = longer;
    refused(f, &b.e, "district is longer than 256 bytes");
    assert_int_equal(total(f->nat.s).members, 0);
}

static void test_other_joined_fields(void **state)
{
    fed *f = *state;
    joined_buf b;
    joined(f, &b)->joined->occupation = (char *)"teacher\x1b]0;pwned\x07";
    refused(f, &b.e, "occupation holds a control character");
    joined(f, &b)->joined->payment_ref = (char *)"UPI\xe2\x80\xae" "1";
    refused(f, &b.e, "payment reference holds a bidirectional override");
    joined(f, &b);
    b.interests[1] = (char *)"seva\n";
    refused(f, &b.e, "interest holds a control character");
    joined(f, &b)->joined->referred_by = (char *)"BR-42\x1b";
    refused(f, &b.e, "referred-by is not a membership number");
    char *many[RULES_INTERESTS_MAX + 1];
    for (size_t i = 0; i < RULES_INTERESTS_MAX + 1; i++)
        many[i] = (char *)"music";
    joined(f, &b)->joined->interests = many;
    b.j.n_interests = RULES_INTERESTS_MAX + 1;
    refused(f, &b.e, "more than 16 interests");
    assert_int_equal(total(f->nat.s).members, 0);
}

static void test_normal_values_taken(void **state)
{
    fed *f = *state;
    char why[SD_ERR_MSG_MAX];
    joined_buf b;
    /* Devanagari with its joiners (ZWJ, ZWNJ) and vowel signs is text. */
    joined(f, &b)->joined->district = (char *)"पूर्वी चंपारण";
    b.j.occupation = (char *)"शिक्ष\xe2\x80\x8d" "क";
    b.j.payment_ref = (char *)"";
    if (!offer(f, &b.e, why))
        fail_msg("refused: %s", why);
    joined(f, &b)->joined->district = (char *)"East Champaran";
    char ref[NUMBER_MAX_LEN]; /* the member just taken */
    assert_int_equal(number_format(ref, "BR", 1, NULL), SD_OK);
    b.j.referred_by = ref;
    b.j.fee_paise = 0;
    if (!offer(f, &b.e, why))
        fail_msg("refused: %s", why);
    assert_int_equal(total(f->nat.s).members, 2);
}

/* --- the other bodies ---------------------------------------------------- */

/* Registers one BR member, held by the national node too. */
static void member(fed *f, char number[NUMBER_MAX_LEN])
{
    char numbers[1][NUMBER_MAX_LEN];
    th_register(&f->br, 1, numbers);
    assert_int_equal(th_replicate(f->br.s, f->nat.s, f->br.pk).added, 1);
    memcpy(number, numbers[0], NUMBER_MAX_LEN);
}

static void test_every_body_kind(void **state)
{
    fed *f = *state;
    char why[SD_ERR_MSG_MAX], num[NUMBER_MAX_LEN];
    member(f, num);
    Sadasya__Entry e = SADASYA__ENTRY__INIT;

    /* An update: a district with an escape; a blank one. */
    Sadasya__MemberUpdated u = SADASYA__MEMBER_UPDATED__INIT;
    u.number = num;
    u.district = (char *)"Gaya\x1b[2J";
    e.body_case = SADASYA__ENTRY__BODY_UPDATED;
    e.updated = &u;
    refused(f, &e, "updated entry: district holds a control character");
    u.district = (char *)" ";
    refused(f, &e, "district is empty");
    u.district = (char *)"गया";
    assert_true(offer(f, &e, why));

    /* A status whose reason would rewrite the screen. */
    Sadasya__MemberStatus st = SADASYA__MEMBER_STATUS__INIT;
    st.number = num;
    st.status = SADASYA__STATUS__INACTIVE;
    st.reason = (char *)"moved\x1b[1A\x1b[2K";
    e.body_case = SADASYA__ENTRY__BODY_STATUS;
    e.status = &st;
    refused(f, &e, "status entry: reason holds a control character");
    st.reason = (char *)"moved away";
    assert_true(offer(f, &e, why));

    /* An officer: a role that is no tag, a term of 1970. */
    Sadasya__OfficerAppointed o = SADASYA__OFFICER_APPOINTED__INIT;
    o.number = num;
    o.role = (char *)"Presid\xe2\x80\xae" "ent";
    o.cell = (char *)"";
    o.from_day = SIGNED_DAY;
    e.body_case = SADASYA__ENTRY__BODY_OFFICER;
    e.officer = &o;
    refused(f, &e, "role is not words of letters a-z");
    o.role = (char *)"president";
    o.from_day = 1;
    refused(f, &e, "term start 1970-01-02 is before 2000-01-01");
    o.from_day = SIGNED_DAY;
    o.to_day = SIGNED_DAY - 1;
    refused(f, &e, "term ends before it begins");
    o.to_day = UINT32_MAX;
    refused(f, &e, "term end beyond 9999-12-31");
    o.to_day = SIGNED_DAY + 5 * 365; /* a five-year term, set ahead */
    assert_true(offer(f, &e, why));

    /* An event: a title with a line break, a day in the future. */
    store_head h = th_head(f->nat.s, f->br.pk);
    char id[32];
    snprintf(id, sizeof id, "BR-E%llu", (unsigned long long)h.seq + 1);
    Sadasya__EventHeld ev = SADASYA__EVENT_HELD__INIT;
    ev.event_id = id;
    ev.kind = (char *)"webinar";
    ev.title = (char *)"Yoga\nFAKE LINE";
    ev.day = SIGNED_DAY;
    e.body_case = SADASYA__ENTRY__BODY_EVENT;
    e.event = &ev;
    refused(f, &e, "event entry: title holds a control character");
    ev.title = (char *)"योग दिवस";
    ev.place = (char *)"\xe2\x81\xa7Patna"; /* RLI */
    refused(f, &e, "place holds a bidirectional override");
    ev.place = (char *)"Patna";
    ev.day = SIGNED_DAY + 30;
    refused(f, &e, "date 2026-10-10 is after 2026-09-11");
    ev.day = SIGNED_DAY;
    assert_true(offer(f, &e, why));

    /* Attendance on a day of 1970; day 0 is the day it was signed. */
    char *nums[1] = { num };
    Sadasya__Attendance at = SADASYA__ATTENDANCE__INIT;
    at.event_id = id;
    at.numbers = nums;
    at.n_numbers = 1;
    at.day = 5;
    e.body_case = SADASYA__ENTRY__BODY_ATTENDANCE;
    e.attendance = &at;
    refused(f, &e, "attendance entry: date 1970-01-06 is before");
    at.day = 0;
    assert_true(offer(f, &e, why));

    /* An honour: a bidi override in its title; no date. */
    Sadasya__Honour ho = SADASYA__HONOUR__INIT;
    ho.number = num;
    ho.title = (char *)"Seva \xe2\x80\xadRatna";
    ho.day = SIGNED_DAY;
    e.body_case = SADASYA__ENTRY__BODY_HONOUR;
    e.honour = &ho;
    refused(f, &e, "honour entry: title holds a bidirectional override");
    ho.title = (char *)"सेवा रत्न";
    ho.day = 0;
    refused(f, &e, "before 2000-01-01");
    ho.day = SIGNED_DAY;
    assert_true(offer(f, &e, why));

    /* A notice: its body may run over lines, never hold an escape. */
    Sadasya__Notice no = SADASYA__NOTICE__INIT;
    no.title = (char *)"Camp";
    no.body = (char *)"Line one\n\tLine two \x1b[5m";
    e.body_case = SADASYA__ENTRY__BODY_NOTICE;
    e.notice = &no;
    refused(f, &e, "notice entry: body holds a control character");
    no.title = (char *)"Camp\n";
    no.body = (char *)"Line one\n\tLine two";
    refused(f, &e, "title holds a control character");
    no.title = (char *)"Camp";
    assert_true(offer(f, &e, why));

    /* An enterprise: a name with a bidi override; a blank craft. */
    Sadasya__EnterpriseListed en = SADASYA__ENTERPRISE_LISTED__INIT;
    en.number = num;
    en.name = (char *)"Sita \xe2\x80\xaeSarees";
    en.craft = (char *)"weaving";
    e.body_case = SADASYA__ENTRY__BODY_ENTERPRISE;
    e.enterprise = &en;
    refused(f, &e, "enterprise entry: name holds a bidirectional override");
    en.name = (char *)"सीता साड़ी";
    en.craft = (char *)"  ";
    refused(f, &e, "craft is empty");
    en.craft = (char *)"weaving";
    assert_true(offer(f, &e, why));

    /* An erasure's reason. */
    Sadasya__Redaction rd = SADASYA__REDACTION__INIT;
    rd.number = num;
    rd.reason = (char *)"request\x1b";
    e.body_case = SADASYA__ENTRY__BODY_REDACTION;
    e.redaction = &rd;
    refused(f, &e, "redaction entry: reason holds a control character");
    rd.reason = (char *)"member's request";
    assert_true(offer(f, &e, why));
}

static void test_roster_text(void **state)
{
    fed *f = *state;
    /* The national key too: a chapter name holding an escape. */
    th_roster_body b;
    Sadasya__Entry *e = th_roster_one(&b, "UP", "Uttar Pradesh\x1b[8m", f->up.pk);
    keys_pair kp;
    th_keys(&f->nat, &kp);
    store_head h = th_head(f->br.s, f->nat.pk);
    entry_signed es;
    th_sign(&kp, e, h.seq + 1, h.hash, &es);
    th_rejects rej;
    apply_result r = th_apply(f->br.s, &es, 1, 0, &rej);
    entry_signed_clear(&es);
    assert_int_equal(r.rejected, 1);
    assert_has(rej.last, "roster entry: chapter name holds a control character");
}

/* --- this node's own entries and register's checks ------------------------ */

static void test_own_entries_meet_the_rules(void **state)
{
    fed *f = *state;
    char num[NUMBER_MAX_LEN];
    member(f, num);
    Sadasya__MemberStatus st = SADASYA__MEMBER_STATUS__INIT;
    st.number = num;
    st.status = SADASYA__STATUS__INACTIVE;
    st.reason = (char *)"\x1b[31mred";
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_STATUS;
    e.status = &st;
    writer *w = th_writer(&f->br);
    entry_signed es;
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(writer_sign(w, &e, NULL, 0, &es, &err), SD_OK);
    assert_int_equal(writer_commit(w, &es, 1, NULL, NULL, &err), SD_EINVAL);
    assert_has(err.msg, "reason holds a control character");
    entry_signed_clear(&es);
    writer_destroy(&w);
    assert_int_equal(th_head(f->br.s, f->br.pk).seq, 1);
}

static void test_register_checks_speak_alike(void **state)
{
    (void)state;
    th_member_buf buf;
    member_input in = th_member(&buf, 1);
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(member_check(&in, &err), SD_OK);

    in.district = "\x1b[31mPatna";
    assert_int_equal(member_check(&in, &err), SD_EINVAL);
    assert_has(err.msg, "district holds a control character");
    in = th_member(&buf, 1);
    in.name = "Sita \xe2\x80\xae" "atiS";
    assert_int_equal(member_check(&in, &err), SD_EINVAL);
    assert_has(err.msg, "name holds a bidirectional override");
    in = th_member(&buf, 1);
    in.district = "   ";
    assert_int_equal(member_check(&in, &err), SD_EINVAL);
    assert_has(err.msg, "district is empty");
    in = th_member(&buf, 1);
    in.fee_paise = "100000001";
    assert_int_equal(member_check(&in, &err), SD_EINVAL);
    in.fee_paise = "100000000";
    assert_int_equal(member_check(&in, &err), SD_OK);
    in.fee_paise = "18446744073709550616";
    assert_int_equal(member_check(&in, &err), SD_EINVAL);
    in = th_member(&buf, 1);
    in.joined = "1999-12-31";
    assert_int_equal(member_check(&in, &err), SD_EINVAL);
    assert_has(err.msg, "before 2000-01-01");
    in.joined = "2000-01-01";
    assert_int_equal(member_check(&in, &err), SD_OK);
    char late[DAY_STR_LEN];
    day_format(day_today() + 2, late);
    in.joined = late;
    assert_int_equal(member_check(&in, &err), SD_EINVAL);
    assert_has(err.msg, "is after");
}

/* --fee in rupees as people write it, --fee-paise as digits, and a fee
 * below Rs 1 refused as a likely mistake (0 is a waived fee). */
static void test_member_fee(void **state)
{
    (void)state;
    th_member_buf buf;
    member_input in = th_member(&buf, 1);
    sd_err err;
    sd_err_clear(&err);
    uint64_t p = 0;
    in.fee = NULL;
    in.fee_paise = NULL;
    assert_int_equal(member_fee(&in, &p, &err), SD_OK);
    assert_int_equal(p, MEMBER_DEFAULT_FEE);
    const char *rupees[] = { "11", "11.00", "11.0", "₹11", "Rs 11",
                             "Rs. 11", "INR 11" };
    for (size_t i = 0; i < sizeof rupees / sizeof rupees[0]; i++) {
        in.fee = rupees[i];
        p = 0;
        assert_int_equal(member_fee(&in, &p, &err), SD_OK);
        assert_int_equal(p, 1100);
    }
    in.fee = "1,100.50";
    assert_int_equal(member_fee(&in, &p, &err), SD_OK);
    assert_int_equal(p, 110050);
    const char *bad[] = { "eleven", "11.", "11.005", "Rs", "", "-11", "1 1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        in.fee = bad[i];
        int rc = member_fee(&in, &p, &err);
        if (*bad[i]) {
            assert_int_equal(rc, SD_EINVAL);
            assert_has(err.msg, "not an amount in rupees");
        }
    }
    in.fee = "0.50";
    assert_int_equal(member_fee(&in, &p, &err), SD_EINVAL);
    assert_has(err.msg, "below Rs 1");
    in.fee = "10000001"; /* above Rs 10,00,000 */
    assert_int_equal(member_fee(&in, &p, &err), SD_EINVAL);
    assert_has(err.msg, "above the limit");
    in.fee = "11";
    in.fee_paise = "1100";
    assert_int_equal(member_fee(&in, &p, &err), SD_EINVAL);
    assert_has(err.msg, "give the fee once");
    in.fee = NULL;
    in.fee_paise = "11";
    assert_int_equal(member_fee(&in, &p, &err), SD_EINVAL);
    assert_string_equal(err.msg, "fee of 11 paise is below Rs 1: did you mean --fee 11?");
    assert_int_equal(member_check(&in, &err), SD_EINVAL);
    in.fee_paise = "99";
    assert_int_equal(member_fee(&in, &p, &err), SD_EINVAL);
    in.fee_paise = "100";
    assert_int_equal(member_fee(&in, &p, &err), SD_OK);
    assert_int_equal(p, 100);
    in.fee_paise = "0";
    assert_int_equal(member_fee(&in, &p, &err), SD_OK);
    assert_int_equal(p, 0);
}

/* A birth year after this year is refused, at register and in the
 * Personal data a peer signs (against the entry's own time). */
static void test_birth_year_and_personal(void **state)
{
    (void)state;
    th_member_buf buf;
    member_input in = th_member(&buf, 1);
    sd_err err;
    sd_err_clear(&err);
    char year[16], next[16];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(year, sizeof year, "%d", tm.tm_year + 1900);
    snprintf(next, sizeof next, "%d", tm.tm_year + 1901);
    in.birth_year = year;
    assert_int_equal(member_check(&in, &err), SD_OK);
    in.birth_year = next;
    assert_int_equal(member_check(&in, &err), SD_EINVAL);
    assert_has(err.msg, "is in the future");
    in.birth_year = "1899";
    assert_int_equal(member_check(&in, &err), SD_EINVAL);

    assert_int_equal(rules_birth_year(2026, SIGNED_DAY, &err), SD_OK);
    assert_int_equal(rules_birth_year(2027, SIGNED_DAY, &err), SD_EINVAL);
    assert_string_equal(err.msg, "birth year 2027 is in the future (after 2026)");

    uint64_t signed_ms = (uint64_t)SIGNED_DAY * 86400000ull;
    Sadasya__Personal p = SADASYA__PERSONAL__INIT;
    p.name = "सीता देवी";
    p.phone = "9431000001";
    p.birth_year = 1990;
    assert_int_equal(rules_personal(&p, signed_ms, &err), SD_OK);
    p.name = "   ";
    assert_int_equal(rules_personal(&p, signed_ms, &err), SD_EINVAL);
    assert_string_equal(err.msg, "personal data: name is empty");
    p.name = "Sita \xe2\x80\xae" "atiS";
    assert_int_equal(rules_personal(&p, signed_ms, &err), SD_EINVAL);
    assert_has(err.msg, "personal data: name holds a bidirectional override");
    p.name = "सीता देवी";
    p.guardian = "राम\nप्रसाद";
    assert_int_equal(rules_personal(&p, signed_ms, &err), SD_EINVAL);
    assert_has(err.msg, "guardian holds a control character");
    p.guardian = "";
    p.birth_year = 2027;
    assert_int_equal(rules_personal(&p, signed_ms, &err), SD_EINVAL);
    assert_has(err.msg, "personal data: birth year 2027 is in the future");
    p.birth_year = 0; /* not given */
    assert_int_equal(rules_personal(&p, signed_ms, &err), SD_OK);
}

/* A field read with its length is refused, naming it, when it holds NUL. */
static void test_no_nul(void **state)
{
    (void)state;
    sd_err err;
    sd_err_clear(&err);
    static const char patna[] = "Pat\0na";
    assert_int_equal(rules_no_nul("district", patna, sizeof patna - 1, &err), SD_EINVAL);
    assert_string_equal(err.msg, "district holds a NUL byte");
    assert_int_equal(rules_no_nul("district", "Patna", 5, &err), SD_OK);
    assert_int_equal(rules_no_nul("district", "", 0, &err), SD_OK);
}

/* One definition of last activity: raised by activity, never lowered;
 * attendance re-activates only for an event not before the status change. */
static void test_last_activity(void **state)
{
    (void)state;
    Sadasya__MemberView m = SADASYA__MEMBER_VIEW__INIT;
    m.status = SADASYA__STATUS__ACTIVE;
    m.last_day = 20700;
    m.status_day = 20700;
    view_activity(&m, 20690); /* an old event recorded late */
    assert_int_equal(view_last_activity(&m), 20700);
    view_activity(&m, 20710);
    assert_int_equal(view_last_activity(&m), 20710);
    assert_false(view_attend_reactivates(&m, 20720)); /* active already */
    m.status = SADASYA__STATUS__INACTIVE;
    m.status_day = 20705;
    assert_false(view_attend_reactivates(&m, 20704));
    assert_true(view_attend_reactivates(&m, 20705));
    assert_true(view_attend_reactivates(&m, 20706));
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(org_attend_day_check("BR-E1", 20706, 20706, &err), SD_OK);
    assert_int_equal(org_attend_day_check("BR-E1", 20707, 20706, &err), SD_EINVAL);
    assert_has(err.msg, "event BR-E1 is dated 2026-09-11, in the future");
}

int main(void)
{
    setenv("TZ", "UTC", 1);
#define T(fn) cmocka_unit_test_setup_teardown(fn, th_fed_setup, th_fed_teardown)
    const struct CMUnitTest tests[] = {
        T(test_fee_that_would_wrap_is_refused),
        T(test_joined_day_bounds),
        T(test_district_with_escapes_refused),
        T(test_other_joined_fields),
        T(test_normal_values_taken),
        T(test_every_body_kind),
        T(test_roster_text),
        T(test_own_entries_meet_the_rules),
        cmocka_unit_test(test_register_checks_speak_alike),
        cmocka_unit_test(test_member_fee),
        cmocka_unit_test(test_birth_year_and_personal),
        cmocka_unit_test(test_last_activity),
        cmocka_unit_test(test_no_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
