/*
 * view_fold.c — the member bodies' checks and folds: a join, an update, a
 * status change, an erasure; what a member contributes to the counters and
 * indexes; a Personal blob taken after its entry. fold.c dispatches each
 * body kind here; the writes go through the batch (view_batch.c). See
 * view.h.
 */
#include "view.h"
#include "view_int.h"

#include <sodium.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "day.h"
#include "number.h"
#include "roster.h"
#include "text.h"

#define VIEW_DIMS 11

/* --- a member's contributions ----------------------------------------- */

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
    char keys[VIEW_DIMS][VIEW_COUNTER_KEY_MAX];
    size_t lens[VIEW_DIMS];
    lens[0] = view_dim_key(keys[0], "total", "", NULL);
    lens[1] = view_dim_key(keys[1], "state", m->state, NULL);
    lens[2] = view_dim_key(keys[2], "district", m->state, m->district);
    lens[3] = view_dim_key(keys[3], "gender", view_gender_name(m->gender), NULL);
    lens[4] = view_dim_key(keys[4], "status", view_status_name(m->status), NULL);
    lens[5] = view_dim_key(keys[5], "area", view_area_name(m->area), NULL);
    lens[6] = view_dim_key(keys[6], "month", month, NULL);
    char day[DAY_STR_LEN];
    day_format(m->joined_day, day);
    lens[7] = view_dim_key(keys[7], "day", m->state, day);
    /* per state, for the dashboard (report.h): no walk of the members */
    lens[8] = view_dim_key(keys[8], "state-gender", m->state,
                           view_gender_name(m->gender));
    lens[9] = view_dim_key(keys[9], "state-area", m->state,
                           view_area_name(m->area));
    int ndims = 10;
    if (m->referred_by && *m->referred_by)
        lens[ndims] = view_dim_key(keys[ndims], "referrer", m->referred_by,
                                   NULL), ndims++;
    for (int i = 0; i < ndims; i++) {
        int rc = view_counter_add(b, keys[i], lens[i], d, err);
        if (rc)
            return rc;
    }
    return SD_OK;
}

size_t view_district_key(char out[VIEW_INDEX_KEY_MAX], const char *state,
                         const char *district)
{
    size_t sl = strlen(state), dl = strlen(district);
    if (sl + 1 + dl > VIEW_INDEX_KEY_MAX)
        dl = VIEW_INDEX_KEY_MAX - sl - 1;
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
    uint32_t item; /* for index entries made ahead: the item they index */
} index_ctx;

static int index_one(index_ctx *x, MDB_dbi dbi, const char *k, size_t kl)
{
    size_t nl = strlen(x->number);
    if (x->add)
        return view_index_defer(x->b, dbi, x->item, k, kl, x->number, nl,
                                x->err);
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

typedef struct words_hash {
    crypto_generichash_state h;
    size_t n;
} words_hash;

static int hash_word(const char *tok, size_t len, void *ctx)
{
    words_hash *w = ctx;
    uint8_t sep = 0x20;
    if (w->n++)
        crypto_generichash_update(&w->h, &sep, 1);
    crypto_generichash_update(&w->h, (const uint8_t *)tok, len);
    return 0;
}

size_t view_identity_key(char out[VIEW_IDENTITY_KEY_LEN], const char *name,
                         char kind, const char *other)
{
    if (!name || !other)
        return 0;
    words_hash w = { .n = 0 };
    crypto_generichash_init(&w.h, NULL, 0, VIEW_IDENTITY_KEY_LEN - 2);
    text_tokens(name, hash_word, &w);
    size_t nname = w.n;
    uint8_t sep[2] = { 0x00, (uint8_t)kind };
    crypto_generichash_update(&w.h, sep, sizeof sep);
    w.n = 0;
    text_tokens(other, hash_word, &w);
    if (!nname || !w.n)
        return 0;
    out[0] = 0x01;
    out[1] = kind;
    crypto_generichash_final(&w.h, (uint8_t *)out + 2, VIEW_IDENTITY_KEY_LEN - 2);
    return VIEW_IDENTITY_KEY_LEN;
}

/* Adds or removes the index entries of a member's personal data: the
 * phone, the words of both names, and the identity keys (name with birth
 * year, name with guardian) a likely duplicate is found by. */
static int index_personal(index_ctx *x, const Sadasya__Personal *p)
{
    if (!p)
        return SD_OK;
    char phone[TEXT_PHONE_MAX];
    int rc;
    char by[16] = "", k[VIEW_IDENTITY_KEY_LEN];
    if (p->birth_year)
        snprintf(by, sizeof by, "%u", p->birth_year);
    size_t kl = view_identity_key(k, p->name, 'b', by);
    if (kl && (rc = index_one(x, x->s->idx_name, k, kl)))
        return rc;
    kl = view_identity_key(k, p->name, 'g', p->guardian);
    if (kl && (rc = index_one(x, x->s->idx_name, k, kl)))
        return rc;
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
    char k[VIEW_INDEX_KEY_MAX];
    size_t kl = view_district_key(k, m->state, m->district);
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
    /* A paper form registered later: activity from the joining date. */
    m.last_day = j->joined_day ? j->joined_day : entry_day(e);
    m.status_day = m.last_day;
    int rc;
    if ((rc = member_put(s, txn, b, &m, err)) ||
        (rc = member_count(b, &m, +1, err)))
        return rc;
    if (view_batch_is_indexed(b))
        return SD_OK; /* made ahead: view_index_joined */
    index_ctx x = { s, txn, b, j->number, 1, err, 0 };
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
    index_ctx x = { s, NULL, b, num, 1, err, item };
    int rc = index_district(&x, &m);
    return rc ? rc : index_personal(&x, p);
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
    char k[VIEW_COUNTER_KEY_MAX];
    size_t kl = view_dim_key(k, "reactivated", m->state, NULL);
    int64_t d[6] = { 1, 0, 0, 0, 0, 0 };
    return view_counter_add(b, k, kl, d, err);
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
    m->status_day = entry_day(e);
    m->last_seq = e->seq;
    if (m->status == SADASYA__STATUS__ACTIVE)
        view_activity(m, entry_day(e));
    return count_reactivation(b, m, was, err);
}

typedef struct update_ctx {
    const Sadasya__Entry *e;
    const Sadasya__Personal *p;
} update_ctx;

/* An update: district, Personal data, area, occupation, interests
 * (view_fold_updated's change). */
static int change_updated(store *s, MDB_txn *txn, view_batch *b,
                          Sadasya__MemberView *m,
                          const Sadasya__MemberView *old, void *ctx,
                          void **tofree, sd_err *err)
{
    const update_ctx *c = ctx;
    const Sadasya__Entry *e = c->e;
    const Sadasya__MemberUpdated *u = e->updated;
    index_ctx x = { s, txn, b, old->number, 0, err, 0 };
    int rc, moved = u->district && *u->district &&
                    strcmp(u->district, m->district);
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
    view_activity(m, entry_day(e));
    return SD_OK;
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
    index_ctx x = { s, txn, b, old->number, 0, err, 0 };
    rc = index_personal(&x, p);
    if (p)
        sadasya__personal__free_unpacked(p, NULL);
    if (rc)
        return rc;
    for (size_t i = 0; i <= old->n_personal_seqs; i++) {
        uint64_t seq = i < old->n_personal_seqs ? old->personal_seqs[i] : old->personal_seq;
        uint8_t key[STORE_LOGKEY_BYTES];
        store_logkey(key, view_blob_origin(old, i), seq);
        MDB_val k = { sizeof key, key };
        int mrc = mdb_del(txn, s->personal, &k, NULL);
        if (mrc && mrc != MDB_NOTFOUND)
            return store_mdb_err(mrc, "erasing personal data", err);
    }
    m->erased_day = entry_day(e);
    m->erased_reason = e->redaction->reason;
    m->last_seq = e->seq; /* not activity: last_day stays */
    return SD_OK;
}

/* Whether (origin, seq) holds one of m's Personal blobs; *current when it
 * is the one view_personal_get reads. */
static int personal_of(const Sadasya__MemberView *m, const uint8_t origin[32],
                       uint64_t seq, int *current)
{
    *current = m->personal_seq == seq &&
               !memcmp(view_blob_origin(m, m->n_personal_seqs), origin, 32);
    if (*current)
        return 1;
    for (size_t i = 0; i < m->n_personal_seqs; i++)
        if (m->personal_seqs[i] == seq &&
            !memcmp(view_blob_origin(m, i), origin, 32))
            return 1;
    return 0;
}

const char *view_personal_member(const Sadasya__Entry *e)
{
    return e->body_case == SADASYA__ENTRY__BODY_JOINED ? e->joined->number
         : e->body_case == SADASYA__ENTRY__BODY_UPDATED ? e->updated->number
         : NULL;
}

int view_personal_healed(store *s, MDB_txn *txn, view_batch *b,
                         const Sadasya__Entry *e, const Sadasya__Personal *p,
                         const uint8_t *bytes, size_t len, int *taken,
                         sd_err *err)
{
    *taken = 0;
    const char *number = view_personal_member(e);
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
            index_ctx x = { s, txn, b, m->number, 1, err, 0 };
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
