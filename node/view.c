/*
 * view.c — folding entries into members, indexes and counters; reading
 * them back. See view.h for the tables' shapes.
 */
#include "view.h"

#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include "day.h"
#include "number.h"
#include "roster.h"
#include "text.h"

#define COUNTER_KEY_MAX 256
#define COUNTER_BUCKETS 4096
#define INDEX_KEY_MAX 300
#define VIEW_DIMS 9
#define VIEW_CURSORS 64 /* above any dbi handle a store opens */

/* --- enum names -------------------------------------------------------- */

static const char *const gender_names[] = { "unspecified", "female", "male",
                                            "other" };
static const char *const area_names[] = { "unspecified", "urban", "rural" };
static const char *const status_names[] = { "unspecified", "active",
                                            "inactive", "resigned",
                                            "deceased" };
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *enum_name(const char *const *names, size_t n, int v)
{
    return v >= 0 && (size_t)v < n ? names[v] : "unknown";
}

static int enum_parse(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 1; i < n; i++)
        if (s && !strcasecmp(s, names[i]))
            return (int)i;
    return -1;
}

const char *view_gender_name(int g) { return enum_name(gender_names, NELEM(gender_names), g); }
const char *view_area_name(int a) { return enum_name(area_names, NELEM(area_names), a); }
const char *view_status_name(int st) { return enum_name(status_names, NELEM(status_names), st); }
int view_gender_parse(const char *s) { return enum_parse(gender_names, NELEM(gender_names), s); }
int view_area_parse(const char *s) { return enum_parse(area_names, NELEM(area_names), s); }
int view_status_parse(const char *s) { return enum_parse(status_names, NELEM(status_names), s); }

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
    uint32_t item;   /* tag of the puts deferred now */
    int indexed;     /* joined members' index entries were made ahead */
};

void view_batch_indexed(view_batch *b, int on)
{
    b->indexed = on;
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

static int counter_add(view_batch *b, const char *key, size_t klen,
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

static int index_defer(view_batch *b, MDB_dbi dbi, const void *k, size_t kl,
                       const void *v, size_t vl, sd_err *err)
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
    p->item = b->item;
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

/* --- a member's contributions ----------------------------------------- */

/* "dim" NUL "v1" ["/" "v2"], cut to COUNTER_KEY_MAX - 1 bytes. Built by
 * hand: it runs nine times per member folded. */
static size_t dim_key(char out[COUNTER_KEY_MAX], const char *dim,
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
            if (n < COUNTER_KEY_MAX - 1)
                out[n++] = '/';
        }
        size_t l = strlen(parts[i]);
        if (l > COUNTER_KEY_MAX - 1 - n)
            l = COUNTER_KEY_MAX - 1 - n;
        memcpy(out + n, parts[i], l);
        n += l;
    }
    out[n] = '\0';
    return n;
}

/* Adds (sign +1) or removes (sign -1) m's contribution to every counter. */
static int member_count(view_batch *b, const Sadasya__MemberView *m, int sign,
                        sd_err *err)
{
    int64_t d[6] = { sign, 0, 0, 0, 0, sign * (int64_t)m->fee_paise };
    int st = m->status;
    if (st >= SADASYA__STATUS__ACTIVE && st <= SADASYA__STATUS__DECEASED)
        d[st] = sign; /* ACTIVE=1 .. DECEASED=4 line up with d[1..4] */
    char month[8];
    day_format_month(m->joined_day, month);
    char keys[VIEW_DIMS][COUNTER_KEY_MAX];
    size_t lens[VIEW_DIMS];
    lens[0] = dim_key(keys[0], "total", "", NULL);
    lens[1] = dim_key(keys[1], "state", m->state, NULL);
    lens[2] = dim_key(keys[2], "district", m->state, m->district);
    lens[3] = dim_key(keys[3], "gender", view_gender_name(m->gender), NULL);
    lens[4] = dim_key(keys[4], "status", view_status_name(m->status), NULL);
    lens[5] = dim_key(keys[5], "area", view_area_name(m->area), NULL);
    lens[6] = dim_key(keys[6], "month", month, NULL);
    char day[DAY_STR_LEN];
    day_format(m->joined_day, day);
    lens[7] = dim_key(keys[7], "day", m->state, day);
    int ndims = 8;
    if (m->referred_by && *m->referred_by)
        lens[ndims] = dim_key(keys[ndims], "referrer", m->referred_by, NULL), ndims++;
    for (int i = 0; i < ndims; i++) {
        int rc = counter_add(b, keys[i], lens[i], d, err);
        if (rc)
            return rc;
    }
    return SD_OK;
}

static size_t district_key(char out[INDEX_KEY_MAX], const char *state,
                           const char *district)
{
    size_t sl = strlen(state), dl = strlen(district);
    if (sl + 1 + dl > INDEX_KEY_MAX)
        dl = INDEX_KEY_MAX - sl - 1;
    memcpy(out, state, sl);
    out[sl] = '\0';
    for (size_t i = 0; i < dl; i++)
        out[sl + 1 + i] = (char)tolower((unsigned char)district[i]);
    return sl + 1 + dl;
}

typedef struct index_ctx {
    store *s;
    MDB_txn *txn;
    view_batch *b;
    const char *number;
    int add; /* 1: defer a put; 0: delete now */
    sd_err *err;
} index_ctx;

static int index_one(index_ctx *x, MDB_dbi dbi, const char *k, size_t kl)
{
    size_t nl = strlen(x->number);
    if (x->add)
        return index_defer(x->b, dbi, k, kl, x->number, nl, x->err);
    MDB_val mk = { kl, (void *)k }, mv = { nl, (void *)x->number };
    int rc = mdb_del(x->txn, dbi, &mk, &mv);
    if (rc && rc != MDB_NOTFOUND)
        return store_mdb_err(rc, "updating indexes", x->err);
    return SD_OK;
}

static int index_token(const char *tok, size_t len, void *ctx)
{
    index_ctx *x = ctx;
    return index_one(x, x->s->idx_name, tok, len);
}

/* Adds or removes the index entries of a member's personal data. */
static int index_personal(index_ctx *x, const Sadasya__Personal *p)
{
    if (!p)
        return SD_OK;
    char phone[TEXT_PHONE_MAX];
    int rc;
    if (p->phone && text_phone_norm(p->phone, phone) > 0 &&
        (rc = index_one(x, x->s->idx_phone, phone, strlen(phone))))
        return rc;
    if (p->name && (rc = text_tokens(p->name, index_token, x)))
        return rc;
    if (p->name_en && (rc = text_tokens(p->name_en, index_token, x)))
        return rc;
    return SD_OK;
}

static int index_district(index_ctx *x, const Sadasya__MemberView *m)
{
    char k[INDEX_KEY_MAX];
    size_t kl = district_key(k, m->state, m->district);
    return index_one(x, x->s->idx_dist, k, kl);
}

static int member_put(store *s, MDB_txn *txn, view_batch *b,
                      const Sadasya__MemberView *m, sd_err *err)
{
    size_t n = sadasya__member_view__get_packed_size(m);
    MDB_val k = { strlen(m->number), m->number }, v = { n, NULL };
    MDB_cursor *c;
    int rc = view_cursor(b, txn, s->members, &c, err);
    if (rc)
        return rc;
    rc = mdb_cursor_put(c, &k, &v, MDB_RESERVE);
    if (rc)
        return store_mdb_err(rc, "writing a member", err);
    sadasya__member_view__pack(m, v.mv_data);
    return SD_OK;
}

/* --- check and fold ---------------------------------------------------- */

static uint32_t entry_day(const Sadasya__Entry *e)
{
    return (uint32_t)(e->time_ms / 86400000ull);
}

int view_check_member_of(store *s, MDB_txn *txn, const Sadasya__Entry *e,
                         const char *state, const char *number, sd_err *err)
{
    char canon[NUMBER_MAX_LEN];
    int rc = number_parse(number, canon, NULL, NULL, err);
    if (rc)
        return rc;
    if (strcmp(canon, number))
        return sd_errf(err, SD_EINVAL, "number %s is not in canonical form",
                       number);
    Sadasya__MemberView *m = NULL;
    rc = view_member_get(s, txn, number, &m, err);
    if (rc == SD_ENOTFOUND)
        return sd_errf(err, SD_EINVAL, "no member %s", number);
    if (rc)
        return rc;
    /* The member's own key, or any other key of its state (a later epoch
     * takes over every member of the state, whichever log holds it). */
    int ours = (m->origin.len == 32 &&
                !memcmp(m->origin.data, e->origin.data, 32)) ||
               (state && strcmp(state, ROSTER_NATIONAL_STATE) &&
                m->state && !strcmp(m->state, state));
    sadasya__member_view__free_unpacked(m, NULL);
    if (!ours)
        return sd_errf(err, SD_EAUTH,
                       "member %s belongs to another state", number);
    return SD_OK;
}

int view_check_joined(store *s, MDB_txn *txn, const Sadasya__Entry *e,
                      const char *state, uint64_t first_serial,
                      const store_head *h, sd_err *err)
{
    const Sadasya__MemberJoined *j = e->joined;
    char canon[NUMBER_MAX_LEN], st[NUMBER_STATE_MAX + 1];
    uint64_t serial;
    int rc = number_parse(j->number, canon, st, &serial, err);
    if (rc)
        return rc;
    if (strcmp(canon, j->number))
        return sd_errf(err, SD_EINVAL, "number %s is not in canonical form",
                       j->number);
    if (strcmp(st, state))
        return sd_errf(err, SD_EAUTH,
                       "number %s under the prefix of another state "
                       "(origin writes for %s)", j->number, state);
    /* The n-th join of a key carries first_serial + n - 1 (node/README.md). */
    uint64_t expect = (first_serial ? first_serial : 1) + h->joins;
    if (serial != expect)
        return sd_errf(err, SD_EINVAL,
                       "number %s out of sequence (expected serial %llu)",
                       j->number, (unsigned long long)expect);
    if (j->personal_hash.len != ENTRY_HASH_BYTES)
        return sd_errf(err, SD_EINVAL, "member %s: no personal hash",
                       j->number);
    if (j->gender < SADASYA__GENDER__FEMALE || j->gender > SADASYA__GENDER__OTHER)
        return sd_errf(err, SD_EINVAL, "member %s: no gender", j->number);
    if (!j->district || !*j->district)
        return sd_errf(err, SD_EINVAL, "member %s: no district", j->number);
    /* One number, one member: never folded over an earlier join. */
    MDB_val mk = { strlen(j->number), j->number }, mv;
    int mrc = mdb_get(txn, s->members, &mk, &mv);
    if (mrc == 0)
        return sd_errf(err, SD_ECONFLICT,
                       "number %s is already held by another member: "
                       "refused, kept as evidence", j->number);
    if (mrc != MDB_NOTFOUND)
        return store_mdb_err(mrc, "reading a member", err);
    return SD_OK;
}

int view_check_updated(store *s, MDB_txn *txn, const Sadasya__Entry *e,
                       const char *state, sd_err *err)
{
    if (e->updated->personal_hash.len &&
        e->updated->personal_hash.len != ENTRY_HASH_BYTES)
        return sd_errf(err, SD_EINVAL, "update: bad personal hash");
    return view_check_member_of(s, txn, e, state, e->updated->number, err);
}

int view_check_status(store *s, MDB_txn *txn, const Sadasya__Entry *e,
                      const char *state, sd_err *err)
{
    if (e->status->status < SADASYA__STATUS__ACTIVE ||
        e->status->status > SADASYA__STATUS__DECEASED)
        return sd_errf(err, SD_EINVAL, "status entry with no status");
    return view_check_member_of(s, txn, e, state, e->status->number, err);
}

int view_check_officer(store *s, MDB_txn *txn, const Sadasya__Entry *e,
                       const char *state, int national, sd_err *err)
{
    if (!e->officer->role || !*e->officer->role)
        return sd_errf(err, SD_EINVAL, "officer entry with no role");
    return national ? number_parse(e->officer->number, NULL, NULL, NULL, err)
                    : view_check_member_of(s, txn, e, state, e->officer->number,
                                           err);
}

int view_fold_joined(store *s, MDB_txn *txn, view_batch *b,
                     const Sadasya__Entry *e, const char *state,
                     const Sadasya__Personal *p, sd_err *err)
{
    const Sadasya__MemberJoined *j = e->joined;
    Sadasya__MemberView m = SADASYA__MEMBER_VIEW__INIT;
    m.number = j->number;
    m.state = (char *)state;
    m.origin = e->origin;
    m.seq = e->seq;
    m.joined_day = j->joined_day;
    m.gender = j->gender;
    m.district = j->district;
    m.area = j->area;
    m.status = SADASYA__STATUS__ACTIVE;
    m.fee_paise = j->fee_paise;
    m.payment_ref = j->payment_ref;
    m.referred_by = j->referred_by;
    m.occupation = j->occupation;
    m.n_interests = j->n_interests;
    m.interests = j->interests;
    m.personal_seq = e->seq;
    uint64_t pseq = e->seq;
    m.n_personal_seqs = 1;
    m.personal_seqs = &pseq;
    m.last_seq = e->seq;
    m.last_day = entry_day(e);
    int rc;
    if ((rc = member_put(s, txn, b, &m, err)) ||
        (rc = member_count(b, &m, +1, err)))
        return rc;
    if (b->indexed)
        return SD_OK; /* made ahead: view_index_joined */
    index_ctx x = { s, txn, b, j->number, 1, err };
    if ((rc = index_district(&x, &m)) || (rc = index_personal(&x, p)))
        return rc;
    return SD_OK;
}

int view_index_joined(store *s, view_batch *b, uint32_t item,
                      const Sadasya__Entry *e, const Sadasya__Personal *p,
                      sd_err *err)
{
    if (e->body_case != SADASYA__ENTRY__BODY_JOINED || !e->joined->number ||
        !e->joined->district)
        return SD_OK;
    /* The member's state is its number's prefix: view_check_joined refuses
     * any other. Should the entry be refused, its puts are left out. */
    char state[NUMBER_STATE_MAX + 1];
    const char *num = e->joined->number, *dash = strchr(num, '-');
    if (!dash || (size_t)(dash - num) > NUMBER_STATE_MAX)
        return SD_OK;
    memcpy(state, num, (size_t)(dash - num));
    state[dash - num] = '\0';
    Sadasya__MemberView m = SADASYA__MEMBER_VIEW__INIT;
    m.state = state;
    m.district = e->joined->district;
    b->item = item;
    index_ctx x = { s, NULL, b, num, 1, err };
    int rc = index_district(&x, &m);
    if (!rc)
        rc = index_personal(&x, p);
    b->item = 0;
    return rc;
}

/* Changes to an existing member: take its contributions out, change it,
 * put them back. Index deletions happen at once, so pending insertions
 * are flushed first to keep their order. fn changes m (a shallow copy of
 * the stored record, which old owns); storage it allocates for m goes in
 * *tofree, freed once m is stored. */
typedef int (*member_change_fn)(store *s, MDB_txn *txn, view_batch *b,
                                Sadasya__MemberView *m,
                                const Sadasya__MemberView *old, void *ctx,
                                void **tofree, sd_err *err);

int view_member_change(store *s, MDB_txn *txn, view_batch *b,
                       const char *number, member_change_fn fn, void *ctx,
                       sd_err *err)
{
    int rc = view_flush(s, txn, b, err);
    if (rc)
        return rc;
    Sadasya__MemberView *old = NULL;
    if ((rc = view_member_get(s, txn, number, &old, err)))
        return rc;
    Sadasya__MemberView m = *old;
    void *tofree = NULL;
    if (!(rc = member_count(b, &m, -1, err)) &&
        !(rc = fn(s, txn, b, &m, old, ctx, &tofree, err)) &&
        !(rc = member_count(b, &m, +1, err)))
        rc = member_put(s, txn, b, &m, err);
    free(tofree);
    sadasya__member_view__free_unpacked(old, NULL);
    return rc;
}

/* A member's status goes from inactive to active: counted per state. */
static int count_reactivation(view_batch *b, Sadasya__MemberView *m, int old,
                              sd_err *err)
{
    if (old != SADASYA__STATUS__INACTIVE || m->status != SADASYA__STATUS__ACTIVE)
        return SD_OK;
    m->reactivations++;
    char k[COUNTER_KEY_MAX];
    size_t kl = dim_key(k, "reactivated", m->state, NULL);
    int64_t d[6] = { 1, 0, 0, 0, 0, 0 };
    return counter_add(b, k, kl, d, err);
}

/* A status change (view_fold_status's change). */
static int change_status(store *s, MDB_txn *txn, view_batch *b,
                         Sadasya__MemberView *m, const Sadasya__MemberView *old,
                         void *ctx, void **tofree, sd_err *err)
{
    const Sadasya__Entry *e = ctx;
    (void)s, (void)txn, (void)old, (void)tofree;
    int was = m->status;
    m->status = e->status->status;
    m->status_reason = e->status->reason;
    m->last_seq = e->seq;
    m->last_day = entry_day(e);
    return count_reactivation(b, m, was, err);
}

typedef struct update_ctx {
    const Sadasya__Entry *e;
    const Sadasya__Personal *p;
} update_ctx;

/* An update: district, Personal data, area, occupation, interests
 * (view_fold_updated's change). */
static int change_updated(store *s, MDB_txn *txn, view_batch *b,
                          Sadasya__MemberView *m, const Sadasya__MemberView *old,
                          void *ctx, void **tofree, sd_err *err)
{
    const update_ctx *c = ctx;
    const Sadasya__Entry *e = c->e;
    const Sadasya__MemberUpdated *u = e->updated;
    index_ctx x = { s, txn, b, old->number, 0, err };
    int rc, moved = u->district && *u->district && strcmp(u->district, m->district);
    if (moved && (rc = index_district(&x, m)))
        return rc;
    if (u->personal_hash.len) {
        Sadasya__Personal *oldp = NULL;
        rc = view_personal_get(s, txn, old, &oldp, err);
        if (rc && rc != SD_ENOTFOUND)
            return rc;
        rc = index_personal(&x, oldp);
        if (oldp)
            sadasya__personal__free_unpacked(oldp, NULL);
        if (rc)
            return rc;
        m->personal_seq = e->seq;
        size_t ns = old->n_personal_seqs;
        /* One allocation: the seqs, then (when any blob is filed under
         * another key of the state) their origins. */
        int foreign = memcmp(e->origin.data, old->origin.data, 32) ||
                      old->n_personal_origins;
        uint8_t *mem = malloc((ns + 1) * (sizeof(uint64_t) +
                                          (foreign ? sizeof(ProtobufCBinaryData) : 0)));
        if (!mem)
            return sd_errf(err, SD_ENOMEM, "out of memory");
        uint64_t *seqs = (uint64_t *)mem;
        memcpy(seqs, old->personal_seqs, ns * sizeof *seqs);
        seqs[ns] = e->seq;
        m->personal_seqs = seqs;
        m->n_personal_seqs = ns + 1;
        m->personal_origin.len = 0;
        m->personal_origin.data = NULL;
        if (foreign) {
            ProtobufCBinaryData *os =
                (ProtobufCBinaryData *)(mem + (ns + 1) * sizeof(uint64_t));
            for (size_t i = 0; i < ns; i++)
                os[i] = old->n_personal_origins == ns ? old->personal_origins[i]
                                                      : old->origin;
            os[ns] = e->origin;
            m->personal_origins = os;
            m->n_personal_origins = ns + 1;
            if (memcmp(e->origin.data, old->origin.data, 32))
                m->personal_origin = e->origin;
        }
        *tofree = mem;
        x.add = 1;
        if (!m->erased_day && (rc = index_personal(&x, c->p)))
            return rc;
    }
    if (moved) {
        m->district = u->district;
        x.add = 1;
        if ((rc = index_district(&x, m)))
            return rc;
    }
    if (u->area != SADASYA__AREA__AREA_UNSPECIFIED)
        m->area = u->area;
    if (u->occupation && *u->occupation)
        m->occupation = u->occupation;
    if (u->interests_set) {
        m->n_interests = u->n_interests;
        m->interests = u->interests;
    }
    m->last_seq = e->seq;
    m->last_day = entry_day(e);
    return SD_OK;
}

/* Under which origin m's i-th Personal blob is filed (its log key is that
 * origin and personal_seqs[i]); i == n_personal_seqs names the current one
 * (personal_seq). A later key of the state files blobs under its own. */
static const uint8_t *blob_origin(const Sadasya__MemberView *m, size_t i)
{
    if (i == m->n_personal_seqs)
        return m->personal_origin.len == 32 ? m->personal_origin.data
                                            : m->origin.data;
    if (m->n_personal_origins == m->n_personal_seqs &&
        m->personal_origins[i].len == 32)
        return m->personal_origins[i].data;
    return m->origin.data;
}

/* Erasure on request: the member's Personal blobs go, and with them its
 * phone and name index entries; the signed entries and counts stay. */
static int erase_member(store *s, MDB_txn *txn, view_batch *b,
                        Sadasya__MemberView *m, const Sadasya__MemberView *old,
                        void *ctx, void **tofree, sd_err *err)
{
    const Sadasya__Entry *e = ctx;
    (void)tofree;
    Sadasya__Personal *p = NULL;
    int rc = view_personal_get(s, txn, old, &p, err);
    if (rc && rc != SD_ENOTFOUND)
        return rc;
    index_ctx x = { s, txn, b, old->number, 0, err };
    rc = index_personal(&x, p);
    if (p)
        sadasya__personal__free_unpacked(p, NULL);
    if (rc)
        return rc;
    for (size_t i = 0; i <= old->n_personal_seqs; i++) {
        uint64_t seq = i < old->n_personal_seqs ? old->personal_seqs[i] : old->personal_seq;
        uint8_t key[STORE_LOGKEY_BYTES];
        store_logkey(key, blob_origin(old, i), seq);
        MDB_val k = { sizeof key, key };
        int mrc = mdb_del(txn, s->personal, &k, NULL);
        if (mrc && mrc != MDB_NOTFOUND)
            return store_mdb_err(mrc, "erasing personal data", err);
    }
    m->erased_day = entry_day(e);
    m->erased_reason = e->redaction->reason;
    m->last_seq = e->seq;
    m->last_day = entry_day(e);
    return SD_OK;
}

/* Whether (origin, seq) holds one of m's Personal blobs; *current when it
 * is the one view_personal_get reads. */
static int personal_of(const Sadasya__MemberView *m, const uint8_t origin[32],
                       uint64_t seq, int *current)
{
    *current = m->personal_seq == seq &&
               !memcmp(blob_origin(m, m->n_personal_seqs), origin, 32);
    if (*current)
        return 1;
    for (size_t i = 0; i < m->n_personal_seqs; i++)
        if (m->personal_seqs[i] == seq && !memcmp(blob_origin(m, i), origin, 32))
            return 1;
    return 0;
}

int view_personal_healed(store *s, MDB_txn *txn, view_batch *b,
                         const Sadasya__Entry *e, const Sadasya__Personal *p,
                         const uint8_t *bytes, size_t len, int *taken,
                         sd_err *err)
{
    *taken = 0;
    const char *number =
        e->body_case == SADASYA__ENTRY__BODY_JOINED ? e->joined->number
        : e->body_case == SADASYA__ENTRY__BODY_UPDATED ? e->updated->number
        : NULL;
    if (!number || e->origin.len != 32)
        return SD_OK;
    Sadasya__MemberView *m = NULL;
    int rc = view_member_get(s, txn, number, &m, err);
    if (rc == SD_ENOTFOUND)
        return SD_OK;
    if (rc)
        return rc;
    int current = 0;
    if (m->erased_day || m->origin.len != 32 ||
        !personal_of(m, e->origin.data, e->seq, &current)) {
        sadasya__member_view__free_unpacked(m, NULL);
        return SD_OK; /* erased: its blobs stay deleted */
    }
    uint8_t key[STORE_LOGKEY_BYTES];
    store_logkey(key, e->origin.data, e->seq);
    MDB_val k = { sizeof key, key }, v = { len, (void *)bytes };
    rc = mdb_put(txn, s->personal, &k, &v, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST) {
        rc = SD_OK;
    } else if (rc) {
        rc = store_mdb_err(rc, "writing personal data", err);
    } else {
        *taken = 1;
        if (current) {
            index_ctx x = { s, txn, b, m->number, 1, err };
            rc = index_personal(&x, p);
        }
    }
    sadasya__member_view__free_unpacked(m, NULL);
    return rc;
}

int view_fold_updated(store *s, MDB_txn *txn, view_batch *b,
                      const Sadasya__Entry *e, const Sadasya__Personal *p,
                      sd_err *err)
{
    update_ctx c = { e, p };
    return view_member_change(s, txn, b, e->updated->number, change_updated,
                              &c, err);
}

int view_fold_status(store *s, MDB_txn *txn, view_batch *b,
                     const Sadasya__Entry *e, sd_err *err)
{
    return view_member_change(s, txn, b, e->status->number, change_status,
                              (void *)e, err);
}

int view_fold_redaction(store *s, MDB_txn *txn, view_batch *b,
                        const Sadasya__Entry *e, sd_err *err)
{
    return view_member_change(s, txn, b, e->redaction->number, erase_member,
                              (void *)e, err);
}

/* --- reading ----------------------------------------------------------- */

int view_member_get(store *s, MDB_txn *txn, const char *number,
                    Sadasya__MemberView **out, sd_err *err)
{
    *out = NULL;
    MDB_val k = { strlen(number), (void *)number }, v;
    int rc = mdb_get(txn, s->members, &k, &v);
    if (rc == MDB_NOTFOUND)
        return sd_errf(err, SD_ENOTFOUND, "no member %s", number);
    if (rc)
        return store_mdb_err(rc, "reading a member", err);
    *out = sadasya__member_view__unpack(NULL, v.mv_size, v.mv_data);
    if (!*out)
        return sd_errf(err, SD_ECORRUPT, "member record %s does not decode",
                       number);
    return SD_OK;
}

int view_personal_get(store *s, MDB_txn *txn, const Sadasya__MemberView *m,
                      Sadasya__Personal **out, sd_err *err)
{
    *out = NULL;
    if (m->origin.len != 32)
        return SD_ENOTFOUND;
    uint8_t key[STORE_LOGKEY_BYTES];
    store_logkey(key, blob_origin(m, m->n_personal_seqs), m->personal_seq);
    MDB_val k = { sizeof key, key }, v;
    int rc = mdb_get(txn, s->personal, &k, &v);
    if (rc == MDB_NOTFOUND)
        return SD_ENOTFOUND;
    if (rc)
        return store_mdb_err(rc, "reading personal data", err);
    return entry_personal_decode(v.mv_data, v.mv_size, out, err);
}

int view_members_each(store *s, MDB_txn *txn, const char *state,
                      int (*fn)(const Sadasya__MemberView *m, void *ctx),
                      void *ctx, sd_err *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->members, &c);
    if (rc)
        return store_mdb_err(rc, "reading members", err);
    char prefix[8] = "";
    size_t pl = 0;
    if (state) {
        pl = (size_t)snprintf(prefix, sizeof prefix, "%s-", state);
    }
    MDB_val k = { pl, prefix }, v;
    int ret = SD_OK;
    for (rc = mdb_cursor_get(c, &k, &v, pl ? MDB_SET_RANGE : MDB_FIRST);
         rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (pl && (k.mv_size < pl || memcmp(k.mv_data, prefix, pl)))
            break;
        Sadasya__MemberView *m =
            sadasya__member_view__unpack(NULL, v.mv_size, v.mv_data);
        if (!m) {
            ret = sd_errf(err, SD_ECORRUPT, "member record %.*s does not decode",
                          (int)k.mv_size, (char *)k.mv_data);
            break;
        }
        ret = fn(m, ctx);
        sadasya__member_view__free_unpacked(m, NULL);
        if (ret)
            break;
    }
    if (rc && rc != MDB_NOTFOUND && !ret)
        ret = store_mdb_err(rc, "reading members", err);
    mdb_cursor_close(c);
    return ret;
}

/* Calls fn for each value under keys k (exact, or every key starting with
 * k when prefix is set). */
static int index_scan(MDB_txn *txn, MDB_dbi dbi, const char *k, size_t kl,
                      int prefix, int (*fn)(const char *number, void *ctx),
                      void *ctx, sd_err *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, dbi, &c);
    if (rc)
        return store_mdb_err(rc, "reading an index", err);
    MDB_val mk = { kl, (void *)k }, mv;
    int ret = SD_OK;
    char num[NUMBER_MAX_LEN];
    for (rc = mdb_cursor_get(c, &mk, &mv, prefix ? MDB_SET_RANGE : MDB_SET_KEY);
         rc == 0; rc = mdb_cursor_get(c, &mk, &mv, prefix ? MDB_NEXT : MDB_NEXT_DUP)) {
        if (prefix && (mk.mv_size < kl || memcmp(mk.mv_data, k, kl)))
            break;
        if (mv.mv_size >= sizeof num)
            continue;
        memcpy(num, mv.mv_data, mv.mv_size);
        num[mv.mv_size] = '\0';
        if ((ret = fn(num, ctx)))
            break;
    }
    mdb_cursor_close(c);
    return ret;
}

int view_find_phone(store *s, MDB_txn *txn, const char *phone,
                    int (*fn)(const char *number, void *ctx), void *ctx,
                    sd_err *err)
{
    char norm[TEXT_PHONE_MAX];
    if (text_phone_norm(phone, norm) < 0)
        return sd_errf(err, SD_EINVAL, "\"%s\" is not a phone number", phone);
    return index_scan(txn, s->idx_phone, norm, strlen(norm), 0, fn, ctx, err);
}

int view_find_district(store *s, MDB_txn *txn, const char *state,
                       const char *district,
                       int (*fn)(const char *number, void *ctx), void *ctx,
                       sd_err *err)
{
    char k[INDEX_KEY_MAX];
    size_t kl = district_key(k, state, district);
    return index_scan(txn, s->idx_dist, k, kl, 0, fn, ctx, err);
}

/* Name search: candidates from the first token's prefix, then each kept
 * only if every query token starts one of the member's name tokens. A
 * member may sit under several tokens with that prefix, and not next to
 * each other in the index ("raj" < "rajesh" < "ram"), so candidates are
 * gathered, sorted and made unique before they are reported. */
typedef struct name_query {
    char toks[8][TEXT_TOKEN_MAX + 1];
    int ntoks;
    store *s;
    MDB_txn *txn;
    char (*cand)[NUMBER_MAX_LEN];
    size_t ncand, capcand;
    int matched[8];
} name_query;

static int collect_tok(const char *tok, size_t len, void *ctx)
{
    name_query *q = ctx;
    if (q->ntoks < 8) {
        memcpy(q->toks[q->ntoks], tok, len);
        q->toks[q->ntoks][len] = '\0';
        q->ntoks++;
    }
    return 0;
}

static int match_tok(const char *tok, size_t len, void *ctx)
{
    name_query *q = ctx;
    for (int i = 0; i < q->ntoks; i++) {
        size_t ql = strlen(q->toks[i]);
        if (ql <= len && !memcmp(tok, q->toks[i], ql))
            q->matched[i] = 1;
    }
    return 0;
}

static int name_collect(const char *number, void *ctx)
{
    name_query *q = ctx;
    if (q->ncand == q->capcand) {
        size_t cap = q->capcand ? q->capcand * 2 : 64;
        char (*nc)[NUMBER_MAX_LEN] = realloc(q->cand, cap * sizeof *nc);
        if (!nc)
            return SD_ENOMEM;
        q->cand = nc;
        q->capcand = cap;
    }
    snprintf(q->cand[q->ncand++], NUMBER_MAX_LEN, "%s", number);
    return 0;
}

static int name_matches(name_query *q, const char *number)
{
    if (q->ntoks < 2)
        return 1;
    Sadasya__MemberView *m = NULL;
    Sadasya__Personal *p = NULL;
    if (view_member_get(q->s, q->txn, number, &m, NULL))
        return 0;
    int rc = view_personal_get(q->s, q->txn, m, &p, NULL);
    sadasya__member_view__free_unpacked(m, NULL);
    if (rc)
        return 0;
    memset(q->matched, 0, sizeof q->matched);
    text_tokens(p->name, match_tok, q);
    text_tokens(p->name_en, match_tok, q);
    sadasya__personal__free_unpacked(p, NULL);
    for (int i = 0; i < q->ntoks; i++)
        if (!q->matched[i])
            return 0;
    return 1;
}

static int cand_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

int view_find_name(store *s, MDB_txn *txn, const char *text,
                   int (*fn)(const char *number, void *ctx), void *ctx,
                   sd_err *err)
{
    name_query q;
    memset(&q, 0, sizeof q);
    q.s = s;
    q.txn = txn;
    text_tokens(text, collect_tok, &q);
    if (!q.ntoks)
        return sd_errf(err, SD_EINVAL, "nothing to search for in \"%s\"", text);
    int rc = index_scan(txn, s->idx_name, q.toks[0], strlen(q.toks[0]), 1,
                        name_collect, &q, err);
    if (rc == SD_ENOMEM)
        rc = sd_errf(err, SD_ENOMEM, "out of memory");
    if (!rc && q.ncand)
        qsort(q.cand, q.ncand, sizeof *q.cand, cand_cmp);
    for (size_t i = 0; i < q.ncand && !rc; i++) {
        if (i && !strcmp(q.cand[i], q.cand[i - 1]))
            continue;
        if (name_matches(&q, q.cand[i]))
            rc = fn(q.cand[i], ctx);
    }
    free(q.cand);
    return rc;
}

int view_counter_get(store *s, MDB_txn *txn, const char *dim,
                     const char *value, counter_row *row, sd_err *err)
{
    char k[COUNTER_KEY_MAX];
    size_t kl = dim_key(k, dim, value, NULL);
    memset(row, 0, sizeof *row);
    MDB_val mk = { kl, k }, mv;
    int rc = mdb_get(txn, s->counters, &mk, &mv);
    if (rc == MDB_NOTFOUND)
        return SD_OK;
    if (rc)
        return store_mdb_err(rc, "reading counters", err);
    if (mv.mv_size != sizeof *row)
        return sd_errf(err, SD_ECORRUPT, "counter row of %zu bytes", mv.mv_size);
    memcpy(row, mv.mv_data, sizeof *row);
    return SD_OK;
}

int view_counter_each(store *s, MDB_txn *txn, const char *dim,
                      int (*fn)(const char *value, const counter_row *row,
                                void *ctx),
                      void *ctx, sd_err *err)
{
    char k[COUNTER_KEY_MAX];
    size_t kl = dim_key(k, dim, "", NULL); /* "dim\0" */
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->counters, &c);
    if (rc)
        return store_mdb_err(rc, "reading counters", err);
    MDB_val mk = { kl, k }, mv;
    int ret = SD_OK;
    for (rc = mdb_cursor_get(c, &mk, &mv, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &mk, &mv, MDB_NEXT)) {
        if (mk.mv_size < kl || memcmp(mk.mv_data, k, kl))
            break;
        if (mv.mv_size != sizeof(counter_row)) {
            ret = sd_errf(err, SD_ECORRUPT, "counter row of %zu bytes",
                          mv.mv_size);
            break;
        }
        char value[COUNTER_KEY_MAX];
        size_t vl = mk.mv_size - kl;
        memcpy(value, (char *)mk.mv_data + kl, vl);
        value[vl] = '\0';
        counter_row row;
        memcpy(&row, mv.mv_data, sizeof row);
        if ((ret = fn(value, &row, ctx)))
            break;
    }
    mdb_cursor_close(c);
    return ret;
}

int view_count(view_batch *b, const char *dim, const char *value,
               const int64_t d[6], sd_err *err)
{
    char k[COUNTER_KEY_MAX];
    size_t kl = dim_key(k, dim, value, NULL);
    return counter_add(b, k, kl, d, err);
}
