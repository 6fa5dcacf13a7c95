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
} log_ctx;

static int log_origin(log_ctx *x, const uint8_t origin[32], const store_head *h,
                      sd_err *err)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(x->txn, x->s->log, &cur);
    if (rc)
        return store_mdb_err(rc, "reading the log", err);
    uint8_t key[STORE_LOGKEY_BYTES];
    store_logkey(key, origin, x->from ? x->from : 1);
    MDB_val k = { sizeof key, key }, v;
    char ohex[65];
    cli_hex32(origin, ohex);
    int ret = SD_OK;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != STORE_LOGKEY_BYTES || memcmp(k.mv_data, origin, 32))
            break;
        if (v.mv_size <= ENTRY_SIG_BYTES) {
            ret = sd_errf(err, SD_ECORRUPT, "log record of %zu bytes", v.mv_size);
            break;
        }
        uint64_t seq = store_be64((const uint8_t *)k.mv_data + 32);
        const uint8_t *sig = v.mv_data, *entry = sig + ENTRY_SIG_BYTES;
        size_t elen = v.mv_size - ENTRY_SIG_BYTES;
        uint8_t hash[ENTRY_HASH_BYTES];
        char hhex[65];
        entry_hash(entry, elen, sig, hash);
        cli_hex32(hash, hhex);
        MDB_val pv;
        int have_p = mdb_get(x->txn, x->s->personal, &k, &pv) == 0;
        if (x->c->json) {
            cJSON *o = cJSON_CreateObject();
            char *e64 = b64(entry, elen), *s64 = b64(sig, ENTRY_SIG_BYTES);
            char *p64 = have_p ? b64(pv.mv_data, pv.mv_size) : NULL;
            cJSON_AddStringToObject(o, "origin", ohex);
            cJSON_AddStringToObject(o, "state", h->state);
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
        } else {
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
            printf("%-3s %8llu  %.16s  %-8s %s\n", h->state,
                   (unsigned long long)seq, hhex, kind, cli_safe(what, safe, sizeof safe));
            if (e)
                sadasya__entry__free_unpacked(e, NULL);
        }
    }
    mdb_cursor_close(cur);
    return ret;
}

int cmd_log(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "state", required_argument, 0, 's' }, { "from", required_argument, 0, 'f' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    log_ctx x = { c, NULL, NULL, NULL, 0 };
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's':
            if (!number_state_valid(optarg))
                return cli_errorf("state code \"%s\" is not 2-3 capital letters", optarg);
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
        default: return cli_usagef("log", "unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usagef("log", "unexpected argument %s", argv[optind]);
    if (cli_open(c, STORE_RDONLY, &x.s))
        return CLI_EXIT_FAIL;
    sd_err err;
    sd_err_clear(&err);
    int rc = store_begin(x.s, 0, &x.txn, &err);
    if (!rc) {
        MDB_cursor *hc = NULL;
        int mrc = mdb_cursor_open(x.txn, x.s->heads, &hc);
        if (mrc)
            rc = store_mdb_err(mrc, "reading heads", &err);
        MDB_val k, v;
        for (mrc = rc ? MDB_NOTFOUND : mdb_cursor_get(hc, &k, &v, MDB_FIRST);
             mrc == 0 && !rc; mrc = mdb_cursor_get(hc, &k, &v, MDB_NEXT)) {
            if (k.mv_size != 32)
                continue;
            uint8_t origin[32];
            memcpy(origin, k.mv_data, 32);
            store_head h;
            if ((rc = store_head_get(x.s, x.txn, origin, &h, &err)))
                break;
            if (x.state && strcmp(x.state, h.state))
                continue;
            rc = log_origin(&x, origin, &h, &err);
        }
        if (hc)
            mdb_cursor_close(hc);
        store_end(x.txn);
    }
    store_destroy(&x.s);
    return rc ? cli_error(&err) : CLI_EXIT_OK;
}
