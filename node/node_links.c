/*
 * node_links.c — the peers this node dials: those configured (KEYHEX@tcp://…
 * or an endpoint the roster names) and every roster endpoint, re-read as
 * the roster changes; and each link's status, written to the store for
 * `sync-status` and `peers`. Part of sadasyad's loop (node_int.h).
 */
#include "node_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "peers.h"
#include "roster.h"

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
    /* Named by the link's id, never reused: slots in n->peers move when an
     * inbound link is dropped, and a reused name fails to bind. */
    char mon[64];
    snprintf(mon, sizeof mon, "inproc://monitor-%llu", (unsigned long long)p->id);
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
    node_logf(LOG_INFO, "peer %s (%s)", endpoint, state && *state ? state : "national");
    return SD_OK;
}

/* The roster's chapters that have endpoints, in the roster's order (by
 * state code). */
typedef struct dialable {
    node *node;
    store_txn *txn;
    const Sadasya__ChapterView **cv;
    size_t n, cap;
    Sadasya__ChapterView **owned;
} dialable;

static int note_key(const uint8_t key[32], const roster_key *rk, void *ctx)
{
    (void)rk;
    source_note(ctx, key);
    return 0;
}

static int collect(const Sadasya__ChapterView *cv, void *ctx)
{
    dialable *d = ctx;
    if (!cv->chapter)
        return 0;
    /* Every key ever listed is an origin to pull (an ended key's entries
     * up to its cut stay valid), known before its entries arrive. */
    roster_each_key(d->node->s, d->txn, cv->chapter->state, note_key, d->node, NULL);
    if (cv->revoked || cv->chapter->key.len != 32 || !cv->chapter->n_endpoints)
        return 0;
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 64;
        Sadasya__ChapterView **nv = realloc(d->owned, cap * sizeof *nv);
        if (!nv)
            return SD_ENOMEM;
        d->owned = nv;
        d->cap = cap;
    }
    /* roster_each lends cv for the call only: keep a copy. */
    size_t len = sadasya__chapter_view__get_packed_size(cv);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return SD_ENOMEM;
    sadasya__chapter_view__pack(cv, buf);
    Sadasya__ChapterView *copy = sadasya__chapter_view__unpack(NULL, len, buf);
    free(buf);
    if (!copy)
        return SD_ENOMEM;
    d->owned[d->n++] = copy;
    return 0;
}

static void dial_chapter(node *n, const Sadasya__ChapterView *cv)
{
    for (size_t i = 0; i < cv->chapter->n_endpoints; i++) {
        sd_err err;
        if (add_peer(n, cv->chapter->endpoints[i], cv->chapter->key.data,
                     cv->chapter->state, 1, &err))
            node_logf(LOG_WARN, "roster peer %s: %s", cv->chapter->endpoints[i], err.msg);
    }
}

/* Whether some link to key is up (dialled, or dialled by it). */
static int linked(const node *n, const uint8_t key[32])
{
    for (int i = 0; i < n->npeers; i++)
        if (!memcmp(n->peers[i].key, key, 32) &&
            (n->peers[i].handshaken || !n->peers[i].inbound))
            return 1;
    return 0;
}

/* Which roster endpoints this node dials (node/README.md, which links
 * exist): with dial = K, a chapter dials the K chapters after its own in
 * the roster's order (a ring: the federation stays connected through any
 * one node's failure, national included), besides its configured peers
 * (the national node, usually); the national node dials K too (0 by
 * default) and, after NODE_DIAL_GRACE_MS, every chapter that has not
 * connected to it. dial < 0 dials every endpoint. Dialled links stay. */
void links_refresh_roster(node *n)
{
    store_txn *txn;
    if (store_begin(n->s, 0, &txn, NULL))
        return;
    dialable d = { .node = n, .txn = txn };
    roster_each(n->s, txn, collect, &d, NULL);
    store_end(txn);
    int k = n->cfg.dial;
    size_t self = 0; /* where this node's state falls in the order */
    while (self < d.n && strcmp(d.owned[self]->chapter->state, n->id.state) < 0)
        self++;
    size_t start = self < d.n && !strcmp(d.owned[self]->chapter->state, n->id.state)
                       ? self + 1 : self;
    size_t others = 0;
    for (size_t i = 0; i < d.n; i++)
        others += !!memcmp(d.owned[i]->chapter->key.data, n->id.kp.pk, 32);
    size_t want = k < 0 || (size_t)k > others ? others : (size_t)k;
    for (size_t i = 0, got = 0; i < d.n && got < want; i++) {
        const Sadasya__ChapterView *cv = d.owned[(start + i) % d.n];
        if (!memcmp(cv->chapter->key.data, n->id.kp.pk, 32))
            continue;
        dial_chapter(n, cv);
        got++;
    }
    if (n->id.national && clock_mono_ms() - n->started_ms >= NODE_DIAL_GRACE_MS)
        for (size_t i = 0; i < d.n; i++)
            if (!linked(n, d.owned[i]->chapter->key.data))
                dial_chapter(n, d.owned[i]);
    for (size_t i = 0; i < d.n; i++)
        sadasya__chapter_view__free_unpacked(d.owned[i], NULL);
    free(d.owned);
}

/* The chapter whose roster entry names endpoint ep: its key and state. */
typedef struct endpoint_owner {
    const char *ep;
    uint8_t key[32];
    char state[STORE_STATE_BYTES];
    int found;
} endpoint_owner;

static int find_endpoint(const Sadasya__ChapterView *cv, void *ctx)
{
    endpoint_owner *o = ctx;
    for (size_t i = 0; cv->chapter && i < cv->chapter->n_endpoints; i++)
        if (!strcmp(cv->chapter->endpoints[i], o->ep) && cv->chapter->key.len == 32) {
            memcpy(o->key, cv->chapter->key.data, 32);
            snprintf(o->state, sizeof o->state, "%s", cv->chapter->state);
            o->found = 1;
        }
    return 0;
}

/* A configured peer: "tcp://…" (its key from the roster's endpoints, else
 * the national key) or "KEYHEX@tcp://…". */
int links_config_peer(node *n, const char *spec, sd_err *err)
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
        roster_who who;
        admit_whois(n, key, &who);
        const char *st = admit_who_state(&who);
        snprintf(state, sizeof state, "%s", st[0] ? st : "?");
    } else {
        memcpy(key, n->id.national_key, 32);
        snprintf(state, sizeof state, "%s", ROSTER_NATIONAL_STATE);
        endpoint_owner o = { .ep = ep };
        store_txn *txn;
        if (store_begin(n->s, 0, &txn, NULL) == SD_OK) {
            roster_each(n->s, txn, find_endpoint, &o, NULL);
            store_end(txn);
        }
        if (o.found) {
            memcpy(key, o.key, 32);
            snprintf(state, sizeof state, "%s", o.state);
        }
    }
    if (!memcmp(key, n->id.kp.pk, 32))
        return sd_errf(err, SD_EINVAL, at
                       ? "peer %s is this node's own key"
                       : "peer %s has no key, and the roster names no chapter "
                         "at that address (without a key a peer is taken for "
                         "the national node, which this node is): give it as "
                         "KEYHEX@%s with the key of the node there", spec, ep);
    return add_peer(n, ep, key, state, 0, err);
}


/* --- status for sync-status and peers ----------------------------------- */

/* Peer status goes to the store through the receive worker, the node's
 * one writer. */
/* Adds p's status record to a RECV_META job; 0 when added. */
static int status_record(recv_job *j, peer *p)
{
    Sadasya__PeerStatus ps = SADASYA__PEER_STATUS__INIT;
    ps.endpoint = p->endpoint;
    ps.key.data = p->key;
    ps.key.len = 32;
    ps.state = p->state;
    ps.connected = p->handshaken;
    ps.last_contact_ms = p->last_contact;
    ps.heads = p->heads;
    ps.n_heads = p->nheads;
    ps.heads_known = p->heads_known;
    ps.heads_ms = p->heads_ms;
    ps.dropped = p->dropped;
    ps.received = p->received;
    ps.rejected = p->rejected;
    ps.bad_messages = p->bad;
    ps.handshake_failures = p->hs_fail;
    ps.last_error = p->last_error;
    ps.inbound = p->inbound;
    char *nm;
    uint8_t *buf;
    size_t len;
    if (peers_status_record(&ps, &nm, &buf, &len, NULL))
        return -1;
    j->meta_name[j->nmeta] = nm;
    j->meta_val[j->nmeta] = buf;
    j->meta_len[j->nmeta] = len;
    j->nmeta++;
    return 0;
}

void links_flush_status(node *n)
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
        if (p->dirty && status_record(j, p) == 0)
            p->dirty = 0; /* set again if the write fails (on_done) */
    }
    sd_err err;
    if (recv_submit(n->recv, j, &err)) {
        recv_job_free(&j);
        for (int i = 0; i < n->npeers; i++)
            n->peers[i].dirty = 1;
    }
}

void links_flush_peer(node *n, peer *p)
{
    recv_job *j = n->recv ? recv_job_new(RECV_META) : NULL;
    sd_err err;
    if (j && (status_record(j, p) || recv_submit(n->recv, j, &err)))
        recv_job_free(&j);
}
