/*
 * node.h — the running node (sadasyad): serves pulls on a ROUTER socket,
 * pulls from every peer through a DEALER, all over CURVE with a ZAP
 * handler that admits only keys in the roster (node/README.md).
 *
 * One thread runs one zmq_poll loop. Peers come from the configuration
 * and from roster endpoints; each keeps one pull in flight, sends the
 * next as soon as a batch arrives (before applying it), and long-polls
 * when caught up, so a registration reaches connected nodes at once.
 */
#ifndef SADASYA_NODE_H
#define SADASYA_NODE_H

#include <signal.h>

#include "err.h"

#define NODE_MAX_PEERS 64
#define NODE_LONGPOLL_MS 20000

enum { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

typedef struct node_config {
    const char *data_dir;
    const char *listen;                 /* tcp://HOST:PORT; NULL: no server */
    const char *peers[NODE_MAX_PEERS];  /* tcp://HOST:PORT or KEYHEX@tcp://… */
    int npeers;
    int log_level;
    unsigned batch_max;                 /* entries per pull; 0: default */
    unsigned group_max;                 /* entries per group commit; 0: default */
    int dial;                           /* roster neighbours dialled (node_links.c);
                                         * -1: every roster endpoint */
} node_config;

#define NODE_DIAL_CHAPTER 2   /* a chapter's default dial */
#define NODE_DIAL_NATIONAL 0  /* the national node's: chapters dial it */
#define NODE_DIAL_DEFAULT (-2) /* node_config.dial: the default for the role */

typedef struct node node;

/* Opens the store and sockets; fails with a clear message (address in
 * use, no identity, key file unsafe). */
int node_new(node **out, const node_config *cfg, sd_err *err);

/* Runs until *stop becomes non-zero (a signal handler sets it). */
int node_run(node *n, volatile sig_atomic_t *stop, sd_err *err);

void node_destroy(node **n);

/* Parses a level name: error, warn, info, debug. -1 if unknown. */
int node_log_level(const char *name);

#endif
