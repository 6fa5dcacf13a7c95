/*
 * sadasyad.c — the node daemon: replicates every origin's signed log with
 * its peers (node/README.md). Runs in the foreground, logs to stderr, stops
 * cleanly on SIGTERM or SIGINT.
 *
 *   sadasyad --data DIR --listen tcp://HOST:PORT [--peer tcp://HOST:PORT]...
 *            [--log-level error|warn|info|debug] [--config FILE]
 *
 * The config file (INI) has the same settings:
 *   [node]
 *   data = /var/lib/sadasya/bihar
 *   listen = tcp://0.0.0.0:7400
 *   peer = tcp://national.example:7400
 *   dial = 2
 *   log-level = info
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>
#include <sodium.h>

#include "node.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static const char usage[] =
    "usage: sadasyad --data DIR --listen tcp://HOST:PORT [--peer tcp://HOST:PORT]...\n"
    "                [--log-level error|warn|info|debug] [--config FILE]\n"
    "                [--batch N] [--group N] [--dial K|all]\n"
    "\n"
    "Replicates signed entries with peers over ZeroMQ (CURVE). A peer may be\n"
    "given as KEYHEX@tcp://HOST:PORT; without a key, the roster's key for that\n"
    "endpoint is used, else the national key (an error on the national node).\n"
    "Each origin is pulled from one peer at a time; the others tell it their\n"
    "heads.\n"
    "\n"
    "--dial K   roster endpoints dialled besides --peer: the K chapters after\n"
    "           this one in the roster's order (default 2 for a chapter, 0\n"
    "           for the national node, which also dials any chapter that has\n"
    "           not connected to it within 10 s); all: every endpoint\n"
    "--batch N  entries asked for per pull (default 4096, at most 16384)\n"
    "--group N  entries received from peers committed together, at most\n"
    "           (default 32768): fewer commits make a catch-up faster, more\n"
    "           memory and later visibility are the price\n";

typedef struct conf {
    node_config *cfg;
    char *strings[NODE_MAX_PEERS + 4];
    int nstrings;
    const char *error;
} conf;

static const char *keep(conf *c, const char *v)
{
    if (c->nstrings >= (int)(sizeof c->strings / sizeof c->strings[0]))
        return NULL;
    return c->strings[c->nstrings++] = strdup(v);
}

/* "all", or a count of roster neighbours to dial (0..NODE_MAX_PEERS). */
static int parse_dial(const char *v, int *out)
{
    if (!strcmp(v, "all")) {
        *out = -1;
        return 0;
    }
    char *end;
    long k = strtol(v, &end, 10);
    if (!*v || *end || k < 0 || k > NODE_MAX_PEERS)
        return -1;
    *out = (int)k;
    return 0;
}

static int on_ini(void *user, const char *section, const char *name,
                  const char *value)
{
    conf *c = user;
    if (strcmp(section, "node")) {
        c->error = "settings belong in a [node] section";
        return 0;
    }
    if (!strcmp(name, "data"))
        c->cfg->data_dir = keep(c, value);
    else if (!strcmp(name, "listen"))
        c->cfg->listen = keep(c, value);
    else if (!strcmp(name, "peer")) {
        if (c->cfg->npeers == NODE_MAX_PEERS) {
            c->error = "too many peers";
            return 0;
        }
        c->cfg->peers[c->cfg->npeers++] = keep(c, value);
    } else if (!strcmp(name, "batch") || !strcmp(name, "group")) {
        char *end;
        unsigned long v = strtoul(value, &end, 10);
        if (!*value || *end || v == 0 || v > 1u << 20) {
            c->error = "batch and group take a number of entries (1..1048576)";
            return 0;
        }
        if (name[0] == 'b')
            c->cfg->batch_max = (unsigned)v;
        else
            c->cfg->group_max = (unsigned)v;
    } else if (!strcmp(name, "dial")) {
        if (parse_dial(value, &c->cfg->dial)) {
            c->error = "dial is a number of roster neighbours (0..64) or all";
            return 0;
        }
    } else if (!strcmp(name, "log-level")) {
        if ((c->cfg->log_level = node_log_level(value)) < 0) {
            c->error = "log-level is not error, warn, info or debug";
            return 0;
        }
    } else {
        c->error = "unknown setting";
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) {
        fputs("sadasyad: error: libsodium failed to initialise\n", stderr);
        return 1;
    }
    node_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.log_level = LOG_INFO;
    cfg.dial = NODE_DIAL_DEFAULT;
    conf c = { &cfg, { 0 }, 0, NULL };
    static const struct option opts[] = {
        { "data", required_argument, 0, 'd' }, { "listen", required_argument, 0, 'l' },
        { "peer", required_argument, 0, 'p' }, { "log-level", required_argument, 0, 'L' },
        { "config", required_argument, 0, 'c' }, { "batch", required_argument, 0, 'b' },
        { "group", required_argument, 0, 'g' }, { "dial", required_argument, 0, 'D' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    int o;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'd': cfg.data_dir = optarg; break;
        case 'l': cfg.listen = optarg; break;
        case 'p':
            if (cfg.npeers == NODE_MAX_PEERS) {
                fprintf(stderr, "sadasyad: error: more than %d peers\n", NODE_MAX_PEERS);
                return 2;
            }
            cfg.peers[cfg.npeers++] = optarg;
            break;
        case 'L':
            if ((cfg.log_level = node_log_level(optarg)) < 0) {
                fprintf(stderr, "sadasyad: error: --log-level %s: not error, warn, "
                        "info or debug\n", optarg);
                return 2;
            }
            break;
        case 'c': {
            int line = ini_parse(optarg, on_ini, &c);
            if (line < 0) {
                fprintf(stderr, "sadasyad: error: cannot read %s\n", optarg);
                return 2;
            }
            if (line > 0) {
                fprintf(stderr, "sadasyad: error: %s:%d: %s\n", optarg, line,
                        c.error ? c.error : "syntax error");
                return 2;
            }
            break;
        }
        case 'b':
        case 'g': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (!*optarg || *end || v == 0 || v > 1u << 20) {
                fprintf(stderr, "sadasyad: error: --%s takes a number of entries "
                        "(1..1048576), not \"%s\"\n", o == 'b' ? "batch" : "group",
                        optarg);
                return 2;
            }
            if (o == 'b')
                cfg.batch_max = (unsigned)v;
            else
                cfg.group_max = (unsigned)v;
            break;
        }
        case 'D':
            if (parse_dial(optarg, &cfg.dial)) {
                fprintf(stderr, "sadasyad: error: --dial takes a number of roster "
                        "neighbours (0..%d) or all, not \"%s\"\n", NODE_MAX_PEERS,
                        optarg);
                return 2;
            }
            break;
        case 'h': fputs(usage, stdout); return 0;
        default:
            fprintf(stderr, "sadasyad: error: unknown or incomplete option %s "
                    "(see sadasyad --help)\n", argv[optind - 1]);
            return 2;
        }
    }
    if (!cfg.data_dir) {
        fputs("sadasyad: error: --data DIR is required (see sadasyad --help)\n", stderr);
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    sd_err err;
    sd_err_clear(&err);
    node *n = NULL;
    int rc = node_new(&n, &cfg, &err);
    if (!rc)
        rc = node_run(n, &stop_flag, &err);
    node_destroy(&n);
    for (int i = 0; i < c.nstrings; i++)
        free(c.strings[i]);
    if (rc) {
        fprintf(stderr, "sadasyad: error: %s\n", err.msg);
        return 1;
    }
    return 0;
}
