/*
 * node_serve.c — serving pulls: a pull is answered at once with what the
 * asker lacks, or parked until new entries arrive (a live push) or its
 * wait runs out; errors go back as SyncError. Messages arriving on the
 * ROUTER are read here. Part of sadasyad's loop (node_int.h).
 */
#include "node_int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "roster.h"

/* The SyncError a pull gets from a node whose key has left the roster. */
#define NODE_NOT_ADMITTED "this node's key is no longer admitted (revoked or " \
                          "replaced in the roster)"

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
int serve_target_send(target *t, uint8_t *buf, size_t len)
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

void serve_target_init(target *t, void *sock, zmq_msg_t *who)
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
    serve_target_send(t, buf, len);
}

/* --- serving pulls ------------------------------------------------------ */

/* Answers a pull from key now with what it lacks of origin only (NULL:
 * all), with the Personal blobs key's node may hold (the national node
 * every one, a chapter its state's). Returns the entries sent, or -1 on
 * failure. */
static long answer_from(node *n, target *t, const uint8_t key[32],
                        const Sadasya__Pull *p, const uint8_t *only, int force)
{
    sd_err err;
    uint8_t *buf;
    size_t len, nent;
    roster_who who;
    admit_whois(n, key, &who);
    audience aud;
    audience_for_who(&aud, &who);
    if (sync_answer_only(n->s, p, only, &aud, &buf, &len, &nent, &err)) {
        node_logf(LOG_ERROR, "answering a pull: %s", err.msg);
        reply_error(t, p->id, "node failed to read its store");
        return -1;
    }
    if (!nent && !force) {
        free(buf);
        return 0;
    }
    if (serve_target_send(t, buf, len))
        return -1;
    n->served += nent;
    return (long)nent;
}

long serve_answer(node *n, target *t, const uint8_t key[32],
                  const Sadasya__Pull *p, int force)
{
    return answer_from(n, t, key, p, NULL, force);
}

static long answer_only(node *n, target *t, const uint8_t key[32],
                        const Sadasya__Pull *p, const uint8_t *origin)
{
    return answer_from(n, t, key, p, origin, 0);
}

void serve_park_drop(node *n, int i)
{
    zmq_msg_close(&n->park[i].to.who);
    sadasya__sync_msg__free_unpacked(n->park[i].msg, NULL);
    n->park[i] = n->park[--n->nparked];
}


/* New entries are here: answer every parked pull that now gets some. */
void serve_wake_parked(node *n)
{
    n->heads_version++; /* the others hear of it within a second */
    for (int i = 0; i < n->nparked;) {
        if (admit_key(n, n->park[i].key) != NODE_ADMITTED) {
            reply_error(&n->park[i].to, n->park[i].msg->pull->id, NODE_NOT_ADMITTED);
            serve_park_drop(n, i);
            continue;
        }
        long sent = serve_answer(n, &n->park[i].to, n->park[i].key,
                                 n->park[i].msg->pull, 0);
        if (sent != 0)
            serve_park_drop(n, i);
        else
            i++;
    }
}

/* Whether we hold more of some origin than the puller, which it did not
 * ask us for: it may want to pull it from us instead (node_source.c). */
static int heads_news(const Sadasya__Pull *pull, Sadasya__Head *const *hs,
                      size_t nh)
{
    for (size_t i = 0; i < nh; i++) {
        if (sync_pull_wants(pull, hs[i]->origin.data))
            continue;
        const Sadasya__Head *t = sync_head_find(pull->have, pull->n_have,
                                                hs[i]->origin.data);
        if (hs[i]->seq > (t ? t->seq : 0))
            return 1;
    }
    return 0;
}

void serve_expire_parked(node *n, int64_t now)
{
    Sadasya__Head **hs = NULL;
    size_t nh = 0;
    int have_heads = 0;
    for (int i = 0; i < n->nparked;) {
        const Sadasya__Pull *pull = n->park[i].msg->pull;
        int news = 0;
        if (pull->select && now - n->park[i].since >= NODE_HEADS_EVERY_MS) {
            if (!have_heads) {
                store_txn *txn;
                if (store_begin(n->s, 0, &txn, NULL) == SD_OK) {
                    if (sync_heads(n->s, txn, &hs, &nh, NULL))
                        hs = NULL, nh = 0;
                    store_end(txn);
                }
                have_heads = 1;
            }
            /* Our heads moved since it was parked (the puller's picture of
             * them, in sync-status and for its sources, is then stale), or
             * we hold more of an origin it asked elsewhere. Asked at most
             * once a NODE_HEADS_EVERY_MS per pull, not on every turn of
             * the loop. */
            news = n->park[i].heads_version != n->heads_version ||
                   heads_news(pull, hs, nh);
            if (!news)
                n->park[i].since = now;
        }
        if (now >= n->park[i].deadline || news) {
            if (admit_key(n, n->park[i].key) == NODE_ADMITTED)
                serve_answer(n, &n->park[i].to, n->park[i].key,
                                 n->park[i].msg->pull, 1);
            else
                reply_error(&n->park[i].to, n->park[i].msg->pull->id,
                            NODE_NOT_ADMITTED);
            serve_park_drop(n, i);
        } else {
            i++;
        }
    }
    sync_heads_free(hs, nh);
}

/* Whether two targets reach the same link: the same DEALER, or the ROUTER
 * and the same routing id. */
static int same_target(const target *a, const target *b)
{
    if (a->routed != b->routed || a->sock != b->sock)
        return 0;
    if (!a->routed)
        return 1;
    size_t la = zmq_msg_size((zmq_msg_t *)&a->who), lb = zmq_msg_size((zmq_msg_t *)&b->who);
    return la == lb && !memcmp(zmq_msg_data((zmq_msg_t *)&a->who),
                               zmq_msg_data((zmq_msg_t *)&b->who), la);
}

/* A new pull over a link replaces the one it left parked here (the puller
 * asks for other origins now, and drops answers to the old one). */
static void drop_parked_from(node *n, const target *t)
{
    for (int i = 0; i < n->nparked;) {
        if (same_target(&n->park[i].to, t))
            serve_park_drop(n, i);
        else
            i++;
    }
}

/* The state of a ZAP User-Id (the client's key in hex), for log lines. */

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
void serve_on_message(node *n, target *t, peer *p, const uint8_t *key,
                       const char *label,
                       Sadasya__SyncMsg *m)
{
    const char *from = p ? p->endpoint : label;
    if (p) {
        p->last_heard = clock_mono_ms();
        p->last_contact = clock_wall_ms();
    }
    switch (m->msg_case) {
    case SADASYA__SYNC_MSG__MSG_PULL: {
        int adm = admit_key(n, key);
        if (adm == NODE_ENDED) {
            /* The national log only, and only while it has news for it. */
            if (answer_only(n, t, key, m->pull, n->id.national_key) <= 0) {
                node_logf(LOG_WARN, "refused a pull from %s: %s", from, NODE_NOT_ADMITTED);
                reply_error(t, m->pull->id, NODE_NOT_ADMITTED);
            }
            break;
        }
        if (adm != NODE_ADMITTED) {
            node_logf(LOG_WARN, "refused a pull from %s: %s", from, NODE_NOT_ADMITTED);
            reply_error(t, m->pull->id, NODE_NOT_ADMITTED);
            break;
        }
        drop_parked_from(n, t);
        long sent = serve_answer(n, t, key, m->pull, m->pull->wait_ms == 0);
        if (sent == 0 && n->nparked < NODE_MAX_PARKED) {
            parked *pk = &n->park[n->nparked++];
            serve_target_init(&pk->to, t->sock, t->routed ? &t->who : NULL);
            pk->msg = m;
            memcpy(pk->key, key, 32);
            uint32_t w = m->pull->wait_ms > 60000 ? 60000 : m->pull->wait_ms;
            pk->since = clock_mono_ms();
            pk->heads_version = n->heads_version;
            pk->deadline = pk->since + w;
            return;
        }
        if (sent == 0)
            serve_answer(n, t, key, m->pull, 1);
        break;
    }
    case SADASYA__SYNC_MSG__MSG_BATCH: {
        int ans = p && p->inbound ? inbound_answer(n, p, m->batch->id) : PULL_OURS;
        if (p && ans == PULL_STALE) {
            node_logf(LOG_DEBUG, "dropped a batch from %s answering a pull over a "
                 "link since closed", from);
        } else if (p && ans == PULL_OURS) {
            pull_on_batch(n, p, m); /* it owns m now */
            return;
        } else {
            /* Over an inbound link, only answers to our pulls are taken: a
             * node that dialled us cannot push entries unasked. */
            if (p) {
                p->bad++;
                p->dirty = 1;
            }
            n->bad_in++;
            node_logf(LOG_WARN, "bad message from %s: unexpected batch (no pull asked "
                 "for it)", from);
            reply_error(t, m->batch->id, "a batch no pull asked for");
        }
        break;
    }
    case SADASYA__SYNC_MSG__MSG_ERROR:
        node_logf(LOG_WARN, "%s refused our pull: %s", from, m->error->reason);
        if (p) {
            snprintf(p->last_error, sizeof p->last_error, "%s", m->error->reason);
            p->inflight = 0;
            p->dirty = 1;
            pull_backoff(p); /* asking again at once would be refused again */
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

void serve_on_router(node *n)
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
    serve_target_init(&t, n->router, &who);
    if (extra)
        sd_errf(&err, SD_EINVAL, "request of several frames");
    if (extra || sync_decode(zmq_msg_data(&body), zmq_msg_size(&body), &m, &err)) {
        n->bad_in++;
        node_logf(LOG_WARN, "bad message from %s: %s", admit_user_label(n, user), err.msg);
        reply_error(&t, 0, err.msg);
        peer *in = admit_find_inbound(n, &who);
        if (in) {
            in->bad++;
            in->dirty = 1;
        }
    } else {
        peer *in = admit_inbound_link(n, &who, user);
        if (!in && stale_answer(n, m)) {
            /* It answers a pull sent over its inbound link before we
             * dropped that for the link we dialled to the same node:
             * harmless, and pulled again over the other. */
            node_logf(LOG_DEBUG, "dropped a batch from %s answering a pull over a "
                 "link since closed", admit_user_label(n, user));
            sadasya__sync_msg__free_unpacked(m, NULL);
        } else {
            uint8_t key[32];
            int known = user && strlen(user) == 64 &&
                        !sodium_hex2bin(key, sizeof key, user, 64, NULL, NULL, NULL);
            serve_on_message(n, &t, in, known ? key : NULL, admit_user_label(n, user), m);
        }
        m = NULL;
    }
    zmq_msg_close(&t.who);
    zmq_msg_close(&who);
    zmq_msg_close(&body);
}
