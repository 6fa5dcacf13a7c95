/*
 * node.c — sadasyad's life cycle and its one zmq_poll loop: the ROUTER
 * that serves pulls, a DEALER per peer that pulls, the ZAP handler, the
 * local nudge socket and the per-peer socket monitors. The parts the loop
 * calls are in node_serve.c, node_pull.c, node_admit.c and node_links.c
 * (node_int.h). See node.h.
 */
#include "node_int.h"

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

#include "notify.h"
#include "retract.h"
#include "roster.h"

/* --- logging and time --------------------------------------------------- */

static int log_level_ = LOG_INFO;

void node_logf(int level, const char *fmt, ...)
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
    n->started_ms = clock_mono_ms();
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
    source_note(n, n->id.national_key); /* a new chapter's first pull */
    if (n->cfg.dial == NODE_DIAL_DEFAULT)
        n->cfg.dial = n->id.national ? NODE_DIAL_NATIONAL : NODE_DIAL_CHAPTER;
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
        int hwm = 10000, hb = NODE_HEARTBEAT_MS, hbto = 5 * NODE_HEARTBEAT_MS;
        zmq_setsockopt(n->router, ZMQ_SNDHWM, &hwm, sizeof hwm);
        /* A send to a peer whose connection is gone fails (and its inbound
         * link is dropped) instead of vanishing; heartbeats find a dead
         * connection when no traffic would. */
        zmq_setsockopt(n->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
        zmq_setsockopt(n->router, ZMQ_HEARTBEAT_IVL, &hb, sizeof hb);
        zmq_setsockopt(n->router, ZMQ_HEARTBEAT_TIMEOUT, &hbto, sizeof hbto);
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
        (rc = retract_view_current(n->s, err)) ||
        (rc = recv_new(&n->recv, n->ctx, n->s, cfg->group_max, err))) {
        node_destroy(&n);
        return rc;
    }
    for (int i = 0; i < cfg->npeers; i++)
        if ((rc = links_config_peer(n, cfg->peers[i], err))) {
            node_destroy(&n);
            return rc;
        }
    links_refresh_roster(n);
    store_txn *txn;
    if (store_begin(n->s, 0, &txn, NULL) == SD_OK) {
        const void *v;
        size_t vl;
        n->fenced = store_meta_get(n->s, txn, STORE_META_FENCE, &v, &vl, NULL) == SD_OK;
        store_end(txn);
    }
    if (n->fenced)
        node_logf(LOG_WARN, "restored from a backup: no local writes until this node "
             "has caught up its own log from a peer");
    node_logf(LOG_INFO, "node %s (%s) listening on %s with %d peers", n->id.state,
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
        int64_t now = clock_mono_ms(), timeout = 500;
        for (int i = 0; i < n->nparked; i++)
            if (n->park[i].deadline - now < timeout)
                timeout = n->park[i].deadline - now;
        if (timeout < 0)
            timeout = 0;
        int rc = zmq_poll(items, ni, (long)timeout);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            node_logf(LOG_ERROR, "poll: %s", zmq_strerror(errno));
            break;
        }
        if (items[0].revents & ZMQ_POLLIN)
            admit_on_zap(n);
        if (items[2].revents & ZMQ_POLLIN)
            pull_on_recv(n);
        if (items[1].revents & ZMQ_POLLIN) {
            char b[16];
            while (zmq_recv(n->nudge, b, sizeof b, ZMQ_DONTWAIT) >= 0)
                ;
            node_logf(LOG_DEBUG, "local entries: waking %d parked pulls", n->nparked);
            serve_wake_parked(n);
        }
        if (base_router >= 0 && (items[base_router].revents & ZMQ_POLLIN))
            for (int k = 0; k < 64; k++) {
                int ev = 0;
                size_t el = sizeof ev;
                zmq_getsockopt(n->router, ZMQ_EVENTS, &ev, &el);
                if (!(ev & ZMQ_POLLIN))
                    break;
                serve_on_router(n);
            }
        /* Inbound links may come and go while handling these: the
         * dialled peers' slots stay put (they are never dropped). */
        for (int i = 0; i < np; i++) {
            if (items[base_peers + 2 * i + 1].revents & ZMQ_POLLIN)
                pull_on_monitor(n, polled[i]);
            if (items[base_peers + 2 * i].revents & ZMQ_POLLIN)
                pull_on_dealer(n, polled[i]);
        }
        now = clock_mono_ms();
        serve_expire_parked(n, now);
        for (int i = 0; i < n->npeers; i++) {
            peer *p = &n->peers[i];
            if (p->inbound && (p->drop || now - p->last_heard > NODE_INBOUND_IDLE_MS ||
                               (p->inflight && now - p->sent_ms >
                                                   p->wait_ms + pull_grace_ms(p)))) {
                admit_drop_inbound(n, i--);
                continue;
            }
            if (!p->inbound)
                pull_retry_connect(p, now);
            if (p->next_pull_at && now >= p->next_pull_at)
                p->next_pull_at = 0;
            if (p->handshaken && !p->next_pull_at && !p->queued &&
                (!p->inflight || now - p->sent_ms > p->wait_ms + pull_grace_ms(p)))
                pull_send(n, p, pull_longpoll_ms(p));
        }
        if (now >= n->next_status) {
            links_flush_status(n);
            n->next_status = now + NODE_STATUS_MS;
        }
        if (now >= n->next_roster) {
            links_refresh_roster(n);
            n->next_roster = now + NODE_ROSTER_MS;
        }
        if (now >= n->next_source) { /* a source that stalled is left */
            source_refresh(n);
            n->next_source = now + NODE_SOURCE_MS;
        }
    }
    for (int i = 0; i < n->npeers; i++) {
        n->peers[i].dirty = 1;
        n->peers[i].handshaken = 0; /* a stopped node is connected to none */
    }
    links_flush_status(n);
    recv_destroy(&n->recv); /* commits what it holds, the status too */
    node_logf(LOG_INFO, "stopped (served %llu entries, %llu bad messages received)",
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
        serve_park_drop(n, 0);
    for (int i = 0; i < n->npeers; i++) {
        if (!n->peers[i].inbound) {
            zmq_socket_monitor(n->peers[i].dealer, NULL, 0);
            zmq_close(n->peers[i].mon);
            zmq_close(n->peers[i].dealer);
        }
        pull_clear_heads(&n->peers[i]);
        pull_clear_tips(&n->peers[i]);
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
    source_free(n);
    store_destroy(&n->s);
    if (n->lock_fd >= 0)
        close(n->lock_fd); /* releases the lock: the node is not running */
    free(n);
    *np = NULL;
}
