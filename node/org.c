/*
 * org.c — officers, events, attendance, honours, notices and the
 * directory: checks, folds and readers. See org.h.
 */
#include "org.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "day.h"
#include "number.h"
#include "store_db.h"

#define ORG_KEY_MAX 512

void org_event_id(char out[ORG_ID_MAX], const char *state, uint64_t seq)
{
    snprintf(out, ORG_ID_MAX, "%s-E%llu", state, (unsigned long long)seq);
}

static int nonempty(const char *s) { return s && *s; }

int org_check(store *s, store_txn *txn, const Sadasya__Entry *e,
              const char *state, sd_err *err)
{
    switch (e->body_case) {
    case SADASYA__ENTRY__BODY_EVENT: {
        char id[ORG_ID_MAX];
        org_event_id(id, state, e->seq);
        if (strcmp(id, e->event->event_id))
            return sd_errf(err, SD_EINVAL, "event id %s should be %s",
                           e->event->event_id, id);
        if (!nonempty(e->event->kind) || !nonempty(e->event->title))
            return sd_errf(err, SD_EINVAL, "event %s has no kind or title", id);
        return SD_OK;
    }
    case SADASYA__ENTRY__BODY_ATTENDANCE: {
        size_t idl = strlen(e->attendance->event_id);
        if (idl == 0 || idl >= ORG_ID_MAX)
            return sd_errf(err, SD_EINVAL, "attendance with a malformed event id");
        /* The event must be this origin's own: same log, earlier seq. */
        Sadasya__EventView *ev = NULL;
        int rc = org_event_get(s, txn, e->attendance->event_id, &ev, err);
        if (rc == SD_ENOTFOUND)
            return sd_errf(err, SD_EINVAL, "attendance at unknown event %s",
                           e->attendance->event_id);
        if (rc)
            return rc;
        int ours = !strcmp(ev->state, state);
        sadasya__event_view__free_unpacked(ev, NULL);
        if (!ours)
            return sd_errf(err, SD_EAUTH, "attendance at another chapter's event");
        for (size_t i = 0; i < e->attendance->n_numbers; i++) {
            char canon[NUMBER_MAX_LEN];
            if ((rc = number_parse(e->attendance->numbers[i], canon, NULL, NULL, err)))
                return rc;
            if (strcmp(canon, e->attendance->numbers[i]))
                return sd_errf(err, SD_EINVAL, "number %s not canonical",
                               e->attendance->numbers[i]);
        }
        return SD_OK;
    }
    case SADASYA__ENTRY__BODY_HONOUR:
        if (!nonempty(e->honour->title))
            return sd_errf(err, SD_EINVAL, "honour with no title");
        return number_parse(e->honour->number, NULL, NULL, NULL, err);
    case SADASYA__ENTRY__BODY_NOTICE:
        if (!nonempty(e->notice->title))
            return sd_errf(err, SD_EINVAL, "notice with no title");
        return SD_OK;
    default:
        return sd_errf(err, SD_EINVAL, "entry of an unknown kind");
    }
}

static int put_packed(store_txn *txn, MDB_dbi dbi, const void *k, size_t kl,
                      const ProtobufCMessage *m, const uint8_t *prefix,
                      size_t pl, sd_err *err)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    MDB_val mk = { kl, (void *)k }, mv = { pl + n, NULL };
    int rc = mdb_put(txn, dbi, &mk, &mv, MDB_RESERVE);
    if (rc)
        return store_mdb_err(rc, "writing the view", err);
    if (pl)
        memcpy(mv.mv_data, prefix, pl);
    protobuf_c_message_pack(m, (uint8_t *)mv.mv_data + pl);
    return SD_OK;
}

static size_t join_key(char *out, const char *const *parts, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(parts[i]);
        if (len + l + 1 > ORG_KEY_MAX)
            l = ORG_KEY_MAX - len - 1;
        memcpy(out + len, parts[i], l);
        len += l;
        if (i + 1 < n)
            out[len++] = '\0';
    }
    return len;
}

int org_attend_day_check(const char *id, uint32_t event_day, uint32_t today,
                         sd_err *err)
{
    if (event_day <= today)
        return SD_OK;
    char d[DAY_STR_LEN];
    day_format(event_day, d);
    return sd_errf(err, SD_EINVAL, "event %s is dated %s, in the future: "
                   "record who attended once it has taken place", id, d);
}

typedef struct attend_ctx {
    const Sadasya__Entry *e;
} attend_ctx;

/* Attendance is activity (at the event's date), and makes an inactive
 * member of the writing chapter active when the event is after the day
 * they were marked inactive (view_attend_reactivates). */
static int attend_member(store *s, store_txn *txn, view_batch *b,
                         Sadasya__MemberView *m, const Sadasya__MemberView *old,
                         void *ctx, void **tofree, sd_err *err)
{
    (void)s;
    (void)txn;
    (void)old;
    (void)tofree;
    const Sadasya__Entry *e = ((attend_ctx *)ctx)->e;
    uint32_t day = e->attendance->day ? e->attendance->day
                                      : (uint32_t)(e->time_ms / 86400000ull);
    if (view_attend_reactivates(m, day)) {
        m->status = SADASYA__STATUS__ACTIVE;
        m->status_day = day;
        m->status_reason = "attended an event";
        m->reactivations++;
        int64_t d[6] = { 1, 0, 0, 0, 0, 0 };
        int rc = view_count(b, "reactivated", m->state, d, err);
        if (rc)
            return rc;
    }
    m->last_seq = e->seq;
    view_activity(m, day);
    return SD_OK;
}

static int fold_attendance(store *s, store_txn *txn, view_batch *b,
                           const Sadasya__Entry *e, sd_err *err)
{
    const Sadasya__Attendance *a = e->attendance;
    uint32_t day = a->day ? a->day : (uint32_t)(e->time_ms / 86400000ull);
    Sadasya__EventView *ev = NULL;
    int rc = org_event_get(s, txn, a->event_id, &ev, err);
    if (rc)
        return rc;
    uint64_t added = 0;
    for (size_t i = 0; i < a->n_numbers && !rc; i++) {
        char k[ORG_KEY_MAX];
        const char *parts[] = { a->event_id, a->numbers[i] };
        size_t kl = join_key(k, parts, 2);
        uint8_t v[4];
        store_put_be32(v, day);
        MDB_val mk = { kl, k }, mv = { 4, v };
        int mrc = mdb_put(txn, s->attend, &mk, &mv, MDB_NOOVERWRITE);
        if (mrc == MDB_KEYEXIST)
            continue;
        if (mrc) {
            rc = store_mdb_err(mrc, "writing attendance", err);
            break;
        }
        added++;
        Sadasya__MemberView *m = NULL;
        if (view_member_get(s, txn, a->numbers[i], &m, NULL) == SD_OK) {
            int ours = m->origin.len == 32 && !memcmp(m->origin.data, e->origin.data, 32);
            sadasya__member_view__free_unpacked(m, NULL);
            attend_ctx c = { e };
            if (ours)
                rc = view_member_change(s, txn, b, a->numbers[i], attend_member, &c, err);
        }
    }
    if (!rc) {
        ev->attendees += added;
        rc = put_packed(txn, s->events, a->event_id, strlen(a->event_id),
                        &ev->base, NULL, 0, err);
    }
    sadasya__event_view__free_unpacked(ev, NULL);
    return rc;
}

int org_fold(store *s, store_txn *txn, view_batch *b, const Sadasya__Entry *e,
             const char *state, sd_err *err)
{
    char k[ORG_KEY_MAX];
    size_t kl;
    switch (e->body_case) {
    case SADASYA__ENTRY__BODY_OFFICER: {
        const Sadasya__OfficerAppointed *o = e->officer;
        const char *parts[] = { state, o->role, o->cell, o->number };
        kl = join_key(k, parts, 4);
        Sadasya__OfficerView v = SADASYA__OFFICER_VIEW__INIT;
        v.number = o->number;
        v.state = (char *)state;
        v.role = o->role;
        v.cell = o->cell;
        v.from_day = o->from_day;
        v.to_day = o->to_day;
        v.ended = o->ended;
        v.seq = e->seq;
        if (o->ended) {
            /* The end of an appointment keeps when it began. */
            MDB_val mk = { kl, k }, mv;
            if (mdb_get(txn, s->officers, &mk, &mv) == 0) {
                Sadasya__OfficerView *was =
                    sadasya__officer_view__unpack(NULL, mv.mv_size, mv.mv_data);
                if (was) {
                    v.from_day = was->from_day;
                    int rc = put_packed(txn, s->officers, k, kl, &v.base, NULL, 0, err);
                    sadasya__officer_view__free_unpacked(was, NULL);
                    return rc;
                }
            }
        }
        return put_packed(txn, s->officers, k, kl, &v.base, NULL, 0, err);
    }
    case SADASYA__ENTRY__BODY_EVENT: {
        Sadasya__EventView v = SADASYA__EVENT_VIEW__INIT;
        v.event = e->event;
        v.state = (char *)state;
        return put_packed(txn, s->events, e->event->event_id,
                          strlen(e->event->event_id), &v.base, NULL, 0, err);
    }
    case SADASYA__ENTRY__BODY_ATTENDANCE:
        return fold_attendance(s, txn, b, e, err);
    case SADASYA__ENTRY__BODY_HONOUR: {
        char origin_seq[STORE_LOGKEY_BYTES];
        store_logkey((uint8_t *)origin_seq, e->origin.data, e->seq);
        size_t nl = strlen(e->honour->number);
        memcpy(k, e->honour->number, nl);
        k[nl] = '\0';
        memcpy(k + nl + 1, origin_seq, sizeof origin_seq);
        kl = nl + 1 + sizeof origin_seq;
        return put_packed(txn, s->honours, k, kl, &e->honour->base, NULL, 0, err);
    }
    case SADASYA__ENTRY__BODY_NOTICE: {
        uint8_t key[8 + STORE_LOGKEY_BYTES], st[STORE_STATE_BYTES] = { 0 };
        store_put_be64(key, ~e->time_ms);
        store_logkey(key + 8, e->origin.data, e->seq);
        memcpy(st, state, strlen(state) < sizeof st ? strlen(state) : sizeof st - 1);
        return put_packed(txn, s->notices, key, sizeof key, &e->notice->base, st,
                          sizeof st, err);
    }
    case SADASYA__ENTRY__BODY_ENTERPRISE: {
        const Sadasya__EnterpriseListed *en = e->enterprise;
        if (en->withdrawn) {
            MDB_val mk = { strlen(en->number), en->number };
            int rc = mdb_del(txn, s->directory, &mk, NULL);
            return rc && rc != MDB_NOTFOUND ? store_mdb_err(rc, "writing the directory", err)
                                            : SD_OK;
        }
        return put_packed(txn, s->directory, en->number, strlen(en->number),
                          &en->base, NULL, 0, err);
    }
    default:
        return sd_errf(err, SD_EINVAL, "entry of an unknown kind");
    }
}

/* --- reading ------------------------------------------------------------- */

/* Walks dbi from prefix (all when pl is 0), calling fn(key, value). */
static int walk(store_txn *txn, MDB_dbi dbi, const void *prefix, size_t pl,
                int (*fn)(const MDB_val *k, const MDB_val *v, void *ctx),
                void *ctx, sd_err *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, dbi, &c);
    if (rc)
        return store_mdb_err(rc, "reading the view", err);
    MDB_val k = { pl, (void *)prefix }, v;
    int ret = SD_OK;
    for (rc = mdb_cursor_get(c, &k, &v, pl ? MDB_SET_RANGE : MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (pl && (k.mv_size < pl || memcmp(k.mv_data, prefix, pl)))
            break;
        if ((ret = fn(&k, &v, ctx)))
            break;
    }
    mdb_cursor_close(c);
    return ret;
}

typedef struct walk_ctx {
    void *fn;
    void *ctx;
    const char *state;
} walk_ctx;

static int officer_row(const MDB_val *k, const MDB_val *v, void *ctx)
{
    (void)k;
    walk_ctx *w = ctx;
    Sadasya__OfficerView *o = sadasya__officer_view__unpack(NULL, v->mv_size, v->mv_data);
    if (!o)
        return 0;
    int rc = ((int (*)(const Sadasya__OfficerView *, void *))w->fn)(o, w->ctx);
    sadasya__officer_view__free_unpacked(o, NULL);
    return rc;
}

int org_officers_each(store *s, store_txn *txn, const char *state,
                      int (*fn)(const Sadasya__OfficerView *o, void *ctx),
                      void *ctx, sd_err *err)
{
    walk_ctx w = { (void *)fn, ctx, state };
    char prefix[8] = "";
    size_t pl = 0;
    if (state) {
        pl = strlen(state) + 1;
        memcpy(prefix, state, pl); /* state and its NUL separator */
    }
    return walk(txn, s->officers, prefix, pl, officer_row, &w, err);
}

static int event_row(const MDB_val *k, const MDB_val *v, void *ctx)
{
    (void)k;
    walk_ctx *w = ctx;
    Sadasya__EventView *ev = sadasya__event_view__unpack(NULL, v->mv_size, v->mv_data);
    if (!ev || !ev->event) {
        if (ev)
            sadasya__event_view__free_unpacked(ev, NULL);
        return 0;
    }
    int rc = ((int (*)(const Sadasya__EventView *, void *))w->fn)(ev, w->ctx);
    sadasya__event_view__free_unpacked(ev, NULL);
    return rc;
}

int org_events_each(store *s, store_txn *txn,
                    int (*fn)(const Sadasya__EventView *ev, void *ctx),
                    void *ctx, sd_err *err)
{
    walk_ctx w = { (void *)fn, ctx, NULL };
    return walk(txn, s->events, NULL, 0, event_row, &w, err);
}

int org_event_get(store *s, store_txn *txn, const char *id,
                  Sadasya__EventView **out, sd_err *err)
{
    *out = NULL;
    if (!*id || strlen(id) >= ORG_ID_MAX)
        return sd_errf(err, SD_ENOTFOUND, "no event %s", id);
    MDB_val k = { strlen(id), (void *)id }, v;
    int rc = mdb_get(txn, s->events, &k, &v);
    if (rc == MDB_NOTFOUND)
        return sd_errf(err, SD_ENOTFOUND, "no event %s", id);
    if (rc)
        return store_mdb_err(rc, "reading events", err);
    *out = sadasya__event_view__unpack(NULL, v.mv_size, v.mv_data);
    if (!*out || !(*out)->event) {
        if (*out)
            sadasya__event_view__free_unpacked(*out, NULL);
        *out = NULL;
        return sd_errf(err, SD_ECORRUPT, "event %s does not decode", id);
    }
    return SD_OK;
}

static int attend_row(const MDB_val *k, const MDB_val *v, void *ctx)
{
    walk_ctx *w = ctx;
    const char *key = k->mv_data;
    size_t idl = strlen(w->state) + 1;
    char number[NUMBER_MAX_LEN];
    size_t nl = k->mv_size - idl;
    if (nl >= sizeof number || v->mv_size != 4)
        return 0;
    memcpy(number, key + idl, nl);
    number[nl] = '\0';
    return ((int (*)(const char *, uint32_t, void *))w->fn)(number,
                                                           store_be32(v->mv_data), w->ctx);
}

int org_attendance_each(store *s, store_txn *txn, const char *event_id,
                        int (*fn)(const char *number, uint32_t day, void *ctx),
                        void *ctx, sd_err *err)
{
    walk_ctx w = { (void *)fn, ctx, event_id };
    char prefix[ORG_ID_MAX + 1];
    size_t pl = strlen(event_id) + 1;
    if (pl > sizeof prefix)
        return SD_OK;
    memcpy(prefix, event_id, pl);
    return walk(txn, s->attend, prefix, pl, attend_row, &w, err);
}

static int honour_row(const MDB_val *k, const MDB_val *v, void *ctx)
{
    walk_ctx *w = ctx;
    char number[NUMBER_MAX_LEN];
    const char *key = k->mv_data;
    size_t nl = strnlen(key, k->mv_size);
    if (nl >= sizeof number)
        return 0;
    memcpy(number, key, nl);
    number[nl] = '\0';
    Sadasya__Honour *h = sadasya__honour__unpack(NULL, v->mv_size, v->mv_data);
    if (!h)
        return 0;
    int rc = ((int (*)(const char *, const Sadasya__Honour *, void *))w->fn)(number, h, w->ctx);
    sadasya__honour__free_unpacked(h, NULL);
    return rc;
}

int org_honours_each(store *s, store_txn *txn, const char *number,
                     int (*fn)(const char *number, const Sadasya__Honour *h,
                               void *ctx),
                     void *ctx, sd_err *err)
{
    walk_ctx w = { (void *)fn, ctx, NULL };
    char prefix[NUMBER_MAX_LEN + 1] = "";
    size_t pl = 0;
    if (number) {
        pl = strlen(number) + 1;
        if (pl > sizeof prefix)
            return SD_OK;
        memcpy(prefix, number, pl);
    }
    return walk(txn, s->honours, prefix, pl, honour_row, &w, err);
}

static int notice_row(const MDB_val *k, const MDB_val *v, void *ctx)
{
    walk_ctx *w = ctx;
    if (k->mv_size < 8 || v->mv_size < STORE_STATE_BYTES)
        return 0;
    char state[STORE_STATE_BYTES];
    memcpy(state, v->mv_data, STORE_STATE_BYTES);
    state[STORE_STATE_BYTES - 1] = '\0';
    Sadasya__Notice *n = sadasya__notice__unpack(NULL, v->mv_size - STORE_STATE_BYTES,
                                                 (uint8_t *)v->mv_data + STORE_STATE_BYTES);
    if (!n)
        return 0;
    uint64_t t = ~store_be64(k->mv_data);
    int rc = ((int (*)(const char *, const Sadasya__Notice *, uint64_t, void *))w->fn)(
        state, n, t, w->ctx);
    sadasya__notice__free_unpacked(n, NULL);
    return rc;
}

int org_notices_each(store *s, store_txn *txn,
                     int (*fn)(const char *state, const Sadasya__Notice *n,
                               uint64_t time_ms, void *ctx),
                     void *ctx, sd_err *err)
{
    walk_ctx w = { (void *)fn, ctx, NULL };
    return walk(txn, s->notices, NULL, 0, notice_row, &w, err);
}

static int directory_row(const MDB_val *k, const MDB_val *v, void *ctx)
{
    (void)k;
    walk_ctx *w = ctx;
    Sadasya__EnterpriseListed *en =
        sadasya__enterprise_listed__unpack(NULL, v->mv_size, v->mv_data);
    if (!en)
        return 0;
    int rc = ((int (*)(const Sadasya__EnterpriseListed *, void *))w->fn)(en, w->ctx);
    sadasya__enterprise_listed__free_unpacked(en, NULL);
    return rc;
}

int org_directory_each(store *s, store_txn *txn,
                       int (*fn)(const Sadasya__EnterpriseListed *en, void *ctx),
                       void *ctx, sd_err *err)
{
    walk_ctx w = { (void *)fn, ctx, NULL };
    return walk(txn, s->directory, NULL, 0, directory_row, &w, err);
}
