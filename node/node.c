/*
 * node.c — sadasyad's event loop: the ROUTER that serves pulls, a DEALER
 * per peer that pulls, the ZAP handler, the local nudge socket and the
 * per-peer socket monitors, all in one zmq_poll. See node.h.
 */
#include "node.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "ident.h"
#include "notify.h"
#include "recv.h"
#include "roster.h"
#include "sync.h"

#define NODE_MAX_PARKED 1024
#define NODE_MAX_LINKS (2 * NODE_MAX_PEERS) /* dialled and inbound */
#define NODE_INBOUND_IDLE_MS 90000 /* an inbound link silent this long is dropped */
#define NODE_REFUSAL_BACKOFF_MIN_MS 1000
#define NODE_REFUSAL_BACKOFF_MAX_MS 60000
#define NODE_LOCK_FILE STORE_NODE_LOCK_FILE
#define NODE_PULL_GRACE_MS 10000   /* a pull unanswered this long past its wait is resent */
#define NODE_STATUS_MS 250         /* peer status written to the store at most this often */
#define NODE_ROSTER_MS 3000        /* roster endpoints re-read this often */
#define NODE_HEARTBEAT_MS 2000
#define NODE_ZAP_DOMAIN "sadasya"
#define NODE_RETRY_MIN_MS 500      /* first reconnect after a failed handshake */
#define NODE_RETRY_MAX_MS 30000
#define NODE_QUEUE_MAX 8           /* a link's batches at the receive worker, unapplied */
#define NODE_REPORTS_LOGGED 16     /* refusals logged per batch */
#define NODE_INBOUND_IDS 1024      /* pulls over inbound links remembered */

/* A link to another node: one we dialled (our DEALER to its ROUTER), or
 * one that dialled us (inbound: its DEALER to our ROUTER, reached through
 * its routing id). Both ways, each side pulls from the other, so a chapter
 * that can only dial out (no public address) still gets its entries out. */
typedef struct peer {
    uint64_t id;               /* names the link in receive jobs */
    int inbound;
    uint8_t rid[256];          /* inbound: ROUTER routing id */
    size_t rid_len;
    int64_t last_heard;        /* inbound: dropped when silent too long */
    int drop;                  /* inbound: to be dropped at the next tick */
    char endpoint[256];
    uint8_t key[32], xkey[32];
    char state[STORE_STATE_BYTES];
    void *dealer, *mon;
    int connected, handshaken, inflight, from_roster;
    uint64_t pull_id;
    int64_t sent_ms, wait_ms;
    Sadasya__Head **heads;     /* the peer's heads at last contact */
    size_t nheads;
    uint64_t received, rejected, bad, hs_fail, last_contact;
    char last_error[SD_ERR_MSG_MAX];
    int dirty;
    /* libzmq does not reconnect after a failed handshake (the peer may not
     * know our key yet: its roster arrives later), so we do, backing off. */
    int64_t retry_at, backoff_ms;
    /* After a batch that only brought refusals, pull again later, not at
     * once: the peer would send the same refused entries straight back. */
    int64_t next_pull_at, pull_backoff_ms;
    /* Batches at the receive worker (recv.h), and the heads they will
     * reach when they land: the next pull asks for what follows them.
     * A failure or a refusal starts a new epoch: the worker skips the
     * link's older jobs, and answers to pulls made before it (ids below
     * valid_from) are dropped unread. */
    int queued, more;
    Sadasya__Head **tips;
    size_t ntips;
    uint64_t epoch, valid_from;
} peer;

/* Where the answer to a pull goes: a DEALER, or the ROUTER and a routing id. */
typedef struct target {
    void *sock;
    zmq_msg_t who;
    int routed;
} target;

typedef struct parked {
    target to;
    Sadasya__SyncMsg *msg;     /* owns the pull */
    int64_t deadline;
    uint8_t key[32];           /* who asked */
} parked;

struct node {
    node_config cfg;
    store *s;
    ident id;
    uint8_t xpk[32], xsk[32];
    void *ctx, *router, *zap, *nudge;
    peer peers[NODE_MAX_LINKS];
    int npeers;
    int lock_fd;
    parked park[NODE_MAX_PARKED];
    int nparked;
    uint64_t next_id, next_link;
    /* The last pulls sent over inbound links, with the link and the key
     * they went to: a batch over an inbound link must answer one sent over
     * that link (else it is a batch no pull asked for); one answering a
     * pull sent over a link since dropped is stale, not hostile. Ids start
     * at a random point, so a stranger cannot name one. */
    struct inbound_pull {
        uint64_t id, link;
        uint8_t key[32];
    } inbound_ids[NODE_INBOUND_IDS];
    int inbound_ids_next;
    recv_worker *recv;                /* applies what peers send (recv.h) */
    int64_t next_status, next_roster;
    uint64_t bad_in, served;
    int fenced; /* restored from a backup, not yet caught up (backup.h) */
};

static void on_batch(node *n, peer *p, Sadasya__SyncMsg *m);
static void send_pull(node *n, peer *p, uint32_t wait_ms);
static void backoff(peer *p);
static peer *find_inbound(node *n, const zmq_msg_t *rid);
static peer *inbound_link(node *n, const zmq_msg_t *rid, const char *user);
static void drop_inbound(node *n, int i);

/* --- logging and time --------------------------------------------------- */

static int log_level_ = LOG_INFO;

static void nlog(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void nlog(int level, const char *fmt, ...)
{
    if (level > log_level_)
        return;
    static const char *const names[] = { "error", "warn", "info", "debug" };
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ld sadasyad %s: ", ts, (long)(tv.tv_usec / 1000),
            names[level]);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int node_log_level(const char *name)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, names[i]))
            return i;
    return -1;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

/* --- sending ------------------------------------------------------------ */

static void free_buf(void *data, void *hint)
{
    (void)hint;
    free(data);
}

/* Sends buf (taking ownership) as one frame; -1 when it would block. */
static int send_owned(void *sock, uint8_t *buf, size_t len, int flags)
{
    zmq_msg_t m;
    if (zmq_msg_init_data(&m, buf, len, free_buf, NULL)) {
        free(buf);
        return -1;
    }
    if (zmq_msg_send(&m, sock, flags | ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        return -1;
    }
    return 0;
}

/* Sends buf (taking ownership) to a target. */
static int target_send(target *t, uint8_t *buf, size_t len)
{
    if (t->routed) {
        zmq_msg_t w;
        zmq_msg_init(&w);
        zmq_msg_copy(&w, &t->who);
        if (zmq_msg_send(&w, t->sock, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&w);
            free(buf);
            return -1;
        }
    }
    return send_owned(t->sock, buf, len, 0);
}

static void target_init(target *t, void *sock, zmq_msg_t *who)
{
    t->sock = sock;
    t->routed = who != NULL;
    zmq_msg_init(&t->who);
    if (who)
        zmq_msg_copy(&t->who, who);
}

static void reply_error(target *t, uint64_t id, const char *why)
{
    Sadasya__SyncError e = SADASYA__SYNC_ERROR__INIT;
    e.id = id;
    e.reason = (char *)why;
    Sadasya__SyncMsg m = SADASYA__SYNC_MSG__INIT;
    m.msg_case = SADASYA__SYNC_MSG__MSG_ERROR;
    m.error = &e;
    uint8_t *buf;
    size_t len;
    if (sync_encode(&m, &buf, &len, NULL))
        return;
    target_send(t, buf, len);
}

/* --- serving pulls ------------------------------------------------------ */

/* Answers a pull now with what it lacks of origin only (NULL: all).
 * Returns the entries sent, or -1 on failure. */
static long answer_from(node *n, target *t, const Sadasya__Pull *p,
                        const uint8_t *only, int force)
{
    sd_err err;
    uint8_t *buf;
    size_t len, nent;
    if (sync_answer_only(n->s, p, only, &buf, &len, &nent, &err)) {
        nlog(LOG_ERROR, "answering a pull: %s", err.msg);
        reply_error(t, p->id, "node failed to read its store");
        return -1;
    }
    if (!nent && !force) {
        free(buf);
        return 0;
    }
    if (target_send(t, buf, len))
        return -1;
    n->served += nent;
    return (long)nent;
}

static long answer(node *n, target *t, const Sadasya__Pull *p, int force)
{
    return answer_from(n, t, p, NULL, force);
}

static long answer_only(node *n, target *t, const Sadasya__Pull *p,
                        const uint8_t *origin)
{
    return answer_from(n, t, p, origin, 0);
}

static void park_drop(node *n, int i)
{
    zmq_msg_close(&n->park[i].to.who);
    sadasya__sync_msg__free_unpacked(n->park[i].msg, NULL);
    n->park[i] = n->park[--n->nparked];
}

/* New entries are here: answer every parked pull that now gets some. */
/* Whether a node's key may still be served: the national key or an
 * active chapter key, as the ZAP handler admits. A connection outlives a
 * revocation, so every pull is asked this, not only the handshake: a
 * revoked or replaced chapter gets no more of the federation's data. */
/* What key_admitted says of a key: not in the roster; admitted; or a key
 * the roster has ended, whose node may fetch only the national log (that
 * is how it learns it must sign nothing more: fence.h). */
enum { NODE_REFUSED = 0, NODE_ADMITTED = 1, NODE_ENDED = 2 };

static int key_admitted(node *n, const uint8_t *key)
{
    if (!key)
        return 0;
    if (!memcmp(key, n->id.national_key, 32))
        return 1;
    MDB_txn *txn;
    if (store_begin(n->s, 0, &txn, NULL))
        return 0;
    char st[STORE_STATE_BYTES];
    int flag = -1;
    int ok = 0;
    if (roster_key_state(n->s, txn, key, st, &flag, NULL) == SD_OK)
        ok = flag == ROSTER_ACTIVE ? NODE_ADMITTED : NODE_ENDED;
    mdb_txn_abort(txn);
    return ok;
}

#define NODE_NOT_ADMITTED "this node's key is no longer admitted (revoked or " \
                          "replaced in the roster)"

static void wake_parked(node *n)
{
    for (int i = 0; i < n->nparked;) {
        if (key_admitted(n, n->park[i].key) != NODE_ADMITTED) {
            reply_error(&n->park[i].to, n->park[i].msg->pull->id, NODE_NOT_ADMITTED);
            park_drop(n, i);
            continue;
        }
        long sent = answer(n, &n->park[i].to, n->park[i].msg->pull, 0);
        if (sent != 0)
            park_drop(n, i);
        else
            i++;
    }
}

static void expire_parked(node *n, int64_t now)
{
    for (int i = 0; i < n->nparked;) {
        if (now >= n->park[i].deadline) {
            if (key_admitted(n, n->park[i].key) == NODE_ADMITTED)
                answer(n, &n->park[i].to, n->park[i].msg->pull, 1);
            else
                reply_error(&n->park[i].to, n->park[i].msg->pull->id,
                            NODE_NOT_ADMITTED);
            park_drop(n, i);
        } else {
            i++;
        }
    }
}

/* The state of a ZAP User-Id (the client's key in hex), for log lines. */
static const char *user_label(node *n, const char *user)
{
    static char label[STORE_STATE_BYTES + 8];
    uint8_t key[32];
    char st[STORE_STATE_BYTES];
    int flag;
    MDB_txn *txn;
    snprintf(label, sizeof label, "?");
    if (!user || strlen(user) != 64 ||
        sodium_hex2bin(key, sizeof key, user, 64, NULL, NULL, NULL))
        return label;
    if (!memcmp(key, n->id.national_key, 32))
        snprintf(label, sizeof label, "%s", ROSTER_NATIONAL_STATE);
    else if (store_begin(n->s, 0, &txn, NULL) == SD_OK) {
        if (roster_key_state(n->s, txn, key, st, &flag, NULL) == SD_OK)
            snprintf(label, sizeof label, "%s", st);
        mdb_txn_abort(txn);
    }
    return label;
}

/* Whether a batch that came over the ROUTER answers a pull this node sent
 * over an inbound link since dropped. */
static int stale_answer(node *n, const Sadasya__SyncMsg *m)
{
    if (m->msg_case != SADASYA__SYNC_MSG__MSG_BATCH || !m->batch->id)
        return 0;
    for (int i = 0; i < NODE_INBOUND_IDS; i++)
        if (n->inbound_ids[i].id == m->batch->id)
            return 1;
    return 0;
}

enum { PULL_UNKNOWN = 0, PULL_OURS = 1, PULL_STALE = 2 };

/* Which pull batch id answers on inbound link p: PULL_OURS, one this node
 * sent over p; PULL_STALE, one sent to the same node over an earlier link;
 * PULL_UNKNOWN, none (a batch no pull asked for: never applied). */
static int inbound_answer(const node *n, const peer *p, uint64_t id)
{
    if (!id)
        return PULL_UNKNOWN;
    if (id == p->pull_id)
        return PULL_OURS; /* in flight (never evicted from the ring) */
    int stale = 0;
    for (int i = 0; i < NODE_INBOUND_IDS; i++) {
        const struct inbound_pull *ip = &n->inbound_ids[i];
        if (ip->id != id)
            continue;
        if (ip->link == p->id)
            return PULL_OURS;
        stale = !memcmp(ip->key, p->key, 32);
    }
    return stale ? PULL_STALE : PULL_UNKNOWN;
}

/* A decoded message from a link (NULL: an inbound node we do not pull
 * from; label names it). Takes ownership of m. */
static void on_message(node *n, target *t, peer *p, const uint8_t *key,
                       const char *label,
                       Sadasya__SyncMsg *m)
{
    const char *from = p ? p->endpoint : label;
    if (p) {
        p->last_heard = mono_ms();
        p->last_contact = wall_ms();
    }
    switch (m->msg_case) {
    case SADASYA__SYNC_MSG__MSG_PULL: {
        int adm = key_admitted(n, key);
        if (adm == NODE_ENDED) {
            /* The national log only, and only while it has news for it. */
            if (answer_only(n, t, m->pull, n->id.national_key) <= 0) {
                nlog(LOG_WARN, "refused a pull from %s: %s", from, NODE_NOT_ADMITTED);
                reply_error(t, m->pull->id, NODE_NOT_ADMITTED);
            }
            break;
        }
        if (adm != NODE_ADMITTED) {
            nlog(LOG_WARN, "refused a pull from %s: %s", from, NODE_NOT_ADMITTED);
            reply_error(t, m->pull->id, NODE_NOT_ADMITTED);
            break;
        }
        long sent = answer(n, t, m->pull, m->pull->wait_ms == 0);
        if (sent == 0 && n->nparked < NODE_MAX_PARKED) {
            parked *pk = &n->park[n->nparked++];
            target_init(&pk->to, t->sock, t->routed ? &t->who : NULL);
            pk->msg = m;
            memcpy(pk->key, key, 32);
            uint32_t w = m->pull->wait_ms > 60000 ? 60000 : m->pull->wait_ms;
            pk->deadline = mono_ms() + w;
            return;
        }
        if (sent == 0)
            answer(n, t, m->pull, 1);
        break;
    }
    case SADASYA__SYNC_MSG__MSG_BATCH: {
        int ans = p && p->inbound ? inbound_answer(n, p, m->batch->id) : PULL_OURS;
        if (p && ans == PULL_STALE) {
            nlog(LOG_DEBUG, "dropped a batch from %s answering a pull over a "
                 "link since closed", from);
        } else if (p && ans == PULL_OURS) {
            on_batch(n, p, m); /* it owns m now */
            return;
        } else {
            /* Over an inbound link, only answers to our pulls are taken: a
             * node that dialled us cannot push entries unasked. */
            if (p) {
                p->bad++;
                p->dirty = 1;
            }
            n->bad_in++;
            nlog(LOG_WARN, "bad message from %s: unexpected batch (no pull asked "
                 "for it)", from);
            reply_error(t, m->batch->id, "a batch no pull asked for");
        }
        break;
    }
    case SADASYA__SYNC_MSG__MSG_ERROR:
        nlog(LOG_WARN, "%s refused our pull: %s", from, m->error->reason);
        if (p) {
            snprintf(p->last_error, sizeof p->last_error, "%s", m->error->reason);
            p->inflight = 0;
            p->dirty = 1;
            backoff(p); /* asking again at once would be refused again */
        }
        break;
    default:
        if (p) {
            p->bad++;
            p->dirty = 1;
        }
        break;
    }
    sadasya__sync_msg__free_unpacked(m, NULL);
}

static void on_router(node *n)
{
    zmq_msg_t who, body;
    zmq_msg_init(&who);
    zmq_msg_init(&body);
    if (zmq_msg_recv(&who, n->router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&who);
        zmq_msg_close(&body);
        return;
    }
    int more = zmq_msg_more(&who);
    if (!more || zmq_msg_recv(&body, n->router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&who);
        zmq_msg_close(&body);
        return;
    }
    /* Drain any further frames: a well-formed request has one. */
    int extra = 0;
    while (zmq_msg_more(&body)) {
        zmq_msg_t x;
        zmq_msg_init(&x);
        zmq_msg_recv(&x, n->router, ZMQ_DONTWAIT);
        extra = 1;
        int m = zmq_msg_more(&x);
        zmq_msg_close(&x);
        if (!m)
            break;
    }
    const char *user = zmq_msg_gets(&body, "User-Id");
    sd_err err;
    Sadasya__SyncMsg *m = NULL;
    target t;
    target_init(&t, n->router, &who);
    if (extra)
        sd_errf(&err, SD_EINVAL, "request of several frames");
    if (extra || sync_decode(zmq_msg_data(&body), zmq_msg_size(&body), &m, &err)) {
        n->bad_in++;
        nlog(LOG_WARN, "bad message from %s: %s", user_label(n, user), err.msg);
        reply_error(&t, 0, err.msg);
        peer *in = find_inbound(n, &who);
        if (in) {
            in->bad++;
            in->dirty = 1;
        }
    } else {
        peer *in = inbound_link(n, &who, user);
        if (!in && stale_answer(n, m)) {
            /* It answers a pull sent over its inbound link before we
             * dropped that for the link we dialled to the same node:
             * harmless, and pulled again over the other. */
            nlog(LOG_DEBUG, "dropped a batch from %s answering a pull over a "
                 "link since closed", user_label(n, user));
            sadasya__sync_msg__free_unpacked(m, NULL);
        } else {
            uint8_t key[32];
            int known = user && strlen(user) == 64 &&
                        !sodium_hex2bin(key, sizeof key, user, 64, NULL, NULL, NULL);
            on_message(n, &t, in, known ? key : NULL, user_label(n, user), m);
        }
        m = NULL;
    }
    zmq_msg_close(&t.who);
    zmq_msg_close(&who);
    zmq_msg_close(&body);
}

/* --- ZAP: only roster keys connect -------------------------------------- */

/* The state of an allowed X25519 client key, or NULL; its Ed25519 key
 * goes to ed. */
static const char *zap_allowed(node *n, const uint8_t xkey[32], char out[8],
                               uint8_t ed[32])
{
    MDB_txn *txn;
    if (store_begin(n->s, 0, &txn, NULL))
        return NULL;
    const char *who = NULL;
    uint8_t x[32];
    if (crypto_sign_ed25519_pk_to_curve25519(x, n->id.national_key) == 0 &&
        !memcmp(x, xkey, 32)) {
        who = strcpy(out, "IN");
        memcpy(ed, n->id.national_key, 32);
    }
    /* Keys the roster has ended connect too, to learn of it (key_admitted
     * lets them fetch the national log only). */
    roster_key rk;
    if (!who && roster_key_by_curve(n->s, txn, xkey, ed, &rk, NULL) == SD_OK) {
        memcpy(out, rk.state, STORE_STATE_BYTES);
        who = out;
    }
    mdb_txn_abort(txn);
    return who;
}

static void on_zap(node *n)
{
    zmq_msg_t f[8];
    int nf = 0;
    for (;;) {
        zmq_msg_init(&f[nf]);
        if (zmq_msg_recv(&f[nf], n->zap, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&f[nf]);
            break;
        }
        int more = zmq_msg_more(&f[nf]);
        nf++;
        if (!more || nf == 8)
            break;
    }
    /* version, request id, domain, address, identity, mechanism, key */
    const char *status = "400", *text = "not in the roster";
    char who[8] = "", user[65] = "";
    uint8_t ed[32];
    char addr[64] = "?";
    if (nf >= 4) {
        size_t al = zmq_msg_size(&f[3]);
        if (al >= sizeof addr)
            al = sizeof addr - 1;
        memcpy(addr, zmq_msg_data(&f[3]), al);
        addr[al] = '\0';
    }
    if (nf == 7 && zmq_msg_size(&f[5]) == 5 &&
        !memcmp(zmq_msg_data(&f[5]), "CURVE", 5) && zmq_msg_size(&f[6]) == 32) {
        if (zap_allowed(n, zmq_msg_data(&f[6]), who, ed)) {
            status = "200";
            text = "OK";
            sodium_bin2hex(user, sizeof user, ed, 32); /* the User-Id */
        }
    } else {
        text = "CURVE required";
    }
    if (strcmp(status, "200"))
        nlog(LOG_WARN, "refused a connection from %s: %s", addr, text);
    else
        nlog(LOG_DEBUG, "admitted %s from %s", who, addr);
    if (nf >= 2) {
        zmq_send(n->zap, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(n->zap, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), ZMQ_SNDMORE);
        zmq_send(n->zap, status, 3, ZMQ_SNDMORE);
        zmq_send(n->zap, text, strlen(text), ZMQ_SNDMORE);
        zmq_send(n->zap, user, strlen(user), ZMQ_SNDMORE);
        zmq_send(n->zap, "", 0, 0);
    }
    for (int i = 0; i < nf; i++)
        zmq_msg_close(&f[i]);
}

/* --- pulling from peers ------------------------------------------------- */

static void peer_clear_heads(peer *p)
{
    sync_heads_free(p->heads, p->nheads);
    p->heads = NULL;
    p->nheads = 0;
}

static void peer_clear_tips(peer *p)
{
    sync_heads_free(p->tips, p->ntips);
    p->tips = NULL;
    p->ntips = 0;
}

/* Pulls from p: what lies beyond our heads and the tips of the batches
 * still at the receive worker. */
static void send_pull(node *n, peer *p, uint32_t wait_ms)
{
    if (!p->handshaken)
        return;
    uint8_t *buf;
    size_t len;
    sd_err err;
    uint64_t id = ++n->next_id;
    unsigned max = n->cfg.batch_max ? n->cfg.batch_max : SYNC_BATCH_ENTRIES;
    if (sync_pull(n->s, id, max, wait_ms, p->tips, p->ntips, &buf, &len, &err)) {
        nlog(LOG_ERROR, "building a pull: %s", err.msg);
        return;
    }
    target t;
    target_init(&t, p->inbound ? n->router : p->dealer, NULL);
    if (p->inbound) {
        t.routed = 1;
        zmq_msg_init_size(&t.who, p->rid_len);
        memcpy(zmq_msg_data(&t.who), p->rid, p->rid_len);
    }
    int rc = target_send(&t, buf, len);
    zmq_msg_close(&t.who);
    if (rc) {
        nlog(LOG_DEBUG, "pull to %s not sent (not connected)", p->endpoint);
        return;
    }
    p->inflight = 1;
    p->pull_id = id;
    if (p->inbound) {
        struct inbound_pull *ip = &n->inbound_ids[n->inbound_ids_next];
        ip->id = id;
        ip->link = p->id;
        memcpy(ip->key, p->key, 32);
        n->inbound_ids_next = (n->inbound_ids_next + 1) % NODE_INBOUND_IDS;
    }
    p->sent_ms = mono_ms();
    p->wait_ms = wait_ms;
}

/* Pulls again if nothing is in flight, no back-off holds, and the worker
 * has room for another of this link's batches. */
static void maybe_pull(node *n, peer *p)
{
    if (!p->inflight && !p->next_pull_at && p->queued < NODE_QUEUE_MAX)
        send_pull(n, p, p->more || p->queued ? 0 : NODE_LONGPOLL_MS);
}

/* After a failure or a refusal: what was pulled beyond the store's heads
 * will not land, so start again from them. */
static void reset_pipeline(node *n, peer *p)
{
    p->epoch++;
    p->valid_from = n->next_id + 1;
    p->inflight = 0;
    peer_clear_tips(p);
}

static void backoff(peer *p)
{
    p->pull_backoff_ms = p->pull_backoff_ms ? p->pull_backoff_ms * 2
                                            : NODE_REFUSAL_BACKOFF_MIN_MS;
    if (p->pull_backoff_ms > NODE_REFUSAL_BACKOFF_MAX_MS)
        p->pull_backoff_ms = NODE_REFUSAL_BACKOFF_MAX_MS;
    p->next_pull_at = mono_ms() + p->pull_backoff_ms;
}

/* Heads a prepared batch will reach if all of it is accepted: the last
 * entry of each origin's run, from what preparing decoded and hashed. */
static Sadasya__Head **batch_tips(const sync_incoming *in, size_t *n)
{
    Sadasya__Head **t = calloc(in->n ? in->n : 1, sizeof *t);
    *n = 0;
    if (!t)
        return NULL;
    for (size_t i = 0; i < in->n; i++) {
        const Sadasya__Entry *e = in->prep[i].e, *next =
            i + 1 < in->n ? in->prep[i + 1].e : NULL;
        if (!e || (next && !memcmp(next->origin.data, e->origin.data, 32)))
            continue;
        Sadasya__Head *h = calloc(1, sizeof *h);
        if (!h)
            break;
        sadasya__head__init(h);
        h->origin.data = malloc(32);
        h->hash.data = malloc(32);
        if (!h->origin.data || !h->hash.data) {
            free(h->origin.data);
            free(h->hash.data);
            free(h);
            break;
        }
        memcpy(h->origin.data, e->origin.data, 32);
        memcpy(h->hash.data, in->prep[i].hash, 32);
        h->origin.len = h->hash.len = 32;
        h->seq = e->seq;
        t[(*n)++] = h;
    }
    return t;
}

/* Folds a batch's tips (taken) into the link's. */
static void merge_tips(peer *p, Sadasya__Head **t, size_t nt)
{
    Sadasya__Head **all = realloc(p->tips, (p->ntips + nt + 1) * sizeof *all);
    if (!all) {
        sync_heads_free(t, nt);
        peer_clear_tips(p); /* pull from the store's heads: slower, right */
        return;
    }
    p->tips = all;
    for (size_t i = 0; i < nt; i++) {
        size_t j;
        for (j = 0; j < p->ntips; j++)
            if (!memcmp(p->tips[j]->origin.data, t[i]->origin.data, 32))
                break;
        if (j < p->ntips) {
            free(p->tips[j]->origin.data);
            free(p->tips[j]->hash.data);
            free(p->tips[j]);
            p->tips[j] = t[i];
        } else {
            p->tips[p->ntips++] = t[i];
        }
    }
    free(t);
}

static peer *find_link(node *n, uint64_t id)
{
    for (int i = 0; i < n->npeers; i++)
        if (n->peers[i].id == id)
            return &n->peers[i];
    return NULL;
}

/* A batch from p (m owned): prepared here (decoding, hashes, run
 * signatures) while the worker writes the previous ones, then handed to
 * it; the next pull goes out at once. */
static void on_batch(node *n, peer *p, Sadasya__SyncMsg *m)
{
    Sadasya__Batch *b = m->batch;
    if (b->id == p->pull_id)
        p->inflight = 0;
    p->last_contact = wall_ms();
    p->dirty = 1;
    if (b->id < p->valid_from) {
        /* It answers a pull made before a failure: its entries follow
         * what did not land. */
        nlog(LOG_DEBUG, "from %s: dropped a batch pulled before a failure",
             p->endpoint);
        sadasya__sync_msg__free_unpacked(m, NULL);
        maybe_pull(n, p);
        return;
    }
    /* Keep the peer's heads for sync-status (steal them from the message). */
    peer_clear_heads(p);
    p->heads = b->heads;
    p->nheads = b->n_heads;
    b->heads = NULL;
    b->n_heads = 0;
    p->more = b->more;

    sd_err err;
    recv_job *j = recv_job_new(RECV_BATCH);
    /* Origins that equivocated are held back by the write path itself
     * (apply_held_back), for every link and bundle, across restarts. */
    if (!j || sync_incoming_prepare(n->s, b, &j->in, &err)) {
        nlog(LOG_ERROR, "from %s: cannot take a batch: out of memory", p->endpoint);
        recv_job_free(&j);
        sadasya__sync_msg__free_unpacked(m, NULL);
        reset_pipeline(n, p);
        backoff(p);
        return;
    }
    size_t ntips = 0;
    Sadasya__Head **tips = b->more ? batch_tips(&j->in, &ntips) : NULL;
    j->msg = m;
    j->link = p->id;
    j->epoch = p->epoch;
    j->more = b->more;
    j->own_key = n->id.kp.pk;
    if (n->fenced && !b->more) {
        j->unfence = 1;
        for (size_t i = 0; i < p->nheads; i++)
            if (!memcmp(p->heads[i]->origin.data, n->id.kp.pk, 32))
                j->theirs = p->heads[i]->seq;
    }
    if (recv_submit(n->recv, j, &err)) {
        nlog(LOG_ERROR, "from %s: %s", p->endpoint, err.msg);
        recv_job_free(&j);
        sync_heads_free(tips, ntips);
        reset_pipeline(n, p);
        backoff(p);
        return;
    }
    p->queued++;
    if (tips)
        merge_tips(p, tips, ntips);
    if (b->more)
        maybe_pull(n, p);
}

static void log_reports(node *n, peer *p, const recv_job *j)
{
    (void)n;
    size_t told = 0;
    for (size_t i = 0; i < j->nreports; i++) {
        const recv_report *r = &j->reports[i];
        if (r->kind == APPLY_HELD_BACK)
            continue; /* one line for them all, below */
        told++;
        if (r->kind == APPLY_PERSONAL_DROPPED)
            nlog(LOG_WARN, "from %s: seq %llu: %s", p->endpoint,
                 (unsigned long long)r->seq, r->why);
        else
            nlog(r->kind == APPLY_EQUIVOCATION ? LOG_ERROR : LOG_WARN,
                 "from %s: rejected seq %llu: %s", p->endpoint,
                 (unsigned long long)r->seq, r->why);
        snprintf(p->last_error, sizeof p->last_error, "%s", r->why);
    }
    size_t held = j->res.held_back;
    size_t all = j->res.rejected - held + j->res.personal_dropped;
    if (all > told)
        nlog(LOG_WARN, "from %s: and %zu more refusals in that batch",
             p->endpoint, all - told);
    if (held) {
        nlog(LOG_WARN, "from %s: %zu entries held back: their origin "
             "equivocated (evidence held here)", p->endpoint, held);
        snprintf(p->last_error, sizeof p->last_error,
                 "held back: its origin equivocated");
    }
}

/* A job back from the receive worker. */
static void on_done(node *n, recv_job *j)
{
    peer *p = j->kind == RECV_BATCH ? find_link(n, j->link) : NULL;
    if (j->kind == RECV_META && j->rc) {
        nlog(LOG_WARN, "writing peer status: %s", j->err.msg);
        for (int i = 0; i < n->npeers; i++)
            n->peers[i].dirty = 1;
    }
    if (!p) { /* status, or a link dropped meanwhile */
        recv_job_free(&j);
        return;
    }
    if (!j->credited)
        p->queued--;
    p->dirty = 1;
    if (j->skipped) {
        recv_job_free(&j);
        maybe_pull(n, p);
        return;
    }
    if (j->rc) {
        /* A store failure (a full disk, say): nothing of the batch was
         * written; wait before pulling again rather than spin. */
        nlog(LOG_ERROR, "applying a batch from %s: %s", p->endpoint, j->err.msg);
        snprintf(p->last_error, sizeof p->last_error, "%s", j->err.msg);
        if (j->epoch == p->epoch) {
            reset_pipeline(n, p);
            backoff(p);
        }
        recv_job_free(&j);
        return;
    }
    apply_result r = j->res;
    const apply_result *res = &r;
    p->received += res->added;
    p->rejected += res->rejected;
    log_reports(n, p, j);
    if (res->rejected && j->epoch == p->epoch)
        reset_pipeline(n, p);
    if (!res->added && res->rejected) {
        /* Nothing but refusals: the peer would send them straight back. */
        backoff(p);
        nlog(LOG_INFO, "from %s: only refusals; next pull in %lld ms",
             p->endpoint, (long long)p->pull_backoff_ms);
    } else if (res->added) {
        p->pull_backoff_ms = 0;
        p->next_pull_at = 0;
    }
    if (j->unfenced && n->fenced) {
        n->fenced = 0;
        nlog(LOG_INFO, "caught up with %s: this node's own log is at seq "
             "%llu; it may write again", p->endpoint,
             (unsigned long long)j->own_seq);
    }
    if (res->added)
        nlog(LOG_INFO, "from %s: %zu entries added (%zu duplicate, %zu rejected)",
             p->endpoint, res->added, res->duplicate, res->rejected);
    recv_job_free(&j);
    if (res->added)
        wake_parked(n);
    maybe_pull(n, p);
}

/* A job applied, not yet committed: its batch can go, and the link's
 * next batch be pulled. */
static void on_applied(node *n, recv_job *j)
{
    recv_job_release_input(j);
    j->credited = 1;
    peer *p = find_link(n, j->link);
    if (!p)
        return;
    p->queued--;
    if (j->more && j->epoch == p->epoch)
        maybe_pull(n, p);
}

static void on_recv(node *n)
{
    recv_job *j;
    int applied;
    for (int k = 0; k < 64 && (j = recv_next(n->recv, &applied)); k++) {
        if (applied)
            on_applied(n, j);
        else
            on_done(n, j);
    }
}

static void on_dealer(node *n, peer *p)
{
    zmq_msg_t body;
    zmq_msg_init(&body);
    if (zmq_msg_recv(&body, p->dealer, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&body);
        return;
    }
    sd_err err;
    Sadasya__SyncMsg *m = NULL;
    if (sync_decode(zmq_msg_data(&body), zmq_msg_size(&body), &m, &err)) {
        p->bad++;
        p->dirty = 1;
        snprintf(p->last_error, sizeof p->last_error, "%s", err.msg);
        nlog(LOG_WARN, "bad message from %s: %s", p->endpoint, err.msg);
        p->inflight = 0;
    } else {
        target t;
        target_init(&t, p->dealer, NULL);
        on_message(n, &t, p, p->key, p->endpoint, m);
        m = NULL;
    }
    while (zmq_msg_more(&body)) { /* stray frames */
        zmq_msg_close(&body);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&body, p->dealer, ZMQ_DONTWAIT) < 0)
            break;
    }
    if (m)
        sadasya__sync_msg__free_unpacked(m, NULL);
    zmq_msg_close(&body);
}

static void schedule_retry(peer *p)
{
    if (p->retry_at)
        return;
    p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : NODE_RETRY_MIN_MS;
    if (p->backoff_ms > NODE_RETRY_MAX_MS)
        p->backoff_ms = NODE_RETRY_MAX_MS;
    p->retry_at = mono_ms() + p->backoff_ms;
}

static void retry_connect(peer *p, int64_t now)
{
    if (!p->retry_at || now < p->retry_at)
        return;
    p->retry_at = 0;
    nlog(LOG_DEBUG, "reconnecting to %s", p->endpoint);
    zmq_disconnect(p->dealer, p->endpoint);
    zmq_connect(p->dealer, p->endpoint);
}

static void on_monitor(node *n, peer *p)
{
    zmq_msg_t ev, addr;
    zmq_msg_init(&ev);
    zmq_msg_init(&addr);
    if (zmq_msg_recv(&ev, p->mon, ZMQ_DONTWAIT) < 0 || !zmq_msg_more(&ev) ||
        zmq_msg_recv(&addr, p->mon, ZMQ_DONTWAIT) < 0 || zmq_msg_size(&ev) < 6) {
        zmq_msg_close(&ev);
        zmq_msg_close(&addr);
        return;
    }
    uint16_t event;
    memcpy(&event, zmq_msg_data(&ev), sizeof event);
    switch (event) {
    case ZMQ_EVENT_CONNECTED:
        p->connected = 1;
        nlog(LOG_DEBUG, "connected to %s", p->endpoint);
        break;
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        p->handshaken = 1;
        p->backoff_ms = 0;
        p->retry_at = 0;
        p->dirty = 1;
        nlog(LOG_INFO, "secure session with %s (%s)", p->endpoint,
             p->state[0] ? p->state : "national");
        n->next_status = 0; /* sync-status shows it at once */
        p->inflight = 0;
        /* One link per node is enough: if it had dialled us, stop pulling
         * over that one. */
        for (int i = 0; i < n->npeers; i++)
            if (n->peers[i].inbound && !memcmp(n->peers[i].key, p->key, 32))
                n->peers[i].drop = 1; /* dropped by the loop, not here */
        if (p->queued < NODE_QUEUE_MAX)
            send_pull(n, p, 0);
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        p->hs_fail++;
        p->connected = 0; /* the disconnect that follows is the same failure */
        p->dirty = 1;
        snprintf(p->last_error, sizeof p->last_error,
                 "CURVE handshake failed%s",
                 event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                     ? ": the peer does not admit this node's key" : "");
        nlog(LOG_WARN, "%s: %s", p->endpoint, p->last_error);
        schedule_retry(p);
        break;
    case ZMQ_EVENT_DISCONNECTED:
        if (p->connected && !p->handshaken) {
            /* Dropped before the handshake finished: a key mismatch looks
             * like this from the client's side. */
            p->hs_fail++;
            snprintf(p->last_error, sizeof p->last_error,
                     "disconnected during the CURVE handshake (wrong key?)");
            nlog(LOG_WARN, "%s: %s", p->endpoint, p->last_error);
            schedule_retry(p);
        }
        p->connected = p->handshaken = 0;
        p->inflight = 0;
        p->dirty = 1;
        /* Pulls the peer sent over this connection and we hold waiting
         * are answered over it or not at all: after a reconnect the peer
         * has pulled again, and an old answer would reach it as a batch
         * no pull asked for. */
        for (int i = 0; i < n->nparked;) {
            if (!n->park[i].to.routed && n->park[i].to.sock == p->dealer)
                park_drop(n, i);
            else
                i++;
        }
        break;
    default:
        break;
    }
    zmq_msg_close(&ev);
    zmq_msg_close(&addr);
}

/* --- peers -------------------------------------------------------------- */

static peer *find_peer(node *n, const char *endpoint)
{
    for (int i = 0; i < n->npeers; i++)
        if (!strcmp(n->peers[i].endpoint, endpoint))
            return &n->peers[i];
    return NULL;
}

static int add_peer(node *n, const char *endpoint, const uint8_t key[32],
                    const char *state, int from_roster, sd_err *err)
{
    if (find_peer(n, endpoint))
        return SD_OK;
    if (!memcmp(key, n->id.kp.pk, 32))
        return SD_OK; /* ourselves */
    if (n->npeers == NODE_MAX_PEERS)
        return sd_errf(err, SD_EINVAL, "more than %d peers", NODE_MAX_PEERS);
    peer *p = &n->peers[n->npeers];
    memset(p, 0, sizeof *p);
    p->id = ++n->next_link;
    snprintf(p->endpoint, sizeof p->endpoint, "%s", endpoint);
    memcpy(p->key, key, 32);
    snprintf(p->state, sizeof p->state, "%s", state ? state : "");
    p->from_roster = from_roster;
    if (crypto_sign_ed25519_pk_to_curve25519(p->xkey, key))
        return sd_errf(err, SD_EINVAL, "peer key for %s is not a valid key",
                       endpoint);
    p->dealer = zmq_socket(n->ctx, ZMQ_DEALER);
    if (!p->dealer)
        return sd_errf(err, SD_EIO, "zmq_socket: %s", zmq_strerror(errno));
    int one = 1, zero = 0, ivl = 100, ivlmax = 5000, hb = NODE_HEARTBEAT_MS,
        hbto = 5 * NODE_HEARTBEAT_MS;
    int64_t maxmsg = SYNC_MSG_MAX + 4096;
    zmq_setsockopt(p->dealer, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(p->dealer, ZMQ_IMMEDIATE, &one, sizeof one);
    zmq_setsockopt(p->dealer, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(p->dealer, ZMQ_RECONNECT_IVL_MAX, &ivlmax, sizeof ivlmax);
    zmq_setsockopt(p->dealer, ZMQ_HEARTBEAT_IVL, &hb, sizeof hb);
    zmq_setsockopt(p->dealer, ZMQ_HEARTBEAT_TIMEOUT, &hbto, sizeof hbto);
    zmq_setsockopt(p->dealer, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(p->dealer, ZMQ_CURVE_SERVERKEY, p->xkey, 32);
    zmq_setsockopt(p->dealer, ZMQ_CURVE_PUBLICKEY, n->xpk, 32);
    zmq_setsockopt(p->dealer, ZMQ_CURVE_SECRETKEY, n->xsk, 32);
    char mon[64];
    snprintf(mon, sizeof mon, "inproc://monitor-%d", n->npeers);
    if (zmq_socket_monitor(p->dealer, mon,
                           ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED |
                               ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) ||
        !(p->mon = zmq_socket(n->ctx, ZMQ_PAIR)) || zmq_connect(p->mon, mon) ||
        zmq_connect(p->dealer, endpoint)) {
        int e = errno;
        if (p->mon)
            zmq_close(p->mon);
        zmq_close(p->dealer);
        return sd_errf(err, SD_EINVAL, "cannot connect to %s: %s", endpoint,
                       zmq_strerror(e));
    }
    p->dirty = 1; /* its status starts afresh: not connected */
    n->npeers++;
    nlog(LOG_INFO, "peer %s (%s)", endpoint, state && *state ? state : "national");
    return SD_OK;
}

typedef struct roster_walk {
    node *n;
} roster_walk;

static int roster_peer(const Sadasya__ChapterView *cv, void *ctx)
{
    roster_walk *w = ctx;
    if (cv->revoked || cv->chapter->key.len != 32)
        return 0;
    for (size_t i = 0; i < cv->chapter->n_endpoints; i++) {
        sd_err err;
        if (add_peer(w->n, cv->chapter->endpoints[i], cv->chapter->key.data,
                     cv->chapter->state, 1, &err))
            nlog(LOG_WARN, "roster peer %s: %s", cv->chapter->endpoints[i], err.msg);
    }
    return 0;
}

static void refresh_roster_peers(node *n)
{
    MDB_txn *txn;
    if (store_begin(n->s, 0, &txn, NULL))
        return;
    roster_walk w = { n };
    roster_each(n->s, txn, roster_peer, &w, NULL);
    mdb_txn_abort(txn);
}

/* A configured peer: "tcp://…" (its key from the roster's endpoints, else
 * the national key) or "KEYHEX@tcp://…". */
static int config_peer(node *n, const char *spec, sd_err *err)
{
    uint8_t key[32];
    const char *at = strchr(spec, '@');
    const char *ep = at ? at + 1 : spec;
    if (strncmp(ep, "tcp://", 6))
        return sd_errf(err, SD_EINVAL, "peer %s is not tcp://HOST:PORT", spec);
    char state[STORE_STATE_BYTES] = "";
    if (at) {
        char hex[65];
        if (at - spec != 64)
            return sd_errf(err, SD_EINVAL, "peer %s: key is not 64 hex characters", spec);
        memcpy(hex, spec, 64);
        hex[64] = '\0';
        if (keys_parse_public(hex, key, err))
            return SD_EINVAL;
        int flag;
        MDB_txn *txn;
        if (!memcmp(key, n->id.national_key, 32))
            snprintf(state, sizeof state, "%s", ROSTER_NATIONAL_STATE);
        else if (store_begin(n->s, 0, &txn, NULL) == SD_OK) {
            if (roster_key_state(n->s, txn, key, state, &flag, NULL))
                snprintf(state, sizeof state, "?");
            mdb_txn_abort(txn);
        }
    } else {
        memcpy(key, n->id.national_key, 32);
        snprintf(state, sizeof state, "%s", ROSTER_NATIONAL_STATE);
        MDB_txn *txn;
        if (store_begin(n->s, 0, &txn, NULL) == SD_OK) {
            MDB_cursor *c;
            if (mdb_cursor_open(txn, n->s->roster, &c) == 0) {
                MDB_val k = { 1, "s" }, v;
                for (int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
                     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
                    if (!k.mv_size || ((char *)k.mv_data)[0] != 's')
                        break;
                    Sadasya__ChapterView *cv =
                        sadasya__chapter_view__unpack(NULL, v.mv_size, v.mv_data);
                    if (!cv)
                        continue;
                    for (size_t i = 0; cv->chapter && i < cv->chapter->n_endpoints; i++)
                        if (!strcmp(cv->chapter->endpoints[i], ep) &&
                            cv->chapter->key.len == 32) {
                            memcpy(key, cv->chapter->key.data, 32);
                            snprintf(state, sizeof state, "%s", cv->chapter->state);
                        }
                    sadasya__chapter_view__free_unpacked(cv, NULL);
                }
                mdb_cursor_close(c);
            }
            mdb_txn_abort(txn);
        }
    }
    return add_peer(n, ep, key, state, 0, err);
}

/* --- links that dialled us ------------------------------------------------ */

static peer *find_inbound(node *n, const zmq_msg_t *rid)
{
    size_t len = zmq_msg_size((zmq_msg_t *)rid);
    const void *data = zmq_msg_data((zmq_msg_t *)rid);
    for (int i = 0; i < n->npeers; i++)
        if (n->peers[i].inbound && n->peers[i].rid_len == len &&
            !memcmp(n->peers[i].rid, data, len))
            return &n->peers[i];
    return NULL;
}

static void drop_inbound(node *n, int i)
{
    peer *p = &n->peers[i];
    nlog(LOG_INFO, "%s went quiet; no longer pulling from it", p->endpoint);

    peer_clear_heads(p);
    peer_clear_tips(p);
    n->peers[i] = n->peers[--n->npeers];
}

/* The inbound link for a node that sent us a message, made on first
 * contact so that we pull from it too; NULL when we already pull from
 * that key over a link we dialled, or when it is not a node's key. */
static peer *inbound_link(node *n, const zmq_msg_t *rid, const char *user)
{
    peer *p = find_inbound(n, rid);
    if (p)
        return p;
    uint8_t key[32];
    if (!user || strlen(user) != 64 ||
        sodium_hex2bin(key, sizeof key, user, 64, NULL, NULL, NULL))
        return NULL;
    for (int i = 0; i < n->npeers; i++)
        if (!n->peers[i].inbound && n->peers[i].handshaken &&
            !memcmp(n->peers[i].key, key, 32))
            return NULL;
    size_t len = zmq_msg_size((zmq_msg_t *)rid);
    if (n->npeers == NODE_MAX_LINKS || len > sizeof p->rid)
        return NULL;
    p = &n->peers[n->npeers++];
    memset(p, 0, sizeof *p);
    p->id = ++n->next_link;
    p->inbound = 1;
    memcpy(p->rid, zmq_msg_data((zmq_msg_t *)rid), len);
    p->rid_len = len;
    memcpy(p->key, key, 32);
    p->handshaken = p->connected = 1;
    p->last_heard = mono_ms();
    p->dirty = 1;
    char st[STORE_STATE_BYTES] = "";
    int flag;
    MDB_txn *txn;
    if (!memcmp(key, n->id.national_key, 32))
        snprintf(st, sizeof st, "%s", ROSTER_NATIONAL_STATE);
    else if (store_begin(n->s, 0, &txn, NULL) == SD_OK) {
        roster_key_state(n->s, txn, key, st, &flag, NULL);
        mdb_txn_abort(txn);
    }
    snprintf(p->state, sizeof p->state, "%s", st);
    snprintf(p->endpoint, sizeof p->endpoint, "inbound:%s:%.16s",
             st[0] ? st : "?", user);
    nlog(LOG_INFO, "%s dialled in: pulling from it over its connection",
         p->endpoint);
    send_pull(n, p, 0);
    return p;
}

/* --- status for sync-status and peers ----------------------------------- */

/* Peer status goes to the store through the receive worker, the node's
 * one writer. */
static void flush_status(node *n)
{
    int dirty = 0;
    for (int i = 0; i < n->npeers; i++)
        dirty |= n->peers[i].dirty;
    if (!dirty || !n->recv)
        return;
    recv_job *j = recv_job_new(RECV_META);
    if (!j)
        return;
    for (int i = 0; i < n->npeers && j->nmeta < RECV_MAX_META; i++) {
        peer *p = &n->peers[i];
        if (!p->dirty)
            continue;
        Sadasya__PeerStatus ps = SADASYA__PEER_STATUS__INIT;
        ps.endpoint = p->endpoint;
        ps.key.data = p->key;
        ps.key.len = 32;
        ps.state = p->state;
        ps.connected = p->handshaken;
        ps.last_contact_ms = p->last_contact;
        ps.heads = p->heads;
        ps.n_heads = p->nheads;
        ps.received = p->received;
        ps.rejected = p->rejected;
        ps.bad_messages = p->bad;
        ps.handshake_failures = p->hs_fail;
        ps.last_error = p->last_error;
        size_t len = sadasya__peer_status__get_packed_size(&ps);
        uint8_t *buf = malloc(len ? len : 1);
        char name[300];
        snprintf(name, sizeof name, "%s%s", STORE_META_PEER_PREFIX, p->endpoint);
        char *nm = strdup(name);
        if (!buf || !nm) {
            free(buf);
            free(nm);
            continue;
        }
        sadasya__peer_status__pack(&ps, buf);
        j->meta_name[j->nmeta] = nm;
        j->meta_val[j->nmeta] = buf;
        j->meta_len[j->nmeta] = len;
        j->nmeta++;
        p->dirty = 0; /* set again if the write fails (on_done) */
    }
    sd_err err;
    if (recv_submit(n->recv, j, &err)) {
        recv_job_free(&j);
        for (int i = 0; i < n->npeers; i++)
            n->peers[i].dirty = 1;
    }
}

/* --- life cycle ----------------------------------------------------------- */

int node_new(node **out, const node_config *cfg, sd_err *err)
{
    *out = NULL;
    node *n = calloc(1, sizeof *n);
    if (!n)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    n->cfg = *cfg;
    log_level_ = cfg->log_level;
    /* Pull ids from a random point (below 2^62: they never wrap). */
    n->next_id = ((uint64_t)randombytes_random() << 29) + randombytes_random() + 1;
    n->lock_fd = -1;
    char lp[4200];
    snprintf(lp, sizeof lp, "%s/%s", cfg->data_dir, NODE_LOCK_FILE);
    n->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (n->lock_fd < 0 || flock(n->lock_fd, LOCK_EX | LOCK_NB)) {
        int e = errno;
        node_destroy(&n);
        return e == EWOULDBLOCK
                   ? sd_errf(err, SD_ECONFLICT, "another sadasyad runs on %s",
                             cfg->data_dir)
                   : sd_errf(err, SD_EIO, "cannot lock %s: %s", lp, strerror(e));
    }
    int rc = store_open(&n->s, cfg->data_dir, 0, err);
    if (!rc)
        rc = ident_load(n->s, &n->id, err);
    if (rc) {
        node_destroy(&n);
        return rc;
    }
    if (crypto_sign_ed25519_pk_to_curve25519(n->xpk, n->id.kp.pk) ||
        crypto_sign_ed25519_sk_to_curve25519(n->xsk, n->id.kp.sk)) {
        node_destroy(&n);
        return sd_errf(err, SD_EAUTH, "this node's key has no X25519 form");
    }
    n->ctx = zmq_ctx_new();
    int zero = 0, one = 1;
    int64_t maxmsg = SYNC_MSG_MAX + 4096;
    /* The ZAP handler must be bound before any CURVE server socket. */
    n->zap = zmq_socket(n->ctx, ZMQ_REP);
    if (!n->zap || zmq_bind(n->zap, "inproc://zeromq.zap.01")) {
        node_destroy(&n);
        return sd_errf(err, SD_EIO, "cannot start the ZAP handler: %s",
                       zmq_strerror(errno));
    }
    zmq_setsockopt(n->zap, ZMQ_LINGER, &zero, sizeof zero);
    if (cfg->listen) {
        n->router = zmq_socket(n->ctx, ZMQ_ROUTER);
        zmq_setsockopt(n->router, ZMQ_LINGER, &zero, sizeof zero);
        zmq_setsockopt(n->router, ZMQ_CURVE_SERVER, &one, sizeof one);
        zmq_setsockopt(n->router, ZMQ_CURVE_SECRETKEY, n->xsk, 32);
        zmq_setsockopt(n->router, ZMQ_CURVE_PUBLICKEY, n->xpk, 32);
        zmq_setsockopt(n->router, ZMQ_ZAP_DOMAIN, NODE_ZAP_DOMAIN,
                       strlen(NODE_ZAP_DOMAIN));
        zmq_setsockopt(n->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
        int hwm = 10000;
        zmq_setsockopt(n->router, ZMQ_SNDHWM, &hwm, sizeof hwm);
        if (zmq_bind(n->router, cfg->listen)) {
            int e = errno;
            node_destroy(&n);
            return sd_errf(err, SD_EIO, "cannot listen on %s: %s", cfg->listen,
                           zmq_strerror(e));
        }
    }
    char ep[4300];
    snprintf(ep, sizeof ep, "%s/%s", cfg->data_dir, NOTIFY_SOCKET);
    unlink(ep); /* a stale socket from a killed node */
    snprintf(ep, sizeof ep, "ipc://%s/%s", cfg->data_dir, NOTIFY_SOCKET);
    n->nudge = zmq_socket(n->ctx, ZMQ_PULL);
    zmq_setsockopt(n->nudge, ZMQ_LINGER, &zero, sizeof zero);
    if (!n->nudge || zmq_bind(n->nudge, ep)) {
        int e = errno;
        node_destroy(&n);
        return sd_errf(err, SD_EIO, "cannot bind %s: %s", ep, zmq_strerror(e));
    }
    if ((rc = store_map_reserve(n->s, err)) ||
        (rc = recv_new(&n->recv, n->ctx, n->s, cfg->group_max, err))) {
        node_destroy(&n);
        return rc;
    }
    for (int i = 0; i < cfg->npeers; i++)
        if ((rc = config_peer(n, cfg->peers[i], err))) {
            node_destroy(&n);
            return rc;
        }
    refresh_roster_peers(n);
    MDB_txn *txn;
    if (store_begin(n->s, 0, &txn, NULL) == SD_OK) {
        const void *v;
        size_t vl;
        n->fenced = store_meta_get(n->s, txn, STORE_META_FENCE, &v, &vl, NULL) == SD_OK;
        mdb_txn_abort(txn);
    }
    if (n->fenced)
        nlog(LOG_WARN, "restored from a backup: no local writes until this node "
             "has caught up its own log from a peer");
    nlog(LOG_INFO, "node %s (%s) listening on %s with %d peers", n->id.state,
         n->id.name, cfg->listen ? cfg->listen : "(nothing)", n->npeers);
    *out = n;
    return SD_OK;
}

int node_run(node *n, volatile sig_atomic_t *stop, sd_err *err)
{
    (void)err;
    zmq_pollitem_t items[4 + 2 * NODE_MAX_LINKS];
    while (!*stop) {
        int ni = 0;
        items[ni++] = (zmq_pollitem_t){ n->zap, 0, ZMQ_POLLIN, 0 };
        items[ni++] = (zmq_pollitem_t){ n->nudge, 0, ZMQ_POLLIN, 0 };
        items[ni++] = (zmq_pollitem_t){ recv_socket(n->recv), 0, ZMQ_POLLIN, 0 };
        int base_router = -1;
        if (n->router) {
            base_router = ni;
            items[ni++] = (zmq_pollitem_t){ n->router, 0, ZMQ_POLLIN, 0 };
        }
        int base_peers = ni, np = 0;
        peer *polled[NODE_MAX_LINKS];
        for (int i = 0; i < n->npeers; i++) {
            if (n->peers[i].inbound)
                continue;
            polled[np++] = &n->peers[i];
            items[ni++] = (zmq_pollitem_t){ n->peers[i].dealer, 0, ZMQ_POLLIN, 0 };
            items[ni++] = (zmq_pollitem_t){ n->peers[i].mon, 0, ZMQ_POLLIN, 0 };
        }
        int64_t now = mono_ms(), timeout = 500;
        for (int i = 0; i < n->nparked; i++)
            if (n->park[i].deadline - now < timeout)
                timeout = n->park[i].deadline - now;
        if (timeout < 0)
            timeout = 0;
        int rc = zmq_poll(items, ni, (long)timeout);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            nlog(LOG_ERROR, "poll: %s", zmq_strerror(errno));
            break;
        }
        if (items[0].revents & ZMQ_POLLIN)
            on_zap(n);
        if (items[2].revents & ZMQ_POLLIN)
            on_recv(n);
        if (items[1].revents & ZMQ_POLLIN) {
            char b[16];
            while (zmq_recv(n->nudge, b, sizeof b, ZMQ_DONTWAIT) >= 0)
                ;
            nlog(LOG_DEBUG, "local entries: waking %d parked pulls", n->nparked);
            wake_parked(n);
        }
        if (base_router >= 0 && (items[base_router].revents & ZMQ_POLLIN))
            for (int k = 0; k < 64; k++) {
                int ev = 0;
                size_t el = sizeof ev;
                zmq_getsockopt(n->router, ZMQ_EVENTS, &ev, &el);
                if (!(ev & ZMQ_POLLIN))
                    break;
                on_router(n);
            }
        /* Inbound links may come and go while handling these: the
         * dialled peers' slots stay put (they are never dropped). */
        for (int i = 0; i < np; i++) {
            if (items[base_peers + 2 * i + 1].revents & ZMQ_POLLIN)
                on_monitor(n, polled[i]);
            if (items[base_peers + 2 * i].revents & ZMQ_POLLIN)
                on_dealer(n, polled[i]);
        }
        now = mono_ms();
        expire_parked(n, now);
        for (int i = 0; i < n->npeers; i++) {
            peer *p = &n->peers[i];
            if (p->inbound && (p->drop || now - p->last_heard > NODE_INBOUND_IDLE_MS ||
                               (p->inflight && now - p->sent_ms >
                                                   p->wait_ms + NODE_PULL_GRACE_MS))) {
                drop_inbound(n, i--);
                continue;
            }
            if (!p->inbound)
                retry_connect(p, now);
            if (p->next_pull_at && now >= p->next_pull_at)
                p->next_pull_at = 0;
            if (p->handshaken && !p->next_pull_at && !p->queued &&
                (!p->inflight || now - p->sent_ms > p->wait_ms + NODE_PULL_GRACE_MS))
                send_pull(n, p, NODE_LONGPOLL_MS);
        }
        if (now >= n->next_status) {
            flush_status(n);
            n->next_status = now + NODE_STATUS_MS;
        }
        if (now >= n->next_roster) {
            refresh_roster_peers(n);
            n->next_roster = now + NODE_ROSTER_MS;
        }
    }
    for (int i = 0; i < n->npeers; i++) {
        n->peers[i].dirty = 1;
        n->peers[i].handshaken = 0; /* a stopped node is connected to none */
    }
    flush_status(n);
    recv_destroy(&n->recv); /* commits what it holds, the status too */
    nlog(LOG_INFO, "stopped (served %llu entries, %llu bad messages received)",
         (unsigned long long)n->served, (unsigned long long)n->bad_in);
    return SD_OK;
}

void node_destroy(node **np)
{
    if (!np || !*np)
        return;
    node *n = *np;
    recv_destroy(&n->recv);
    while (n->nparked)
        park_drop(n, 0);
    for (int i = 0; i < n->npeers; i++) {
        if (!n->peers[i].inbound) {
            zmq_socket_monitor(n->peers[i].dealer, NULL, 0);
            zmq_close(n->peers[i].mon);
            zmq_close(n->peers[i].dealer);
        }
        peer_clear_heads(&n->peers[i]);
        peer_clear_tips(&n->peers[i]);
    }
    if (n->router)
        zmq_close(n->router);
    if (n->nudge) {
        zmq_close(n->nudge);
        char ep[4300];
        snprintf(ep, sizeof ep, "%s/%s", n->cfg.data_dir, NOTIFY_SOCKET);
        unlink(ep);
    }
    if (n->zap)
        zmq_close(n->zap);
    if (n->ctx)
        zmq_ctx_term(n->ctx);
    sodium_memzero(&n->id, sizeof n->id);
    sodium_memzero(n->xsk, sizeof n->xsk);
    store_destroy(&n->s);
    if (n->lock_fd >= 0)
        close(n->lock_fd); /* releases the lock: the node is not running */
    free(n);
    *np = NULL;
}
