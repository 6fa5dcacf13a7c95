/*
 * test_bundle.c — unit tests for node/bundle.c: bundles carry every
 * origin's log between nodes (national → state and back, with batches
 * larger than one transaction), apply twice without change, filter by
 * state, and refuse damaged files (truncated, altered, oversized frames,
 * a missing end, count or digest wrong) without touching the store. A
 * bundle with a valid digest over a tampered entry reaches the per-entry
 * checks of apply_batch, and entries of keys outside the roster are
 * rejected. Each test builds its nodes in its own mkdtemp directory.
 */
#include "helpers.h" /* first: it sets _GNU_SOURCE */

#include "bundle.h"
#include "view.h"
#include "store_db.h"

/* --- fixture: a temporary directory holding nodes and files --------------- */

typedef struct fixture {
    char dir[TH_PATH_MAX];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    th_tmpdir(f->dir, "test_bundle");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    th_rmrf(f->dir);
    free(f);
    return 0;
}

#define PATH_BYTES (TH_PATH_MAX + 64)

static void path_of(const fixture *f, const char *name, char out[PATH_BYTES])
{
    snprintf(out, PATH_BYTES, "%s/%s", f->dir, name);
}

/* --- nodes ------------------------------------------------------------------ */

typedef th_node node;

/* A new node in f: national when trust is NULL, else a state trusting it. */
static void node_new(const fixture *f, const char *name, const char *state,
                     const uint8_t *trust, node *n)
{
    if (trust)
        th_node_state(n, f->dir, name, state, trust);
    else
        th_node_national(n, f->dir, name);
}

static uint64_t total_members(node *n)
{
    MDB_txn *txn;
    assert_int_equal(store_begin(n->s, 0, &txn, NULL), SD_OK);
    counter_row row;
    assert_int_equal(view_counter_get(n->s, txn, "total", "", &row, NULL),
                     SD_OK);
    mdb_txn_abort(txn);
    return row.members;
}

/* BLAKE2b over every record of the tables a bundle may change: equal
 * digests mean the store is unchanged. */
static void store_digest(node *n, uint8_t out[32])
{
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, 32);
    MDB_txn *txn;
    assert_int_equal(store_begin(n->s, 0, &txn, NULL), SD_OK);
    MDB_dbi dbs[] = { n->s->log, n->s->personal, n->s->heads, n->s->members,
                      n->s->idx_phone, n->s->idx_name, n->s->idx_dist,
                      n->s->counters, n->s->roster, n->s->evidence };
    for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++) {
        MDB_cursor *c;
        assert_int_equal(mdb_cursor_open(txn, dbs[i], &c), 0);
        MDB_val k, v;
        while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
            crypto_generichash_update(&h, k.mv_data, k.mv_size);
            crypto_generichash_update(&h, v.mv_data, v.mv_size);
        }
        mdb_cursor_close(c);
        crypto_generichash_update(&h, (const uint8_t *)"|", 1);
    }
    mdb_txn_abort(txn);
    crypto_generichash_final(&h, out, 32);
}

/* Every head of a is held by b with the same seq and hash, and back. */
static void assert_heads_equal(node *a, node *b)
{
    node *pair[2][2] = { { a, b }, { b, a } };
    for (int p = 0; p < 2; p++) {
        node *x = pair[p][0], *y = pair[p][1];
        MDB_txn *tx, *ty;
        assert_int_equal(store_begin(x->s, 0, &tx, NULL), SD_OK);
        assert_int_equal(store_begin(y->s, 0, &ty, NULL), SD_OK);
        MDB_cursor *c;
        assert_int_equal(mdb_cursor_open(tx, x->s->heads, &c), 0);
        MDB_val k, v;
        int n = 0;
        while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
            store_head hx, hy;
            assert_int_equal(store_head_get(x->s, tx, k.mv_data, &hx, NULL), 0);
            assert_int_equal(store_head_get(y->s, ty, k.mv_data, &hy, NULL), 0);
            assert_int_equal(hx.seq, hy.seq);
            assert_memory_equal(hx.hash, hy.hash, 32);
            assert_int_equal(hx.joins, hy.joins);
            n++;
        }
        assert_true(n > 0);
        mdb_cursor_close(c);
        mdb_txn_abort(tx);
        mdb_txn_abort(ty);
    }
}

/* --- bundles ---------------------------------------------------------------- */

static void create(node *n, const char *path, const char *const *states,
                   size_t nstates, bundle_stats *st)
{
    sd_err err;
    sd_err_clear(&err);
    audience all;
    audience_all(&all);
    if (bundle_create(n->s, path, states, nstates, &all, st, &err))
        fail_msg("bundle_create: %s", err.msg);
}

/* A bundle of every origin for the recipient of state code (IN: all). */
static void create_for(node *n, const char *path, const char *code,
                       bundle_stats *st)
{
    sd_err err;
    sd_err_clear(&err);
    audience aud;
    if (audience_for_state(&aud, code, &err) ||
        bundle_create(n->s, path, NULL, 0, &aud, st, &err))
        fail_msg("bundle_create for %s: %s", code, err.msg);
}

typedef struct rejects {
    size_t n, personal_only;
    char first_state[24];
    char first_why[256];
    uint64_t first_seq;
} rejects;

static void on_reject(const bundle_reject *r, void *ctx)
{
    rejects *rj = ctx;
    if (r->personal_only) {
        rj->personal_only++;
        return;
    }
    if (!rj->n++) {
        snprintf(rj->first_state, sizeof rj->first_state, "%s", r->state);
        snprintf(rj->first_why, sizeof rj->first_why, "%s", r->why);
        rj->first_seq = r->seq;
    }
}

/* Applies the bundle at path to n; returns the status, fills st, rj, err. */
static int apply_file(node *n, const char *path, bundle_stats *st,
                      rejects *rj, sd_err *err)
{
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    if (rj)
        memset(rj, 0, sizeof *rj);
    sd_err_clear(err);
    int rc = bundle_read_apply(n->s, in, st, rj ? on_reject : NULL, rj, err);
    fclose(in);
    return rc;
}

static void apply_ok(node *n, const char *path, bundle_stats *st, rejects *rj)
{
    sd_err err;
    if (apply_file(n, path, st, rj, &err))
        fail_msg("bundle_read_apply %s: %s", path, err.msg);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void spit(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* The carried frames of a bundle, decoded (the test's own reader). */
typedef struct frames {
    Sadasya__BundleFrame **f;
    size_t n;
    size_t end_off;  /* where the end frame starts */
} frames;

static void frames_read(const char *path, frames *fr)
{
    size_t len;
    uint8_t *b = slurp(path, &len);
    assert_true(len >= BUNDLE_MAGIC_LEN);
    assert_memory_equal(b, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN);
    fr->f = NULL;
    fr->n = 0;
    size_t off = BUNDLE_MAGIC_LEN;
    while (off + 4 <= len) {
        uint32_t n = (uint32_t)b[off] << 24 | (uint32_t)b[off + 1] << 16 |
                     (uint32_t)b[off + 2] << 8 | b[off + 3];
        assert_true(off + 4 + n <= len);
        Sadasya__BundleFrame *f =
            sadasya__bundle_frame__unpack(NULL, n, b + off + 4);
        assert_non_null(f);
        if (f->frame_case == SADASYA__BUNDLE_FRAME__FRAME_END) {
            fr->end_off = off;
            sadasya__bundle_frame__free_unpacked(f, NULL);
            break;
        }
        fr->f = realloc(fr->f, (fr->n + 1) * sizeof *fr->f);
        fr->f[fr->n++] = f;
        off += 4 + n;
    }
    free(b);
}

static void frames_free(frames *fr)
{
    for (size_t i = 0; i < fr->n; i++)
        sadasya__bundle_frame__free_unpacked(fr->f[i], NULL);
    free(fr->f);
}

static void put_frame(FILE *out, crypto_generichash_state *h,
                      const Sadasya__BundleFrame *f)
{
    size_t n = sadasya__bundle_frame__get_packed_size(f);
    uint8_t *b = malloc(n + 4);
    b[0] = (uint8_t)(n >> 24);
    b[1] = (uint8_t)(n >> 16);
    b[2] = (uint8_t)(n >> 8);
    b[3] = (uint8_t)n;
    sadasya__bundle_frame__pack(f, b + 4);
    assert_int_equal(fwrite(b, 1, n + 4, out), n + 4);
    if (h)
        crypto_generichash_update(h, b, n + 4);
    free(b);
}

/* Writes frames in the order of idx (all when idx is NULL) with a valid
 * end frame, count + count_skew and a digest valid unless bad_digest. */
static void frames_write(const char *path, const frames *fr, const size_t *idx,
                         size_t n, int count_skew, int bad_digest)
{
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, 32);
    fwrite(BUNDLE_MAGIC, 1, BUNDLE_MAGIC_LEN, out);
    crypto_generichash_update(&h, (const uint8_t *)BUNDLE_MAGIC,
                              BUNDLE_MAGIC_LEN);
    for (size_t i = 0; i < n; i++)
        put_frame(out, &h, fr->f[idx ? idx[i] : i]);
    uint8_t digest[32];
    crypto_generichash_final(&h, digest, 32);
    if (bad_digest)
        digest[7] ^= 1;
    Sadasya__BundleEnd end = SADASYA__BUNDLE_END__INIT;
    end.count = n + (uint64_t)(int64_t)count_skew;
    end.digest.data = digest;
    end.digest.len = 32;
    Sadasya__BundleFrame f = SADASYA__BUNDLE_FRAME__INIT;
    f.frame_case = SADASYA__BUNDLE_FRAME__FRAME_END;
    f.end = &end;
    put_frame(out, NULL, &f);
    fclose(out);
}

/* A federation: national with BR in its roster, BR with members, and
 * BR's entries carried to the national node. */
typedef struct fed {
    node nat, br;
} fed;

static void fed_new(const fixture *f, fed *x, int members)
{
    node_new(f, "nat", NULL, NULL, &x->nat);
    node_new(f, "br", "BR", x->nat.pk, &x->br);
    th_roster_add(&x->nat, "BR", x->br.pk);
    th_register(&x->br, members, NULL);
    char p[PATH_BYTES];
    path_of(f, "br-to-nat.bundle", p);
    create(&x->br, p, NULL, 0, NULL);
    apply_ok(&x->nat, p, NULL, NULL);
}

/* fed_new with 3 BR members, and a JH node of 4 members whose entries
 * reach the national node by bundle too (7 members there). */
static void fed_with_jh(const fixture *f, fed *x, node *jh)
{
    fed_new(f, x, 3);
    node_new(f, "jh", "JH", x->nat.pk, jh);
    th_roster_add(&x->nat, "JH", jh->pk);
    th_register(jh, 4, NULL);
    char p[PATH_BYTES];
    path_of(f, "jh.bundle", p);
    create(jh, p, NULL, 0, NULL);
    apply_ok(&x->nat, p, NULL, NULL);
    assert_int_equal(total_members(&x->nat), 7);
}

static void fed_close(fed *x)
{
    th_node_close(&x->nat);
    th_node_close(&x->br);
}

/* --- tests -------------------------------------------------------------------- */

/* national → file → BR and BR → file → national; the heads and totals
 * agree; a second apply adds nothing. 5200 members span two batches. */
static void test_roundtrip(void **state)
{
    fixture *f = *state;
    node nat, br;
    node_new(f, "nat", NULL, NULL, &nat);
    node_new(f, "br", "BR", nat.pk, &br);
    th_roster_add(&nat, "BR", br.pk);
    th_register(&br, 5200, NULL);

    char p1[PATH_BYTES], p2[PATH_BYTES];
    path_of(f, "br.bundle", p1);
    path_of(f, "nat.bundle", p2);
    bundle_stats st;
    create(&br, p1, NULL, 0, &st);
    assert_int_equal(st.entries, 5200);
    assert_int_equal(st.personal, 5200);
    assert_int_equal(st.origins, 1);
    struct stat sb;
    assert_int_equal(stat(p1, &sb), 0);
    assert_int_equal((uint64_t)sb.st_size, st.bytes);
    assert_int_equal(sb.st_mode & 077, 0); /* personal data: owner only */

    rejects rj;
    apply_ok(&nat, p1, &st, &rj);
    assert_int_equal(st.entries, 5200);
    assert_int_equal(st.applied.added, 5200);
    assert_int_equal(st.applied.rejected, 0);
    assert_int_equal(st.applied.personal_dropped, 0);
    assert_int_equal(rj.n, 0);
    assert_int_equal(total_members(&nat), 5200);

    /* The national node's personal data arrived with the entries. */
    MDB_txn *txn;
    Sadasya__MemberView *m;
    Sadasya__Personal *pd;
    char number[NUMBER_MAX_LEN];
    assert_int_equal(number_format(number, "BR", 5200, NULL), SD_OK);
    assert_int_equal(store_begin(nat.s, 0, &txn, NULL), SD_OK);
    assert_int_equal(view_member_get(nat.s, txn, number, &m, NULL), SD_OK);
    assert_int_equal(view_personal_get(nat.s, txn, m, &pd, NULL), SD_OK);
    assert_string_equal(pd->name, "सदस्य");
    assert_non_null(strstr(pd->name_en, "Member Number"));
    sadasya__personal__free_unpacked(pd, NULL);
    sadasya__member_view__free_unpacked(m, NULL);
    mdb_txn_abort(txn);

    create(&nat, p2, NULL, 0, &st);
    assert_int_equal(st.entries, 5200 + 2); /* the office, the roster */
    assert_int_equal(st.origins, 2);
    apply_ok(&br, p2, &st, &rj);
    assert_int_equal(st.applied.added, 2);
    assert_int_equal(st.applied.duplicate, 5200);
    assert_int_equal(st.applied.rejected, 0);
    assert_heads_equal(&nat, &br);
    assert_int_equal(total_members(&br), total_members(&nat));

    /* Twice changes nothing. */
    uint8_t before[32], after[32];
    store_digest(&br, before);
    apply_ok(&br, p2, &st, &rj);
    assert_int_equal(st.applied.added, 0);
    assert_int_equal(st.applied.duplicate, 5202);
    store_digest(&br, after);
    assert_memory_equal(before, after, 32);
    store_digest(&nat, before);
    apply_ok(&nat, p1, &st, NULL);
    assert_int_equal(st.applied.added, 0);
    store_digest(&nat, after);
    assert_memory_equal(before, after, 32);

    th_node_close(&nat);
    th_node_close(&br);
}

/* --state keeps the national origin and the named states only. */
static void test_state_filter(void **state)
{
    fixture *f = *state;
    fed x;
    node jh;
    fed_with_jh(f, &x, &jh);
    char p[PATH_BYTES];

    /* National → a new UP node, only Bihar's log. */
    node up;
    node_new(f, "up", "UP", x.nat.pk, &up);
    const char *br_only[] = { "BR" };
    bundle_stats st;
    path_of(f, "br-only.bundle", p);
    create(&x.nat, p, br_only, 1, &st);
    assert_int_equal(st.origins, 2);
    assert_int_equal(st.entries, 3 + 3); /* office, BR, JH rosters + 3 */
    apply_ok(&up, p, &st, NULL);
    assert_int_equal(st.applied.added, 6);
    assert_int_equal(total_members(&up), 3);

    /* Unknown or malformed state codes write nothing. */
    sd_err err;
    audience all;
    audience_all(&all);
    path_of(f, "none.bundle", p);
    const char *bad[] = { "Bihar" };
    assert_int_equal(bundle_create(x.nat.s, p, bad, 1, &all, NULL, &err), SD_EINVAL);
    const char *absent[] = { "MP" };
    assert_int_equal(bundle_create(x.nat.s, p, absent, 1, &all, NULL,
                                   &err),
                     SD_ENOTFOUND);
    assert_non_null(strstr(err.msg, "MP"));
    struct stat sb;
    assert_int_equal(stat(p, &sb), -1);
    /* and no temporary file is left behind */
    char cmd[PATH_BYTES + 64];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q 'none.bundle'", f->dir);
    assert_int_not_equal(system(cmd), 0);

    th_node_close(&jh);
    th_node_close(&up);
    fed_close(&x);
}

/* A bundle cut anywhere, or with a byte changed anywhere, is refused and
 * changes nothing. */
/* A bundle carries a member's personal data only to the national office
 * and to the member's own chapter; entries go to everyone. */
static void test_audience(void **state)
{
    fixture *f = *state;
    fed x;
    node jh;
    fed_with_jh(f, &x, &jh);
    char p[PATH_BYTES];
    bundle_stats all, br, jhs, wb;
    path_of(f, "for.bundle", p);
    create_for(&x.nat, p, "IN", &all);
    create_for(&x.nat, p, "BR", &br);
    create_for(&x.nat, p, "JH", &jhs);
    create_for(&x.nat, p, "WB", &wb);
    assert_int_equal(all.personal, 7);
    assert_int_equal(br.personal, 3);
    assert_int_equal(jhs.personal, 4);
    assert_int_equal(wb.personal, 0);
    assert_int_equal(br.entries, all.entries);
    assert_int_equal(wb.entries, all.entries);

    /* JH applies the national bundle for JH: every member, no BR blob. */
    create_for(&x.nat, p, "JH", &jhs);
    bundle_stats got;
    apply_ok(&jh, p, &got, NULL);
    assert_int_equal(total_members(&jh), 7);
    assert_int_equal(got.personal, 4);

    sd_err err;
    audience aud;
    assert_int_equal(audience_for_state(&aud, "Bihar", &err), SD_EINVAL);
    th_node_close(&jh);
    fed_close(&x);
}

static void test_damaged(void **state)
{
    fixture *f = *state;
    fed x;
    fed_new(f, &x, 20);
    node up;
    node_new(f, "up", "UP", x.nat.pk, &up);
    char p[PATH_BYTES], q[PATH_BYTES];
    path_of(f, "nat.bundle", p);
    path_of(f, "damaged.bundle", q);
    create(&x.nat, p, NULL, 0, NULL);
    size_t len;
    uint8_t *b = slurp(p, &len);
    uint8_t before[32], after[32];
    store_digest(&up, before);

    size_t cuts[] = { 0, 5, BUNDLE_MAGIC_LEN, BUNDLE_MAGIC_LEN + 2,
                      BUNDLE_MAGIC_LEN + 4, BUNDLE_MAGIC_LEN + 40, len / 2,
                      len - 40, len - 1 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        spit(q, b, cuts[i]);
        bundle_stats st;
        sd_err err;
        int rc = apply_file(&up, q, &st, NULL, &err);
        if (rc != SD_EINVAL)
            fail_msg("cut at %zu: rc %d", cuts[i], rc);
        assert_int_equal(st.applied.added, 0);
        if (cuts[i] >= BUNDLE_MAGIC_LEN)
            assert_non_null(strstr(err.msg, "truncated"));
        else
            assert_non_null(strstr(err.msg, "not a sadasya bundle"));
    }
    /* A byte flipped anywhere: the frame, the count or the digest fails. */
    for (size_t off = 0; off < len; off += 7) {
        b[off] ^= 0x20;
        spit(q, b, len);
        b[off] ^= 0x20;
        sd_err err;
        int rc = apply_file(&up, q, NULL, NULL, &err);
        if (rc != SD_EINVAL)
            fail_msg("flip at %zu of %zu: rc %d", off, len, rc);
    }
    /* Bytes after the end frame. */
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, b, len);
    longer[len] = '\n';
    spit(q, longer, len + 1);
    sd_err err;
    assert_int_equal(apply_file(&up, q, NULL, NULL, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "after its end"));
    free(longer);
    store_digest(&up, after);
    assert_memory_equal(before, after, 32);
    assert_int_equal(total_members(&up), 0);

    /* The whole file still applies. */
    bundle_stats st;
    apply_ok(&up, p, &st, NULL);
    assert_int_equal(st.applied.added, 20 + 2);
    assert_int_equal(total_members(&up), 20);
    free(b);
    th_node_close(&up);
    fed_close(&x);
}

/* Structural faults the writer never makes, each with its message. */
static void test_malformed_frames(void **state)
{
    fixture *f = *state;
    fed x;
    fed_new(f, &x, 2);
    node up;
    node_new(f, "up", "UP", x.nat.pk, &up);
    char p[PATH_BYTES], q[PATH_BYTES];
    path_of(f, "nat.bundle", p);
    path_of(f, "bad.bundle", q);
    create(&x.nat, p, NULL, 0, NULL);
    frames fr;
    frames_read(p, &fr);
    assert_int_equal(fr.n, 4);
    sd_err err;
    uint8_t before[32], after[32];
    store_digest(&up, before);

    frames_write(q, &fr, NULL, fr.n, 1, 0);
    assert_int_equal(apply_file(&up, q, NULL, NULL, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "counts 5 entries, 4 were read"));

    frames_write(q, &fr, NULL, fr.n, 0, 1);
    assert_int_equal(apply_file(&up, q, NULL, NULL, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "digest"));

    /* An oversized frame is refused by its length alone. */
    uint8_t big[BUNDLE_MAGIC_LEN + 4];
    memcpy(big, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN);
    uint32_t n = BUNDLE_FRAME_MAX + 1;
    big[BUNDLE_MAGIC_LEN] = (uint8_t)(n >> 24);
    big[BUNDLE_MAGIC_LEN + 1] = (uint8_t)(n >> 16);
    big[BUNDLE_MAGIC_LEN + 2] = (uint8_t)(n >> 8);
    big[BUNDLE_MAGIC_LEN + 3] = (uint8_t)n;
    spit(q, big, sizeof big);
    assert_int_equal(apply_file(&up, q, NULL, NULL, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "frame of 262145 bytes"));

    /* A frame that does not decode. */
    uint8_t junk[BUNDLE_MAGIC_LEN + 4 + 3] = { 0 };
    memcpy(junk, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN);
    junk[BUNDLE_MAGIC_LEN + 3] = 3;
    memcpy(junk + BUNDLE_MAGIC_LEN + 4, "\xff\xff\xff", 3);
    spit(q, junk, sizeof junk);
    assert_int_equal(apply_file(&up, q, NULL, NULL, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "does not decode"));

    /* No end frame. */
    FILE *out = fopen(q, "wb");
    fwrite(BUNDLE_MAGIC, 1, BUNDLE_MAGIC_LEN, out);
    put_frame(out, NULL, fr.f[0]);
    fclose(out);
    assert_int_equal(apply_file(&up, q, NULL, NULL, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "without its end frame"));

    /* Not seekable: a pipe. */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    FILE *rp = fdopen(fds[0], "rb");
    close(fds[1]);
    assert_int_equal(bundle_read_apply(up.s, rp, NULL, NULL, NULL, &err),
                     SD_EINVAL);
    fclose(rp);

    store_digest(&up, after);
    assert_memory_equal(before, after, 32);
    frames_free(&fr);
    th_node_close(&up);
    fed_close(&x);
}

/* With a valid digest over a tampered entry, the per-entry checks of the
 * one write path refuse it: bad signature, broken chain, a wrong Personal
 * blob (dropped, the entry kept), a signature of the wrong size. */
static void test_tampered_entries(void **state)
{
    fixture *f = *state;
    fed x;
    fed_new(f, &x, 5);
    char p[PATH_BYTES], q[PATH_BYTES];
    path_of(f, "nat.bundle", p);
    path_of(f, "tampered.bundle", q);
    create(&x.nat, p, NULL, 0, NULL);
    frames fr;
    frames_read(p, &fr);
    assert_int_equal(fr.n, 7); /* office, roster, 5 members */

    /* Bad signature on BR seq 3: it and (as gaps) seq 4 and 5 refused. */
    Sadasya__SignedEntry *se = fr.f[4]->carried->signed_;
    se->sig.data[10] ^= 1;
    frames_write(q, &fr, NULL, fr.n, 0, 0);
    se->sig.data[10] ^= 1;
    node up;
    node_new(f, "up", "UP", x.nat.pk, &up);
    bundle_stats st;
    rejects rj;
    apply_ok(&up, q, &st, &rj);
    assert_int_equal(st.applied.added, 4);
    assert_int_equal(st.applied.rejected, 3);
    assert_int_equal(rj.n, 3);
    assert_string_equal(rj.first_state, "BR");
    assert_int_equal(rj.first_seq, 3);
    assert_string_equal(rj.first_why, "bad signature");
    assert_int_equal(total_members(&up), 2);
    /* The genuine bundle fills the gap. */
    apply_ok(&up, p, &st, &rj);
    assert_int_equal(st.applied.added, 3);
    assert_int_equal(st.applied.duplicate, 4);
    assert_int_equal(total_members(&up), 5);
    th_node_close(&up);

    /* Broken chain: seq 2 of BR re-encoded with another prev. */
    Sadasya__Entry *e = sadasya__entry__unpack(NULL, fr.f[3]->carried->signed_->entry.len,
                                               fr.f[3]->carried->signed_->entry.data);
    assert_non_null(e);
    e->prev.data[0] ^= 1;
    size_t elen = sadasya__entry__get_packed_size(e);
    uint8_t *ebytes = malloc(elen);
    sadasya__entry__pack(e, ebytes);
    ProtobufCBinaryData saved = fr.f[3]->carried->signed_->entry;
    fr.f[3]->carried->signed_->entry.data = ebytes;
    fr.f[3]->carried->signed_->entry.len = elen;
    frames_write(q, &fr, NULL, fr.n, 0, 0);
    fr.f[3]->carried->signed_->entry = saved;
    free(ebytes);
    sadasya__entry__free_unpacked(e, NULL);
    node_new(f, "up2", "UP", x.nat.pk, &up);
    apply_ok(&up, q, &st, &rj);
    assert_int_equal(st.applied.added, 3);
    assert_int_equal(st.applied.rejected, 4);
    assert_int_equal(rj.first_seq, 2);
    assert_non_null(strstr(rj.first_why, "broken chain"));
    th_node_close(&up);

    /* A Personal blob that is not the signed one: dropped, entry kept. */
    Sadasya__Carried *ca = fr.f[2]->carried;
    assert_true(ca->personal.len > 0);
    ca->personal.data[ca->personal.len - 1] ^= 1;
    /* A 10-byte signature on the last entry. */
    size_t siglen = fr.f[6]->carried->signed_->sig.len;
    fr.f[6]->carried->signed_->sig.len = 10;
    frames_write(q, &fr, NULL, fr.n, 0, 0);
    fr.f[6]->carried->signed_->sig.len = siglen;
    ca->personal.data[ca->personal.len - 1] ^= 1;
    node_new(f, "up3", "UP", x.nat.pk, &up);
    apply_ok(&up, q, &st, &rj);
    assert_int_equal(st.applied.added, 6);
    assert_int_equal(st.applied.personal_dropped, 1);
    assert_int_equal(rj.personal_only, 1);
    assert_int_equal(st.applied.rejected, 1);
    assert_string_equal(rj.first_why, "signature of 10 bytes");
    assert_int_equal(rj.first_seq, 5);
    th_node_close(&up);

    frames_free(&fr);
    fed_close(&x);
}

/* Entries of a key the roster does not list are rejected on a third
 * node; a bundle whose national entries come late still applies (they
 * go first). */
static void test_roster_authority(void **state)
{
    fixture *f = *state;
    fed x;
    fed_new(f, &x, 3);
    /* JH was never added to the roster. */
    node jh;
    node_new(f, "jh", "JH", x.nat.pk, &jh);
    th_register(&jh, 2, NULL);
    char p[PATH_BYTES], q[PATH_BYTES];
    path_of(f, "jh.bundle", p);
    create(&jh, p, NULL, 0, NULL);

    /* BR learns the roster, then gets JH's bundle. */
    path_of(f, "nat.bundle", q);
    create(&x.nat, q, NULL, 0, NULL);
    apply_ok(&x.br, q, NULL, NULL);
    bundle_stats st;
    rejects rj;
    apply_ok(&x.br, p, &st, &rj);
    assert_int_equal(st.applied.added, 0);
    assert_int_equal(st.applied.rejected, 2);
    assert_int_equal(rj.n, 2);
    assert_string_equal(rj.first_why, "key not in the roster");
    assert_true(!strncmp(rj.first_state, "key ", 4));
    assert_int_equal(rj.first_seq, 1);
    assert_int_equal(total_members(&x.br), 3);

    /* National entries after BR's in the file: applied first anyway. */
    frames fr;
    frames_read(q, &fr);
    assert_int_equal(fr.n, 5);
    size_t order[] = { 2, 3, 4, 0, 1 };
    path_of(f, "late.bundle", p);
    frames_write(p, &fr, order, 5, 0, 0);
    node up;
    node_new(f, "up", "UP", x.nat.pk, &up);
    apply_ok(&up, p, &st, &rj);
    assert_int_equal(st.applied.added, 5);
    assert_int_equal(st.applied.rejected, 0);
    assert_heads_equal(&up, &x.nat);

    frames_free(&fr);
    th_node_close(&up);
    th_node_close(&jh);
    fed_close(&x);
}

/* bundle_check reads the structure only. */
static void test_check_only(void **state)
{
    fixture *f = *state;
    fed x;
    fed_new(f, &x, 4);
    char p[PATH_BYTES];
    path_of(f, "nat.bundle", p);
    bundle_stats wst, cst;
    create(&x.nat, p, NULL, 0, &wst);
    FILE *in = fopen(p, "rb");
    assert_non_null(in);
    sd_err err;
    assert_int_equal(bundle_check(in, &cst, &err), SD_OK);
    fclose(in);
    assert_int_equal(cst.entries, wst.entries);
    assert_int_equal(cst.personal, 4);
    assert_int_equal(cst.origins, 2);
    assert_int_equal(cst.bytes, wst.bytes);
    fed_close(&x);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audience, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_frames, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tampered_entries, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_roster_authority, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_check_only, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
