/*
 * test_verify.c — unit tests for node/verify.c, the auditor's re-check:
 * clean stores pass (a state node's own entries awaiting authorisation are
 * a warning, not a failure); a national node verifies after adding a
 * chapter and receiving its log; and tampering done straight through the
 * LMDB API — in the log, heads, counters, members, personal data — is
 * found and reported naming the entry or row. Equivocation evidence and
 * entries from keys no roster lists are failures too.
 */
#include "helpers.h"

#include "verify.h"
#include "view.h"

typedef th_fed fed;

/* --- running verify ------------------------------------------------------- */

typedef struct report {
    char fails[8192];
    char warns[2048];
    int nfails, nwarns;
} report;

static void on_report(int warning, const char *line, void *ctx)
{
    report *r = ctx;
    char *buf = warning ? r->warns : r->fails;
    size_t cap = warning ? sizeof r->warns : sizeof r->fails;
    size_t len = strlen(buf);
    if (len + 2 < cap)
        snprintf(buf + len, cap - len, "%s\n", line);
    if (warning)
        r->nwarns++;
    else
        r->nfails++;
}

static verify_result run_verify(fed *f, store *s, const char *state_only,
                                report *rep)
{
    memset(rep, 0, sizeof *rep);
    verify_opts o;
    memset(&o, 0, sizeof o);
    o.state = state_only;
    o.scratch_dir = f->root;
    o.threads = 2;
    o.report = on_report;
    o.ctx = rep;
    verify_result r;
    sd_err err;
    sd_err_clear(&err);
    int rc = verify_run(s, &o, &r, &err);
    if (rc)
        fail_msg("verify_run: %s", err.msg);
    /* Every finding was reported, and counted once. */
    assert_int_equal(r.failures, (uint64_t)rep->nfails);
    assert_int_equal(r.warnings, (uint64_t)rep->nwarns);
    return r;
}

/* verify on s reports at least one failure (the lines in rep). */
static void verify_fails(fed *f, store *s, report *rep)
{
    verify_result r = run_verify(f, s, NULL, rep);
    assert_true(r.failures > 0);
}

/* Fails unless some failure line holds every one of the needles. */
static void assert_failure_line(const report *rep, const char *a,
                                const char *b)
{
    const char *line = rep->fails;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[1100];
        snprintf(buf, sizeof buf, "%.*s", (int)len, line);
        if (strstr(buf, a) && (!b || strstr(buf, b)))
            return;
        line += len + (end ? 1 : 0);
    }
    fail_msg("no failure line says \"%s\"%s%s%s; the failures:\n%s", a,
             b ? " and \"" : "", b ? b : "", b ? "\"" : "", rep->fails);
}

static void assert_clean(const verify_result *r, const report *rep)
{
    if (r->failures)
        fail_msg("%llu failures:\n%s", (unsigned long long)r->failures,
                 rep->fails);
}

/* --- tampering through LMDB ------------------------------------------------ */

typedef void (*mutate_fn)(uint8_t *val, size_t *len, void *ctx);

/* Rewrites the value under key in dbi (nothing else changes). */
static void tamper(store *s, MDB_dbi dbi, const void *key, size_t klen,
                   mutate_fn fn, void *ctx)
{
    MDB_txn *txn;
    assert_int_equal(store_begin(s, 1, &txn, NULL), SD_OK);
    MDB_val k = { klen, (void *)key }, v;
    assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
    size_t len = v.mv_size;
    uint8_t *copy = malloc(len + 4096);
    assert_non_null(copy);
    memcpy(copy, v.mv_data, len);
    fn(copy, &len, ctx);
    MDB_val nv = { len, copy };
    assert_int_equal(mdb_put(txn, dbi, &k, &nv, 0), 0);
    assert_int_equal(store_commit(s, txn, NULL), SD_OK);
    free(copy);
}

static void flip_at(uint8_t *val, size_t *len, void *ctx)
{
    size_t at = *(size_t *)ctx;
    assert_true(at < *len);
    val[at] ^= 0x01;
}

static void log_key(uint8_t key[STORE_LOGKEY_BYTES], const th_node *n,
                    uint64_t seq)
{
    store_logkey(key, n->pk, seq);
}

/* --- clean stores ---------------------------------------------------------- */

static void test_clean_state_store(void **state)
{
    fed *f = *state;
    char numbers[3][NUMBER_MAX_LEN];
    th_register(&f->br, 3, numbers);
    Sadasya__MemberStatus st = SADASYA__MEMBER_STATUS__INIT;
    st.number = numbers[1];
    st.status = SADASYA__STATUS__INACTIVE;
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_STATUS;
    e.status = &st;
    th_commit_body(&f->br, &e, NULL, 0);

    report rep;
    verify_result r = run_verify(f, f->br.s, NULL, &rep);
    assert_clean(&r, &rep);
    assert_int_equal(r.entries, 4);
    assert_int_equal(r.signatures, 4);
    assert_int_equal(r.origins, 1);
    assert_int_equal(r.members, 3);
    assert_int_equal(r.personal_checked, 3);
    assert_int_equal(r.personal_missing, 0);
    /* BR's roster entry has not reached BR: a warning only. */
    assert_int_equal(r.warnings, 1);
    assert_non_null(strstr(rep.warns, "await"));
    assert_non_null(strstr(rep.warns, "BR"));

    /* Once it holds the national log that lists it, no warning either. */
    th_replicate(f->nat.s, f->br.s, f->nat.pk);
    r = run_verify(f, f->br.s, NULL, &rep);
    assert_clean(&r, &rep);
    assert_int_equal(r.warnings, 0);
    assert_int_equal(r.origins, 2);
}

static void test_empty_store(void **state)
{
    fed *f = *state;
    report rep;
    verify_result r = run_verify(f, f->up.s, NULL, &rep);
    assert_clean(&r, &rep);
    assert_int_equal(r.entries, 0);
    assert_int_equal(r.warnings, 0);
}

static void test_national_after_roster_add(void **state)
{
    fed *f = *state;
    th_register(&f->br, 3, NULL);
    assert_int_equal(th_replicate(f->br.s, f->nat.s, f->br.pk).added, 3);
    report rep;
    verify_result r = run_verify(f, f->nat.s, NULL, &rep);
    assert_clean(&r, &rep);
    assert_int_equal(r.warnings, 0);
    assert_int_equal(r.origins, 2);
    assert_int_equal(r.entries, 2 + 3); /* opening entry, BR chapter; BR's 3 */
    assert_int_equal(r.members, 3);

    /* BR revoked later: what it wrote before is a warning, not a failure. */
    th_roster_revoke(&f->nat, "BR");
    r = run_verify(f, f->nat.s, NULL, &rep);
    assert_clean(&r, &rep);
    assert_int_equal(r.warnings, 1);
    assert_non_null(strstr(rep.warns, "revoked"));

    /* Only one state's origins. */
    r = run_verify(f, f->nat.s, "BR", &rep);
    assert_clean(&r, &rep);
    assert_int_equal(r.origins, 1);
    assert_int_equal(r.entries, 3);
}

static void test_readonly_copy(void **state)
{
    fed *f = *state;
    th_register(&f->br, 2, NULL);
    th_replicate(f->br.s, f->nat.s, f->br.pk);
    th_node_close(&f->nat);
    store *ro = NULL;
    assert_int_equal(store_open(&ro, f->nat.dir, STORE_RDONLY, NULL), SD_OK);
    report rep;
    verify_result r = run_verify(f, ro, NULL, &rep);
    assert_clean(&r, &rep);
    assert_int_equal(r.entries, 4);
    store_destroy(&ro);
    th_node_open(&f->nat);
}

/* --- tampering ------------------------------------------------------------- */

static void test_tampered_log_signature(void **state)
{
    fed *f = *state;
    th_register(&f->br, 3, NULL);
    uint8_t key[STORE_LOGKEY_BYTES];
    log_key(key, &f->br, 2);
    size_t at = 5; /* inside the signature */
    tamper(f->br.s, f->br.s->log, key, sizeof key, flip_at, &at);
    report rep;
    verify_fails(f, f->br.s, &rep);
    assert_failure_line(&rep, "seq 2", "bad signature");
    /* The chain hash of seq 2 changed: seq 3 no longer links to it. */
    assert_failure_line(&rep, "seq 3", "broken chain");
}

static void test_tampered_log_entry_bytes(void **state)
{
    fed *f = *state;
    th_register(&f->br, 3, NULL);
    uint8_t key[STORE_LOGKEY_BYTES];
    log_key(key, &f->br, 2);
    /* The last byte of the entry: the joined day, still decodable. */
    MDB_txn *txn;
    const uint8_t *sig, *bytes;
    size_t len;
    assert_int_equal(store_begin(f->br.s, 0, &txn, NULL), SD_OK);
    assert_int_equal(store_log_get(f->br.s, txn, f->br.pk, 2, &sig, &bytes,
                                   &len, NULL),
                     SD_OK);
    mdb_txn_abort(txn);
    size_t at = ENTRY_SIG_BYTES + len - 1;
    tamper(f->br.s, f->br.s->log, key, sizeof key, flip_at, &at);
    report rep;
    verify_fails(f, f->br.s, &rep);
    assert_failure_line(&rep, "seq 2", "bad signature");
}

static void test_tampered_log_undecodable(void **state)
{
    fed *f = *state;
    th_register(&f->br, 3, NULL);
    uint8_t key[STORE_LOGKEY_BYTES];
    log_key(key, &f->br, 2);
    size_t at = ENTRY_SIG_BYTES; /* the first tag of the entry */
    tamper(f->br.s, f->br.s->log, key, sizeof key, flip_at, &at);
    report rep;
    verify_fails(f, f->br.s, &rep);
    assert_failure_line(&rep, "seq 2", NULL);
}

static void test_tampered_head(void **state)
{
    fed *f = *state;
    th_register(&f->br, 3, NULL);
    MDB_txn *txn;
    store_head h;
    assert_int_equal(store_begin(f->br.s, 1, &txn, NULL), SD_OK);
    assert_int_equal(store_head_get(f->br.s, txn, f->br.pk, &h, NULL), SD_OK);
    h.seq = 2; /* the log holds 3 */
    assert_int_equal(store_head_put(f->br.s, txn, f->br.pk, &h, NULL), SD_OK);
    assert_int_equal(store_commit(f->br.s, txn, NULL), SD_OK);
    report rep;
    verify_fails(f, f->br.s, &rep);
    assert_failure_line(&rep, "head", "seq 3");
}

static void bump_members(uint8_t *val, size_t *len, void *ctx)
{
    (void)ctx;
    assert_int_equal(*len, sizeof(counter_row));
    counter_row row;
    memcpy(&row, val, sizeof row);
    row.members++;
    row.fee_paise += 1100;
    memcpy(val, &row, sizeof row);
}

static void test_tampered_counters(void **state)
{
    fed *f = *state;
    th_register(&f->br, 3, NULL);
    const char key[] = "total"; /* "total" ‖ 0 ‖ "" */
    tamper(f->br.s, f->br.s->counters, key, sizeof key, bump_members, NULL);
    report rep;
    verify_fails(f, f->br.s, &rep);
    assert_failure_line(&rep, "counters", "total");

    /* A counter row the log never made. */
    MDB_txn *txn;
    assert_int_equal(store_begin(f->br.s, 1, &txn, NULL), SD_OK);
    counter_row row = { 1, 1, 0, 0, 0, 1100 };
    MDB_val k = { sizeof "district\0BR/Nowhere" - 1, (void *)"district\0BR/Nowhere" };
    MDB_val v = { sizeof row, &row };
    assert_int_equal(mdb_put(txn, f->br.s->counters, &k, &v, 0), 0);
    assert_int_equal(store_commit(f->br.s, txn, NULL), SD_OK);
    verify_fails(f, f->br.s, &rep);
    assert_failure_line(&rep, "counters", "Nowhere");
}

typedef struct fee_ctx {
    uint64_t fee;
} fee_ctx;

static void change_fee(uint8_t *val, size_t *len, void *ctx)
{
    Sadasya__MemberView *m = sadasya__member_view__unpack(NULL, *len, val);
    assert_non_null(m);
    m->fee_paise = ((fee_ctx *)ctx)->fee;
    size_t n = sadasya__member_view__get_packed_size(m);
    assert_true(n <= *len + 4096);
    *len = sadasya__member_view__pack(m, val);
    sadasya__member_view__free_unpacked(m, NULL);
}

static void test_tampered_member(void **state)
{
    fed *f = *state;
    char numbers[3][NUMBER_MAX_LEN];
    th_register(&f->br, 3, numbers);
    fee_ctx c = { 999999 };
    tamper(f->br.s, f->br.s->members, numbers[1], strlen(numbers[1]),
           change_fee, &c);
    report rep;
    verify_fails(f, f->br.s, &rep);
    assert_failure_line(&rep, "members", numbers[1]);

    /* A member deleted from the view. */
    MDB_txn *txn;
    assert_int_equal(store_begin(f->br.s, 1, &txn, NULL), SD_OK);
    MDB_val k = { strlen(numbers[2]), numbers[2] };
    assert_int_equal(mdb_del(txn, f->br.s->members, &k, NULL), 0);
    assert_int_equal(store_commit(f->br.s, txn, NULL), SD_OK);
    verify_fails(f, f->br.s, &rep);
    assert_failure_line(&rep, "members", numbers[2]);
    assert_failure_line(&rep, "missing", numbers[2]);
}

typedef struct blob_ctx {
    uint8_t *blob;
    size_t len;
} blob_ctx;

static void replace_blob(uint8_t *val, size_t *len, void *ctx)
{
    blob_ctx *b = ctx;
    assert_true(b->len <= *len + 4096);
    memcpy(val, b->blob, b->len);
    *len = b->len;
}

static void test_tampered_personal(void **state)
{
    fed *f = *state;
    th_register(&f->br, 3, NULL);
    Sadasya__Personal p = SADASYA__PERSONAL__INIT;
    p.name = (char *)"Someone Else";
    p.phone = (char *)"9000000002";
    blob_ctx b;
    uint8_t h[ENTRY_HASH_BYTES];
    assert_int_equal(entry_personal_seal(&p, &b.blob, &b.len, h, NULL), SD_OK);
    uint8_t key[STORE_LOGKEY_BYTES];
    log_key(key, &f->br, 2);
    tamper(f->br.s, f->br.s->personal, key, sizeof key, replace_blob, &b);
    free(b.blob);
    report rep;
    verify_fails(f, f->br.s, &rep);
    assert_failure_line(&rep, "seq 2", "personal data does not match");
}

static void test_equivocation_evidence_is_a_failure(void **state)
{
    fed *f = *state;
    th_register(&f->br, 2, NULL);
    assert_int_equal(th_replicate(f->br.s, f->nat.s, f->br.pk).added, 2);
    /* BR's key signs a second seq 2. */
    writer *w = th_writer(&f->br);
    w->head.seq = 1;
    w->head.joins = 1;
    MDB_txn *txn;
    const uint8_t *sig, *bytes;
    size_t len;
    assert_int_equal(store_begin(f->br.s, 0, &txn, NULL), SD_OK);
    assert_int_equal(store_log_get(f->br.s, txn, f->br.pk, 1, &sig, &bytes,
                                   &len, NULL),
                     SD_OK);
    entry_hash(bytes, len, sig, w->head.hash);
    mdb_txn_abort(txn);
    th_member_buf buf;
    member_input in = th_member(&buf, 500);
    entry_signed alt;
    th_build(w, &in, &alt, NULL);
    writer_destroy(&w);
    apply_result ar = th_apply(f->nat.s, &alt, 1, 0, NULL);
    assert_int_equal(ar.evidence, 1);
    entry_signed_clear(&alt);

    report rep;
    verify_fails(f, f->nat.s, &rep);
    assert_failure_line(&rep, "equivocation", "seq 2");
    assert_failure_line(&rep, "BR", "seq 2");
}

static void test_unlisted_key_is_a_failure(void **state)
{
    fed *f = *state;
    /* UP's entries planted in the national store, past apply's checks. */
    size_t n;
    entry_signed *items = th_register_log(&f->up, 2, &n);
    store_head h = th_head(f->up.s, f->up.pk);
    MDB_txn *txn;
    assert_int_equal(store_begin(f->nat.s, 1, &txn, NULL), SD_OK);
    for (size_t i = 0; i < n; i++) {
        uint8_t key[STORE_LOGKEY_BYTES];
        store_logkey(key, f->up.pk, i + 1);
        uint8_t *val = malloc(ENTRY_SIG_BYTES + items[i].entry_len);
        assert_non_null(val);
        memcpy(val, items[i].sig, ENTRY_SIG_BYTES);
        memcpy(val + ENTRY_SIG_BYTES, items[i].entry, items[i].entry_len);
        MDB_val k = { sizeof key, key },
                v = { ENTRY_SIG_BYTES + items[i].entry_len, val };
        assert_int_equal(mdb_put(txn, f->nat.s->log, &k, &v, 0), 0);
        free(val);
    }
    assert_int_equal(store_head_put(f->nat.s, txn, f->up.pk, &h, NULL), SD_OK);
    assert_int_equal(store_commit(f->nat.s, txn, NULL), SD_OK);
    th_free_items(items, n);

    report rep;
    verify_fails(f, f->nat.s, &rep);
    assert_failure_line(&rep, "not in the roster", NULL);
    /* The signatures themselves are good. */
    assert_null(strstr(rep.fails, "bad signature"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, th_fed_setup, th_fed_teardown)

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        T(test_clean_state_store),
        T(test_empty_store),
        T(test_national_after_roster_add),
        T(test_readonly_copy),
        T(test_tampered_log_signature),
        T(test_tampered_log_entry_bytes),
        T(test_tampered_log_undecodable),
        T(test_tampered_head),
        T(test_tampered_counters),
        T(test_tampered_member),
        T(test_tampered_personal),
        T(test_equivocation_evidence_is_a_failure),
        T(test_unlisted_key_is_a_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
