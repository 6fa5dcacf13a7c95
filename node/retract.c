/*
 * retract.c — void entries out of the log, and the view folded again.
 * See retract.h.
 */
#include "retract.h"

#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "roster.h"
#include "store_db.h"

#define VOIDED_KEY_BYTES (STORE_LOGKEY_BYTES + ENTRY_HASH_BYTES)

int retract_keep(store *s, store_txn *txn, const uint8_t origin[32],
                 uint64_t seq, int reason, const uint8_t sig[ENTRY_SIG_BYTES],
                 const uint8_t *entry, size_t len, sd_err *err)
{
    uint8_t key[VOIDED_KEY_BYTES];
    store_logkey(key, origin, seq);
    entry_hash(entry, len, sig, key + STORE_LOGKEY_BYTES);
    MDB_val k = { sizeof key, key }, v = { 1 + ENTRY_SIG_BYTES + len, NULL };
    int rc = mdb_put(txn, s->voided, &k, &v, MDB_RESERVE);
    if (rc)
        return store_mdb_err(rc, "keeping a void entry", err);
    uint8_t *p = v.mv_data;
    p[0] = (uint8_t)reason;
    memcpy(p + 1, sig, ENTRY_SIG_BYTES);
    memcpy(p + 1 + ENTRY_SIG_BYTES, entry, len);
    return SD_OK;
}

typedef struct joins_walk {
    uint64_t upto, *joins;
    uint8_t *hash;
    sd_err *err;
} joins_walk;

#define JOINS_DONE 1 /* count_join's word: past upto */

/* One log entry up to upto: a join counted, its hash kept. */
static int count_join(uint64_t seq, const uint8_t *sig, const uint8_t *bytes,
                      size_t len, void *ctx)
{
    joins_walk *w = ctx;
    if (seq > w->upto)
        return JOINS_DONE;
    if (!len)
        return sd_errf(w->err, SD_ECORRUPT, "log record of seq %llu is "
                       "truncated", (unsigned long long)seq);
    Sadasya__Entry *e = NULL;
    int rc = entry_decode(bytes, len, &e, w->err);
    if (rc)
        return rc;
    if (e->body_case == SADASYA__ENTRY__BODY_JOINED)
        (*w->joins)++;
    sadasya__entry__free_unpacked(e, NULL);
    entry_hash(bytes, len, sig, w->hash);
    return 0;
}

int retract_count_joins(store *s, store_txn *txn, const uint8_t key[32],
                        uint64_t upto, uint64_t *joins,
                        uint8_t hash[ENTRY_HASH_BYTES], sd_err *err)
{
    *joins = 0;
    memset(hash, 0, ENTRY_HASH_BYTES);
    joins_walk w = { upto, joins, hash, err };
    int rc = store_log_each(s, txn, key, 1, count_join, &w, err);
    return rc == JOINS_DONE ? SD_OK : rc;
}

int retract_beyond(store *s, store_txn *txn, const uint8_t key[32],
                   uint64_t last_seq, size_t *n, sd_err *err)
{
    *n = 0;
    store_head h;
    int rc = store_head_get(s, txn, key, &h, err);
    if (rc || h.seq <= last_seq)
        return rc;
    for (uint64_t seq = last_seq + 1; seq <= h.seq; seq++) {
        const uint8_t *sig, *bytes;
        size_t len;
        if ((rc = store_log_get(s, txn, key, seq, &sig, &bytes, &len, err)))
            return rc;
        /* Copied out: the put below may move pages of the map. */
        uint8_t *copy = malloc(ENTRY_SIG_BYTES + len);
        if (!copy)
            return sd_errf(err, SD_ENOMEM, "out of memory");
        memcpy(copy, sig, ENTRY_SIG_BYTES);
        memcpy(copy + ENTRY_SIG_BYTES, bytes, len);
        rc = retract_keep(s, txn, key, seq, VOIDED_RETRACTED, copy,
                          copy + ENTRY_SIG_BYTES, len, err);
        free(copy);
        if (rc)
            return rc;
        uint8_t lk[STORE_LOGKEY_BYTES];
        store_logkey(lk, key, seq);
        MDB_val k = { sizeof lk, lk };
        int mrc = mdb_del(txn, s->log, &k, NULL);
        if (!mrc) {
            mrc = mdb_del(txn, s->personal, &k, NULL);
            if (mrc == MDB_NOTFOUND)
                mrc = 0;
        }
        if (mrc)
            return store_mdb_err(mrc, "retracting an entry", err);
        (*n)++;
    }
    store_head nh = h;
    nh.seq = last_seq;
    if ((rc = retract_count_joins(s, txn, key, last_seq, &nh.joins, nh.hash,
                                  err)))
        return rc;
    if (last_seq == 0) {
        MDB_val k = { 32, (void *)key };
        int mrc = mdb_del(txn, s->heads, &k, NULL);
        return mrc && mrc != MDB_NOTFOUND
                   ? store_mdb_err(mrc, "retracting a head", err) : SD_OK;
    }
    return store_head_put(s, txn, key, &nh, err);
}

/* --- the fold order ----------------------------------------------------- */

typedef struct origin_list {
    uint8_t (*keys)[32];
    char (*states)[STORE_STATE_BYTES];
    size_t n, cap;
} origin_list;

static int list_add(origin_list *l, const uint8_t key[32], const char *state,
                    sd_err *err)
{
    for (size_t i = 0; i < l->n; i++)
        if (!memcmp(l->keys[i], key, 32))
            return SD_OK;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        void *nk = realloc(l->keys, cap * sizeof *l->keys);
        if (!nk)
            return sd_errf(err, SD_ENOMEM, "out of memory");
        l->keys = nk;
        void *ns = realloc(l->states, cap * sizeof *l->states);
        if (!ns)
            return sd_errf(err, SD_ENOMEM, "out of memory");
        l->states = ns;
        l->cap = cap;
    }
    memcpy(l->keys[l->n], key, 32);
    memset(l->states[l->n], 0, STORE_STATE_BYTES);
    memcpy(l->states[l->n], state, strnlen(state, STORE_STATE_BYTES - 1));
    l->n++;
    return SD_OK;
}

typedef struct order_ctx {
    store *s;
    store_txn *txn;
    origin_list *l;
    sd_err *err;
} order_ctx;

static int add_key(const uint8_t key[32], const roster_key *rk, void *ctx)
{
    order_ctx *o = ctx;
    return list_add(o->l, key, rk->state, o->err);
}

static int add_state(const Sadasya__ChapterView *cv, void *ctx)
{
    order_ctx *o = ctx;
    return roster_each_key(o->s, o->txn, cv->chapter->state, add_key, o,
                           o->err);
}

static int add_held(const uint8_t origin[32], const store_head *h, void *ctx)
{
    order_ctx *o = ctx;
    return list_add(o->l, origin, h->state, o->err);
}

int retract_each_origin(store *s, store_txn *txn,
                        int (*fn)(const uint8_t origin[32], const char *state,
                                  void *ctx),
                        void *ctx, sd_err *err)
{
    origin_list l = { 0 };
    order_ctx o = { s, txn, &l, err };
    uint8_t national[32];
    int rc = SD_OK;
    if (roster_national_key(s, txn, national, NULL) == SD_OK)
        rc = list_add(&l, national, ROSTER_NATIONAL_STATE, err);
    if (!rc)
        rc = roster_each(s, txn, add_state, &o, err);
    /* Then every other origin held (in key order), as its head names it. */
    if (!rc)
        rc = store_origins_each(s, txn, add_held, &o, err);
    for (size_t i = 0; i < l.n && !rc; i++) {
        store_head h;
        if ((rc = store_head_get(s, txn, l.keys[i], &h, err)))
            break;
        if (h.seq)
            rc = fn(l.keys[i], l.states[i], ctx);
    }
    free(l.keys);
    free(l.states);
    return rc;
}

/* --- folding again ------------------------------------------------------ */

typedef struct refold_ctx {
    store *s;
    store_txn *txn;
    view_batch *b;
    sd_err *err;
    const uint8_t *origin; /* the origin being folded, and its state */
    const char *state;
} refold_ctx;

/* One log entry folded again, with its Personal blob where held. */
static int refold_entry(uint64_t seq, const uint8_t *sig, const uint8_t *bytes,
                        size_t len, void *ctx)
{
    refold_ctx *r = ctx;
    (void)sig;
    if (!len)
        return sd_errf(r->err, SD_ECORRUPT, "log record of seq %llu is "
                       "truncated", (unsigned long long)seq);
    Sadasya__Entry *e = NULL;
    int rc = entry_decode(bytes, len, &e, r->err);
    if (rc)
        return rc;
    Sadasya__Personal *p = NULL;
    const uint8_t *blob;
    size_t blen;
    if (store_personal_get(r->s, r->txn, r->origin, seq, &blob, &blen,
                           NULL) == SD_OK)
        entry_personal_decode(blob, blen, &p, NULL);
    /* The roster is not derived from chapters' logs: it stays. */
    if (e->body_case != SADASYA__ENTRY__BODY_ROSTER)
        rc = fold_entry(r->s, r->txn, r->b, e, r->state, p, r->err);
    if (p)
        sadasya__personal__free_unpacked(p, NULL);
    sadasya__entry__free_unpacked(e, NULL);
    return rc;
}

static int refold_origin(const uint8_t origin[32], const char *state, void *ctx)
{
    refold_ctx *r = ctx;
    r->origin = origin;
    r->state = state;
    return store_log_each(r->s, r->txn, origin, 1, refold_entry, r, r->err);
}

int retract_refold(store *s, store_txn *txn, sd_err *err)
{
    const MDB_dbi derived[] = {
        s->members, s->idx_phone, s->idx_name, s->idx_dist, s->counters,
        s->officers, s->events, s->attend, s->honours, s->notices,
        s->directory,
    };
    for (size_t i = 0; i < sizeof derived / sizeof derived[0]; i++) {
        int rc = mdb_drop(txn, derived[i], 0);
        if (rc)
            return store_mdb_err(rc, "emptying the view", err);
    }
    view_batch *b = NULL;
    int rc = view_batch_new(&b, err);
    if (rc)
        return rc;
    refold_ctx r = { s, txn, b, err, NULL, NULL };
    rc = retract_each_origin(s, txn, refold_origin, &r, err);
    if (!rc)
        rc = view_flush(s, txn, b, err);
    view_batch_destroy(&b);
    return rc;
}

static int view_format(store *s, store_txn *txn)
{
    const void *v;
    size_t len;
    sd_err e;
    if (store_meta_get(s, txn, STORE_META_VIEW_FORMAT, &v, &len, &e) ||
        len != 1)
        return 0;
    return *(const uint8_t *)v;
}

int retract_view_current(store *s, sd_err *err)
{
    store_txn *txn;
    int rc = store_begin(s, 0, &txn, err);
    if (rc)
        return rc;
    int fmt = view_format(s, txn);
    store_end(txn);
    if (fmt >= RETRACT_VIEW_FORMAT)
        return SD_OK;
    if ((rc = store_begin(s, 1, &txn, err)))
        return rc;
    const uint8_t now = RETRACT_VIEW_FORMAT;
    if (view_format(s, txn) < RETRACT_VIEW_FORMAT) /* not done meanwhile */
        rc = retract_refold(s, txn, err);
    if (!rc)
        rc = store_meta_put(s, txn, STORE_META_VIEW_FORMAT, &now, 1, err);
    if (rc) {
        store_end(txn);
        return rc;
    }
    return store_commit(s, txn, err);
}

int retract_each_void(store *s, store_txn *txn,
                      int (*fn)(const uint8_t origin[32], uint64_t seq,
                                int reason, const uint8_t *entry, size_t len,
                                void *ctx),
                      void *ctx, sd_err *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->voided, &c);
    if (rc)
        return store_mdb_err(rc, "reading void entries", err);
    MDB_val k, v;
    int ret = SD_OK;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && !ret;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != VOIDED_KEY_BYTES || v.mv_size <= 1 + ENTRY_SIG_BYTES)
            continue;
        const uint8_t *p = k.mv_data, *val = v.mv_data;
        ret = fn(p, store_be64(p + KEYS_PUBLIC_BYTES), val[0],
                 val + 1 + ENTRY_SIG_BYTES, v.mv_size - 1 - ENTRY_SIG_BYTES, ctx);
    }
    mdb_cursor_close(c);
    return ret;
}

typedef struct void_counts {
    uint64_t retracted, number_held;
} void_counts;

static int count_void(const uint8_t origin[32], uint64_t seq, int reason,
                      const uint8_t *entry, size_t len, void *ctx)
{
    void_counts *n = ctx;
    (void)origin, (void)seq, (void)entry, (void)len;
    if (reason == VOIDED_RETRACTED)
        n->retracted++;
    else
        n->number_held++;
    return 0;
}

int retract_count(store *s, store_txn *txn, uint64_t *retracted,
                  uint64_t *number_held, sd_err *err)
{
    void_counts n = { 0, 0 };
    int rc = retract_each_void(s, txn, count_void, &n, err);
    if (retracted)
        *retracted = n.retracted;
    if (number_held)
        *number_held = n.number_held;
    return rc;
}
