/*
 * roster.c — the roster table folded from national RosterUpdate entries.
 */
#include "roster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "number.h"
#include "store_db.h"

#define ROSTER_KEY_MAX 40

static size_t state_key(uint8_t out[ROSTER_KEY_MAX], const char *state)
{
    size_t n = strlen(state);
    out[0] = 's';
    memcpy(out + 1, state, n);
    return n + 1;
}

static void key_key(uint8_t out[33], const uint8_t key[32])
{
    out[0] = 'k';
    memcpy(out + 1, key, 32);
}

int roster_check(const Sadasya__RosterUpdate *ru, sd_err *err)
{
    for (size_t i = 0; i < ru->n_chapters; i++) {
        const Sadasya__Chapter *c = ru->chapters[i];
        if (!c || !number_state_valid(c->state))
            return sd_errf(err, SD_EINVAL, "roster: bad state code \"%s\"",
                           c ? c->state : "");
        if (!strcmp(c->state, ROSTER_NATIONAL_STATE))
            return sd_errf(err, SD_EINVAL,
                           "roster: IN is the national office's own code");
        if (c->key.len != 32)
            return sd_errf(err, SD_EINVAL, "roster: key for %s is not 32 bytes",
                           c->state);
        if (c->first_serial > NUMBER_SERIAL_MAX)
            return sd_errf(err, SD_EINVAL, "roster: first serial %llu for %s "
                           "is past %u", (unsigned long long)c->first_serial,
                           c->state, NUMBER_SERIAL_MAX);
    }
    for (size_t i = 0; i < ru->n_revoke_states; i++)
        if (!number_state_valid(ru->revoke_states[i]))
            return sd_errf(err, SD_EINVAL, "roster: bad state code \"%s\"",
                           ru->revoke_states[i]);
    for (size_t i = 0; i < ru->n_cuts; i++) {
        const Sadasya__KeyCut *k = ru->cuts[i];
        if (!k || !number_state_valid(k->state) || k->key.len != 32)
            return sd_errf(err, SD_EINVAL, "roster: malformed key cut");
    }
    for (size_t i = 0; i < ru->n_auditor_keys; i++)
        if (ru->auditor_keys[i].len != 32)
            return sd_errf(err, SD_EINVAL, "roster: auditor key not 32 bytes");
    return SD_OK;
}

#define KEY_REC_BYTES (STORE_STATE_BYTES + 1 + 24)

static int put_key(store *s, store_txn *txn, const uint8_t key[32],
                   const roster_key *rk, sd_err *err)
{
    uint8_t k[33], v[KEY_REC_BYTES] = { 0 };
    key_key(k, key);
    memcpy(v, rk->state, strnlen(rk->state, STORE_STATE_BYTES - 1));
    v[STORE_STATE_BYTES] = (uint8_t)rk->flag;
    store_put_be64(v + STORE_STATE_BYTES + 1, rk->first_serial);
    store_put_be64(v + STORE_STATE_BYTES + 9, rk->last_seq);
    store_put_be64(v + STORE_STATE_BYTES + 17, rk->since);
    MDB_val mk = { sizeof k, k }, mv = { sizeof v, v };
    int rc = mdb_put(txn, s->roster, &mk, &mv, 0);
    return rc ? store_mdb_err(rc, "writing the roster", err) : SD_OK;
}

static int put_chapter(store *s, store_txn *txn, const Sadasya__ChapterView *cv,
                       sd_err *err)
{
    uint8_t k[ROSTER_KEY_MAX];
    size_t kl = state_key(k, cv->chapter->state);
    size_t n = sadasya__chapter_view__get_packed_size(cv);
    MDB_val mk = { kl, k }, mv = { n, NULL };
    int rc = mdb_put(txn, s->roster, &mk, &mv, MDB_RESERVE);
    if (rc)
        return store_mdb_err(rc, "writing the roster", err);
    sadasya__chapter_view__pack(cv, mv.mv_data);
    return SD_OK;
}

/* Ends key (listed for state) with flag, at last_seq when a cut is given. */
static int end_key(store *s, store_txn *txn, const uint8_t key[32],
                   const char *state, int flag, sd_err *err)
{
    roster_key rk;
    int rc = roster_key_get(s, txn, key, &rk, err);
    if (rc == SD_ENOTFOUND || (!rc && strcmp(rk.state, state)))
        return SD_OK;
    if (rc)
        return rc;
    if (rk.flag != ROSTER_ACTIVE)
        return SD_OK; /* ended before: it stays as it was */
    rk.flag = flag;
    return put_key(s, txn, key, &rk, err);
}

/* A chapter this update may authorise (who is its key): not the national
 * key, not a key of another state, not a key once ended. */
static int chapter_allowed(const Sadasya__Chapter *c, const roster_who *who)
{
    if (who->kind == ROSTER_WHO_NATIONAL)
        return 0;
    if (!who->listed)
        return 1;
    return who->kind == ROSTER_WHO_CHAPTER && !strcmp(who->rk.state, c->state);
}

int roster_fold(store *s, store_txn *txn, const Sadasya__RosterUpdate *ru,
                uint64_t seq, sd_err *err)
{
    int rc;
    for (size_t i = 0; i < ru->n_chapters; i++) {
        Sadasya__Chapter *c = ru->chapters[i];
        roster_who who;
        if ((rc = roster_whois(s, txn, c->key.data, &who, err)))
            return rc;
        if (!chapter_allowed(c, &who))
            continue;
        Sadasya__ChapterView *old = NULL;
        rc = roster_chapter(s, txn, c->state, &old, err);
        if (rc && rc != SD_ENOTFOUND)
            return rc;
        if (old && memcmp(old->chapter->key.data, c->key.data, 32) != 0)
            rc = end_key(s, txn, old->chapter->key.data, c->state,
                         old->revoked ? ROSTER_REVOKED : ROSTER_REPLACED, err);
        else
            rc = SD_OK;
        if (old)
            sadasya__chapter_view__free_unpacked(old, NULL);
        if (rc)
            return rc;
        /* A key's first serial and epoch are fixed when it is first listed:
         * later entries for it change only its name and endpoints. */
        roster_key rk = who.rk;
        if (!who.listed) {
            roster_key_unlisted(&rk);
            snprintf(rk.state, sizeof rk.state, "%s", c->state);
            rk.flag = ROSTER_ACTIVE;
            if (c->first_serial)
                rk.first_serial = c->first_serial;
            rk.since = seq;
        }
        uint64_t given = c->first_serial;
        c->first_serial = rk.first_serial;
        Sadasya__ChapterView cv = SADASYA__CHAPTER_VIEW__INIT;
        cv.chapter = c;
        cv.revoked = 0;
        cv.roster_seq = seq;
        rc = put_chapter(s, txn, &cv, err);
        c->first_serial = given;
        if (rc || (rc = put_key(s, txn, c->key.data, &rk, err)))
            return rc;
    }
    /* The opening entry names the national node (init --name); a later
     * one that names it again sets the organisation's name (rules). */
    if (seq > 1 && ru->national_name && *ru->national_name) {
        MDB_val k = { strlen(ROSTER_ORG_NAME_KEY), ROSTER_ORG_NAME_KEY },
                mv = { strlen(ru->national_name), ru->national_name };
        int mrc = mdb_put(txn, s->roster, &k, &mv, 0);
        if (mrc)
            return store_mdb_err(mrc, "writing the roster", err);
    }
    if (ru->inactive_after_days) {
        uint8_t v[4];
        store_put_be32(v, ru->inactive_after_days);
        MDB_val k = { strlen(ROSTER_INACTIVE_KEY), ROSTER_INACTIVE_KEY }, mv = { 4, v };
        int mrc = mdb_put(txn, s->roster, &k, &mv, 0);
        if (mrc)
            return store_mdb_err(mrc, "writing the roster", err);
    }
    for (size_t i = 0; i < ru->n_revoke_states; i++) {
        Sadasya__ChapterView *cv = NULL;
        rc = roster_chapter(s, txn, ru->revoke_states[i], &cv, err);
        if (rc == SD_ENOTFOUND)
            continue; /* revoking a state never listed changes nothing */
        if (rc)
            return rc;
        cv->revoked = 1;
        cv->roster_seq = seq;
        rc = put_chapter(s, txn, cv, err);
        if (!rc)
            rc = end_key(s, txn, cv->chapter->key.data, cv->chapter->state,
                         ROSTER_REVOKED, err);
        sadasya__chapter_view__free_unpacked(cv, NULL);
        if (rc)
            return rc;
    }
    /* Cuts: a key's authority ends at last_seq. A cut only ever moves
     * earlier; one naming a key not listed for its state changes nothing. */
    for (size_t i = 0; i < ru->n_cuts; i++) {
        const Sadasya__KeyCut *kc = ru->cuts[i];
        roster_key rk;
        rc = roster_key_get(s, txn, kc->key.data, &rk, err);
        if (rc == SD_ENOTFOUND || (!rc && strcmp(rk.state, kc->state)))
            continue;
        if (rc)
            return rc;
        if (rk.flag == ROSTER_ACTIVE) {
            /* A cut of the current key without a successor: a revocation. */
            Sadasya__ChapterView *cv = NULL;
            rc = roster_chapter(s, txn, kc->state, &cv, err);
            if (rc && rc != SD_ENOTFOUND)
                return rc;
            if (cv) {
                cv->revoked = 1;
                cv->roster_seq = seq;
                rc = put_chapter(s, txn, cv, err);
                sadasya__chapter_view__free_unpacked(cv, NULL);
                if (rc)
                    return rc;
            }
            rk.flag = ROSTER_REVOKED;
        }
        if (kc->last_seq < rk.last_seq)
            rk.last_seq = kc->last_seq;
        if ((rc = put_key(s, txn, kc->key.data, &rk, err)))
            return rc;
    }
    return SD_OK;
}

void roster_key_unlisted(roster_key *rk)
{
    memset(rk, 0, sizeof *rk);
    rk->first_serial = 1;
    rk->last_seq = ROSTER_NO_CUT;
}

int roster_key_get(store *s, store_txn *txn, const uint8_t key[32],
                   roster_key *out, sd_err *err)
{
    roster_key_unlisted(out);
    uint8_t k[33];
    key_key(k, key);
    MDB_val mk = { sizeof k, k }, mv;
    int rc = mdb_get(txn, s->roster, &mk, &mv);
    if (rc == MDB_NOTFOUND)
        return SD_ENOTFOUND;
    if (rc)
        return store_mdb_err(rc, "reading the roster", err);
    /* 5 bytes: a record written before epochs (first serial 1, no cut). */
    if (mv.mv_size != KEY_REC_BYTES && mv.mv_size != STORE_STATE_BYTES + 1)
        return sd_errf(err, SD_ECORRUPT, "roster key record of %zu bytes",
                       mv.mv_size);
    const uint8_t *v = mv.mv_data;
    memcpy(out->state, v, STORE_STATE_BYTES);
    out->state[STORE_STATE_BYTES - 1] = '\0';
    out->flag = v[STORE_STATE_BYTES];
    if (mv.mv_size == KEY_REC_BYTES) {
        out->first_serial = store_be64(v + STORE_STATE_BYTES + 1);
        out->last_seq = store_be64(v + STORE_STATE_BYTES + 9);
        out->since = store_be64(v + STORE_STATE_BYTES + 17);
    }
    return SD_OK;
}

int roster_key_allows(const roster_key *rk, uint64_t seq, sd_err *err)
{
    if (rk->flag == ROSTER_ACTIVE && rk->last_seq == ROSTER_NO_CUT)
        return SD_OK;
    const char *how = rk->flag == ROSTER_REVOKED ? "revoked" : "replaced";
    if (rk->last_seq == ROSTER_NO_CUT)
        return sd_errf(err, SD_EAUTH, "key of %s has been %s", rk->state, how);
    if (seq > rk->last_seq)
        return sd_errf(err, SD_EAUTH, "void: seq %llu is past the cut of this "
                       "%s key of %s (its entries end at seq %llu)",
                       (unsigned long long)seq, how, rk->state,
                       (unsigned long long)rk->last_seq);
    return SD_OK;
}

typedef struct key_item {
    uint8_t key[32];
    roster_key rk;
} key_item;

static int since_cmp(const void *a, const void *b)
{
    const key_item *x = a, *y = b;
    if (x->rk.since != y->rk.since)
        return x->rk.since < y->rk.since ? -1 : 1;
    return memcmp(x->key, y->key, 32);
}

/* Calls fn for every key the roster lists (any state, any flag), in key
 * order, with its record. Stops on non-zero. */
static int keys_each(store *s, store_txn *txn,
                     int (*fn)(const uint8_t key[32], const roster_key *rk,
                               void *ctx),
                     void *ctx, sd_err *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->roster, &c);
    if (rc)
        return store_mdb_err(rc, "reading the roster", err);
    MDB_val k = { 1, "k" }, v;
    int ret = SD_OK;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 && !ret;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 33 || ((const char *)k.mv_data)[0] != 'k')
            break;
        uint8_t key[32];
        memcpy(key, (const uint8_t *)k.mv_data + 1, 32);
        roster_key rk;
        if (!(ret = roster_key_get(s, txn, key, &rk, err)))
            ret = fn(key, &rk, ctx);
    }
    mdb_cursor_close(c);
    return ret;
}

typedef struct state_keys {
    const char *state;
    key_item *items;
    size_t n, cap;
    sd_err *err;
} state_keys;

static int gather_key(const uint8_t key[32], const roster_key *rk, void *ctx)
{
    state_keys *x = ctx;
    if (strcmp(rk->state, x->state))
        return 0;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 8;
        key_item *ni = realloc(x->items, cap * sizeof *ni);
        if (!ni)
            return sd_errf(x->err, SD_ENOMEM, "out of memory");
        x->items = ni;
        x->cap = cap;
    }
    memcpy(x->items[x->n].key, key, 32);
    x->items[x->n++].rk = *rk;
    return 0;
}

int roster_each_key(store *s, store_txn *txn, const char *state,
                    int (*fn)(const uint8_t key[32], const roster_key *rk,
                              void *ctx),
                    void *ctx, sd_err *err)
{
    state_keys x = { state, NULL, 0, 0, err };
    int ret = keys_each(s, txn, gather_key, &x, err);
    if (!ret) {
        if (x.n)
            qsort(x.items, x.n, sizeof *x.items, since_cmp);
        for (size_t i = 0; i < x.n && !ret; i++)
            ret = fn(x.items[i].key, &x.items[i].rk, ctx);
    }
    free(x.items);
    return ret;
}

typedef struct curve_find {
    const uint8_t *xkey;
    uint8_t *ed;
    roster_key *rk;
} curve_find;

#define CURVE_FOUND 1 /* match_curve's word */

static int match_curve(const uint8_t key[32], const roster_key *rk, void *ctx)
{
    curve_find *x = ctx;
    uint8_t xk[32];
    if (crypto_sign_ed25519_pk_to_curve25519(xk, key) != 0 ||
        memcmp(xk, x->xkey, 32))
        return 0;
    memcpy(x->ed, key, 32);
    *x->rk = *rk;
    return CURVE_FOUND;
}

int roster_key_by_curve(store *s, store_txn *txn, const uint8_t xkey[32],
                        uint8_t ed[32], roster_key *rk, sd_err *err)
{
    curve_find x = { xkey, ed, rk };
    int rc = keys_each(s, txn, match_curve, &x, err);
    return rc == CURVE_FOUND ? SD_OK : rc ? rc : SD_ENOTFOUND;
}

int roster_key_state(store *s, store_txn *txn, const uint8_t key[32],
                     char state[STORE_STATE_BYTES], int *flag, sd_err *err)
{
    roster_key rk = { 0 };
    int rc = roster_key_get(s, txn, key, &rk, err);
    if (rc)
        return rc;
    memcpy(state, rk.state, STORE_STATE_BYTES);
    *flag = rk.flag;
    return SD_OK;
}

int roster_chapter(store *s, store_txn *txn, const char *state,
                   Sadasya__ChapterView **out, sd_err *err)
{
    *out = NULL;
    if (strlen(state) > NUMBER_STATE_MAX)
        return SD_ENOTFOUND;
    uint8_t k[ROSTER_KEY_MAX];
    MDB_val mk = { state_key(k, state), k }, mv;
    int rc = mdb_get(txn, s->roster, &mk, &mv);
    if (rc == MDB_NOTFOUND)
        return SD_ENOTFOUND;
    if (rc)
        return store_mdb_err(rc, "reading the roster", err);
    *out = sadasya__chapter_view__unpack(NULL, mv.mv_size, mv.mv_data);
    if (!*out || !(*out)->chapter) {
        if (*out)
            sadasya__chapter_view__free_unpacked(*out, NULL);
        *out = NULL;
        return sd_errf(err, SD_ECORRUPT, "roster record for %s does not decode",
                       state);
    }
    return SD_OK;
}

int roster_each(store *s, store_txn *txn,
                int (*fn)(const Sadasya__ChapterView *cv, void *ctx),
                void *ctx, sd_err *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->roster, &c);
    if (rc)
        return store_mdb_err(rc, "reading the roster", err);
    MDB_val k = { 1, "s" }, v;
    int ret = SD_OK;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < 1 || ((const char *)k.mv_data)[0] != 's')
            break;
        Sadasya__ChapterView *cv =
            sadasya__chapter_view__unpack(NULL, v.mv_size, v.mv_data);
        if (!cv || !cv->chapter) {
            if (cv)
                sadasya__chapter_view__free_unpacked(cv, NULL);
            ret = sd_errf(err, SD_ECORRUPT, "roster record does not decode");
            break;
        }
        ret = fn(cv, ctx);
        sadasya__chapter_view__free_unpacked(cv, NULL);
        if (ret)
            break;
    }
    mdb_cursor_close(c);
    return ret;
}

int roster_national_key(store *s, store_txn *txn, uint8_t key[32], sd_err *err)
{
    return store_meta_key32(s, txn, STORE_META_NATIONAL_KEY, key, err);
}

/* Whether meta's key name is key: 1, 0 (also when absent), or an SD code. */
static int meta_key_is(store *s, store_txn *txn, const char *name,
                       const uint8_t key[32], sd_err *err)
{
    uint8_t held[32];
    int rc = store_meta_key32(s, txn, name, held, err);
    if (rc == SD_ENOTFOUND)
        return 0;
    return rc ? rc : !memcmp(held, key, 32);
}

int roster_whois(store *s, store_txn *txn, const uint8_t key[32],
                 roster_who *out, sd_err *err)
{
    memset(out, 0, sizeof *out);
    roster_key_unlisted(&out->rk);
    int national = meta_key_is(s, txn, STORE_META_NATIONAL_KEY, key, err);
    if (national < 0)
        return national;
    int own = meta_key_is(s, txn, STORE_META_OWN_KEY, key, err);
    if (own < 0)
        return own;
    out->own = own;
    if (national) {
        out->kind = ROSTER_WHO_NATIONAL;
        snprintf(out->rk.state, sizeof out->rk.state, "%s",
                 ROSTER_NATIONAL_STATE);
        return SD_OK;
    }
    int rc = roster_key_get(s, txn, key, &out->rk, err);
    if (rc == SD_OK) {
        out->listed = 1;
        out->kind = out->rk.flag == ROSTER_ACTIVE ? ROSTER_WHO_CHAPTER
                                                  : ROSTER_WHO_ENDED;
        return SD_OK;
    }
    if (rc != SD_ENOTFOUND)
        return rc;
    out->kind = own ? ROSTER_WHO_OWN : ROSTER_WHO_UNKNOWN;
    return SD_OK;
}

int roster_org_name(store *s, store_txn *txn, char *out, size_t cap)
{
    MDB_val k = { strlen(ROSTER_ORG_NAME_KEY), ROSTER_ORG_NAME_KEY }, v;
    if (cap)
        out[0] = '\0';
    if (mdb_get(txn, s->roster, &k, &v) != 0 || !v.mv_size || !cap)
        return 0;
    size_t n = v.mv_size < cap ? v.mv_size : cap - 1;
    memcpy(out, v.mv_data, n);
    out[n] = '\0';
    return 1;
}

uint32_t roster_inactive_days(store *s, store_txn *txn)
{
    MDB_val k = { strlen(ROSTER_INACTIVE_KEY), ROSTER_INACTIVE_KEY }, v;
    if (mdb_get(txn, s->roster, &k, &v) == 0 && v.mv_size == 4)
        return store_be32(v.mv_data);
    return ROSTER_INACTIVE_DEFAULT;
}
