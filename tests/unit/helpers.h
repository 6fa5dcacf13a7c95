/*
 * helpers.h — shared fixtures for the unit tests of the core modules.
 *
 * Every helper is static inline so that each test binary takes only what
 * it uses. They assert through cmocka, so include this after <cmocka.h>'s
 * prerequisites (it includes them itself). What they give:
 *
 *   th_tmpdir / th_rmrf      a private mkdtemp directory, removed recursively
 *   th_node_national/_state  a data directory made by init_dir, opened
 *   th_register              N members signed by the node's writer
 *                            (writer_open → member_build → writer_commit)
 *   th_roster_add/_revoke    a RosterUpdate signed by a national writer
 *   th_roster_one            the body of a RosterUpdate listing one chapter
 *   th_fed_setup/_teardown   cmocka fixtures: a fresh federation per test
 *   th_collect               an origin's log (with Personal blobs) copied
 *                            out, as a peer or a bundle would carry it
 *   th_register_log          N members registered, the node's whole log
 *                            collected
 *   th_sign                  a hand-made entry signed with any key pair
 */
#ifndef SADASYA_TEST_HELPERS_H
#define SADASYA_TEST_HELPERS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkdtemp, nftw, setenv: include this header first */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h> /* program_invocation_short_name */
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "apply.h"
#include "entry.h"
#include "ident.h"
#include "init.h"
#include "keys.h"
#include "member.h"
#include "roster.h"
#include "store.h"
#include "store_db.h" /* tests look at the tables themselves */
#include "writer.h"

#define TH_PATH_MAX 512

/* --- directories -------------------------------------------------------- */

/* Makes a fresh private directory "<TMPDIR or /tmp>/<tag>.XXXXXX". */
static inline void th_tmpdir(char out[TH_PATH_MAX], const char *tag)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp || strlen(tmp) > TH_PATH_MAX - 128)
        tmp = "/tmp";
    snprintf(out, TH_PATH_MAX, "%s/%s.XXXXXX", tmp, tag);
    assert_non_null(mkdtemp(out));
}

static inline int th_rm_one(const char *path, const struct stat *st, int flag,
                            struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes dir and everything under it. */
static inline void th_rmrf(const char *dir)
{
    if (dir && *dir)
        nftw(dir, th_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* --- nodes -------------------------------------------------------------- */

typedef struct th_node {
    char dir[TH_PATH_MAX];
    store *s;
    unsigned char pk[KEYS_PUBLIC_BYTES];
    char state[STORE_STATE_BYTES];
} th_node;

static inline void th_node_open(th_node *n)
{
    sd_err err;
    sd_err_clear(&err);
    int rc = store_open(&n->s, n->dir, 0, &err);
    if (rc)
        fail_msg("store_open %s: %s", n->dir, err.msg);
}

/* A national node in root/name. */
static inline void th_node_national(th_node *n, const char *root,
                                    const char *name)
{
    memset(n, 0, sizeof *n);
    assert_true((size_t)snprintf(n->dir, sizeof n->dir, "%s/%s", root, name) <
                sizeof n->dir);
    sd_err err;
    sd_err_clear(&err);
    int rc = init_dir(n->dir, NULL, "National Office", NULL, 0, n->pk, &err);
    if (rc)
        fail_msg("init_dir national: %s", err.msg);
    snprintf(n->state, sizeof n->state, "%s", ROSTER_NATIONAL_STATE);
    th_node_open(n);
}

/* A state node for code in root/name, trusting national_pk. */
static inline void th_node_state(th_node *n, const char *root,
                                 const char *name, const char *code,
                                 const unsigned char *national_pk)
{
    memset(n, 0, sizeof *n);
    assert_true((size_t)snprintf(n->dir, sizeof n->dir, "%s/%s", root, name) <
                sizeof n->dir);
    sd_err err;
    sd_err_clear(&err);
    int rc = init_dir(n->dir, code, "State Chapter", national_pk, 0, n->pk, &err);
    if (rc)
        fail_msg("init_dir %s: %s", code, err.msg);
    snprintf(n->state, sizeof n->state, "%s", code);
    th_node_open(n);
}

static inline void th_node_close(th_node *n)
{
    store_destroy(&n->s);
}

static inline writer *th_writer(th_node *n)
{
    writer *w = NULL;
    sd_err err;
    sd_err_clear(&err);
    int rc = writer_open(&w, n->s, &err);
    if (rc)
        fail_msg("writer_open %s: %s", n->dir, err.msg);
    return w;
}

/* The node's key pair, from its key file. */
static inline void th_keys(const th_node *n, keys_pair *kp)
{
    char path[TH_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/%s", n->dir, STORE_KEY_FILE);
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(keys_load(path, kp, &err), SD_OK);
}

/* --- members ------------------------------------------------------------ */

/* A valid member; i varies the name and phone. Strings live in buf. */
typedef struct th_member_buf {
    char name_en[64], phone[32];
} th_member_buf;

static inline member_input th_member(th_member_buf *buf, unsigned i)
{
    snprintf(buf->name_en, sizeof buf->name_en, "Member Number%u", i);
    snprintf(buf->phone, sizeof buf->phone, "98%08u", 10000000u + i);
    member_input in;
    memset(&in, 0, sizeof in);
    in.name = "सदस्य";
    in.name_en = buf->name_en;
    in.phone = buf->phone;
    in.gender = i % 2 ? "male" : "female";
    in.district = "Patna";
    in.area = "urban";
    in.joined = "2026-09-15";
    return in;
}

/* Signs one member with w (not committed); numbers[] may be NULL. */
static inline void th_build(writer *w, const member_input *in, entry_signed *es,
                            char number[NUMBER_MAX_LEN])
{
    char scratch[NUMBER_MAX_LEN];
    sd_err err;
    sd_err_clear(&err);
    int rc = member_build(w, in, es, number ? number : scratch, &err);
    if (rc)
        fail_msg("member_build: %s", err.msg);
}

static inline void th_free_items(entry_signed *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        entry_signed_clear(&items[i]);
    free(items);
}

/* Registers count default members on node n in one batch; returns SD code
 * of writer_commit (err filled). numbers may be NULL. */
static inline int th_register_rc(th_node *n, size_t count,
                                 char (*numbers)[NUMBER_MAX_LEN], sd_err *err)
{
    static unsigned serial;
    writer *w = th_writer(n);
    entry_signed *items = calloc(count ? count : 1, sizeof *items);
    assert_non_null(items);
    for (size_t i = 0; i < count; i++) {
        th_member_buf buf;
        member_input in = th_member(&buf, serial++);
        th_build(w, &in, &items[i], numbers ? numbers[i] : NULL);
    }
    apply_result res;
    int rc = writer_commit(w, items, count, NULL, &res, err);
    th_free_items(items, count);
    writer_destroy(&w);
    return rc;
}

static inline void th_register(th_node *n, size_t count,
                               char (*numbers)[NUMBER_MAX_LEN])
{
    sd_err err;
    sd_err_clear(&err);
    int rc = th_register_rc(n, count, numbers, &err);
    if (rc)
        fail_msg("registering %zu members: %s", count, err.msg);
}

/* Signs and commits one entry of this node whose body the caller set. */
static inline void th_commit_body(th_node *n, Sadasya__Entry *e,
                                  const uint8_t *personal, size_t plen)
{
    writer *w = th_writer(n);
    entry_signed es;
    sd_err err;
    sd_err_clear(&err);
    int rc = writer_sign(w, e, personal, plen, &es, &err);
    if (!rc)
        rc = writer_commit(w, &es, 1, NULL, NULL, &err);
    entry_signed_clear(&es);
    writer_destroy(&w);
    if (rc)
        fail_msg("committing a %s entry: %s", entry_kind(e), err.msg);
}

/* --- the roster --------------------------------------------------------- */

/* A roster entry's body and the messages it points into. */
typedef struct th_roster_body {
    Sadasya__Chapter ch;
    Sadasya__Chapter *chs[1];
    Sadasya__RosterUpdate ru;
    Sadasya__Entry e;
} th_roster_body;

/* Fills b as a RosterUpdate listing one chapter (code, name, key) and
 * returns its entry, for the caller to sign; b must outlive the entry. */
static inline Sadasya__Entry *th_roster_one(th_roster_body *b, const char *code,
                                            const char *name,
                                            const unsigned char *key)
{
    Sadasya__Chapter ch = SADASYA__CHAPTER__INIT;
    Sadasya__RosterUpdate ru = SADASYA__ROSTER_UPDATE__INIT;
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    b->ch = ch;
    b->ch.state = (char *)code;
    b->ch.name = (char *)name;
    b->ch.key.data = (uint8_t *)key;
    b->ch.key.len = KEYS_PUBLIC_BYTES;
    b->chs[0] = &b->ch;
    b->ru = ru;
    b->ru.n_chapters = 1;
    b->ru.chapters = b->chs;
    b->e = e;
    b->e.body_case = SADASYA__ENTRY__BODY_ROSTER;
    b->e.roster = &b->ru;
    return &b->e;
}

/* The national node nat adds (or replaces) the chapter code with key. */
static inline void th_roster_add(th_node *nat, const char *code,
                                 const unsigned char key[KEYS_PUBLIC_BYTES])
{
    th_roster_body b;
    th_commit_body(nat, th_roster_one(&b, code, "Chapter", key), NULL, 0);
}

/* The national node nat revokes the chapter code. */
static inline void th_roster_revoke(th_node *nat, const char *code)
{
    char *codes[1] = { (char *)code };
    Sadasya__RosterUpdate ru = SADASYA__ROSTER_UPDATE__INIT;
    ru.n_revoke_states = 1;
    ru.revoke_states = codes;
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_ROSTER;
    e.roster = &ru;
    th_commit_body(nat, &e, NULL, 0);
}

/* The national node nat hands code over to key (NULL: revokes code), the
 * old key's entries ending at last_seq, the new key's series starting at
 * first_serial (node/README.md). */
static inline void th_roster_cut(th_node *nat, const char *code,
                                 const unsigned char old[KEYS_PUBLIC_BYTES],
                                 uint64_t last_seq,
                                 const unsigned char *key, uint64_t first_serial)
{
    Sadasya__Chapter ch = SADASYA__CHAPTER__INIT;
    ch.state = (char *)code;
    ch.name = (char *)"Chapter";
    ch.key.data = (uint8_t *)key;
    ch.key.len = KEYS_PUBLIC_BYTES;
    ch.first_serial = first_serial;
    Sadasya__Chapter *chs[1] = { &ch };
    Sadasya__KeyCut cut = SADASYA__KEY_CUT__INIT;
    cut.state = (char *)code;
    cut.key.data = (uint8_t *)old;
    cut.key.len = KEYS_PUBLIC_BYTES;
    cut.last_seq = last_seq;
    Sadasya__KeyCut *cuts[1] = { &cut };
    char *codes[1] = { (char *)code };
    Sadasya__RosterUpdate ru = SADASYA__ROSTER_UPDATE__INIT;
    if (key) {
        ru.n_chapters = 1;
        ru.chapters = chs;
    } else {
        ru.n_revoke_states = 1;
        ru.revoke_states = codes;
    }
    ru.n_cuts = 1;
    ru.cuts = cuts;
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_ROSTER;
    e.roster = &ru;
    th_commit_body(nat, &e, NULL, 0);
}

/* --- a small federation -------------------------------------------------- */

/* A national node, Bihar (BR) and Uttar Pradesh (UP) in one fresh
 * directory named after tag; BR is in the roster, and UP too when
 * up_in_roster. */
typedef struct th_fed {
    char root[TH_PATH_MAX];
    th_node nat, br, up;
} th_fed;

static inline th_fed *th_fed_new(const char *tag, int up_in_roster)
{
    th_fed *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    th_tmpdir(f->root, tag);
    th_node_national(&f->nat, f->root, "nat");
    th_node_state(&f->br, f->root, "br", "BR", f->nat.pk);
    th_node_state(&f->up, f->root, "up", "UP", f->nat.pk);
    th_roster_add(&f->nat, "BR", f->br.pk);
    if (up_in_roster)
        th_roster_add(&f->nat, "UP", f->up.pk);
    return f;
}

static inline void th_fed_free(th_fed *f)
{
    th_node_close(&f->nat);
    th_node_close(&f->br);
    th_node_close(&f->up);
    th_rmrf(f->root);
    free(f);
}

/* cmocka fixtures: each test gets its own federation, in a directory named
 * after the test program; UP is in the roster with th_fed_setup_up. */
static inline int th_fed_setup_as(void **state, int up_in_roster)
{
    th_fed *f = th_fed_new(program_invocation_short_name, up_in_roster);
    if (!f)
        return -1;
    *state = f;
    return 0;
}

static inline int th_fed_setup(void **state)
{
    return th_fed_setup_as(state, 0);
}

static inline int th_fed_setup_up(void **state)
{
    return th_fed_setup_as(state, 1);
}

static inline int th_fed_teardown(void **state)
{
    th_fed_free(*state);
    return 0;
}

/* --- carrying logs between nodes ---------------------------------------- */

/* Copies seqs from..to (inclusive; to 0: to the head) of origin's log in
 * src, each with its Personal blob where held, into a malloc'd array. */
static inline entry_signed *th_collect(store *src, const uint8_t origin[32],
                                       uint64_t from, uint64_t to, size_t *n)
{
    MDB_txn *txn;
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(store_begin(src, 0, &txn, &err), SD_OK);
    if (!to) {
        store_head h;
        assert_int_equal(store_head_get(src, txn, origin, &h, &err), SD_OK);
        to = h.seq;
    }
    size_t cnt = to >= from ? (size_t)(to - from + 1) : 0;
    entry_signed *items = calloc(cnt ? cnt : 1, sizeof *items);
    assert_non_null(items);
    for (size_t i = 0; i < cnt; i++) {
        const uint8_t *sig, *bytes;
        size_t len;
        assert_int_equal(store_log_get(src, txn, origin, from + i, &sig, &bytes,
                                       &len, &err),
                         SD_OK);
        items[i].entry = malloc(len);
        assert_non_null(items[i].entry);
        memcpy(items[i].entry, bytes, len);
        items[i].entry_len = len;
        memcpy(items[i].sig, sig, ENTRY_SIG_BYTES);
        uint8_t key[STORE_LOGKEY_BYTES];
        store_logkey(key, origin, from + i);
        MDB_val k = { sizeof key, key }, v;
        if (mdb_get(txn, src->personal, &k, &v) == 0) {
            items[i].personal = malloc(v.mv_size ? v.mv_size : 1);
            assert_non_null(items[i].personal);
            memcpy(items[i].personal, v.mv_data, v.mv_size);
            items[i].personal_len = v.mv_size;
        }
    }
    mdb_txn_abort(txn);
    *n = cnt;
    return items;
}

/* Registers count members on node n (th_register), then collects n's whole
 * log (th_collect) into *len items. */
static inline entry_signed *th_register_log(th_node *n, size_t count, size_t *len)
{
    th_register(n, count, NULL);
    return th_collect(n->s, n->pk, 1, 0, len);
}

/* Why the last refusal happened, and how many there were. */
typedef struct th_rejects {
    size_t n;
    char last[SD_ERR_MSG_MAX];
    char all[4096];
} th_rejects;

static inline void th_on_reject(const entry_signed *es, int kind, const char *why,
                                void *ctx)
{
    (void)es;
    (void)kind;
    th_rejects *r = ctx;
    r->n++;
    snprintf(r->last, sizeof r->last, "%s", why);
    size_t l = strlen(r->all);
    if (l + 2 < sizeof r->all)
        snprintf(r->all + l, sizeof r->all - l, "%s\n", why);
}

/* Applies items to s as a peer's batch (flags as given), recording
 * refusals in rej (may be NULL). Fails the test on a store error. */
static inline apply_result th_apply(store *s, entry_signed *items, size_t n,
                                    int flags, th_rejects *rej)
{
    apply_opts o;
    memset(&o, 0, sizeof o);
    o.flags = flags;
    if (rej) {
        memset(rej, 0, sizeof *rej);
        o.on_reject = th_on_reject;
        o.ctx = rej;
    }
    apply_result res;
    sd_err err;
    sd_err_clear(&err);
    int rc = apply_batch(s, items, n, &o, &res, &err);
    if (rc)
        fail_msg("apply_batch: %s", err.msg);
    return res;
}

/* Replicates everything of origin held by src that dst lacks. */
static inline apply_result th_replicate(store *src, store *dst,
                                        const uint8_t origin[32])
{
    MDB_txn *txn;
    store_head h;
    assert_int_equal(store_begin(dst, 0, &txn, NULL), SD_OK);
    assert_int_equal(store_head_get(dst, txn, origin, &h, NULL), SD_OK);
    mdb_txn_abort(txn);
    size_t n;
    entry_signed *items = th_collect(src, origin, h.seq + 1, 0, &n);
    apply_result res = th_apply(dst, items, n, 0, NULL);
    th_free_items(items, n);
    return res;
}

/* --- hand-made entries -------------------------------------------------- */

/* Encodes e (body set by the caller) as origin kp at seq after prev and
 * signs it into out, which owns the bytes. */
static inline void th_sign(const keys_pair *kp, Sadasya__Entry *e, uint64_t seq,
                           const uint8_t prev[ENTRY_HASH_BYTES],
                           entry_signed *out)
{
    static const uint8_t zero[ENTRY_HASH_BYTES];
    memset(out, 0, sizeof *out);
    e->origin.data = (uint8_t *)kp->pk;
    e->origin.len = KEYS_PUBLIC_BYTES;
    e->seq = seq;
    e->prev.data = (uint8_t *)(prev ? prev : zero);
    e->prev.len = ENTRY_HASH_BYTES;
    e->time_ms = 1789000000000ull;
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(entry_encode(e, &out->entry, &out->entry_len, &err), SD_OK);
    entry_sign(kp, out->entry, out->entry_len, out->sig);
}

/* A read transaction's head of origin. */
static inline store_head th_head(store *s, const uint8_t origin[32])
{
    MDB_txn *txn;
    store_head h;
    assert_int_equal(store_begin(s, 0, &txn, NULL), SD_OK);
    assert_int_equal(store_head_get(s, txn, origin, &h, NULL), SD_OK);
    mdb_txn_abort(txn);
    return h;
}

/* Number of records in one of s's tables. */
static inline size_t th_count(store *s, MDB_dbi dbi)
{
    MDB_txn *txn;
    MDB_stat st;
    assert_int_equal(store_begin(s, 0, &txn, NULL), SD_OK);
    assert_int_equal(mdb_stat(txn, dbi, &st), 0);
    mdb_txn_abort(txn);
    return st.ms_entries;
}

#endif
