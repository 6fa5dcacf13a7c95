/*
 * node_int.h — what the parts of sadasyad's event loop share (node.h is
 * the public face): the node and its links, and each part's entry points.
 *   node.c        life cycle, the poll loop, logging
 *   node_serve.c  serving pulls: answering now or parking until entries come
 *   node_pull.c   pulling from peers, batches to the receive worker, results
 *   node_admit.c  who may connect (ZAP) and be served; links that dialled us
 *   node_links.c  the peers this node dials, and their status for sync-status
 * Only these five files include it.
 */
#ifndef SADASYA_NODE_INT_H
#define SADASYA_NODE_INT_H

#include <stdint.h>

#include <zmq.h>

#include "clock.h"
#include "ident.h"
#include "node.h"
#include "recv.h"
#include "roster.h"
#include "store.h"
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
#define NODE_QUEUE_ALL 16          /* batches at the receive worker, all links */
#define NODE_MAX_SOURCES (2 * SYNC_MAX_HEADS) /* origins tracked (node_source.c) */
#define NODE_STALL_MS 3000         /* a source that brings nothing this long is left */
#define NODE_SOURCE_MS 500         /* sources reconsidered at least this often */
#define NODE_HEADS_EVERY_MS 1000   /* a parked pull told of others' heads at most this often */
#define NODE_DIAL_GRACE_MS 10000   /* the national node waits this long for chapters to dial */
#define NODE_HS_LOG_MS 60000       /* a failing handshake is logged again after this */
/* A link that dialled us is polled more often than one we dialled: no
 * socket event tells the ROUTER side that its peer has gone, an
 * unanswered pull does (dropped after the wait and this grace). */
#define NODE_INBOUND_LONGPOLL_MS 5000
#define NODE_INBOUND_GRACE_MS 5000

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
    int heads_known;           /* heads came in a batch over this session */
    uint64_t heads_ms;         /* ... at this wall-clock time */
    int dropped;               /* inbound, being dropped: its last status */
    uint64_t want_gen, sent_gen; /* the origins it is the source of changed
                                  * since the last pull (node_source.c) */
    int64_t hs_logged_ms;      /* a failing handshake last logged then */
    uint64_t hs_logged;        /* ... at this many failures */
    uint64_t hs_logged_at_success; /* failures before the last success */
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
    int64_t since;             /* parked, or last asked for heads news, then (at most once a
                                * NODE_HEADS_EVERY_MS) */
    uint64_t heads_version;    /* the node's heads_version then */
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
    int64_t next_status, next_roster, next_source, started_ms;
    uint64_t bad_in, served;
    struct source *src;               /* one source per origin (node_source.c) */
    uint64_t heads_version;           /* bumped when this node's heads move */
    size_t nsrc, capsrc;
    int fenced; /* restored from a backup, not yet caught up (backup.h) */
};

/* node.c: log lines on stderr, at the level node_config gave. */
void node_logf(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* node_serve.c: answering pulls (now, or parked until entries arrive). */
int serve_target_send(target *t, uint8_t *buf, size_t len);
void serve_target_init(target *t, void *sock, zmq_msg_t *who);
long serve_answer(node *n, target *t, const uint8_t key[32],
                  const Sadasya__Pull *p, int force);
void serve_park_drop(node *n, int i);
void serve_wake_parked(node *n);
void serve_expire_parked(node *n, int64_t now);
void serve_on_message(node *n, target *t, peer *p, const uint8_t *key,
                      const char *label, Sadasya__SyncMsg *m);
void serve_on_router(node *n);

/* node_admit.c: who may connect (ZAP) and be served; inbound links. */
enum { NODE_REFUSED = 0, NODE_ADMITTED = 1, NODE_ENDED = 2 };
/* roster_whois for the node's loop (a read transaction of its own); on a
 * store error the key is unknown. Returns who->kind. */
int admit_whois(node *n, const uint8_t key[32], roster_who *who);
/* The state code a classified key speaks for ("IN", "BR"), or "" for a
 * key the roster does not list. */
const char *admit_who_state(const roster_who *who);
int admit_key(node *n, const uint8_t *key);
const char *admit_user_label(node *n, const char *user);
void admit_on_zap(node *n);
peer *admit_find_inbound(node *n, const zmq_msg_t *rid);
peer *admit_inbound_link(node *n, const zmq_msg_t *rid, const char *user);
void admit_drop_inbound(node *n, int i);

/* node_pull.c: pulling from peers, the receive worker's results, and
 * each dialled link's socket events. */
void pull_clear_heads(peer *p);
void pull_clear_tips(peer *p);
void pull_send(node *n, peer *p, uint32_t wait_ms);
/* How long p's pulls wait when there is nothing new, and how late past
 * that an answer may come before the pull is sent again (an inbound link
 * is then dropped). */
uint32_t pull_longpoll_ms(const peer *p);
int64_t pull_grace_ms(const peer *p);
void pull_backoff(peer *p);
void pull_on_batch(node *n, peer *p, Sadasya__SyncMsg *m);
void pull_on_done(node *n, recv_job *j);
void pull_on_recv(node *n);
void pull_on_dealer(node *n, peer *p);
void pull_retry_connect(peer *p, int64_t now);
void pull_on_monitor(node *n, peer *p);

/* node_source.c: which link each origin is pulled from. */
void source_refresh(node *n);
/* An origin known before any of its entries (a roster key, a linked node):
 * it gets a source at once, so its first entry is pushed like any other,
 * not learnt of from heads a second later. */
void source_note(node *n, const uint8_t origin[32]);
void source_drop_link(node *n, const peer *p);
/* The origins p is the source of (malloc'd; NULL and 0 when none). */
size_t source_wants(node *n, const peer *p, uint8_t (**out)[32]);
void source_free(node *n);

/* node_links.c: the peers this node dials (configured and from the
 * roster) and their status, written for `sync-status`. */
int links_config_peer(node *n, const char *spec, sd_err *err);
void links_refresh_roster(node *n);
void links_flush_status(node *n);
/* Writes p's status now (a link about to be dropped: shown as such). */
void links_flush_peer(node *n, peer *p);

#endif
