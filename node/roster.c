/*
 * roster.c — the roster table folded from national RosterUpdate entries.
 */
#include "roster.h"

#include <stdlib.h>
#include <string.h>

#include "number.h"

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
    }
    for (size_t i = 0; i < ru->n_revoke_states; i++)
        if (!number_state_valid(ru->revoke_states[i]))
            return sd_errf(err, SD_EINVAL, "roster: bad state code \"%s\"",
                           ru->revoke_states[i]);
    for (size_t i = 0; i < ru->n_auditor_keys; i++)
        if (ru->auditor_keys[i].len != 32)
            return sd_errf(err, SD_EINVAL, "roster: auditor key not 32 bytes");
    return SD_OK;
}

static int put_key(store *s, MDB_txn *txn, const uint8_t key[32],
                   const char *state, int flag, sd_err *err)
{
    uint8_t k[33], v[STORE_STATE_BYTES + 1] = { 0 };
    key_key(k, key);
    memcpy(v, state, strlen(state));
    v[STORE_STATE_BYTES] = (uint8_t)flag;
    MDB_val mk = { sizeof k, k }, mv = { sizeof v, v };
    int rc = mdb_put(txn, s->roster, &mk, &mv, 0);
    return rc ? store_mdb_err(rc, "writing the roster", err) : SD_OK;
}

static int put_chapter(store *s, MDB_txn *txn, const Sadasya__ChapterView *cv,
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

int roster_fold(store *s, MDB_txn *txn, const Sadasya__RosterUpdate *ru,
                uint64_t seq, sd_err *err)
{
    int rc;
    for (size_t i = 0; i < ru->n_chapters; i++) {
        Sadasya__Chapter *c = ru->chapters[i];
        Sadasya__ChapterView *old = NULL;
        rc = roster_chapter(s, txn, c->state, &old, err);
        if (rc && rc != SD_ENOTFOUND)
            return rc;
        if (old && memcmp(old->chapter->key.data, c->key.data, 32) != 0) {
            rc = put_key(s, txn, old->chapter->key.data, c->state,
                         ROSTER_REPLACED, err);
            if (rc) {
                sadasya__chapter_view__free_unpacked(old, NULL);
                return rc;
            }
        }
        if (old)
            sadasya__chapter_view__free_unpacked(old, NULL);
        Sadasya__ChapterView cv = SADASYA__CHAPTER_VIEW__INIT;
        cv.chapter = c;
        cv.revoked = 0;
        cv.roster_seq = seq;
        if ((rc = put_chapter(s, txn, &cv, err)) ||
            (rc = put_key(s, txn, c->key.data, c->state, ROSTER_ACTIVE, err)))
            return rc;
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
            rc = put_key(s, txn, cv->chapter->key.data, cv->chapter->state,
                         ROSTER_REVOKED, err);
        sadasya__chapter_view__free_unpacked(cv, NULL);
        if (rc)
            return rc;
    }
    return SD_OK;
}

int roster_key_state(store *s, MDB_txn *txn, const uint8_t key[32],
                     char state[STORE_STATE_BYTES], int *flag, sd_err *err)
{
    uint8_t k[33];
    key_key(k, key);
    MDB_val mk = { sizeof k, k }, mv;
    int rc = mdb_get(txn, s->roster, &mk, &mv);
    if (rc == MDB_NOTFOUND)
        return SD_ENOTFOUND;
    if (rc)
        return store_mdb_err(rc, "reading the roster", err);
    if (mv.mv_size != STORE_STATE_BYTES + 1)
        return sd_errf(err, SD_ECORRUPT, "roster key record of %zu bytes",
                       mv.mv_size);
    memcpy(state, mv.mv_data, STORE_STATE_BYTES);
    state[STORE_STATE_BYTES - 1] = '\0';
    *flag = ((const uint8_t *)mv.mv_data)[STORE_STATE_BYTES];
    return SD_OK;
}

int roster_chapter(store *s, MDB_txn *txn, const char *state,
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

int roster_each(store *s, MDB_txn *txn,
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

int roster_national_key(store *s, MDB_txn *txn, uint8_t key[32], sd_err *err)
{
    const void *v;
    size_t n;
    int rc = store_meta_get(s, txn, "national_key", &v, &n, err);
    if (rc)
        return rc;
    if (n != 32)
        return sd_errf(err, SD_ECORRUPT, "national key of %zu bytes", n);
    memcpy(key, v, 32);
    return SD_OK;
}

uint32_t roster_inactive_days(store *s, MDB_txn *txn)
{
    MDB_val k = { strlen(ROSTER_INACTIVE_KEY), ROSTER_INACTIVE_KEY }, v;
    if (mdb_get(txn, s->roster, &k, &v) == 0 && v.mv_size == 4)
        return store_be32(v.mv_data);
    return ROSTER_INACTIVE_DEFAULT;
}
