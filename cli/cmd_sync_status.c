/*
 * cmd_sync_status.c — `sadasya sync-status` and `sadasya peers`: what this
 * node holds of each origin, and what the running node last learnt of each
 * peer (written by sadasyad into the store's meta as "peer:ENDPOINT").
 */
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "peers.h"
#include "retract.h"
#include "sync.h"

/* 1 when a node (sadasyad) holds the data dir's node.lock. */
static int node_running(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, STORE_NODE_LOCK_FILE);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int running = flock(fd, LOCK_SH | LOCK_NB) != 0;
    close(fd);
    return running;
}

static void ago(uint64_t ms, char out[48])
{
    if (!ms) {
        snprintf(out, 48, "never");
        return;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 48, "%Y-%m-%d %H:%M:%SZ", &tm);
}

typedef struct status_ctx {
    cli *c;
    Sadasya__Head **mine;
    size_t nmine;
    cJSON *arr;
    cli_table *t;
    int full; /* sync-status (1) or peers (0) */
    int running; /* a stopped node is connected to nothing */
} status_ctx;

static uint64_t seq_of(Sadasya__Head *const *hs, size_t n, const uint8_t *origin)
{
    const Sadasya__Head *h = sync_head_find(hs, n, origin);
    return h ? h->seq : 0;
}

static int one_peer(const Sadasya__PeerStatus *ps, void *ctx)
{
    status_ctx *x = ctx;
    /* Lag: entries the peer holds that we lack, and the other way. */
    uint64_t behind = 0, ahead = 0;
    for (size_t i = 0; i < ps->n_heads; i++) {
        uint64_t ours = seq_of(x->mine, x->nmine, ps->heads[i]->origin.data);
        if (ps->heads[i]->seq > ours)
            behind += ps->heads[i]->seq - ours;
    }
    for (size_t i = 0; i < x->nmine; i++) {
        uint64_t theirs = seq_of(ps->heads, ps->n_heads, x->mine[i]->origin.data);
        if (x->mine[i]->seq > theirs)
            ahead += x->mine[i]->seq - theirs;
    }
    char last[48], key[65] = "";
    ago(ps->last_contact_ms, last);
    if (ps->key.len == 32)
        cli_hex32(ps->key.data, key);
    const char *state = ps->state[0] ? ps->state : "?";
    int connected = x->running && ps->connected && !ps->dropped;
    /* Heads not yet heard over this session are unknown, not zero. */
    int known = ps->heads_known;
    if (x->arr) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "endpoint", ps->endpoint);
        cJSON_AddStringToObject(o, "state", state);
        cJSON_AddStringToObject(o, "key", key);
        cJSON_AddBoolToObject(o, "connected", connected);
        cJSON_AddBoolToObject(o, "inbound", ps->inbound);
        cJSON_AddBoolToObject(o, "dropped", ps->dropped);
        cJSON_AddNumberToObject(o, "last_contact_ms", (double)ps->last_contact_ms);
        if (x->full) {
            cJSON_AddBoolToObject(o, "heads_known", known);
            if (known) {
                cJSON_AddNumberToObject(o, "heads_ms", (double)ps->heads_ms);
                cJSON_AddNumberToObject(o, "behind", (double)behind);
                cJSON_AddNumberToObject(o, "ahead", (double)ahead);
            } else {
                cJSON_AddNullToObject(o, "heads_ms");
                cJSON_AddNullToObject(o, "behind");
                cJSON_AddNullToObject(o, "ahead");
            }
            cJSON_AddNumberToObject(o, "received", (double)ps->received);
            cJSON_AddNumberToObject(o, "rejected", (double)ps->rejected);
            cJSON_AddNumberToObject(o, "bad_messages", (double)ps->bad_messages);
            cJSON_AddNumberToObject(o, "handshake_failures", (double)ps->handshake_failures);
            cJSON *heads = cJSON_AddArrayToObject(o, "heads");
            for (size_t i = 0; i < ps->n_heads; i++) {
                char h[65];
                cJSON *ho = cJSON_CreateObject();
                cli_hex32(ps->heads[i]->origin.data, h);
                cJSON_AddStringToObject(ho, "origin", h);
                cJSON_AddNumberToObject(ho, "seq", (double)ps->heads[i]->seq);
                cJSON_AddItemToArray(heads, ho);
            }
        }
        cJSON_AddStringToObject(o, "last_error", ps->last_error);
        cJSON_AddItemToArray(x->arr, o);
    } else if (x->full) {
        char b[24] = "?", a[24] = "?", r[24], bad[24], hs[24];
        if (known) {
            snprintf(b, sizeof b, "%llu", (unsigned long long)behind);
            snprintf(a, sizeof a, "%llu", (unsigned long long)ahead);
        }
        snprintf(r, sizeof r, "%llu", (unsigned long long)ps->rejected);
        snprintf(bad, sizeof bad, "%llu", (unsigned long long)ps->bad_messages);
        snprintf(hs, sizeof hs, "%llu", (unsigned long long)ps->handshake_failures);
        const char *cells[] = { ps->endpoint, state,
                                ps->dropped ? "gone" : connected ? "yes" : "no",
                                last, b, a, r, bad, hs, ps->last_error };
        cli_table_add(x->t, cells);
    } else {
        const char *cells[] = { ps->endpoint, state,
                                ps->dropped ? "gone" : connected ? "yes" : "no",
                                last, key };
        cli_table_add(x->t, cells);
    }
    return 0;
}

static int run(cli *c, int full)
{
    store *s;
    store_txn *txn;
    sd_err err;
    int rc = cli_read(c, &s, &txn, &err);
    if (rc)
        return rc;
    status_ctx x = { c, NULL, 0, NULL, NULL, full, node_running(c->data_dir) };
    cJSON *origins = NULL;
    uint64_t nevidence = 0;
    uint64_t nretracted = 0, nheld = 0;
    rc = sync_heads(s, txn, &x.mine, &x.nmine, &err);
    if (!rc) {
        store_evidence_count(s, txn, &nevidence, NULL);
        retract_count(s, txn, &nretracted, &nheld, NULL);
        if (full) {
            static const char *const oh[] = { "ORIGIN", "STATE", "SEQ", "HEAD" };
            cli_table *ot = c->json ? NULL : cli_table_new(4, oh);
            if (c->json)
                origins = cJSON_CreateArray();
            for (size_t i = 0; i < x.nmine; i++) {
                store_head h;
                store_head_get(s, txn, x.mine[i]->origin.data, &h, NULL);
                char key[65], hash[65], seq[24];
                cli_hex32(x.mine[i]->origin.data, key);
                cli_hex32(x.mine[i]->hash.data, hash);
                snprintf(seq, sizeof seq, "%llu", (unsigned long long)h.seq);
                if (origins) {
                    cJSON *o = cJSON_CreateObject();
                    cJSON_AddStringToObject(o, "origin", key);
                    cJSON_AddStringToObject(o, "state", h.state);
                    cJSON_AddNumberToObject(o, "seq", (double)h.seq);
                    cJSON_AddStringToObject(o, "hash", hash);
                    cJSON_AddNumberToObject(o, "members", (double)h.joins);
                    cJSON_AddItemToArray(origins, o);
                } else {
                    key[16] = hash[16] = '\0';
                    const char *cells[] = { key, h.state, seq, hash };
                    cli_table_add(ot, cells);
                }
            }
            if (ot) {
                cli_table_print(ot, stdout);
                cli_table_destroy(&ot);
                if (nevidence)
                    printf("\nequivocation evidence held: %llu entries (see verify)\n",
                           (unsigned long long)nevidence);
                if (nretracted)
                    printf("\nretracted: %llu entries signed past their key's cut "
                           "(void everywhere; kept as evidence)\n",
                           (unsigned long long)nretracted);
                if (nheld)
                    printf("\nrefused: %llu joins for numbers other members hold "
                           "(kept as evidence)\n", (unsigned long long)nheld);
                putchar('\n');
            }
        }
        static const char *const fh[] = { "PEER", "STATE", "CONNECTED", "LAST CONTACT",
                                          "WE LACK", "THEY LACK", "REJECTED", "BAD MSGS",
                                          "HANDSHAKE FAILS", "LAST ERROR" };
        static const char *const ph[] = { "PEER", "STATE", "CONNECTED", "LAST CONTACT", "KEY" };
        if (c->json)
            x.arr = cJSON_CreateArray();
        else
            x.t = full ? cli_table_new(10, fh) : cli_table_new(5, ph);
        rc = peers_status_each(s, txn, one_peer, &x, &err);
    }
    cli_read_end(&s, &txn);
    sync_heads_free(x.mine, x.nmine);
    if (rc) {
        cJSON_Delete(origins);
        cJSON_Delete(x.arr);
        cli_table_destroy(&x.t);
        return cli_error(&err);
    }
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        if (origins)
            cJSON_AddItemToObject(j, "origins", origins);
        if (full) {
            cJSON_AddNumberToObject(j, "evidence", (double)nevidence);
            cJSON_AddNumberToObject(j, "retracted", (double)nretracted);
            cJSON_AddNumberToObject(j, "number_held", (double)nheld);
        }
        cJSON_AddBoolToObject(j, "node_running", x.running);
        cJSON_AddItemToObject(j, "peers", x.arr);
        cli_json_print(j);
    } else {
        if (!x.running)
            puts("node: not running (peer states as it last saw them)");
        cli_table_print(x.t, stdout);
        cli_table_destroy(&x.t);
        if (full)
            puts("\nWE LACK: entries the peer holds that this node does not; THEY "
                 "LACK: entries this node holds that the peer does not (? until "
                 "its heads arrive); gone: a link that dialled in, since closed.");
    }
    return CLI_EXIT_OK;
}

int cmd_sync_status(cli *c, int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--help")) {
        puts("usage: sadasya [--data DIR] [--json] sync-status\n\n"
             "Per origin: the head this node holds. Per peer (as the running node\n"
             "last saw it): connected (gone: a link it dialled in on, since closed),\n"
             "last contact, entries it holds that this node lacks (WE LACK) and the\n"
             "other way (THEY LACK; ? until its heads arrive), entries rejected, bad\n"
             "messages, CURVE handshake failures, last error. --json gives the same,\n"
             "with behind/ahead null while the heads are unknown.");
        return CLI_EXIT_OK;
    }
    if (argc > 1)
        return cli_usagef("sync-status", "unexpected argument %s", argv[1]);
    return run(c, 1);
}

int cmd_peers(cli *c, int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--help")) {
        puts("usage: sadasya [--data DIR] [--json] peers\n\n"
             "The node's peers, connected or not, and when each was last heard from.");
        return CLI_EXIT_OK;
    }
    if (argc > 1)
        return cli_usagef("peers", "unexpected argument %s", argv[1]);
    return run(c, 0);
}
