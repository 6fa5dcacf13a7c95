/*
 * node_pull.c — pulling from peers: one pull in flight per link with the
 * heads we hold, batches handed to the receive worker (recv.h) in order,
 * its results folded back into each link's state, and each dialled
 * link's socket events (connects, handshake failures, retries). Part of
 * sadasyad's loop (node_int.h).
 */
#include "node_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "roster.h"

/* --- pulling from peers ------------------------------------------------- */

void pull_clear_heads(peer *p)
{
    sync_heads_free(p->heads, p->nheads);
    p->heads = NULL;
    p->nheads = 0;
}

void pull_clear_tips(peer *p)
{
    sync_heads_free(p->tips, p->ntips);
    p->tips = NULL;
    p->ntips = 0;
}

/* The tips of every link's batches at the receive worker, the furthest
 * per origin (pointers into the links' own; free the array only). */
static Sadasya__Head **all_tips(node *n, size_t *nt)
{
    size_t cap = 0;
    for (int i = 0; i < n->npeers; i++)
        cap += n->peers[i].ntips;
    *nt = 0;
    Sadasya__Head **t = cap ? malloc(cap * sizeof *t) : NULL;
    if (!t)
        return NULL;
    for (int i = 0; i < n->npeers; i++)
        for (size_t k = 0; k < n->peers[i].ntips; k++) {
            Sadasya__Head *h = n->peers[i].tips[k];
            size_t j;
            for (j = 0; j < *nt; j++)
                if (!memcmp(t[j]->origin.data, h->origin.data, 32))
                    break;
            if (j == *nt)
                t[(*nt)++] = h;
            else if (h->seq > t[j]->seq)
                t[j] = h;
        }
    return t;
}

/* Pulls from p what lies beyond our heads and the tips of the batches
 * still at the receive worker, of the origins p is the source of
 * (node_source.c); none, and the pull asks for heads only. */
void pull_send(node *n, peer *p, uint32_t wait_ms)
{
    if (!p->handshaken)
        return;
    uint8_t *buf;
    size_t len;
    sd_err err;
    uint64_t id = ++n->next_id;
    unsigned max = n->cfg.batch_max ? n->cfg.batch_max : SYNC_BATCH_ENTRIES;
    uint8_t (*want)[32];
    sync_want w = { 1, NULL, 0 };
    w.n = source_wants(n, p, &want);
    w.origins = (const uint8_t (*)[32])want;
    size_t nt;
    Sadasya__Head **tips = all_tips(n, &nt);
    int rc = sync_pull(n->s, id, max, wait_ms, tips, nt, &w, &buf, &len, &err);
    free(tips);
    free(want);
    if (rc) {
        node_logf(LOG_ERROR, "building a pull: %s", err.msg);
        return;
    }
    target t;
    serve_target_init(&t, p->inbound ? n->router : p->dealer, NULL);
    if (p->inbound) {
        t.routed = 1;
        zmq_msg_init_size(&t.who, p->rid_len);
        memcpy(zmq_msg_data(&t.who), p->rid, p->rid_len);
    }
    rc = serve_target_send(&t, buf, len);
    zmq_msg_close(&t.who);
    if (rc) {
        node_logf(LOG_DEBUG, "pull to %s not sent (not connected)", p->endpoint);
        if (p->inbound)
            p->drop = 1; /* its connection is gone (ZMQ_ROUTER_MANDATORY) */
        return;
    }
    node_logf(LOG_DEBUG, "pull %llu to %s: %zu origins, wait %u ms",
              (unsigned long long)id, p->endpoint, w.n, wait_ms);
    p->inflight = 1;
    p->pull_id = id;
    p->sent_gen = p->want_gen;
    /* An answer to an earlier pull (a long-poll for other origins) is
     * dropped unread: its origins now come from elsewhere. */
    p->valid_from = id;
    if (p->inbound) {
        struct inbound_pull *ip = &n->inbound_ids[n->inbound_ids_next];
        ip->id = id;
        ip->link = p->id;
        memcpy(ip->key, p->key, 32);
        n->inbound_ids_next = (n->inbound_ids_next + 1) % NODE_INBOUND_IDS;
    }
    p->sent_ms = clock_mono_ms();
    p->wait_ms = wait_ms;
}

uint32_t pull_longpoll_ms(const peer *p)
{
    return p->inbound ? NODE_INBOUND_LONGPOLL_MS : NODE_LONGPOLL_MS;
}

int64_t pull_grace_ms(const peer *p)
{
    return p->inbound ? NODE_INBOUND_GRACE_MS : NODE_PULL_GRACE_MS;
}

/* Batches at the receive worker, every link's. */
static int queued_all(const node *n)
{
    int q = 0;
    for (int i = 0; i < n->npeers; i++)
        q += n->peers[i].queued;
    return q;
}

/* Pulls again if nothing is in flight, no back-off holds, and the worker
 * has room for another of this link's batches (and of all links': memory
 * is bounded by the work in flight, not by the number of peers). */
static void maybe_pull(node *n, peer *p)
{
    if (!p->inflight && !p->next_pull_at && p->queued < NODE_QUEUE_MAX &&
        (!p->queued || queued_all(n) < NODE_QUEUE_ALL))
        pull_send(n, p, p->more || p->queued ? 0 : pull_longpoll_ms(p));
}

/* After a failure or a refusal: what was pulled beyond the store's heads
 * will not land, so start again from them. */
static void reset_pipeline(node *n, peer *p)
{
    p->epoch++;
    p->valid_from = n->next_id + 1;
    p->inflight = 0;
    pull_clear_tips(p);
}

void pull_backoff(peer *p)
{
    p->pull_backoff_ms = p->pull_backoff_ms ? p->pull_backoff_ms * 2
                                            : NODE_REFUSAL_BACKOFF_MIN_MS;
    if (p->pull_backoff_ms > NODE_REFUSAL_BACKOFF_MAX_MS)
        p->pull_backoff_ms = NODE_REFUSAL_BACKOFF_MAX_MS;
    p->next_pull_at = clock_mono_ms() + p->pull_backoff_ms;
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
        Sadasya__Head *h = sync_head_new(e->origin.data, e->seq, in->prep[i].hash);
        if (!h)
            break;
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
        pull_clear_tips(p); /* pull from the store's heads: slower, right */
        return;
    }
    p->tips = all;
    for (size_t i = 0; i < nt; i++) {
        Sadasya__Head *old = sync_head_find(p->tips, p->ntips, t[i]->origin.data);
        if (old) { /* the newer tip of that origin replaces it */
            old->seq = t[i]->seq;
            memcpy(old->hash.data, t[i]->hash.data, 32);
            sync_head_free(t[i]);
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
void pull_on_batch(node *n, peer *p, Sadasya__SyncMsg *m)
{
    Sadasya__Batch *b = m->batch;
    if (b->id == p->pull_id)
        p->inflight = 0;
    p->last_contact = clock_wall_ms();
    p->dirty = 1;
    if (b->id < p->valid_from) {
        /* It answers a pull made before a failure: its entries follow
         * what did not land. */
        node_logf(LOG_DEBUG, "from %s: dropped a batch pulled before a failure",
             p->endpoint);
        sadasya__sync_msg__free_unpacked(m, NULL);
        maybe_pull(n, p);
        return;
    }
    /* Keep the peer's heads for sync-status (steal them from the message). */
    pull_clear_heads(p);
    p->heads = b->heads;
    p->nheads = b->n_heads;
    b->heads = NULL;
    b->n_heads = 0;
    p->more = b->more;
    p->heads_known = 1;
    p->heads_ms = clock_wall_ms();
    source_refresh(n); /* its heads may make it the source of an origin */

    sd_err err;
    recv_job *j = recv_job_new(RECV_BATCH);
    /* Origins that equivocated are held back by the write path itself
     * (apply_held_back), for every link and bundle, across restarts. */
    if (!j || sync_incoming_prepare(n->s, b, &j->in, &err)) {
        node_logf(LOG_ERROR, "from %s: cannot take a batch: out of memory", p->endpoint);
        recv_job_free(&j);
        sadasya__sync_msg__free_unpacked(m, NULL);
        reset_pipeline(n, p);
        pull_backoff(p);
        return;
    }
    /* The heads this batch reaches, also when it is the last: a pull made
     * once it is applied but before its group commits must not ask for
     * it again. */
    size_t ntips = 0;
    Sadasya__Head **tips = batch_tips(&j->in, &ntips);
    j->msg = m;
    j->link = p->id;
    j->epoch = p->epoch;
    j->more = b->more;
    j->own_key = n->id.kp.pk;
    if (n->fenced && !b->more) {
        j->unfence = 1;
        const Sadasya__Head *mine = sync_head_find(p->heads, p->nheads, n->id.kp.pk);
        if (mine)
            j->theirs = mine->seq;
    }
    if (recv_submit(n->recv, j, &err)) {
        node_logf(LOG_ERROR, "from %s: %s", p->endpoint, err.msg);
        recv_job_free(&j);
        sync_heads_free(tips, ntips);
        reset_pipeline(n, p);
        pull_backoff(p);
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
            node_logf(LOG_WARN, "from %s: seq %llu: %s", p->endpoint,
                 (unsigned long long)r->seq, r->why);
        else
            node_logf(r->kind == APPLY_EQUIVOCATION ? LOG_ERROR : LOG_WARN,
                 "from %s: rejected seq %llu: %s", p->endpoint,
                 (unsigned long long)r->seq, r->why);
        snprintf(p->last_error, sizeof p->last_error, "%s", r->why);
    }
    size_t held = j->res.held_back;
    size_t all = j->res.rejected - held + j->res.personal_dropped;
    if (all > told)
        node_logf(LOG_WARN, "from %s: and %zu more refusals in that batch",
             p->endpoint, all - told);
    if (held) {
        node_logf(LOG_WARN, "from %s: %zu entries held back: their origin "
             "equivocated (evidence held here)", p->endpoint, held);
        snprintf(p->last_error, sizeof p->last_error,
                 "held back: its origin equivocated");
    }
}

/* A job back from the receive worker. */
void pull_on_done(node *n, recv_job *j)
{
    peer *p = j->kind == RECV_BATCH ? find_link(n, j->link) : NULL;
    if (j->kind == RECV_META && j->rc) {
        node_logf(LOG_WARN, "writing peer status: %s", j->err.msg);
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
        node_logf(LOG_ERROR, "applying a batch from %s: %s", p->endpoint, j->err.msg);
        snprintf(p->last_error, sizeof p->last_error, "%s", j->err.msg);
        if (j->epoch == p->epoch) {
            reset_pipeline(n, p);
            pull_backoff(p);
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
        pull_backoff(p);
        node_logf(LOG_INFO, "from %s: only refusals; next pull in %lld ms",
             p->endpoint, (long long)p->pull_backoff_ms);
    } else if (res->added) {
        p->pull_backoff_ms = 0;
        p->next_pull_at = 0;
    }
    if (j->unfenced && n->fenced) {
        n->fenced = 0;
        node_logf(LOG_INFO, "caught up with %s: this node's own log is at seq "
             "%llu; it may write again", p->endpoint,
             (unsigned long long)j->own_seq);
    }
    if (res->added)
        node_logf(LOG_INFO, "from %s: %zu entries added (%zu duplicate, %zu rejected)",
             p->endpoint, res->added, res->duplicate, res->rejected);
    recv_job_free(&j);
    if (res->added)
        serve_wake_parked(n);
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

void pull_on_recv(node *n)
{
    recv_job *j;
    int applied;
    for (int k = 0; k < 64 && (j = recv_next(n->recv, &applied)); k++) {
        if (applied)
            on_applied(n, j);
        else
            pull_on_done(n, j);
    }
}

void pull_on_dealer(node *n, peer *p)
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
        node_logf(LOG_WARN, "bad message from %s: %s", p->endpoint, err.msg);
        p->inflight = 0;
    } else {
        target t;
        serve_target_init(&t, p->dealer, NULL);
        serve_on_message(n, &t, p, p->key, p->endpoint, m);
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

/* A handshake that keeps failing is logged the first time, with its likely
 * cause, and then once a minute with the count (not once per attempt). */
static void log_handshake(peer *p)
{
    int64_t now = clock_mono_ms();
    if (p->hs_logged > p->hs_logged_at_success &&
        now - p->hs_logged_ms < NODE_HS_LOG_MS)
        return;
    if (p->hs_logged > p->hs_logged_at_success)
        node_logf(LOG_WARN, "%s: %llu more failed handshakes in the last "
                  "%lld s: %s", p->endpoint,
                  (unsigned long long)(p->hs_fail - p->hs_logged),
                  (long long)((now - p->hs_logged_ms) / 1000), p->last_error);
    else
        node_logf(LOG_WARN, "%s: %s", p->endpoint, p->last_error);
    p->hs_logged = p->hs_fail;
    p->hs_logged_ms = now;
}

/* After a failed handshake: libzmq would reconnect at once and fail again
 * several times a second, so the link is taken down until its retry time
 * (0.5 s doubling to 30 s). */
static void schedule_retry(peer *p)
{
    zmq_disconnect(p->dealer, p->endpoint);
    if (p->retry_at)
        return;
    p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : NODE_RETRY_MIN_MS;
    if (p->backoff_ms > NODE_RETRY_MAX_MS)
        p->backoff_ms = NODE_RETRY_MAX_MS;
    p->retry_at = clock_mono_ms() + p->backoff_ms;
}

void pull_retry_connect(peer *p, int64_t now)
{
    if (!p->retry_at || now < p->retry_at)
        return;
    p->retry_at = 0;
    node_logf(LOG_DEBUG, "reconnecting to %s", p->endpoint);
    zmq_disconnect(p->dealer, p->endpoint);
    zmq_connect(p->dealer, p->endpoint);
}

void pull_on_monitor(node *n, peer *p)
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
        node_logf(LOG_DEBUG, "connected to %s", p->endpoint);
        break;
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        if (p->hs_fail > p->hs_logged_at_success)
            node_logf(LOG_INFO, "%s: handshake succeeded after %llu failures",
                      p->endpoint, (unsigned long long)(p->hs_fail - p->hs_logged_at_success));
        p->hs_logged_at_success = p->hs_fail;
        p->hs_logged = p->hs_fail;
        p->handshaken = 1;
        p->heads_known = 0;
        p->backoff_ms = 0;
        p->retry_at = 0;
        p->dirty = 1;
        node_logf(LOG_INFO, "secure session with %s (%s)", p->endpoint,
             p->state[0] ? p->state : "national");
        n->next_status = 0; /* sync-status shows it at once */
        p->inflight = 0;
        /* A link it dialled to us stays: with one source per origin two
         * links to a node carry nothing twice, and two nodes may hold one
         * key (a copy: equivocation), each to be heard. */
        source_refresh(n); /* its own origin may come from it from the start */
        if (p->queued < NODE_QUEUE_MAX)
            pull_send(n, p, 0);
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        p->hs_fail++;
        p->connected = 0; /* the disconnect that follows is the same failure */
        p->dirty = 1;
        snprintf(p->last_error, sizeof p->last_error,
                 "CURVE handshake failed: %s",
                 event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                     ? "the peer does not admit this node's key (not yet in "
                       "its roster?)"
                     : "the peer's key is not the one given for it (use "
                       "KEYHEX@tcp://… with the key of the node at that "
                       "address)");
        log_handshake(p);
        schedule_retry(p);
        break;
    case ZMQ_EVENT_DISCONNECTED:
        if (p->connected && !p->handshaken) {
            /* Dropped before the handshake finished: a key mismatch looks
             * like this from the client's side. */
            p->hs_fail++;
            snprintf(p->last_error, sizeof p->last_error,
                     "disconnected during the CURVE handshake: the peer's key "
                     "is not the one given for it, or it does not admit this "
                     "node (KEYHEX@tcp://… names the key)");
            log_handshake(p);
            schedule_retry(p);
        }
        if (p->handshaken) {
            p->heads_known = 0;
            source_drop_link(n, p);
            source_refresh(n);
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
                serve_park_drop(n, i);
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
