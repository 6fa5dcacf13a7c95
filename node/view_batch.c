/*
 * view_batch.c — the batch engine under the view's writes: one
 * view_batch per write transaction sums counter deltas in memory and
 * writes each counter once, defers index puts and sorts them per table
 * before they are put (node/README.md, Storage), and keeps a write cursor
 * per table. The folds (view_fold.c) feed it; see view.h.
 */
#include "view.h"
#include "view_int.h"

#include <stdlib.h>
#include <string.h>

#define COUNTER_BUCKETS 4096
#define VIEW_CURSORS 64 /* above any dbi handle a store opens */

/* --- the batch: counter deltas and deferred index puts ----------------- */

typedef struct counter_delta {
    struct counter_delta *next;
    int64_t d[6]; /* members, active, inactive, resigned, deceased, fee */
    uint32_t hash;
    uint16_t klen;
    char key[];
} counter_delta;

typedef struct index_put {
    MDB_dbi dbi;
    uint32_t item; /* for puts made ahead: the item of the batch they index */
    uint16_t klen, vlen;
    uint64_t prefix; /* the key's first 8 bytes, big-endian: most compares end here */
    size_t off; /* into arena: key bytes then value bytes */
} index_put;

struct view_batch {
    counter_delta *buckets[COUNTER_BUCKETS];
    size_t ncounters;
    index_put *puts;
    size_t nputs, capputs;
    char *arena;
    size_t arena_len, arena_cap;
    /* One write cursor per table, for the batch's transaction: a cursor
     * put near the previous one skips the search from the root. LMDB
     * frees them when the transaction ends, with the batch. */
    MDB_cursor *cur[VIEW_CURSORS];
    int indexed;     /* joined members' index entries were made ahead */
};

void view_batch_indexed(view_batch *b, int on)
{
    b->indexed = on;
}

int view_batch_is_indexed(const view_batch *b)
{
    return b->indexed;
}

int view_cursor(view_batch *b, MDB_txn *txn, MDB_dbi dbi, MDB_cursor **c,
                sd_err *err)
{
    if (dbi >= VIEW_CURSORS) {
        int rc = mdb_cursor_open(txn, dbi, c); /* not cached: closed by the txn */
        return rc ? store_mdb_err(rc, "opening a cursor", err) : SD_OK;
    }
    if (!b->cur[dbi]) {
        int rc = mdb_cursor_open(txn, dbi, &b->cur[dbi]);
        if (rc) {
            b->cur[dbi] = NULL;
            return store_mdb_err(rc, "opening a cursor", err);
        }
    }
    *c = b->cur[dbi];
    return SD_OK;
}

int view_batch_new(view_batch **out, sd_err *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? SD_OK : sd_errf(err, SD_ENOMEM, "out of memory");
}

void view_batch_discard(view_batch *b)
{
    for (size_t i = 0; i < COUNTER_BUCKETS; i++) {
        counter_delta *c = b->buckets[i];
        while (c) {
            counter_delta *n = c->next;
            free(c);
            c = n;
        }
        b->buckets[i] = NULL;
    }
    b->ncounters = 0;
    b->nputs = 0;
    b->arena_len = 0;
}

void view_batch_destroy(view_batch **b)
{
    if (!b || !*b)
        return;
    view_batch_discard(*b);
    free((*b)->puts);
    free((*b)->arena);
    free(*b);
    *b = NULL;
}

static uint32_t hash_bytes(const char *p, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a: short keys, no adversary here */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    return h;
}

int view_counter_add(view_batch *b, const char *key, size_t klen,
                     const int64_t d[6], sd_err *err)
{
    uint32_t full = hash_bytes(key, klen), h = full % COUNTER_BUCKETS;
    counter_delta *c;
    for (c = b->buckets[h]; c; c = c->next)
        if (c->hash == full && c->klen == klen && !memcmp(c->key, key, klen))
            break;
    if (!c) {
        c = calloc(1, sizeof *c + klen);
        if (!c)
            return sd_errf(err, SD_ENOMEM, "out of memory");
        c->klen = (uint16_t)klen;
        c->hash = full;
        memcpy(c->key, key, klen);
        c->next = b->buckets[h];
        b->buckets[h] = c;
        b->ncounters++;
    }
    for (int i = 0; i < 6; i++)
        c->d[i] += d[i];
    return SD_OK;
}

int view_index_defer(view_batch *b, MDB_dbi dbi, uint32_t item, const void *k,
                     size_t kl, const void *v, size_t vl, sd_err *err)
{
    if (kl == 0)
        return SD_OK;
    if (b->nputs == b->capputs) {
        size_t cap = b->capputs ? b->capputs * 2 : 1024;
        index_put *np = realloc(b->puts, cap * sizeof *np);
        if (!np)
            return sd_errf(err, SD_ENOMEM, "out of memory");
        b->puts = np;
        b->capputs = cap;
    }
    if (b->arena_len + kl + vl > b->arena_cap) {
        size_t cap = b->arena_cap ? b->arena_cap * 2 : 65536;
        while (cap < b->arena_len + kl + vl)
            cap *= 2;
        char *na = realloc(b->arena, cap);
        if (!na)
            return sd_errf(err, SD_ENOMEM, "out of memory");
        b->arena = na;
        b->arena_cap = cap;
    }
    index_put *p = &b->puts[b->nputs++];
    p->dbi = dbi;
    p->item = item;
    p->klen = (uint16_t)kl;
    p->vlen = (uint16_t)vl;
    p->off = b->arena_len;
    p->prefix = 0;
    for (size_t i = 0; i < 8; i++)
        p->prefix = (p->prefix << 8) | (i < kl ? ((const uint8_t *)k)[i] : 0);
    memcpy(b->arena + b->arena_len, k, kl);
    memcpy(b->arena + b->arena_len + kl, v, vl);
    b->arena_len += kl + vl;
    return SD_OK;
}

/* LMDB's default order: memcmp over the shorter length, then length. */
static int lmdb_order(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al < bl ? -1 : al > bl);
}

/* Index puts are sorted by (table, key), and under one key kept in the
 * order they were made: a member's number grows along its origin's run,
 * so under one key they mostly come ascending already (LMDB takes any
 * order; sorted puts just land near each other). Most puts share their
 * key with many others (districts, common names), so the puts are grouped
 * by key through a hash table, the distinct keys sorted, and the puts
 * placed by a counting pass: linear in the puts, n log n only in keys. */
typedef struct put_group {
    const char *key;
    uint64_t prefix;
    MDB_dbi dbi;
    uint32_t klen, count, start, orig;
} put_group;

static int group_cmp(const void *x, const void *y)
{
    const put_group *a = x, *b = y;
    if (a->dbi != b->dbi)
        return a->dbi < b->dbi ? -1 : 1;
    /* Zero-padded prefixes order like the keys whenever they differ. */
    if (a->prefix != b->prefix)
        return a->prefix < b->prefix ? -1 : 1;
    return lmdb_order(a->key, a->klen, b->key, b->klen);
}

static int counter_key_cmp(const void *x, const void *y)
{
    const counter_delta *a = *(counter_delta *const *)x;
    const counter_delta *b = *(counter_delta *const *)y;
    return lmdb_order(a->key, a->klen, b->key, b->klen);
}

static int flush_counters(store *s, MDB_txn *txn, view_batch *b, sd_err *err)
{
    if (!b->ncounters)
        return SD_OK;
    counter_delta **all = malloc(b->ncounters * sizeof *all);
    if (!all)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < COUNTER_BUCKETS; i++)
        for (counter_delta *c = b->buckets[i]; c; c = c->next)
            all[n++] = c;
    qsort(all, n, sizeof *all, counter_key_cmp);
    int ret = SD_OK;
    for (size_t i = 0; i < n && !ret; i++) {
        MDB_val k = { all[i]->klen, all[i]->key }, v;
        counter_row row = { 0 };
        int rc = mdb_get(txn, s->counters, &k, &v);
        if (rc == 0 && v.mv_size == sizeof row)
            memcpy(&row, v.mv_data, sizeof row);
        else if (rc && rc != MDB_NOTFOUND) {
            ret = store_mdb_err(rc, "reading counters", err);
            break;
        }
        uint64_t *f = &row.members;
        for (int j = 0; j < 6; j++)
            f[j] = (uint64_t)((int64_t)f[j] + all[i]->d[j]);
        if (!row.members && !row.fee_paise) {
            rc = mdb_del(txn, s->counters, &k, NULL);
            if (rc == MDB_NOTFOUND)
                rc = 0;
        } else {
            v.mv_size = sizeof row;
            v.mv_data = &row;
            rc = mdb_put(txn, s->counters, &k, &v, 0);
        }
        if (rc)
            ret = store_mdb_err(rc, "writing counters", err);
    }
    free(all);
    return ret;
}

void view_index_sort(view_batch *b)
{
    size_t n = b->nputs, cap = 16;
    if (n < 2)
        return;
    while (cap < 2 * n)
        cap *= 2;
    uint32_t *slot = malloc(cap * sizeof *slot);
    uint32_t *gid = malloc(n * sizeof *gid);
    put_group *g = malloc(n * sizeof *g);
    index_put *out = malloc(n * sizeof *out);
    uint32_t *rank = malloc(n * sizeof *rank);
    if (!slot || !gid || !g || !out || !rank)
        goto done; /* unsorted: slower puts, the same result */
    memset(slot, 0xff, cap * sizeof *slot);
    uint32_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        const index_put *p = &b->puts[i];
        const char *k = b->arena + p->off;
        size_t h = (hash_bytes(k, p->klen) ^ (uint32_t)p->dbi * 2654435761u) &
                   (cap - 1);
        for (;; h = (h + 1) & (cap - 1)) {
            uint32_t at = slot[h];
            if (at == UINT32_MAX) {
                g[ng] = (put_group){ k, p->prefix, p->dbi, p->klen, 0, 0, ng };
                slot[h] = at = ng++;
            } else if (g[at].dbi != p->dbi || g[at].klen != p->klen ||
                       memcmp(g[at].key, k, p->klen)) {
                continue;
            }
            gid[i] = at;
            g[at].count++;
            break;
        }
    }
    qsort(g, ng, sizeof *g, group_cmp);
    uint32_t at = 0;
    for (uint32_t i = 0; i < ng; i++) {
        rank[g[i].orig] = i;
        g[i].start = at;
        at += g[i].count;
    }
    for (size_t i = 0; i < n; i++)
        out[g[rank[gid[i]]].start++] = b->puts[i];
    free(b->puts);
    b->puts = out;
    b->capputs = n;
    out = NULL;
done:
    free(slot);
    free(gid);
    free(g);
    free(out);
    free(rank);
}

/* Puts b's sorted index entries (those whose item keep marks, when keep
 * is not NULL) through the cursors that `into` keeps for txn. */
static int put_sorted(view_batch *b, const uint8_t *keep, size_t nkeep,
                      MDB_txn *txn, view_batch *into, sd_err *err)
{
    int ret = SD_OK;
    MDB_cursor *c = NULL;
    MDB_dbi cdbi = 0;
    for (size_t i = 0; i < b->nputs; i++) {
        index_put *p = &b->puts[i];
        if (keep && (p->item >= nkeep || !keep[p->item]))
            continue;
        MDB_val k = { p->klen, b->arena + p->off };
        MDB_val v = { p->vlen, b->arena + p->off + p->klen };
        if (!c || cdbi != p->dbi) {
            if ((ret = view_cursor(into, txn, p->dbi, &c, err)))
                break;
            cdbi = p->dbi;
        }
        int rc = mdb_cursor_put(c, &k, &v, 0);
        if (rc) {
            ret = store_mdb_err(rc, "writing indexes", err);
            break;
        }
    }
    return ret;
}

int view_index_put(view_batch *b, const uint8_t *keep, size_t nkeep,
                   MDB_txn *txn, view_batch *into, sd_err *err)
{
    return put_sorted(b, keep, nkeep, txn, into, err);
}

int view_flush(store *s, MDB_txn *txn, view_batch *b, sd_err *err)
{
    int ret = flush_counters(s, txn, b, err);
    if (!ret && b->nputs) {
        view_index_sort(b);
        ret = put_sorted(b, NULL, 0, txn, b, err);
    }
    view_batch_discard(b);
    return ret;
}

/* --- counter keys ------------------------------------------------------ */

/* "dim" NUL "v1" ["/" "v2"], cut to VIEW_COUNTER_KEY_MAX - 1 bytes. Built by
 * hand: it runs nine times per member folded. */
size_t view_dim_key(char out[VIEW_COUNTER_KEY_MAX], const char *dim,
                    const char *v1, const char *v2)
{
    size_t n = 0;
    const char *parts[4] = { dim, "", v1, v2 };
    for (int i = 0; i < 4; i++) {
        if (i == 1) {
            out[n++] = '\0';
            continue;
        }
        if (i == 3) {
            if (!v2)
                break;
            if (n < VIEW_COUNTER_KEY_MAX - 1)
                out[n++] = '/';
        }
        size_t l = strlen(parts[i]);
        if (l > VIEW_COUNTER_KEY_MAX - 1 - n)
            l = VIEW_COUNTER_KEY_MAX - 1 - n;
        memcpy(out + n, parts[i], l);
        n += l;
    }
    out[n] = '\0';
    return n;
}

int view_count(view_batch *b, const char *dim, const char *value,
               const int64_t d[6], sd_err *err)
{
    char k[VIEW_COUNTER_KEY_MAX];
    size_t kl = view_dim_key(k, dim, value, NULL);
    return view_counter_add(b, k, kl, d, err);
}
