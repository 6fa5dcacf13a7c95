/*
 * cmd_log.c — `sadasya log [--state CODE] [--from SEQ]`: raw signed
 * entries, for auditors to check with tools that are not ours.
 * --json lines: {"origin", "state", "seq", "entry" (base64 of the Entry
 * bytes as signed), "sig" (base64), "hash" (hex), "personal" (base64|null)}.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cmds.h"
#include "number.h"

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] log [--state CODE] [--from SEQ]\n"
    "\n"
    "Every origin's signed entries in seq order (of CODE only, if given,\n"
    "from SEQ on). With --json, one line per entry holding the exact signed\n"
    "bytes: sig = Ed25519(origin, \"SADASYA-ENTRY-V1\" || entry),\n"
    "hash = BLAKE2b-256(entry || sig), the next entry's prev.\n";

static char *b64(const uint8_t *p, size_t n)
{
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    char *s = malloc(cap);
    if (s)
        sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_ORIGINAL);
    return s;
}

typedef struct log_ctx {
    cli *c;
    store *s;
    store_txn *txn;
    const char *state;
    uint64_t from;
    const uint8_t *origin;   /* the origin being printed, and its head */
    const store_head *head;
    sd_err *err;
} log_ctx;

/* One entry of the origin in hand: a JSON line, or a line of text. */
static int log_entry(uint64_t seq, const uint8_t *sig, const uint8_t *entry,
                     size_t elen, void *ctx)
{
    log_ctx *x = ctx;
    if (!elen)
        return sd_errf(x->err, SD_ECORRUPT, "log record of seq %llu is "
                       "truncated", (unsigned long long)seq);
    char ohex[65], hhex[65];
    uint8_t hash[ENTRY_HASH_BYTES];
    cli_hex32(x->origin, ohex);
    entry_hash(entry, elen, sig, hash);
    cli_hex32(hash, hhex);
    if (x->c->json) {
        const uint8_t *pv;
        size_t plen;
        int have_p = store_personal_get(x->s, x->txn, x->origin, seq, &pv,
                                        &plen, NULL) == SD_OK;
        cJSON *o = cJSON_CreateObject();
        char *e64 = b64(entry, elen), *s64 = b64(sig, ENTRY_SIG_BYTES);
        char *p64 = have_p ? b64(pv, plen) : NULL;
        cJSON_AddStringToObject(o, "origin", ohex);
        cJSON_AddStringToObject(o, "state", x->head->state);
        cJSON_AddNumberToObject(o, "seq", (double)seq);
        cJSON_AddStringToObject(o, "entry", e64 ? e64 : "");
        cJSON_AddStringToObject(o, "sig", s64 ? s64 : "");
        cJSON_AddStringToObject(o, "hash", hhex);
        if (p64)
            cJSON_AddStringToObject(o, "personal", p64);
        else
            cJSON_AddNullToObject(o, "personal");
        free(e64);
        free(s64);
        free(p64);
        cli_json_print(o);
        return 0;
    }
    Sadasya__Entry *e = NULL;
    const char *kind = "undecodable";
    const char *what = "";
    if (entry_decode(entry, elen, &e, NULL) == SD_OK) {
        kind = entry_kind(e);
        if (e->body_case == SADASYA__ENTRY__BODY_JOINED)
            what = e->joined->number;
        else if (e->body_case == SADASYA__ENTRY__BODY_UPDATED)
            what = e->updated->number;
        else if (e->body_case == SADASYA__ENTRY__BODY_STATUS)
            what = e->status->number;
    }
    char safe[CLI_SAFE_MAX];
    printf("%-3s %8llu  %.16s  %-8s %s\n", x->head->state,
           (unsigned long long)seq, hhex, kind, cli_safe(what, safe, sizeof safe));
    if (e)
        sadasya__entry__free_unpacked(e, NULL);
    return 0;
}

/* Each origin held (of the state asked for), from the seq asked for. */
static int log_origin(const uint8_t origin[32], const store_head *h, void *ctx)
{
    log_ctx *x = ctx;
    if (x->state && strcmp(x->state, h->state))
        return 0;
    x->origin = origin;
    x->head = h;
    return store_log_each(x->s, x->txn, origin, x->from ? x->from : 1,
                          log_entry, x, x->err);
}

int cmd_log(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "state", required_argument, 0, 's' }, { "from", required_argument, 0, 'f' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    sd_err err;
    sd_err_clear(&err);
    log_ctx x = { c, NULL, NULL, NULL, 0, NULL, NULL, &err };
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's':
            if (cli_state_arg(optarg))
                return CLI_EXIT_FAIL;
            x.state = optarg;
            break;
        case 'f': {
            char *end;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*end || !*optarg)
                return cli_usagef("log", "--from needs a seq number");
            x.from = v;
            break;
        }
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("log", argv);
        }
    }
    if (cli_opt_rest("log", argc, argv))
        return CLI_EXIT_USAGE;
    if (cli_open(c, STORE_RDONLY, &x.s))
        return CLI_EXIT_FAIL;
    int rc = store_begin(x.s, 0, &x.txn, &err);
    if (!rc) {
        rc = store_origins_each(x.s, x.txn, log_origin, &x, &err);
        store_end(x.txn);
    }
    store_destroy(&x.s);
    return rc ? cli_error(&err) : CLI_EXIT_OK;
}
