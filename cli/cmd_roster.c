/*
 * cmd_roster.c — `sadasya roster [list]`, `roster add …`, `roster revoke …`.
 * Adding and revoking write a signed RosterUpdate in the national log.
 */
#include <getopt.h>
#include <string.h>

#include "cmds.h"
#include "keys.h"
#include "number.h"
#include "roster.h"
#include "writer.h"

#define ROSTER_MAX_ENDPOINTS 16

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] roster [list]\n"
    "       sadasya [--data DIR] roster add --state CODE --name NAME --key KEY\n"
    "                                     [--endpoint tcp://HOST:PORT]...\n"
    "       sadasya [--data DIR] roster revoke --state CODE\n"
    "\n"
    "Lists the chapters this node knows, or (national node only) authorises\n"
    "KEY to write for CODE, or revokes CODE's key. Each change is a signed\n"
    "entry in the national log, carried to every node.\n";

typedef struct list_ctx {
    cli_table *t;
    cJSON *arr;
} list_ctx;

static int list_one(const Sadasya__ChapterView *cv, void *ctx)
{
    list_ctx *l = ctx;
    const Sadasya__Chapter *ch = cv->chapter;
    char hex[65] = "";
    if (ch->key.len == 32)
        cli_hex32(ch->key.data, hex);
    const char *status = cv->revoked ? "revoked" : "active";
    if (l->arr) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "state", ch->state);
        cJSON_AddStringToObject(o, "name", ch->name);
        cJSON_AddStringToObject(o, "key", hex);
        cJSON *eps = cJSON_AddArrayToObject(o, "endpoints");
        for (size_t i = 0; i < ch->n_endpoints; i++)
            cJSON_AddItemToArray(eps, cJSON_CreateString(ch->endpoints[i]));
        cJSON_AddStringToObject(o, "status", status);
        cJSON_AddNumberToObject(o, "roster_seq", (double)cv->roster_seq);
        cJSON_AddItemToArray(l->arr, o);
    } else {
        char eps[1024] = "";
        for (size_t i = 0; i < ch->n_endpoints; i++) {
            size_t n = strlen(eps);
            snprintf(eps + n, sizeof eps - n, "%s%s", i ? "," : "", ch->endpoints[i]);
        }
        const char *cells[] = { ch->state, ch->name, hex, eps, status };
        cli_table_add(l->t, cells);
    }
    return 0;
}

static int roster_list(cli *c)
{
    store *s;
    if (cli_open(c, STORE_RDONLY, &s))
        return CLI_EXIT_FAIL;
    sd_err err;
    sd_err_clear(&err);
    MDB_txn *txn;
    static const char *const heads[] = { "STATE", "NAME", "KEY", "ENDPOINTS", "STATUS" };
    list_ctx l = { NULL, NULL };
    if (c->json)
        l.arr = cJSON_CreateArray();
    else
        l.t = cli_table_new(5, heads);
    int rc = store_begin(s, 0, &txn, &err);
    if (!rc) {
        rc = roster_each(s, txn, list_one, &l, &err);
        mdb_txn_abort(txn);
    }
    store_destroy(&s);
    if (!rc) {
        if (l.arr) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddItemToObject(o, "chapters", l.arr);
            l.arr = NULL;
            cli_json_print(o);
        } else {
            cli_table_print(l.t, stdout);
        }
    }
    cJSON_Delete(l.arr);
    cli_table_destroy(&l.t);
    return rc ? cli_error(&err) : CLI_EXIT_OK;
}

/* Signs one RosterUpdate as the national node and applies it. */
static int roster_write(cli *c, Sadasya__RosterUpdate *ru)
{
    store *s;
    if (cli_open(c, 0, &s))
        return CLI_EXIT_FAIL;
    sd_err err;
    sd_err_clear(&err);
    writer *w = NULL;
    int rc = writer_open(&w, s, &err);
    if (!rc && !w->national)
        rc = sd_errf(&err, SD_EAUTH,
                     "only the national office's node changes the roster "
                     "(this node writes for %s)", w->state);
    if (!rc)
        rc = roster_check(ru, &err);
    if (!rc) {
        Sadasya__Entry e = SADASYA__ENTRY__INIT;
        e.body_case = SADASYA__ENTRY__BODY_ROSTER;
        e.roster = ru;
        entry_signed es;
        if (!(rc = writer_sign(w, &e, NULL, 0, &es, &err))) {
            rc = writer_commit(w, &es, 1, NULL, NULL, &err);
            entry_signed_clear(&es);
        }
    }
    writer_destroy(&w);
    store_destroy(&s);
    return rc ? cli_error(&err) : CLI_EXIT_OK;
}

int cmd_roster(cli *c, int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "list"))
        return argc > 2 ? cli_usagef("roster", "unexpected argument %s", argv[2])
                        : roster_list(c);
    if (!strcmp(argv[1], "--help")) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    int add = !strcmp(argv[1], "add");
    if (!add && strcmp(argv[1], "revoke"))
        return cli_usagef("roster", "unknown roster command \"%s\"", argv[1]);

    static const struct option opts[] = {
        { "state", required_argument, 0, 's' }, { "name", required_argument, 0, 'n' },
        { "key", required_argument, 0, 'k' }, { "endpoint", required_argument, 0, 'e' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *state = NULL, *name = NULL, *key = NULL;
    char *eps[ROSTER_MAX_ENDPOINTS];
    size_t neps = 0;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (o) {
        case 's': state = optarg; break;
        case 'n': name = optarg; break;
        case 'k': key = optarg; break;
        case 'e':
            if (neps == ROSTER_MAX_ENDPOINTS)
                return cli_usagef("roster", "more than %d endpoints", ROSTER_MAX_ENDPOINTS);
            if (strncmp(optarg, "tcp://", 6))
                return cli_usagef("roster", "endpoint %s is not tcp://HOST:PORT", optarg);
            eps[neps++] = optarg;
            break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_usagef("roster", "unknown or incomplete option %s", argv[optind]);
        }
    }
    if (!state)
        return cli_usagef("roster", "--state CODE is required");
    if (!number_state_valid(state) || !strcmp(state, ROSTER_NATIONAL_STATE))
        return cli_errorf("state code \"%s\" is not 2-3 capital letters (IN is the "
                          "national office's)", state);
    Sadasya__RosterUpdate ru = SADASYA__ROSTER_UPDATE__INIT;
    Sadasya__Chapter ch = SADASYA__CHAPTER__INIT;
    Sadasya__Chapter *chs[1] = { &ch };
    char *revoke[1] = { (char *)state };
    unsigned char pk[32];
    if (add) {
        if (!name || !key)
            return cli_usagef("roster", "roster add needs --state, --name and --key");
        sd_err err;
        sd_err_clear(&err);
        if (keys_parse_public(key, pk, &err))
            return cli_error(&err);
        ch.state = (char *)state;
        ch.name = (char *)name;
        ch.key.data = pk;
        ch.key.len = 32;
        ch.n_endpoints = neps;
        ch.endpoints = eps;
        ru.n_chapters = 1;
        ru.chapters = chs;
    } else {
        ru.n_revoke_states = 1;
        ru.revoke_states = revoke;
    }
    int rc = roster_write(c, &ru);
    if (!rc && !c->json)
        printf("%s %s\n", add ? "authorised" : "revoked", state);
    else if (!rc) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, add ? "authorised" : "revoked", state);
        cli_json_print(j);
    }
    return rc;
}
