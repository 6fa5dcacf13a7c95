/*
 * view.c — reading the national view back: members, their Personal data,
 * the phone, name and district indexes, counters; the enum names the CLI
 * uses. The writes are view_fold.c's (the member folds) and
 * view_batch.c's (the batch engine); see view.h for the tables' shapes.
 */
#include "view.h"
#include "view_int.h"

#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"
#include "text.h"

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

/* Where a member's Personal blob is filed (view_int.h). */
const uint8_t *view_blob_origin(const Sadasya__MemberView *m, size_t i)
{
    if (i == m->n_personal_seqs)
        return m->personal_origin.len == 32 ? m->personal_origin.data
                                            : m->origin.data;
    if (m->n_personal_origins == m->n_personal_seqs &&
        m->personal_origins[i].len == 32)
        return m->personal_origins[i].data;
    return m->origin.data;
}

int view_personal_get(store *s, MDB_txn *txn, const Sadasya__MemberView *m,
                      Sadasya__Personal **out, sd_err *err)
{
    *out = NULL;
    if (m->origin.len != 32)
        return SD_ENOTFOUND;
    const uint8_t *blob;
    size_t len;
    int rc = store_personal_get(s, txn, view_blob_origin(m, m->n_personal_seqs),
                                m->personal_seq, &blob, &len, err);
    if (rc)
        return rc;
    return entry_personal_decode(blob, len, out, err);
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
    char k[VIEW_INDEX_KEY_MAX];
    size_t kl = view_district_key(k, state, district);
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

int view_find_identity(store *s, MDB_txn *txn, const char *name, char kind,
                       const char *other,
                       int (*fn)(const char *number, void *ctx), void *ctx,
                       sd_err *err)
{
    char k[VIEW_IDENTITY_KEY_LEN];
    size_t kl = view_identity_key(k, name, kind, other);
    return kl ? index_scan(txn, s->idx_name, k, kl, 0, fn, ctx, err) : SD_OK;
}

int view_counter_get(store *s, MDB_txn *txn, const char *dim,
                     const char *value, counter_row *row, sd_err *err)
{
    char k[VIEW_COUNTER_KEY_MAX];
    size_t kl = view_dim_key(k, dim, value, NULL);
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
    char k[VIEW_COUNTER_KEY_MAX];
    size_t kl = view_dim_key(k, dim, "", NULL); /* "dim\0" */
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
        char value[VIEW_COUNTER_KEY_MAX];
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

uint32_t view_last_activity(const Sadasya__MemberView *m)
{
    return m->last_day;
}

void view_activity(Sadasya__MemberView *m, uint32_t day)
{
    if (day > m->last_day)
        m->last_day = day;
}

int view_attend_reactivates(const Sadasya__MemberView *m, uint32_t day)
{
    return m->status == SADASYA__STATUS__INACTIVE && day >= m->status_day;
}
