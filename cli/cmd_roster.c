/*
 * cmd_roster.c — `sadasya roster [list]`, `roster add …`, `roster revoke …`.
 * Adding and revoking write a signed RosterUpdate in the national log.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "keys.h"
#include "number.h"
#include "org_cli.h"
#include "retract.h"
#include "roster.h"

#define ROSTER_MAX_ENDPOINTS 16

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] roster [list]\n"
    "       sadasya [--data DIR] roster add --state CODE --name NAME --key KEY\n"
    "                                     [--endpoint tcp://HOST:PORT]...\n"
    "                                     [--last-seq N] [--lost]\n"
    "       sadasya [--data DIR] roster revoke --state CODE [--last-seq N]\n"
    "\n"
    "Lists the chapters this node knows, or (national node only) authorises\n"
    "KEY to write for CODE, or revokes CODE's key. Each change is a signed\n"
    "entry in the national log, carried to every node.\n"
    "\n"
    "When CODE already has another key, `add` is a handover: the old key's\n"
    "entries end at --last-seq (default: its head held here) and are valid\n"
    "for ever; later ones are void on every node. The series continues:\n"
    "the new key's first number follows the old keys' valid joins, or, with\n"
    "--lost (a lost or stolen device that may have gone on signing), skips\n"
    "10,000 serials so that no number it may have handed out is issued\n"
    "again. The last word printed is the new key's first membership number.\n"
    "`revoke` ends CODE's key likewise (default: its head held here).\n";

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
        cJSON_AddNumberToObject(o, "first_serial",
                                (double)(ch->first_serial ? ch->first_serial : 1));
        cJSON_AddNumberToObject(o, "roster_seq", (double)cv->roster_seq);
        cJSON_AddItemToArray(l->arr, o);
    } else {
        char eps[1024] = "";
        for (size_t i = 0; i < ch->n_endpoints; i++) {
            size_t n = strlen(eps);
            snprintf(eps + n, sizeof eps - n, "%s%s", i ? "," : "", ch->endpoints[i]);
        }
        char first[NUMBER_MAX_LEN] = "";
        number_format(first, ch->state, ch->first_serial ? ch->first_serial : 1,
                      NULL);
        const char *cells[] = { ch->state, ch->name, hex, eps, status, first };
        cli_table_add(l->t, cells);
    }
    return 0;
}

static int roster_list(cli *c)
{
    store *s;
    store_txn *txn;
    sd_err err;
    int rc = cli_read(c, &s, &txn, &err);
    if (rc)
        return rc;
    static const char *const heads[] = { "STATE", "NAME", "KEY", "ENDPOINTS", "STATUS",
                                         "FIRST NUMBER" };
    list_ctx l = { NULL, NULL };
    if (c->json)
        l.arr = cJSON_CreateArray();
    else
        l.t = cli_table_new(6, heads);
    rc = roster_each(s, txn, list_one, &l, &err);
    cli_read_end(&s, &txn);
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

/* What a roster change decides from what the national node holds. */
typedef struct plan {
    int add, lost, has_last;
    uint64_t last_seq;
    const char *state;
    const uint8_t *key;        /* the key added, or NULL */
    /* decided */
    int ended;                 /* the state's current key ends */
    Sadasya__KeyCut cut;
    uint8_t old_key[32];
    char old_hex[17], old_full[65];
    uint64_t first_serial;
} plan;

typedef struct serial_ctx {
    store *s;
    store_txn *txn;
    const plan *p;
    uint64_t next;             /* one past the highest serial a key may hold */
    sd_err *err;
} serial_ctx;

/* One past the highest serial a key of the state may have given out: its
 * joins held here up to its cut, and, beyond what is held, every entry
 * up to the cut counted as a possible join. */
static int past_serials(const uint8_t key[32], const roster_key *rk, void *ctx)
{
    serial_ctx *x = ctx;
    uint64_t cut = rk->last_seq;
    if (x->p->ended && !memcmp(key, x->p->old_key, 32))
        cut = x->p->cut.last_seq;
    store_head h;
    int rc = store_head_get(x->s, x->txn, key, &h, x->err);
    if (rc)
        return rc;
    uint64_t held = h.seq, joins = h.joins;
    if (cut != ROSTER_NO_CUT && cut < held) {
        uint8_t hash[ENTRY_HASH_BYTES];
        if ((rc = retract_count_joins(x->s, x->txn, key, cut, &joins, hash,
                                      x->err)))
            return rc;
        held = cut;
    }
    uint64_t unseen = cut != ROSTER_NO_CUT && cut > held ? cut - held : 0;
    uint64_t next = rk->first_serial + joins + unseen;
    if (next > x->next)
        x->next = next;
    return SD_OK;
}

/* Fills the cut and the first serial of a change to the roster. */
static int plan_change(store *s, store_txn *txn, Sadasya__RosterUpdate *ru,
                       plan *p, sd_err *err)
{
    int rc, listed = 0;
    roster_who who = { 0 };
    if (p->key) {
        if ((rc = roster_whois(s, txn, p->key, &who, err)))
            return rc;
        const roster_key *rk = &who.rk;
        listed = who.listed;
        if (who.kind == ROSTER_WHO_NATIONAL)
            return sd_errf(err, SD_EINVAL, "that key is the national office's "
                           "own: a chapter needs a key of its own (sadasya init "
                           "--state on the chapter's machine)");
        if (listed && strcmp(rk->state, p->state))
            return sd_errf(err, SD_EINVAL, "that key is already listed for %s: "
                           "a key writes for one state only", rk->state);
        if (who.kind == ROSTER_WHO_ENDED)
            return sd_errf(err, SD_EINVAL, "that key of %s was %s: an ended key "
                           "is never authorised again; make a new one with "
                           "`sadasya init --state %s --replacing`", rk->state,
                           rk->flag == ROSTER_REVOKED ? "revoked" : "replaced",
                           rk->state);
        if (listed && (p->has_last || p->lost))
            return sd_errf(err, SD_EINVAL, "that key is %s's current key: "
                           "--last-seq and --lost belong to a handover to a new "
                           "key", p->state);
    }
    Sadasya__ChapterView *cv = NULL;
    rc = roster_chapter(s, txn, p->state, &cv, err);
    if (rc && rc != SD_ENOTFOUND)
        return rc;
    /* Revoking a state never listed writes the revocation all the same (it
     * changes nothing where it is folded). */
    int current_ends = cv && !cv->revoked &&
                       (!p->add || memcmp(cv->chapter->key.data, p->key, 32));
    if (cv && !current_ends && p->has_last)
        return sd_errf(err, SD_EINVAL, "%s's key was revoked already; "
                       "--last-seq has nothing to end", p->state);
    if (current_ends) {
        memcpy(p->old_key, cv->chapter->key.data, 32);
        store_head h;
        if ((rc = store_head_get(s, txn, p->old_key, &h, err))) {
            sadasya__chapter_view__free_unpacked(cv, NULL);
            return rc;
        }
        p->ended = 1;
        p->cut.state = (char *)p->state;
        p->cut.key.data = p->old_key;
        p->cut.key.len = 32;
        p->cut.last_seq = p->has_last ? p->last_seq : h.seq;
        cli_hex32(p->old_key, p->old_full);
        memcpy(p->old_hex, p->old_full, 16);
        p->old_hex[16] = '\0';
    }
    if (cv)
        sadasya__chapter_view__free_unpacked(cv, NULL);
    if (p->add && listed) {
        p->first_serial = who.rk.first_serial; /* the same key again: name, endpoints */
    } else if (p->add) {
        serial_ctx x = { s, txn, p, 1, err };
        if ((rc = roster_each_key(s, txn, p->state, past_serials, &x, err)))
            return rc;
        if (p->lost)
            x.next += ROSTER_LOST_SKIP;
        if (x.next > NUMBER_SERIAL_MAX)
            return sd_errf(err, SD_EINVAL, "%s's series would pass serial %u",
                           p->state, NUMBER_SERIAL_MAX);
        p->first_serial = x.next;
    }
    if (p->add)
        ru->chapters[0]->first_serial = p->first_serial;
    return SD_OK;
}

typedef struct change_ctx {
    Sadasya__RosterUpdate *ru;
    plan *p;
} change_ctx;

/* Plans and signs one RosterUpdate as the national node (cli_org_write's
 * fn). */
static int roster_sign(cli_org_tx *t, void *ctx, sd_err *err)
{
    change_ctx *x = ctx;
    Sadasya__RosterUpdate *ru = x->ru;
    plan *p = x->p;
    if (!t->w->national)
        return sd_errf(err, SD_EAUTH,
                       "only the national office's node changes the roster "
                       "(this node writes for %s)", t->w->state);
    Sadasya__KeyCut *cuts[1] = { &p->cut };
    sadasya__key_cut__init(&p->cut);
    int rc = plan_change(t->s, t->txn, ru, p, err);
    if (!rc && p->ended) {
        ru->n_cuts = 1;
        ru->cuts = cuts;
    }
    if (!rc)
        rc = roster_check(ru, err);
    if (!rc) {
        Sadasya__Entry e = SADASYA__ENTRY__INIT;
        e.body_case = SADASYA__ENTRY__BODY_ROSTER;
        e.roster = ru;
        rc = cli_org_sign(t, &e, err);
    }
    ru->n_cuts = 0;
    ru->cuts = NULL;
    return rc;
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
        { "last-seq", required_argument, 0, 'l' }, { "lost", no_argument, 0, 'L' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    int lost = 0, has_last = 0;
    uint64_t last_seq = 0;
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
        case 'l': {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-')
                return cli_usagef("roster", "--last-seq %s is not a number", optarg);
            last_seq = v;
            has_last = 1;
            break;
        }
        case 'L': lost = 1; break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_usagef("roster", "unknown or incomplete option %s", argv[optind]);
        }
    }
    if (!state)
        return cli_usagef("roster", "--state CODE is required");
    if (!number_state_valid(state) || !strcmp(state, ROSTER_NATIONAL_STATE))
        return cli_errorf("state code \"%s\" is not 2-3 capital letters (IN is the "
                          "national office's)", state);
    if (lost && !add)
        return cli_usagef("roster", "--lost goes with roster add");
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
    plan p = { .add = add, .lost = lost, .has_last = has_last,
               .last_seq = last_seq, .state = state, .key = add ? pk : NULL };
    change_ctx x = { &ru, &p };
    int rc = cli_org_write(c, roster_sign, &x);
    if (rc)
        return rc;
    char first[NUMBER_MAX_LEN] = "";
    if (add)
        number_format(first, state, p.first_serial, NULL);
    if (!c->json) {
        if (p.ended)
            printf("%s's key %s… ends at seq %llu: its later entries are void "
                   "everywhere\n", state, p.old_hex,
                   (unsigned long long)p.cut.last_seq);
        if (add)
            printf("authorised %s; its first membership number: %s\n", state,
                   first);
        else
            printf("revoked %s\n", state);
    } else {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, add ? "authorised" : "revoked", state);
        if (p.ended) {
            cJSON_AddNumberToObject(j, "last_seq", (double)p.cut.last_seq);
            cJSON_AddStringToObject(j, "ended_key", p.old_full);
        }
        if (add) {
            cJSON_AddNumberToObject(j, "first_serial", (double)p.first_serial);
            cJSON_AddStringToObject(j, "first_number", first);
        }
        cli_json_print(j);
    }
    return CLI_EXIT_OK;
}
