/*
 * test_store.c — unit tests for node/store.c: creating the environment
 * (a 0700 directory), reopening it, opening an auditor's read-only copy,
 * the errors for a missing directory, a missing lock file made again
 * (allocated, the size LMDB itself gives it), heads and meta round trips, the
 * big-endian log keys, and map growth up to SADASYA_MAP_MAX_MB: a full
 * map is SD_EFULL with a clear message and nothing of the batch written,
 * and a later open with a larger limit carries on; the walks over heads,
 * an origin's log, evidence and meta, Personal blobs, peer status records
 * (peers.h); roster_whois, the one classifier of a key.
 */
#include "helpers.h"

#include <dirent.h>
#include <errno.h>

#include "peers.h"
#include "verify.h"
#include "view.h"

typedef struct fixture {
    char root[TH_PATH_MAX];
    char dir[TH_PATH_MAX + 16];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    th_tmpdir(f->root, "test_store");
    snprintf(f->dir, sizeof f->dir, "%s/data", f->root);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    unsetenv("SADASYA_MAP_MAX_MB");
    th_rmrf(f->root);
    free(f);
    return 0;
}

static store *open_ok(const char *dir, int flags)
{
    store *s = NULL;
    sd_err err;
    sd_err_clear(&err);
    int rc = store_open(&s, dir, flags, &err);
    if (rc)
        fail_msg("store_open %s: %s", dir, err.msg);
    assert_non_null(s);
    return s;
}

static void put_meta(store *s, const char *name, const char *val)
{
    MDB_txn *txn;
    sd_err err;
    assert_int_equal(store_begin(s, 1, &txn, &err), SD_OK);
    assert_int_equal(store_meta_put(s, txn, name, val, strlen(val), &err),
                     SD_OK);
    assert_int_equal(store_commit(s, txn, &err), SD_OK);
}

/* The meta value as a string, or NULL when absent. */
static char *get_meta(store *s, const char *name)
{
    MDB_txn *txn;
    sd_err err;
    assert_int_equal(store_begin(s, 0, &txn, &err), SD_OK);
    const void *v;
    size_t n;
    char *out = NULL;
    int rc = store_meta_get(s, txn, name, &v, &n, &err);
    if (rc == SD_OK) {
        out = malloc(n + 1);
        assert_non_null(out);
        memcpy(out, v, n);
        out[n] = '\0';
    } else {
        assert_int_equal(rc, SD_ENOTFOUND);
    }
    mdb_txn_abort(txn);
    return out;
}

static void test_create_mode_0700(void **state)
{
    fixture *f = *state;
    struct stat st;
    assert_int_not_equal(stat(f->dir, &st), 0);
    mode_t old = umask(0); /* the mode must not depend on a lax umask */
    store *s = open_ok(f->dir, STORE_CREATE);
    umask(old);
    assert_int_equal(stat(f->dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);
    char path[TH_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/data.mdb", f->dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0077, 0);
    assert_false(s->rdonly);
    assert_string_equal(s->dir, f->dir);
    store_destroy(&s);
    assert_null(s);
    store_destroy(&s); /* harmless twice */
}

static void test_reopen_keeps_data(void **state)
{
    fixture *f = *state;
    store *s = open_ok(f->dir, STORE_CREATE);
    put_meta(s, "name", "Bihar chapter");
    store_destroy(&s);
    /* Reopened without STORE_CREATE: the directory is there now. */
    s = open_ok(f->dir, 0);
    char *v = get_meta(s, "name");
    assert_non_null(v);
    assert_string_equal(v, "Bihar chapter");
    free(v);
    store_destroy(&s);
}

static void test_missing_dir(void **state)
{
    fixture *f = *state;
    store *s = (store *)&s;
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(store_open(&s, f->dir, 0, &err), SD_ENOTFOUND);
    assert_null(s);
    assert_int_equal(err.code, SD_ENOTFOUND);
    assert_non_null(strstr(err.msg, f->dir));
    assert_int_equal(store_open(&s, f->dir, STORE_RDONLY, &err), SD_ENOTFOUND);
    /* Nothing was created on the way. */
    struct stat st;
    assert_int_not_equal(stat(f->dir, &st), 0);

    /* A file where the directory should be. */
    FILE *fp = fopen(f->dir, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(store_open(&s, f->dir, STORE_CREATE, &err), SD_EINVAL);
    assert_null(s);
}

static void test_rdonly_open(void **state)
{
    fixture *f = *state;
    store *s = open_ok(f->dir, STORE_CREATE);
    put_meta(s, "role", "state");
    store_destroy(&s);

    store *ro = open_ok(f->dir, STORE_RDONLY);
    assert_true(ro->rdonly);
    char *v = get_meta(ro, "role");
    assert_non_null(v);
    assert_string_equal(v, "state");
    free(v);
    MDB_txn *txn = NULL;
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(store_begin(ro, 1, &txn, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "read-only"));
    store_destroy(&ro);

    /* A copy whose files the reader may not write (an auditor's copy):
     * only meaningful when not running as root. */
    if (geteuid() != 0) {
        char path[TH_PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/lock.mdb", f->dir);
        assert_int_equal(chmod(path, 0400), 0);
        snprintf(path, sizeof path, "%s/data.mdb", f->dir);
        assert_int_equal(chmod(path, 0400), 0);
        ro = open_ok(f->dir, STORE_RDONLY);
        v = get_meta(ro, "role");
        assert_non_null(v);
        free(v);
        store_destroy(&ro);
    }
}

static void test_empty_dir_rdonly_is_not_a_store(void **state)
{
    fixture *f = *state;
    assert_int_equal(mkdir(f->dir, 0700), 0);
    store *s = NULL;
    sd_err err;
    sd_err_clear(&err);
    int rc = store_open(&s, f->dir, STORE_RDONLY, &err);
    assert_int_not_equal(rc, SD_OK);
    assert_null(s);
    assert_true(strlen(err.msg) > 0);
}

/* LMDB's own lock file for STORE_MAX_READERS readers is STORE_LOCK_BYTES
 * long: the size store_open gives a lock file it makes must not change the
 * reader limit. */
static void test_lock_bytes_match_lmdb(void **state)
{
    fixture *f = *state;
    assert_int_equal(mkdir(f->dir, 0700), 0);
    MDB_env *env;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxreaders(env, STORE_MAX_READERS), 0);
    assert_int_equal(mdb_env_open(env, f->dir, MDB_NOTLS, 0600), 0);
    char path[TH_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", f->dir, STORE_LOCK_FILE);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, STORE_LOCK_BYTES);
    mdb_env_close(env);
}

/* Asserts dir/lock.mdb is STORE_LOCK_BYTES with its blocks allocated, and
 * that nothing else was left beside data.mdb. */
static void assert_lock_file_made(const char *dir)
{
    char path[TH_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", dir, STORE_LOCK_FILE);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, STORE_LOCK_BYTES);
    assert_int_equal(st.st_mode & 0077, 0);
    assert_true((uint64_t)st.st_blocks * 512 >= STORE_LOCK_BYTES); /* not sparse */
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && strcmp(e->d_name, "data.mdb") != 0 &&
            strcmp(e->d_name, STORE_LOCK_FILE) != 0)
            fail_msg("left behind in %s: %s", dir, e->d_name);
    closedir(d);
}

/* A store whose lock file is gone (a copied data directory): read-write
 * and read-only opens make it again, allocated, and the reader limit is
 * the one asked for. */
static void test_missing_lock_file(void **state)
{
    fixture *f = *state;
    store *s = open_ok(f->dir, STORE_CREATE);
    put_meta(s, "name", "No Lock");
    store_destroy(&s);
    char path[TH_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", f->dir, STORE_LOCK_FILE);
    for (int ro = 0; ro <= 1; ro++) {
        assert_int_equal(unlink(path), 0);
        s = open_ok(f->dir, ro ? STORE_RDONLY : 0);
        assert_lock_file_made(f->dir);
        unsigned readers = 0;
        assert_int_equal(mdb_env_get_maxreaders(s->env, &readers), 0);
        assert_int_equal(readers, STORE_MAX_READERS);
        char *v = get_meta(s, "name");
        assert_non_null(v);
        assert_string_equal(v, "No Lock");
        free(v);
        store_destroy(&s);
    }
    /* A lock file already there is LMDB's to use as it finds it. */
    s = open_ok(f->dir, 0);
    assert_lock_file_made(f->dir);
    store_destroy(&s);
}

static void test_head_roundtrip(void **state)
{
    fixture *f = *state;
    store *s = open_ok(f->dir, STORE_CREATE);
    uint8_t origin[32], other[32];
    randombytes_buf(origin, sizeof origin);
    memcpy(other, origin, 32);
    other[31] ^= 1;
    MDB_txn *txn;
    sd_err err;
    store_head h, back;
    assert_int_equal(store_begin(s, 1, &txn, &err), SD_OK);
    /* Nothing held: a zero head, not an error. */
    memset(&back, 0xaa, sizeof back);
    assert_int_equal(store_head_get(s, txn, origin, &back, &err), SD_OK);
    assert_int_equal(back.seq, 0);
    assert_int_equal(back.joins, 0);
    uint8_t zero[ENTRY_HASH_BYTES] = { 0 };
    assert_memory_equal(back.hash, zero, sizeof zero);
    assert_string_equal(back.state, "");

    memset(&h, 0, sizeof h);
    h.seq = 0x0102030405060708ull;
    randombytes_buf(h.hash, sizeof h.hash);
    h.joins = 4242;
    snprintf(h.state, sizeof h.state, "UP");
    assert_int_equal(store_head_put(s, txn, origin, &h, &err), SD_OK);
    assert_int_equal(store_head_get(s, txn, origin, &back, &err), SD_OK);
    assert_int_equal(back.seq, h.seq);
    assert_memory_equal(back.hash, h.hash, ENTRY_HASH_BYTES);
    assert_int_equal(back.joins, 4242);
    assert_string_equal(back.state, "UP");
    assert_int_equal(store_commit(s, txn, &err), SD_OK);

    /* Committed, and per origin. */
    back = th_head(s, origin);
    assert_int_equal(back.seq, h.seq);
    assert_string_equal(back.state, "UP");
    back = th_head(s, other);
    assert_int_equal(back.seq, 0);

    /* A three-letter code fills the field and still ends in NUL. */
    snprintf(h.state, sizeof h.state, "ABC");
    assert_int_equal(store_begin(s, 1, &txn, &err), SD_OK);
    assert_int_equal(store_head_put(s, txn, origin, &h, &err), SD_OK);
    assert_int_equal(store_commit(s, txn, &err), SD_OK);
    back = th_head(s, origin);
    assert_string_equal(back.state, "ABC");

    /* A head record of the wrong size is reported as corrupt. */
    assert_int_equal(store_begin(s, 1, &txn, &err), SD_OK);
    MDB_val k = { 32, other }, v = { 5, (void *)"short" };
    assert_int_equal(mdb_put(txn, s->heads, &k, &v, 0), 0);
    assert_int_equal(store_head_get(s, txn, other, &back, &err), SD_ECORRUPT);
    mdb_txn_abort(txn);
    store_destroy(&s);
}

static void test_meta(void **state)
{
    fixture *f = *state;
    store *s = open_ok(f->dir, STORE_CREATE);
    assert_null(get_meta(s, "name"));
    put_meta(s, "name", "first");
    put_meta(s, "state", "BR");
    char *v = get_meta(s, "name");
    assert_string_equal(v, "first");
    free(v);
    put_meta(s, "name", "second");
    v = get_meta(s, "name");
    assert_string_equal(v, "second");
    free(v);
    v = get_meta(s, "state");
    assert_string_equal(v, "BR");
    free(v);

    /* Binary values keep their length. */
    MDB_txn *txn;
    sd_err err;
    const uint8_t bin[4] = { 0, 1, 0, 2 };
    assert_int_equal(store_begin(s, 1, &txn, &err), SD_OK);
    assert_int_equal(store_meta_put(s, txn, "bin", bin, sizeof bin, &err), SD_OK);
    const void *p;
    size_t n;
    assert_int_equal(store_meta_get(s, txn, "bin", &p, &n, &err), SD_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(p, bin, 4);
    /* An aborted write leaves nothing. */
    mdb_txn_abort(txn);
    assert_null(get_meta(s, "bin"));
    store_destroy(&s);
}

static void test_be64_and_logkey(void **state)
{
    (void)state;
    uint8_t b[8];
    store_put_be64(b, 0x0102030405060708ull);
    const uint8_t want[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    assert_memory_equal(b, want, 8);
    assert_int_equal(store_be64(b), 0x0102030405060708ull);
    store_put_be64(b, UINT64_MAX);
    assert_int_equal(store_be64(b), UINT64_MAX);

    /* Keys sort by origin, then seq numerically (LMDB compares bytes). */
    uint8_t origin[32], k1[STORE_LOGKEY_BYTES], k2[STORE_LOGKEY_BYTES];
    randombytes_buf(origin, sizeof origin);
    store_logkey(k1, origin, 255);
    store_logkey(k2, origin, 256);
    assert_memory_equal(k1, origin, 32);
    assert_int_equal(store_be64(k1 + 32), 255);
    assert_true(memcmp(k1, k2, STORE_LOGKEY_BYTES) < 0);
}

static void test_log_get_missing(void **state)
{
    fixture *f = *state;
    store *s = open_ok(f->dir, STORE_CREATE);
    uint8_t origin[32];
    randombytes_buf(origin, sizeof origin);
    MDB_txn *txn;
    sd_err err;
    assert_int_equal(store_begin(s, 0, &txn, &err), SD_OK);
    const uint8_t *sig, *entry;
    size_t len;
    assert_int_equal(store_log_get(s, txn, origin, 1, &sig, &entry, &len, &err),
                     SD_ENOTFOUND);
    mdb_txn_abort(txn);
    store_destroy(&s);
}

static void test_mdb_err_mapping(void **state)
{
    (void)state;
    sd_err err;
    assert_int_equal(store_mdb_err(MDB_MAP_FULL, "x", &err), SD_EMAPFULL);
    assert_int_equal(store_mdb_err(ENOSPC, "writing", &err), SD_EFULL);
    assert_non_null(strstr(err.msg, "writing"));
    assert_non_null(strstr(err.msg, "nothing was written"));
    assert_int_equal(store_mdb_err(MDB_NOTFOUND, "x", &err), SD_ENOTFOUND);
    assert_int_equal(store_mdb_err(MDB_CORRUPTED, "x", &err), SD_ECORRUPT);
    assert_int_equal(store_mdb_err(EIO, "x", &err), SD_EIO);
    assert_int_equal(store_mdb_err(ENOSPC, "x", NULL), SD_EFULL);
}

static void test_grow_until_limit(void **state)
{
    fixture *f = *state;
    setenv("SADASYA_MAP_MAX_MB", "3", 1);
    store *s = open_ok(f->dir, STORE_CREATE);
    assert_int_equal(s->map_max, 3ull << 20);
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    assert_int_equal(info.me_mapsize, 3ull << 20); /* min(initial, limit) */
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(store_grow(s, &err), SD_EFULL);
    assert_non_null(strstr(err.msg, "limit 3 MiB"));
    store_destroy(&s);

    /* Below the limit it doubles, capped at the limit. */
    unsetenv("SADASYA_MAP_MAX_MB");
    s = open_ok(f->dir, 0);
    mdb_env_info(s->env, &info);
    assert_int_equal(info.me_mapsize, STORE_MAP_INITIAL);
    s->map_max = STORE_MAP_INITIAL + (STORE_MAP_INITIAL / 2);
    assert_int_equal(store_grow(s, &err), SD_OK);
    mdb_env_info(s->env, &info);
    assert_int_equal(info.me_mapsize, s->map_max);
    assert_int_equal(store_grow(s, &err), SD_EFULL);
    store_destroy(&s);
}

/* --- a full map --------------------------------------------------------- */

static void read_state(store *s, const uint8_t origin[32], store_head *h,
                       counter_row *total, size_t *members, size_t *log)
{
    *h = th_head(s, origin);
    MDB_txn *txn;
    assert_int_equal(store_begin(s, 0, &txn, NULL), SD_OK);
    assert_int_equal(view_counter_get(s, txn, "total", "", total, NULL), SD_OK);
    mdb_txn_abort(txn);
    *members = th_count(s, s->members);
    *log = th_count(s, s->log);
}

static void test_map_full_then_larger_limit(void **state)
{
    fixture *f = *state;
    /* A national key of no real node: this store is a state node alone. */
    uint8_t national[32];
    randombytes_buf(national, sizeof national);
    th_node n;
    th_node_state(&n, f->root, "br", "BR", national);
    th_node_close(&n);

    setenv("SADASYA_MAP_MAX_MB", "1", 1);
    th_node_open(&n);
    assert_int_equal(n.s->map_max, 1ull << 20);

    const size_t batch = 25;
    store_head before, after;
    counter_row tb, ta;
    size_t mb, ma, lb, la;
    int rc = SD_OK;
    sd_err err;
    int rounds = 0;
    for (; rounds < 400; rounds++) {
        read_state(n.s, n.pk, &before, &tb, &mb, &lb);
        sd_err_clear(&err);
        rc = th_register_rc(&n, batch, NULL, &err);
        if (rc)
            break;
    }
    assert_true(rounds > 0);           /* some batches fitted */
    assert_int_equal(rc, SD_EFULL);
    assert_int_equal(err.code, SD_EFULL);
    assert_non_null(strstr(err.msg, "map full"));
    assert_non_null(strstr(err.msg, "nothing was written"));
    assert_non_null(strstr(err.msg, "1 MiB"));

    /* The failed batch left nothing: head, counters, members, log. */
    read_state(n.s, n.pk, &after, &ta, &ma, &la);
    assert_int_equal(after.seq, before.seq);
    assert_memory_equal(after.hash, before.hash, ENTRY_HASH_BYTES);
    assert_int_equal(after.joins, before.joins);
    assert_memory_equal(&ta, &tb, sizeof ta);
    assert_int_equal(ma, mb);
    assert_int_equal(la, lb);
    assert_int_equal(after.seq, (uint64_t)rounds * batch);
    assert_int_equal(ta.members, after.joins);
    assert_int_equal(ma, after.joins);
    th_node_close(&n);

    /* A larger limit: the store opens whole and registration goes on with
     * the next number. */
    setenv("SADASYA_MAP_MAX_MB", "16", 1);
    th_node_open(&n);
    char numbers[25][NUMBER_MAX_LEN];
    th_register(&n, batch, numbers);
    char want[NUMBER_MAX_LEN];
    assert_int_equal(number_format(want, "BR", after.joins + 1, NULL), SD_OK);
    assert_string_equal(numbers[0], want);
    read_state(n.s, n.pk, &after, &ta, &ma, &la);
    assert_int_equal(after.seq, before.seq + batch);
    assert_int_equal(ta.members, before.joins + batch);
    assert_int_equal(ma, before.joins + batch);

    /* And it is still consistent by the auditor's measure. */
    verify_opts vo;
    memset(&vo, 0, sizeof vo);
    vo.scratch_dir = f->root;
    vo.threads = 1;
    verify_result vr;
    assert_int_equal(verify_run(n.s, &vo, &vr, &err), SD_OK);
    assert_int_equal(vr.failures, 0);
    assert_int_equal(vr.entries, after.seq);
    th_node_close(&n);
}

/* --- walks over the raw tables ------------------------------------------ */

typedef struct seen_origins {
    size_t n, stop_at;
    uint8_t keys[4][32];
    store_head heads[4];
} seen_origins;

static int see_origin(const uint8_t origin[32], const store_head *h, void *ctx)
{
    seen_origins *x = ctx;
    if (x->n < 4) {
        memcpy(x->keys[x->n], origin, 32);
        x->heads[x->n] = *h;
    }
    x->n++;
    return x->stop_at && x->n == x->stop_at ? 7 : 0;
}

typedef struct seen_log {
    store *s;
    MDB_txn *txn;
    const uint8_t *origin;
    uint64_t first, last, n, truncated, stop_at;
} seen_log;

static int see_entry(uint64_t seq, const uint8_t *sig, const uint8_t *entry,
                     size_t len, void *ctx)
{
    seen_log *x = ctx;
    if (!len) {
        assert_null(sig);
        assert_null(entry);
        x->truncated++;
        return 0;
    }
    const uint8_t *gs, *ge;
    size_t gl;
    assert_int_equal(store_log_get(x->s, x->txn, x->origin, seq, &gs, &ge, &gl,
                                   NULL), SD_OK);
    assert_ptr_equal(gs, sig);
    assert_ptr_equal(ge, entry);
    assert_int_equal(gl, len);
    if (!x->n)
        x->first = seq;
    assert_true(seq > x->last);
    x->last = seq;
    x->n++;
    return x->stop_at && seq == x->stop_at ? 9 : 0;
}

/* Heads in key order, each origin's log from a seq, stopping on the
 * callback's word, records too short to hold an entry, Personal blobs. */
static void test_origins_and_log_walks(void **state)
{
    (void)state;
    th_fed *f = th_fed_new("test_walks", 0);
    assert_non_null(f);
    th_register(&f->br, 5, NULL);
    th_replicate(f->br.s, f->nat.s, f->br.pk);
    store *s = f->nat.s;
    MDB_txn *txn;
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(store_begin(s, 1, &txn, &err), SD_OK);

    seen_origins so = { 0 };
    assert_int_equal(store_origins_each(s, txn, see_origin, &so, &err), SD_OK);
    assert_int_equal(so.n, 2);
    assert_true(memcmp(so.keys[0], so.keys[1], 32) < 0);
    for (size_t i = 0; i < 2; i++) {
        store_head h;
        assert_int_equal(store_head_get(s, txn, so.keys[i], &h, &err), SD_OK);
        assert_int_equal(so.heads[i].seq, h.seq);
        assert_memory_equal(so.heads[i].hash, h.hash, ENTRY_HASH_BYTES);
        assert_string_equal(so.heads[i].state, h.state);
    }
    seen_origins one = { .stop_at = 1 };
    assert_int_equal(store_origins_each(s, txn, see_origin, &one, &err), 7);
    assert_int_equal(one.n, 1);

    seen_log all = { s, txn, f->br.pk, 0, 0, 0, 0, 0 };
    assert_int_equal(store_log_each(s, txn, f->br.pk, 0, see_entry, &all, &err),
                     SD_OK);
    assert_int_equal(all.first, 1);
    assert_int_equal(all.last, 5);
    assert_int_equal(all.n, 5);
    seen_log from = { s, txn, f->br.pk, 0, 0, 0, 0, 4 };
    assert_int_equal(store_log_each(s, txn, f->br.pk, 2, see_entry, &from, &err),
                     9);
    assert_int_equal(from.first, 2);
    assert_int_equal(from.n, 3);
    /* The walk ends with the origin: the national log (its opening entry
     * and BR's listing) is not BR's. */
    seen_log nat = { s, txn, f->nat.pk, 0, 0, 0, 0, 0 };
    assert_int_equal(store_log_each(s, txn, f->nat.pk, 1, see_entry, &nat, &err),
                     SD_OK);
    assert_int_equal(nat.n, 2);

    /* A member's entry holds its blob, the roster entry none. */
    const uint8_t *blob;
    size_t blen;
    assert_int_equal(store_personal_get(s, txn, f->br.pk, 1, &blob, &blen,
                                        &err), SD_OK);
    assert_true(blen > 0);
    Sadasya__Personal *p = NULL;
    assert_int_equal(entry_personal_decode(blob, blen, &p, &err), SD_OK);
    sadasya__personal__free_unpacked(p, NULL);
    assert_int_equal(store_personal_get(s, txn, f->nat.pk, 1, &blob, &blen,
                                        &err), SD_ENOTFOUND);

    /* A damaged record is handed over as such, not skipped silently. */
    uint8_t key[STORE_LOGKEY_BYTES];
    store_logkey(key, f->br.pk, 6);
    MDB_val k = { sizeof key, key }, v = { 10, (void *)"truncated!" };
    assert_int_equal(mdb_put(txn, s->log, &k, &v, 0), 0);
    seen_log damaged = { s, txn, f->br.pk, 0, 0, 0, 0, 0 };
    assert_int_equal(store_log_each(s, txn, f->br.pk, 1, see_entry, &damaged,
                                    &err), SD_OK);
    assert_int_equal(damaged.n, 5);
    assert_int_equal(damaged.truncated, 1);
    mdb_txn_abort(txn);
    th_fed_free(f);
}

typedef struct seen_evidence {
    size_t n;
    uint64_t seq;
    uint8_t origin[32], hash[ENTRY_HASH_BYTES];
    size_t len;
} seen_evidence;

static int see_evidence(const uint8_t origin[32], uint64_t seq,
                        const uint8_t hash[ENTRY_HASH_BYTES],
                        const uint8_t *sig, const uint8_t *entry, size_t len,
                        void *ctx)
{
    seen_evidence *x = ctx;
    (void)sig, (void)entry;
    memcpy(x->origin, origin, 32);
    memcpy(x->hash, hash, ENTRY_HASH_BYTES);
    x->seq = seq;
    x->len = len;
    x->n++;
    return 0;
}

/* Evidence records as apply files them (origin ‖ seq ‖ hash → sig ‖
 * entry): walked and counted. */
static void test_evidence_walk(void **state)
{
    fixture *f = *state;
    store *s = open_ok(f->dir, STORE_CREATE);
    MDB_txn *txn;
    sd_err err;
    assert_int_equal(store_begin(s, 1, &txn, &err), SD_OK);
    uint64_t n = 99;
    assert_int_equal(store_evidence_count(s, txn, &n, &err), SD_OK);
    assert_int_equal(n, 0);
    uint8_t origin[32], key[STORE_LOGKEY_BYTES + ENTRY_HASH_BYTES];
    uint8_t val[ENTRY_SIG_BYTES + 3] = { 0 };
    randombytes_buf(origin, sizeof origin);
    store_logkey(key, origin, 12);
    randombytes_buf(key + STORE_LOGKEY_BYTES, ENTRY_HASH_BYTES);
    MDB_val k = { sizeof key, key }, v = { sizeof val, val };
    assert_int_equal(mdb_put(txn, s->evidence, &k, &v, 0), 0);
    assert_int_equal(store_evidence_count(s, txn, &n, &err), SD_OK);
    assert_int_equal(n, 1);
    seen_evidence se = { 0 };
    assert_int_equal(store_evidence_each(s, txn, see_evidence, &se, &err),
                     SD_OK);
    assert_int_equal(se.n, 1);
    assert_int_equal(se.seq, 12);
    assert_int_equal(se.len, 3);
    assert_memory_equal(se.origin, origin, 32);
    assert_memory_equal(se.hash, key + STORE_LOGKEY_BYTES, ENTRY_HASH_BYTES);
    uint64_t first = 0;
    assert_int_equal(store_evidence_first(s, txn, origin, &first, &err), 1);
    assert_int_equal(first, 12);
    mdb_txn_abort(txn);
    store_destroy(&s);
}

typedef struct seen_peers {
    size_t n;
    char endpoints[4][64];
    uint64_t received[4], seq[4];
} seen_peers;

static int see_peer(const Sadasya__PeerStatus *ps, void *ctx)
{
    seen_peers *x = ctx;
    if (x->n < 4) {
        snprintf(x->endpoints[x->n], sizeof x->endpoints[0], "%s", ps->endpoint);
        x->received[x->n] = ps->received;
        x->seq[x->n] = ps->n_heads ? ps->heads[0]->seq : 0;
    }
    x->n++;
    return 0;
}

static void put_peer(store *s, const char *endpoint, uint64_t received,
                     uint64_t seq)
{
    uint8_t key[32] = { 1 }, origin[32] = { 2 }, hash[32] = { 3 };
    Sadasya__Head h = SADASYA__HEAD__INIT, *hs[1] = { &h };
    h.origin.data = origin;
    h.origin.len = 32;
    h.hash.data = hash;
    h.hash.len = 32;
    h.seq = seq;
    Sadasya__PeerStatus ps = SADASYA__PEER_STATUS__INIT;
    ps.endpoint = (char *)endpoint;
    ps.key.data = key;
    ps.key.len = 32;
    ps.state = (char *)"BR";
    ps.received = received;
    ps.heads = hs;
    ps.n_heads = 1;
    ps.last_error = (char *)"";
    MDB_txn *txn;
    sd_err err;
    assert_int_equal(store_begin(s, 1, &txn, &err), SD_OK);
    assert_int_equal(peers_status_put(s, txn, &ps, &err), SD_OK);
    assert_int_equal(store_commit(s, txn, &err), SD_OK);
}

/* Peer status records: written, replaced, walked in endpoint order; other
 * meta records and undecodable ones are not peers; a 32-byte meta key. */
static void test_peers_and_meta(void **state)
{
    fixture *f = *state;
    store *s = open_ok(f->dir, STORE_CREATE);
    put_peer(s, "tcp://b:7000", 5, 50);
    put_peer(s, "tcp://a:7000", 1, 10);
    put_peer(s, "tcp://b:7000", 6, 60); /* replaces b's */
    put_meta(s, "peer", "no colon: not a peer");
    put_meta(s, "peer;x", "after the prefix: not a peer");
    put_meta(s, STORE_META_PEER_PREFIX "zz", "\xff\xff\xff");
    uint8_t nat[32];
    randombytes_buf(nat, sizeof nat);
    MDB_txn *txn;
    sd_err err;
    assert_int_equal(store_begin(s, 1, &txn, &err), SD_OK);
    assert_int_equal(store_meta_put(s, txn, STORE_META_NATIONAL_KEY, nat, 32,
                                    &err), SD_OK);
    assert_int_equal(store_commit(s, txn, &err), SD_OK);

    assert_int_equal(store_begin(s, 0, &txn, &err), SD_OK);
    seen_peers sp = { 0 };
    assert_int_equal(peers_status_each(s, txn, see_peer, &sp, &err), SD_OK);
    assert_int_equal(sp.n, 2);
    assert_string_equal(sp.endpoints[0], "tcp://a:7000");
    assert_int_equal(sp.received[0], 1);
    assert_int_equal(sp.seq[0], 10);
    assert_string_equal(sp.endpoints[1], "tcp://b:7000");
    assert_int_equal(sp.received[1], 6);
    assert_int_equal(sp.seq[1], 60);

    uint8_t back[32];
    assert_int_equal(store_meta_key32(s, txn, STORE_META_NATIONAL_KEY, back,
                                      &err), SD_OK);
    assert_memory_equal(back, nat, 32);
    assert_int_equal(store_meta_key32(s, txn, "peer", back, &err),
                     SD_ECORRUPT);
    assert_int_equal(store_meta_key32(s, txn, STORE_META_OWN_KEY, back, &err),
                     SD_ENOTFOUND);
    store_end(txn);

    /* Deleting: once there, then nothing left to delete. */
    assert_int_equal(store_begin(s, 1, &txn, &err), SD_OK);
    assert_int_equal(store_meta_del(s, txn, "peer", &err), SD_OK);
    assert_int_equal(store_meta_del(s, txn, "peer", &err), SD_ENOTFOUND);
    assert_int_equal(store_commit(s, txn, &err), SD_OK);
    assert_null(get_meta(s, "peer"));

    /* The record a node hands to its writer is the one put writes. */
    char *name;
    uint8_t *val;
    size_t len;
    Sadasya__PeerStatus ps = SADASYA__PEER_STATUS__INIT;
    ps.endpoint = (char *)"inbound:BR:abc";
    ps.received = 3;
    assert_int_equal(peers_status_record(&ps, &name, &val, &len, &err), SD_OK);
    assert_string_equal(name, "peer:inbound:BR:abc");
    Sadasya__PeerStatus *dec = sadasya__peer_status__unpack(NULL, len, val);
    assert_non_null(dec);
    assert_int_equal(dec->received, 3);
    sadasya__peer_status__free_unpacked(dec, NULL);
    free(name);
    free(val);
    store_destroy(&s);
}

static roster_who whois(store *s, const uint8_t key[32])
{
    MDB_txn *txn;
    sd_err err;
    sd_err_clear(&err);
    roster_who who;
    assert_int_equal(store_begin(s, 0, &txn, &err), SD_OK);
    memset(&who, 0xaa, sizeof who);
    int rc = roster_whois(s, txn, key, &who, &err);
    if (rc)
        fail_msg("roster_whois: %s", err.msg);
    store_end(txn);
    return who;
}

/* The one key classifier: national, a listed chapter key (its state and
 * series), an ended one, this node's own unlisted key, unknown. */
static void test_roster_whois(void **state)
{
    (void)state;
    th_fed *f = th_fed_new("test_whois", 0); /* BR listed, UP not */
    assert_non_null(f);
    uint8_t stranger[32];
    randombytes_buf(stranger, sizeof stranger);

    roster_who w = whois(f->nat.s, f->nat.pk);
    assert_int_equal(w.kind, ROSTER_WHO_NATIONAL);
    assert_int_equal(w.own, 1);
    assert_int_equal(w.listed, 0);
    assert_string_equal(w.rk.state, ROSTER_NATIONAL_STATE);

    w = whois(f->nat.s, f->br.pk);
    assert_int_equal(w.kind, ROSTER_WHO_CHAPTER);
    assert_int_equal(w.own, 0);
    assert_int_equal(w.listed, 1);
    assert_string_equal(w.rk.state, "BR");
    assert_int_equal(w.rk.flag, ROSTER_ACTIVE);
    assert_int_equal(w.rk.first_serial, 1);
    assert_int_equal(w.rk.last_seq, ROSTER_NO_CUT);
    assert_int_equal(w.rk.since, 2); /* the national entry that listed it */

    w = whois(f->nat.s, f->up.pk);
    assert_int_equal(w.kind, ROSTER_WHO_UNKNOWN);
    assert_int_equal(w.listed, 0);
    assert_int_equal(w.rk.first_serial, 1);
    assert_int_equal(w.rk.last_seq, ROSTER_NO_CUT);
    assert_int_equal(whois(f->nat.s, stranger).kind, ROSTER_WHO_UNKNOWN);

    /* UP's own node: its key awaits authorisation; the anchor is known. */
    w = whois(f->up.s, f->up.pk);
    assert_int_equal(w.kind, ROSTER_WHO_OWN);
    assert_int_equal(w.own, 1);
    w = whois(f->up.s, f->nat.pk);
    assert_int_equal(w.kind, ROSTER_WHO_NATIONAL);
    assert_int_equal(w.own, 0);

    /* BR handed over at seq 0 to a new key with its series from 50:
     * the old key has ended, with its cut; the new one is listed. */
    uint8_t next[32];
    randombytes_buf(next, sizeof next);
    th_roster_cut(&f->nat, "BR", f->br.pk, 0, next, 50);
    w = whois(f->nat.s, f->br.pk);
    assert_int_equal(w.kind, ROSTER_WHO_ENDED);
    assert_int_equal(w.listed, 1);
    assert_int_equal(w.rk.flag, ROSTER_REPLACED);
    assert_int_equal(w.rk.last_seq, 0);
    w = whois(f->nat.s, next);
    assert_int_equal(w.kind, ROSTER_WHO_CHAPTER);
    assert_string_equal(w.rk.state, "BR");
    assert_int_equal(w.rk.first_serial, 50);

    /* Revoked: ended too. */
    th_roster_revoke(&f->nat, "BR");
    w = whois(f->nat.s, next);
    assert_int_equal(w.kind, ROSTER_WHO_ENDED);
    assert_int_equal(w.rk.flag, ROSTER_REVOKED);
    th_fed_free(f);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_mode_0700, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rdonly_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_dir_rdonly_is_not_a_store,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_bytes_match_lmdb, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_lock_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
        cmocka_unit_test(test_be64_and_logkey),
        cmocka_unit_test_setup_teardown(test_log_get_missing, setup, teardown),
        cmocka_unit_test(test_mdb_err_mapping),
        cmocka_unit_test_setup_teardown(test_grow_until_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_full_then_larger_limit, setup,
                                        teardown),
        cmocka_unit_test(test_origins_and_log_walks),
        cmocka_unit_test_setup_teardown(test_evidence_walk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peers_and_meta, setup, teardown),
        cmocka_unit_test(test_roster_whois),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
