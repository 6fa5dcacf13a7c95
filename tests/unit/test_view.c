/*
 * test_view.c — unit tests for node/view.c: the counters of every
 * dimension after joins, status changes and district moves (fee sums
 * included); the phone, name-token and district indexes as search uses
 * them; the identity keys a likely duplicate is found by; a view of an
 * older fold brought to the current one; the member walk with its state
 * filter; and the enum names.
 */
#include "helpers.h"

#include "day.h"
#include "retract.h"
#include "view.h"

typedef th_fed fed;

/* --- writing ------------------------------------------------------------ */

typedef struct who {
    const char *name, *name_en, *phone, *gender, *district, *area, *fee,
        *joined;
} who;

static void reg(th_node *n, const who *p, char number[NUMBER_MAX_LEN])
{
    member_input in;
    memset(&in, 0, sizeof in);
    in.name = p->name;
    in.name_en = p->name_en;
    in.phone = p->phone;
    in.gender = p->gender;
    in.district = p->district;
    in.area = p->area;
    in.fee_paise = p->fee;
    in.joined = p->joined ? p->joined : "2026-09-15";
    writer *w = th_writer(n);
    entry_signed es;
    th_build(w, &in, &es, number);
    sd_err err;
    sd_err_clear(&err);
    int rc = writer_commit(w, &es, 1, NULL, NULL, &err);
    entry_signed_clear(&es);
    writer_destroy(&w);
    if (rc)
        fail_msg("registering %s: %s", p->name, err.msg);
}

static void set_status(th_node *n, const char *number, int status,
                       const char *reason)
{
    Sadasya__MemberStatus st = SADASYA__MEMBER_STATUS__INIT;
    st.number = (char *)number;
    st.status = status;
    st.reason = (char *)reason;
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_STATUS;
    e.status = &st;
    th_commit_body(n, &e, NULL, 0);
}

/* A MemberUpdated: district/area/occupation when given; a new Personal
 * blob when p is non-NULL. */
static void update(th_node *n, const char *number, const char *district,
                   int area, const char *occupation, Sadasya__Personal *p)
{
    Sadasya__MemberUpdated u = SADASYA__MEMBER_UPDATED__INIT;
    u.number = (char *)number;
    u.district = (char *)(district ? district : "");
    u.area = area;
    u.occupation = (char *)(occupation ? occupation : "");
    uint8_t *blob = NULL;
    size_t blen = 0;
    uint8_t h[ENTRY_HASH_BYTES];
    if (p) {
        assert_int_equal(entry_personal_seal(p, &blob, &blen, h, NULL), SD_OK);
        u.personal_hash.data = h;
        u.personal_hash.len = sizeof h;
    }
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_UPDATED;
    e.updated = &u;
    th_commit_body(n, &e, blob, blen);
    free(blob);
}

/* --- reading ------------------------------------------------------------ */

static counter_row row_of(store *s, const char *dim, const char *value)
{
    MDB_txn *txn;
    counter_row r;
    assert_int_equal(store_begin(s, 0, &txn, NULL), SD_OK);
    assert_int_equal(view_counter_get(s, txn, dim, value, &r, NULL), SD_OK);
    mdb_txn_abort(txn);
    return r;
}

static void assert_row(store *s, const char *dim, const char *value,
                       uint64_t members, uint64_t active, uint64_t inactive,
                       uint64_t resigned, uint64_t deceased, uint64_t fee)
{
    counter_row r = row_of(s, dim, value);
    if (r.members != members || r.active != active || r.inactive != inactive ||
        r.resigned != resigned || r.deceased != deceased || r.fee_paise != fee)
        fail_msg("%s/%s: members %llu active %llu inactive %llu resigned %llu "
                 "deceased %llu fee %llu; expected %llu %llu %llu %llu %llu "
                 "%llu",
                 dim, value, (unsigned long long)r.members,
                 (unsigned long long)r.active, (unsigned long long)r.inactive,
                 (unsigned long long)r.resigned, (unsigned long long)r.deceased,
                 (unsigned long long)r.fee_paise, (unsigned long long)members,
                 (unsigned long long)active, (unsigned long long)inactive,
                 (unsigned long long)resigned, (unsigned long long)deceased,
                 (unsigned long long)fee);
}

/* Values of a counter dimension, joined by ",". */
typedef struct listing {
    char text[1024];
    int n;
} listing;

static int list_value(const char *value, const counter_row *row, void *ctx)
{
    (void)row;
    listing *l = ctx;
    size_t len = strlen(l->text);
    snprintf(l->text + len, sizeof l->text - len, "%s%s", l->n ? "," : "",
             value);
    l->n++;
    return 0;
}

static listing dim_values(store *s, const char *dim)
{
    listing l;
    memset(&l, 0, sizeof l);
    MDB_txn *txn;
    assert_int_equal(store_begin(s, 0, &txn, NULL), SD_OK);
    assert_int_equal(view_counter_each(s, txn, dim, list_value, &l, NULL),
                     SD_OK);
    mdb_txn_abort(txn);
    return l;
}

static int list_number(const char *number, void *ctx)
{
    listing *l = ctx;
    size_t len = strlen(l->text);
    snprintf(l->text + len, sizeof l->text - len, "%s%s", l->n ? "," : "",
             number);
    l->n++;
    return 0;
}

enum { BY_PHONE, BY_NAME, BY_DISTRICT };

/* The numbers a search finds, in index order. */
static listing find(store *s, int by, const char *a, const char *b, int *rc)
{
    listing l;
    memset(&l, 0, sizeof l);
    MDB_txn *txn;
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(store_begin(s, 0, &txn, NULL), SD_OK);
    int r = by == BY_PHONE ? view_find_phone(s, txn, a, list_number, &l, &err)
            : by == BY_NAME ? view_find_name(s, txn, a, list_number, &l, &err)
                            : view_find_district(s, txn, a, b, list_number, &l,
                                                 &err);
    mdb_txn_abort(txn);
    if (rc)
        *rc = r;
    else if (r)
        fail_msg("search for \"%s\": %s", a, err.msg);
    return l;
}

/* Whether the listing is exactly the given numbers, in any order. */
static void assert_found(const listing *l, const char *const *want, int n)
{
    if (l->n != n)
        fail_msg("found %d (%s), expected %d", l->n, l->text, n);
    for (int i = 0; i < n; i++)
        if (!strstr(l->text, want[i]))
            fail_msg("found \"%s\", missing %s", l->text, want[i]);
}

static Sadasya__MemberView *member(store *s, const char *number)
{
    MDB_txn *txn;
    Sadasya__MemberView *m = NULL;
    assert_int_equal(store_begin(s, 0, &txn, NULL), SD_OK);
    assert_int_equal(view_member_get(s, txn, number, &m, NULL), SD_OK);
    mdb_txn_abort(txn);
    return m;
}

/* --- counters ----------------------------------------------------------- */

static const who ram = { "राम कुमार", "Ram Kumar", "+91 98765 43210", "female",
                         "Patna", "urban", NULL, "2026-09-15" };
static const who sita = { "सीता देवी", "Sita Devi", "09123456789", "male",
                          "patna", "rural", "5000", "2026-10-01" };
static const who ramesh = { "रामेश्वर", "Rameshwar Prasad", "9988776655",
                            "other", "Gaya", NULL, "0", "2026-09-30" };

static void test_counters_after_joins(void **state)
{
    fed *f = *state;
    char n1[NUMBER_MAX_LEN], n2[NUMBER_MAX_LEN], n3[NUMBER_MAX_LEN];
    reg(&f->br, &ram, n1);
    reg(&f->br, &sita, n2);
    reg(&f->br, &ramesh, n3);
    store *s = f->br.s;

    assert_row(s, "total", "", 3, 3, 0, 0, 0, 1100 + 5000);
    assert_row(s, "state", "BR", 3, 3, 0, 0, 0, 6100);
    assert_row(s, "state", "UP", 0, 0, 0, 0, 0, 0);
    /* "patna" was registered as "Patna": one district row. */
    assert_row(s, "district", "BR/Patna", 2, 2, 0, 0, 0, 6100);
    assert_row(s, "district", "BR/patna", 0, 0, 0, 0, 0, 0);
    assert_row(s, "district", "BR/Gaya", 1, 1, 0, 0, 0, 0);
    assert_row(s, "gender", "female", 1, 1, 0, 0, 0, 1100);
    assert_row(s, "gender", "male", 1, 1, 0, 0, 0, 5000);
    assert_row(s, "gender", "other", 1, 1, 0, 0, 0, 0);
    assert_row(s, "status", "active", 3, 3, 0, 0, 0, 6100);
    assert_row(s, "status", "inactive", 0, 0, 0, 0, 0, 0);
    assert_row(s, "area", "urban", 1, 1, 0, 0, 0, 1100);
    assert_row(s, "area", "rural", 1, 1, 0, 0, 0, 5000);
    assert_row(s, "area", "unspecified", 1, 1, 0, 0, 0, 0);
    assert_row(s, "month", "2026-09", 2, 2, 0, 0, 0, 1100);
    assert_row(s, "month", "2026-10", 1, 1, 0, 0, 0, 5000);
    /* per state, for the dashboard */
    assert_row(s, "state-gender", "BR/female", 1, 1, 0, 0, 0, 1100);
    assert_row(s, "state-gender", "BR/male", 1, 1, 0, 0, 0, 5000);
    assert_row(s, "state-area", "BR/rural", 1, 1, 0, 0, 0, 5000);
    assert_row(s, "state-area", "BR/unspecified", 1, 1, 0, 0, 0, 0);

    listing l = dim_values(s, "district");
    assert_string_equal(l.text, "BR/Gaya,BR/Patna");
    l = dim_values(s, "month");
    assert_string_equal(l.text, "2026-09,2026-10");
    l = dim_values(s, "gender");
    assert_string_equal(l.text, "female,male,other");
    /* A dimension's walk does not run into the next one. */
    l = dim_values(s, "state");
    assert_string_equal(l.text, "BR");
    l = dim_values(s, "total");
    assert_int_equal(l.n, 1);
    l = dim_values(s, "nosuch");
    assert_int_equal(l.n, 0);

    /* The member view holds what was joined. */
    Sadasya__MemberView *m = member(s, n2);
    assert_string_equal(m->state, "BR");
    assert_string_equal(m->district, "Patna");
    assert_int_equal(m->fee_paise, 5000);
    assert_int_equal(m->gender, SADASYA__GENDER__MALE);
    assert_int_equal(m->area, SADASYA__AREA__RURAL);
    assert_int_equal(m->status, SADASYA__STATUS__ACTIVE);
    assert_int_equal(m->seq, 2);
    uint32_t day;
    assert_int_equal(day_parse("2026-10-01", &day, NULL), SD_OK);
    assert_int_equal(m->joined_day, day);
    sadasya__member_view__free_unpacked(m, NULL);

    /* A peer's fold of the same log gives the same counters. */
    th_replicate(f->br.s, f->nat.s, f->br.pk);
    assert_row(f->nat.s, "total", "", 3, 3, 0, 0, 0, 6100);
    assert_row(f->nat.s, "district", "BR/Gaya", 1, 1, 0, 0, 0, 0);
    assert_row(f->nat.s, "month", "2026-09", 2, 2, 0, 0, 0, 1100);
}

static void test_counters_follow_status(void **state)
{
    fed *f = *state;
    char n1[NUMBER_MAX_LEN], n2[NUMBER_MAX_LEN];
    reg(&f->br, &ram, n1);   /* fee 1100 */
    reg(&f->br, &sita, n2);  /* fee 5000 */
    store *s = f->br.s;

    set_status(&f->br, n1, SADASYA__STATUS__INACTIVE, "moved away");
    assert_row(s, "total", "", 2, 1, 1, 0, 0, 6100);
    assert_row(s, "state", "BR", 2, 1, 1, 0, 0, 6100);
    assert_row(s, "status", "active", 1, 1, 0, 0, 0, 5000);
    assert_row(s, "status", "inactive", 1, 0, 1, 0, 0, 1100);
    assert_row(s, "gender", "female", 1, 0, 1, 0, 0, 1100);
    assert_row(s, "district", "BR/Patna", 2, 1, 1, 0, 0, 6100);
    Sadasya__MemberView *m = member(s, n1);
    assert_int_equal(m->status, SADASYA__STATUS__INACTIVE);
    assert_string_equal(m->status_reason, "moved away");
    assert_int_equal(m->last_seq, 3);
    assert_int_equal(m->seq, 1);
    sadasya__member_view__free_unpacked(m, NULL);

    set_status(&f->br, n2, SADASYA__STATUS__RESIGNED, "");
    set_status(&f->br, n1, SADASYA__STATUS__DECEASED, "");
    assert_row(s, "total", "", 2, 0, 0, 1, 1, 6100);
    assert_row(s, "status", "active", 0, 0, 0, 0, 0, 0);
    assert_row(s, "status", "inactive", 0, 0, 0, 0, 0, 0);
    assert_row(s, "status", "resigned", 1, 0, 0, 1, 0, 5000);
    assert_row(s, "status", "deceased", 1, 0, 0, 0, 1, 1100);
    /* Rows that fall to zero are gone, not left at zero. */
    listing l = dim_values(s, "status");
    assert_string_equal(l.text, "deceased,resigned");

    /* Brought back. */
    set_status(&f->br, n2, SADASYA__STATUS__ACTIVE, "rejoined the drive");
    assert_row(s, "total", "", 2, 1, 0, 0, 1, 6100);
    assert_row(s, "status", "active", 1, 1, 0, 0, 0, 5000);
    l = dim_values(s, "status");
    assert_string_equal(l.text, "active,deceased");

    /* Status entries do not change membership counts or numbering. */
    assert_int_equal(th_head(s, f->br.pk).joins, 2);
    assert_int_equal(th_count(s, s->members), 2);
}

static void test_update_moves_district(void **state)
{
    fed *f = *state;
    char n1[NUMBER_MAX_LEN], n2[NUMBER_MAX_LEN];
    reg(&f->br, &ram, n1);     /* Patna, urban, 1100 */
    reg(&f->br, &ramesh, n2);  /* Gaya, unspecified, 0 */
    store *s = f->br.s;
    update(&f->br, n1, "Gaya", SADASYA__AREA__RURAL, "teacher", NULL);

    assert_row(s, "district", "BR/Patna", 0, 0, 0, 0, 0, 0);
    assert_row(s, "district", "BR/Gaya", 2, 2, 0, 0, 0, 1100);
    listing l = dim_values(s, "district");
    assert_string_equal(l.text, "BR/Gaya"); /* the old row is removed */
    assert_row(s, "area", "urban", 0, 0, 0, 0, 0, 0);
    assert_row(s, "area", "rural", 1, 1, 0, 0, 0, 1100);
    assert_row(s, "total", "", 2, 2, 0, 0, 0, 1100);
    Sadasya__MemberView *m = member(s, n1);
    assert_string_equal(m->district, "Gaya");
    assert_string_equal(m->occupation, "teacher");
    assert_int_equal(m->area, SADASYA__AREA__RURAL);
    assert_int_equal(m->last_seq, 3);
    sadasya__member_view__free_unpacked(m, NULL);

    /* The district index moved with it. */
    const char *both[] = { n1, n2 };
    l = find(s, BY_DISTRICT, "BR", "Patna", NULL);
    assert_int_equal(l.n, 0);
    l = find(s, BY_DISTRICT, "BR", "gaya", NULL);
    assert_found(&l, both, 2);

    /* Moving back decrements the new row and restores the old one. */
    update(&f->br, n1, "Patna", 0, NULL, NULL);
    assert_row(s, "district", "BR/Gaya", 1, 1, 0, 0, 0, 0);
    assert_row(s, "district", "BR/Patna", 1, 1, 0, 0, 0, 1100);
    /* Unset fields are left as they were. */
    m = member(s, n1);
    assert_string_equal(m->occupation, "teacher");
    assert_int_equal(m->area, SADASYA__AREA__RURAL);
    sadasya__member_view__free_unpacked(m, NULL);
    l = find(s, BY_DISTRICT, "BR", "PATNA", NULL);
    assert_found(&l, both, 1);

    /* An update for the same district changes no counter. */
    update(&f->br, n1, "Patna", 0, NULL, NULL);
    assert_row(s, "district", "BR/Patna", 1, 1, 0, 0, 0, 1100);
    l = find(s, BY_DISTRICT, "BR", "Patna", NULL);
    assert_found(&l, both, 1);
}

static void test_update_personal_reindexes(void **state)
{
    fed *f = *state;
    char n1[NUMBER_MAX_LEN];
    reg(&f->br, &ram, n1);
    store *s = f->br.s;
    Sadasya__Personal p = SADASYA__PERSONAL__INIT;
    p.name = (char *)"श्याम";
    p.name_en = (char *)"Shyam Lal";
    p.phone = (char *)"+91 91111 22222";
    update(&f->br, n1, NULL, 0, NULL, &p);

    const char *one[] = { n1 };
    listing l = find(s, BY_PHONE, "9876543210", NULL, NULL);
    assert_int_equal(l.n, 0);
    l = find(s, BY_PHONE, "09111122222", NULL, NULL);
    assert_found(&l, one, 1);
    l = find(s, BY_NAME, "kumar", NULL, NULL);
    assert_int_equal(l.n, 0);
    l = find(s, BY_NAME, "राम", NULL, NULL);
    assert_int_equal(l.n, 0);
    l = find(s, BY_NAME, "shyam", NULL, NULL);
    assert_found(&l, one, 1);
    l = find(s, BY_NAME, "श्या", NULL, NULL);
    assert_found(&l, one, 1);

    MDB_txn *txn;
    Sadasya__MemberView *m = member(s, n1);
    assert_int_equal(m->personal_seq, 2);
    Sadasya__Personal *got = NULL;
    assert_int_equal(store_begin(s, 0, &txn, NULL), SD_OK);
    assert_int_equal(view_personal_get(s, txn, m, &got, NULL), SD_OK);
    assert_string_equal(got->name_en, "Shyam Lal");
    mdb_txn_abort(txn);
    sadasya__personal__free_unpacked(got, NULL);
    sadasya__member_view__free_unpacked(m, NULL);
    /* Counters do not move for a personal change. */
    assert_row(s, "total", "", 1, 1, 0, 0, 0, 1100);
}

/* --- indexes ------------------------------------------------------------- */

static void test_find_phone(void **state)
{
    fed *f = *state;
    char n1[NUMBER_MAX_LEN], n2[NUMBER_MAX_LEN], n3[NUMBER_MAX_LEN];
    reg(&f->br, &ram, n1);    /* +91 98765 43210 */
    reg(&f->br, &sita, n2);   /* 09123456789 */
    reg(&f->br, &ramesh, n3); /* 9988776655 */
    store *s = f->br.s;
    const char *one[] = { n1 };
    const char *forms[] = { "9876543210", "+91 98765 43210", "+919876543210",
                            "09876543210", "919876543210", "+91-98765-43210",
                            "098765 43210" };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        listing l = find(s, BY_PHONE, forms[i], NULL, NULL);
        assert_found(&l, one, 1);
    }
    const char *two[] = { n2 };
    listing l = find(s, BY_PHONE, "+91 91234 56789", NULL, NULL);
    assert_found(&l, two, 1);
    l = find(s, BY_PHONE, "9123456789", NULL, NULL);
    assert_found(&l, two, 1);
    /* A prefix of a number is not the number. */
    l = find(s, BY_PHONE, "98765432", NULL, NULL);
    assert_int_equal(l.n, 0);
    l = find(s, BY_PHONE, "9000000000", NULL, NULL);
    assert_int_equal(l.n, 0);
    int rc;
    l = find(s, BY_PHONE, "call me", NULL, &rc);
    assert_int_equal(rc, SD_EINVAL);

    /* Two members sharing a phone (a family) are both found. */
    who twin = ram;
    twin.name = "लक्ष्मण";
    twin.name_en = "Lakshman";
    twin.phone = "9876543210";
    char n4[NUMBER_MAX_LEN];
    reg(&f->br, &twin, n4);
    const char *family[] = { n1, n4 };
    l = find(s, BY_PHONE, "09876543210", NULL, NULL);
    assert_found(&l, family, 2);
}

static void test_find_name(void **state)
{
    fed *f = *state;
    char n1[NUMBER_MAX_LEN], n2[NUMBER_MAX_LEN], n3[NUMBER_MAX_LEN];
    reg(&f->br, &ram, n1);    /* राम कुमार / Ram Kumar */
    reg(&f->br, &sita, n2);   /* सीता देवी / Sita Devi */
    reg(&f->br, &ramesh, n3); /* रामेश्वर / Rameshwar Prasad */
    store *s = f->br.s;
    const char *r1[] = { n1 }, *r2[] = { n2 }, *r3[] = { n3 };
    const char *r13[] = { n1, n3 };

    /* Devanagari: whole words and prefixes of them. */
    listing l = find(s, BY_NAME, "राम", NULL, NULL);
    assert_found(&l, r13, 2); /* राम, and रामेश्वर starts with it */
    l = find(s, BY_NAME, "कुमार", NULL, NULL);
    assert_found(&l, r1, 1);
    l = find(s, BY_NAME, "कु", NULL, NULL);
    assert_found(&l, r1, 1);
    l = find(s, BY_NAME, "सीता देवी", NULL, NULL);
    assert_found(&l, r2, 1);
    l = find(s, BY_NAME, "रामेश", NULL, NULL);
    assert_found(&l, r3, 1);

    /* Latin: any case, prefixes, every token must match. */
    l = find(s, BY_NAME, "Ram", NULL, NULL);
    assert_found(&l, r13, 2);
    l = find(s, BY_NAME, "RAM KU", NULL, NULL);
    assert_found(&l, r1, 1);
    l = find(s, BY_NAME, "prasad ram", NULL, NULL);
    assert_found(&l, r3, 1);
    l = find(s, BY_NAME, "devi, s.", NULL, NULL);
    assert_found(&l, r2, 1);
    l = find(s, BY_NAME, "sita kumar", NULL, NULL);
    assert_int_equal(l.n, 0);
    /* Scripts mix: a Devanagari token and a Latin one. */
    l = find(s, BY_NAME, "राम kumar", NULL, NULL);
    assert_found(&l, r1, 1);
    l = find(s, BY_NAME, "zz", NULL, NULL);
    assert_int_equal(l.n, 0);
    /* Not a prefix of a word: the middle of one. */
    l = find(s, BY_NAME, "umar", NULL, NULL);
    assert_int_equal(l.n, 0);
    int rc;
    l = find(s, BY_NAME, " , ", NULL, &rc);
    assert_int_equal(rc, SD_EINVAL);
}

static void test_find_name_reports_each_member_once(void **state)
{
    fed *f = *state;
    /* Raj Ram has two tokens starting with "ra", with Rajesh's between
     * them in the index ("raj" < "rajesh" < "ram"). */
    who a = ram, b = sita;
    a.name = "Raj Ram";
    a.name_en = "";
    b.name = "Rajesh";
    b.name_en = "";
    char n1[NUMBER_MAX_LEN], n2[NUMBER_MAX_LEN];
    reg(&f->br, &a, n1);
    reg(&f->br, &b, n2);
    const char *both[] = { n1, n2 };
    listing l = find(f->br.s, BY_NAME, "ra", NULL, NULL);
    assert_found(&l, both, 2);
}

static void test_find_district(void **state)
{
    fed *f = *state;
    char n1[NUMBER_MAX_LEN], n2[NUMBER_MAX_LEN], n3[NUMBER_MAX_LEN];
    reg(&f->br, &ram, n1);    /* Patna */
    reg(&f->br, &sita, n2);   /* patna */
    reg(&f->br, &ramesh, n3); /* Gaya */
    store *s = f->br.s;
    const char *patna[] = { n1, n2 }, *gaya[] = { n3 };
    const char *spellings[] = { "Patna", "patna", "PATNA", "pAtNa" };
    for (size_t i = 0; i < 4; i++) {
        listing l = find(s, BY_DISTRICT, "BR", spellings[i], NULL);
        assert_found(&l, patna, 2);
    }
    listing l = find(s, BY_DISTRICT, "BR", "GAYA", NULL);
    assert_found(&l, gaya, 1);
    l = find(s, BY_DISTRICT, "BR", "Pat", NULL); /* exact, not a prefix */
    assert_int_equal(l.n, 0);
    l = find(s, BY_DISTRICT, "UP", "Patna", NULL);
    assert_int_equal(l.n, 0);

    /* UP's Patna (say) is another row on a node that holds both. */
    th_replicate(f->br.s, f->nat.s, f->br.pk);
    who up_patna = ram;
    up_patna.phone = "9555555555";
    char n4[NUMBER_MAX_LEN];
    reg(&f->up, &up_patna, n4);
    th_replicate(f->up.s, f->nat.s, f->up.pk);
    const char *up[] = { n4 };
    l = find(f->nat.s, BY_DISTRICT, "UP", "patna", NULL);
    assert_found(&l, up, 1);
    l = find(f->nat.s, BY_DISTRICT, "BR", "patna", NULL);
    assert_found(&l, patna, 2);
    assert_row(f->nat.s, "district", "UP/Patna", 1, 1, 0, 0, 0, 1100);
}

/* --- the member walk ------------------------------------------------------ */

typedef struct walk {
    char numbers[16][NUMBER_MAX_LEN];
    int n;
    int stop_at;
} walk;

static int walk_one(const Sadasya__MemberView *m, void *ctx)
{
    walk *w = ctx;
    if (w->n < 16)
        snprintf(w->numbers[w->n], NUMBER_MAX_LEN, "%s", m->number);
    w->n++;
    return w->stop_at && w->n == w->stop_at ? 99 : 0;
}

static walk members_of(store *s, const char *state, int stop_at, int *rc)
{
    walk w;
    memset(&w, 0, sizeof w);
    w.stop_at = stop_at;
    MDB_txn *txn;
    assert_int_equal(store_begin(s, 0, &txn, NULL), SD_OK);
    *rc = view_members_each(s, txn, state, walk_one, &w, NULL);
    mdb_txn_abort(txn);
    return w;
}

static void test_members_each_state_filter(void **state)
{
    fed *f = *state;
    char br[3][NUMBER_MAX_LEN], up[2][NUMBER_MAX_LEN];
    th_register(&f->br, 3, br);
    th_register(&f->up, 2, up);
    assert_int_equal(th_replicate(f->br.s, f->nat.s, f->br.pk).added, 3);
    assert_int_equal(th_replicate(f->up.s, f->nat.s, f->up.pk).added, 2);
    store *s = f->nat.s;
    int rc;

    walk w = members_of(s, NULL, 0, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(w.n, 5);
    /* In number order: BR's, then UP's. */
    for (int i = 0; i < 3; i++)
        assert_string_equal(w.numbers[i], br[i]);
    for (int i = 0; i < 2; i++)
        assert_string_equal(w.numbers[3 + i], up[i]);

    w = members_of(s, "BR", 0, &rc);
    assert_int_equal(w.n, 3);
    for (int i = 0; i < 3; i++)
        assert_string_equal(w.numbers[i], br[i]);
    w = members_of(s, "UP", 0, &rc);
    assert_int_equal(w.n, 2);
    assert_string_equal(w.numbers[0], up[0]);
    w = members_of(s, "B", 0, &rc);
    assert_int_equal(w.n, 0);
    w = members_of(s, "MH", 0, &rc);
    assert_int_equal(w.n, 0);
    w = members_of(s, "AA", 0, &rc); /* sorts before every state held */
    assert_int_equal(w.n, 0);
    w = members_of(s, "ZZ", 0, &rc);
    assert_int_equal(w.n, 0);

    /* fn's non-zero return stops the walk and is returned. */
    w = members_of(s, "BR", 2, &rc);
    assert_int_equal(rc, 99);
    assert_int_equal(w.n, 2);
    assert_row(s, "state", "BR", 3, 3, 0, 0, 0, 3 * MEMBER_DEFAULT_FEE);
    assert_row(s, "state", "UP", 2, 2, 0, 0, 0, 2 * MEMBER_DEFAULT_FEE);
    assert_row(s, "total", "", 5, 5, 0, 0, 0, 5 * MEMBER_DEFAULT_FEE);
}

/* A likely duplicate is found by name with birth year or guardian in one
 * lookup, the name's words compared without case or spacing. */
static void test_find_identity(void **state)
{
    fed *f = *state;
    member_input in;
    memset(&in, 0, sizeof in);
    in.name = "सीता  देवी";
    in.name_en = "Sita Devi";
    in.phone = "9431000001";
    in.gender = "female";
    in.district = "Gaya";
    in.guardian = "Ram Prasad";
    in.birth_year = "1990";
    in.joined = "2026-09-15";
    char n1[NUMBER_MAX_LEN];
    writer *w = th_writer(&f->br);
    entry_signed es;
    th_build(w, &in, &es, n1);
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(writer_commit(w, &es, 1, NULL, NULL, &err), SD_OK);
    entry_signed_clear(&es);
    writer_destroy(&w);
    store *s = f->br.s;
    store_txn *txn;
    assert_int_equal(store_begin(s, 0, &txn, &err), SD_OK);
    listing l;
    memset(&l, 0, sizeof l);
    assert_int_equal(view_find_identity(s, txn, "सीता देवी", 'b', "1990",
                                        list_number, &l, &err), SD_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.text, n1);
    memset(&l, 0, sizeof l);
    assert_int_equal(view_find_identity(s, txn, " सीता देवी ", 'g', "RAM  prasad",
                                        list_number, &l, &err), SD_OK);
    assert_int_equal(l.n, 1);
    memset(&l, 0, sizeof l);
    assert_int_equal(view_find_identity(s, txn, "सीता देवी", 'b', "1991",
                                        list_number, &l, &err), SD_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(view_find_identity(s, txn, "सीता", 'b', "1990",
                                        list_number, &l, &err), SD_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(view_find_identity(s, txn, "सीता देवी", 'g', "",
                                        list_number, &l, &err), SD_OK);
    assert_int_equal(l.n, 0);
    store_end(txn);
}

/* A view made by an older fold (no view_format) is folded again, once,
 * and then holds the keys and counters the current fold makes. */
static void test_view_format_upgrade(void **state)
{
    fed *f = *state;
    char n1[NUMBER_MAX_LEN];
    reg(&f->br, &sita, n1);
    store *s = f->br.s;
    sd_err err;
    store_txn *txn;
    assert_int_equal(store_begin(s, 1, &txn, &err), SD_OK);
    assert_int_equal(store_meta_del(s, txn, STORE_META_VIEW_FORMAT, &err), SD_OK);
    assert_int_equal(store_commit(s, txn, &err), SD_OK);
    assert_int_equal(retract_view_current(s, &err), SD_OK);
    assert_int_equal(store_begin(s, 0, &txn, &err), SD_OK);
    const void *v;
    size_t len;
    assert_int_equal(store_meta_get(s, txn, STORE_META_VIEW_FORMAT, &v, &len, &err), SD_OK);
    assert_int_equal(len, 1);
    assert_int_equal(*(const uint8_t *)v, RETRACT_VIEW_FORMAT);
    store_end(txn);
    assert_row(s, "state-gender", "BR/male", 1, 1, 0, 0, 0, 5000);
    assert_row(s, "total", "", 1, 1, 0, 0, 0, 5000);
    listing l;
    int rc;
    l = find(s, 0, sita.phone, NULL, &rc);
    assert_int_equal(l.n, 1);
    /* current already: nothing to do */
    assert_int_equal(retract_view_current(s, &err), SD_OK);
    assert_row(s, "total", "", 1, 1, 0, 0, 0, 5000);
}

static void test_member_get_missing(void **state)
{
    fed *f = *state;
    MDB_txn *txn;
    Sadasya__MemberView *m = (Sadasya__MemberView *)&m;
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(store_begin(f->br.s, 0, &txn, NULL), SD_OK);
    assert_int_equal(view_member_get(f->br.s, txn, "BR-0000001-5", &m, &err),
                     SD_ENOTFOUND);
    assert_null(m);
    assert_non_null(strstr(err.msg, "BR-0000001-5"));
    mdb_txn_abort(txn);
}

static void test_enum_names(void **state)
{
    (void)state;
    assert_string_equal(view_gender_name(SADASYA__GENDER__FEMALE), "female");
    assert_string_equal(view_gender_name(SADASYA__GENDER__OTHER), "other");
    assert_string_equal(view_gender_name(99), "unknown");
    assert_string_equal(view_gender_name(-1), "unknown");
    assert_string_equal(view_area_name(SADASYA__AREA__RURAL), "rural");
    assert_string_equal(view_status_name(SADASYA__STATUS__DECEASED), "deceased");
    assert_int_equal(view_gender_parse("FEMALE"), SADASYA__GENDER__FEMALE);
    assert_int_equal(view_gender_parse("Male"), SADASYA__GENDER__MALE);
    assert_int_equal(view_gender_parse("unspecified"), -1);
    assert_int_equal(view_gender_parse("f"), -1);
    assert_int_equal(view_gender_parse(NULL), -1);
    assert_int_equal(view_area_parse("urban"), SADASYA__AREA__URBAN);
    assert_int_equal(view_area_parse("town"), -1);
    assert_int_equal(view_status_parse("Inactive"), SADASYA__STATUS__INACTIVE);
    assert_int_equal(view_status_parse("resigned"), SADASYA__STATUS__RESIGNED);
    assert_int_equal(view_status_parse(""), -1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, th_fed_setup_up, th_fed_teardown)

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        T(test_counters_after_joins),
        T(test_counters_follow_status),
        T(test_update_moves_district),
        T(test_update_personal_reindexes),
        T(test_find_phone),
        T(test_find_name),
        T(test_find_name_reports_each_member_once),
        T(test_find_district),
        T(test_members_each_state_filter),
        T(test_member_get_missing),
        T(test_find_identity),
        T(test_view_format_upgrade),
        cmocka_unit_test(test_enum_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
