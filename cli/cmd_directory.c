/*
 * cmd_directory.c — the women's entrepreneurship directory:
 * `sadasya enterprise NUMBER …` lists (or updates, or withdraws) a
 * member's enterprise as a signed EnterpriseListed of her chapter;
 * `sadasya directory` lists the enterprises of members who consented to
 * be contacted, with their phone numbers.
 *
 * The enterprise's name, craft, products and place are signed in the
 * clear (they are what a directory publishes); the member's name and
 * phone come from her Personal data and are shown only with consent.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmds.h"
#include "number.h"
#include "org.h"
#include "org_cli.h"

static const char enterprise_usage[] =
    "usage: sadasya [--data DIR] [--json] enterprise NUMBER --name NAME --craft CRAFT\n"
    "           [--products TEXT] [--place PLACE] [--consent | --no-consent]\n"
    "       sadasya [--data DIR] [--json] enterprise NUMBER --withdraw\n"
    "\n"
    "Lists a member's enterprise in the directory (members of this node's\n"
    "chapter). Given again, it changes the listing: fields not given keep\n"
    "their values. --consent: the member agrees that the directory shows her\n"
    "name and phone to those who read it; without it (or with --no-consent)\n"
    "the enterprise is kept but not shown. --withdraw takes it out.\n";

static const char directory_usage[] =
    "usage: sadasya [--data DIR] [--json] directory [--state CODE | --all-states]\n"
    "           [--craft CRAFT] [--all]\n"
    "\n"
    "Enterprises of members who consented to be contacted, with their name\n"
    "and phone (where this node holds them). --craft matches any case.\n"
    "--all adds listings without consent, without name or phone (for the\n"
    "chapter's own use). On a chapter, its own state's enterprises unless\n"
    "--state or --all-states says otherwise; on the national node, every\n"
    "state's.\n";

typedef struct ent_ctx {
    const char *number;
    const char *name, *craft, *products, *place;
    int consent; /* -1 not given, 0, 1 */
    int withdraw;
    Sadasya__EnterpriseListed out; /* what was written */
    char buf[4][CLI_ORG_TEXT_MAX + 1];
} ent_ctx;

typedef struct find_ctx {
    const char *number;
    Sadasya__EnterpriseListed *found;
} find_ctx;

static int find_listing(const Sadasya__EnterpriseListed *en, void *ctx)
{
    find_ctx *f = ctx;
    if (strcmp(en->number, f->number))
        return 0;
    f->found = cli_org_dup(&en->base);
    return 1;
}

static const char *keep(const char *given, const char *old, char *buf)
{
    snprintf(buf, CLI_ORG_TEXT_MAX + 1, "%s", given ? given : old ? old : "");
    return buf;
}

static int enterprise_write(cli_org_tx *t, void *ctx, sd_err *err)
{
    ent_ctx *x = ctx;
    Sadasya__MemberView *m = NULL;
    int rc = cli_org_member(t->s, t->txn, x->number, &m, err);
    if (!rc)
        rc = cli_org_own(t->w, m, "list her enterprise", err);
    if (!rc && m->erased_day && !x->withdraw)
        rc = sd_errf(err, SD_EINVAL, "%s's personal data was erased on request: "
                     "not listed", x->number);
    if (m)
        sadasya__member_view__free_unpacked(m, NULL);
    if (rc)
        return rc;
    find_ctx f = { x->number, NULL };
    if ((rc = org_directory_each(t->s, t->txn, find_listing, &f, err)) < 0)
        return rc;
    rc = SD_OK; /* find_listing stops the walk with 1 */
    Sadasya__EnterpriseListed *en = &x->out;
    sadasya__enterprise_listed__init(en);
    en->number = (char *)x->number;
    if (x->withdraw) {
        if (!f.found)
            return sd_errf(err, SD_ENOTFOUND, "%s has no enterprise in the directory",
                           x->number);
        en->withdrawn = 1;
    } else {
        const Sadasya__EnterpriseListed *old = f.found;
        if (!old && (!x->name || !x->craft))
            rc = sd_errf(err, SD_EINVAL, "a new listing needs --name and --craft");
        en->name = (char *)keep(x->name, old ? old->name : NULL, x->buf[0]);
        en->craft = (char *)keep(x->craft, old ? old->craft : NULL, x->buf[1]);
        en->products = (char *)keep(x->products, old ? old->products : NULL, x->buf[2]);
        en->place = (char *)keep(x->place, old ? old->place : NULL, x->buf[3]);
        en->contact_consent = x->consent >= 0 ? x->consent : old ? old->contact_consent : 0;
    }
    if (f.found)
        sadasya__enterprise_listed__free_unpacked(f.found, NULL);
    if (rc)
        return rc;
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_ENTERPRISE;
    e.enterprise = en;
    return cli_org_sign(t, &e, err);
}

int cmd_enterprise(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "name", required_argument, 0, 'n' }, { "craft", required_argument, 0, 'c' },
        { "products", required_argument, 0, 'p' }, { "place", required_argument, 0, 'P' },
        { "consent", no_argument, 0, 'y' }, { "no-consent", no_argument, 0, 'N' },
        { "withdraw", no_argument, 0, 'w' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    ent_ctx x;
    memset(&x, 0, sizeof x);
    x.consent = -1;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'n': x.name = optarg; break;
        case 'c': x.craft = optarg; break;
        case 'p': x.products = optarg; break;
        case 'P': x.place = optarg; break;
        case 'y': x.consent = 1; break;
        case 'N': x.consent = 0; break;
        case 'w': x.withdraw = 1; break;
        case 'h': fputs(enterprise_usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("enterprise", argv);
        }
    }
    if (optind + 1 != argc)
        return cli_usagef("enterprise", "give one membership number");
    if (x.withdraw && (x.name || x.craft || x.products || x.place || x.consent >= 0))
        return cli_usagef("enterprise", "--withdraw takes no other flags");
    if (!x.withdraw && !x.name && !x.craft && !x.products && !x.place && x.consent < 0)
        return cli_usagef("enterprise", "give the enterprise's --name and --craft");
    char number[16];
    if (cli_number(argv[optind], number))
        return CLI_EXIT_FAIL;
    x.number = number;
    int rc = SD_OK;
    if ((x.name && (rc = cli_org_text("enterprise", "--name", x.name, CLI_ORG_TEXT_MAX, 1, 0))) ||
        (x.craft && (rc = cli_org_text("enterprise", "--craft", x.craft, CLI_ORG_TEXT_MAX, 1, 0))) ||
        (x.products &&
         (rc = cli_org_text("enterprise", "--products", x.products, CLI_ORG_TEXT_MAX, 0, 0))) ||
        (x.place && (rc = cli_org_text("enterprise", "--place", x.place, CLI_ORG_TEXT_MAX, 0, 0))))
        return rc;
    if ((rc = cli_org_write(c, enterprise_write, &x)))
        return rc;
    const Sadasya__EnterpriseListed *en = &x.out;
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "number", number);
        if (en->withdrawn) {
            cJSON_AddBoolToObject(j, "withdrawn", 1);
        } else {
            cJSON_AddStringToObject(j, "enterprise", en->name);
            cJSON_AddStringToObject(j, "craft", en->craft);
            cJSON_AddStringToObject(j, "products", en->products);
            cJSON_AddStringToObject(j, "place", en->place);
            cJSON_AddBoolToObject(j, "consent", en->contact_consent);
        }
        cli_json_print(j);
    } else if (en->withdrawn) {
        printf("withdrew %s's enterprise from the directory\n", number);
    } else {
        printf("listed %s: %s (%s)%s\n", number, en->name, en->craft,
               en->contact_consent ? ", with her consent to be contacted"
                                   : "; not shown in the directory without her consent");
    }
    return CLI_EXIT_OK;
}

/* --- directory ------------------------------------------------------------ */

typedef struct list_ctx {
    const char *state, *craft;
    int all;
    Sadasya__EnterpriseListed **v;
    size_t n, cap;
} list_ctx;

static int collect(const Sadasya__EnterpriseListed *en, void *ctx)
{
    list_ctx *l = ctx;
    char st[NUMBER_STATE_MAX + 1];
    if (number_parse(en->number, NULL, st, NULL, NULL) || (l->state && strcmp(l->state, st)) ||
        (l->craft && strcasecmp(l->craft, en->craft)) || (!l->all && !en->contact_consent))
        return 0;
    return cli_org_collect(&l->v, &l->cap, &l->n, &en->base);
}

static int en_cmp(const void *p, const void *q)
{
    const Sadasya__EnterpriseListed *a = *(Sadasya__EnterpriseListed *const *)p;
    const Sadasya__EnterpriseListed *b = *(Sadasya__EnterpriseListed *const *)q;
    int c = strcasecmp(a->craft, b->craft);
    return c ? c : strcmp(a->number, b->number);
}

int cmd_directory(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "state", required_argument, 0, 's' }, { "craft", required_argument, 0, 'c' },
        { "all", no_argument, 0, 'a' }, { "help", no_argument, 0, 'h' },
        { "all-states", no_argument, 0, 'A' }, { 0, 0, 0, 0 },
    };
    list_ctx l;
    memset(&l, 0, sizeof l);
    int all_states = 0;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's': l.state = optarg; break;
        case 'c': l.craft = optarg; break;
        case 'a': l.all = 1; break;
        case 'A': all_states = 1; break;
        case 'h': fputs(directory_usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("directory", argv);
        }
    }
    if (cli_opt_rest("directory", argc, argv))
        return CLI_EXIT_USAGE;
    if (cli_state_arg(l.state))
        return CLI_EXIT_FAIL;
    store *s;
    store_txn *txn;
    sd_err err;
    if (cli_read(c, &s, &txn, &err))
        return CLI_EXIT_FAIL;
    char own[STORE_STATE_BYTES];
    int rc = cli_list_state(s, txn, l.state, all_states, own, &l.state, &err);
    if (!rc)
        rc = org_directory_each(s, txn, collect, &l, &err);
    if (rc == SD_ENOMEM && !err.msg[0])
        sd_errf(&err, SD_ENOMEM, "out of memory");
    if (!rc && l.n)
        qsort(l.v, l.n, sizeof *l.v, en_cmp);
    cJSON *arr = !rc && c->json ? cJSON_CreateArray() : NULL;
    static const char *const heads[] = { "CRAFT", "ENTERPRISE", "PRODUCTS", "PLACE",
                                         "NUMBER", "NAME", "PHONE" };
    cli_table *t = !rc && !c->json ? cli_table_new(7, heads) : NULL;
    size_t shown = 0;
    for (size_t i = 0; i < l.n && !rc; i++) {
        const Sadasya__EnterpriseListed *en = l.v[i];
        Sadasya__MemberView *m = NULL;
        Sadasya__Personal *p = NULL;
        if (view_member_get(s, txn, en->number, &m, NULL) != SD_OK)
            continue; /* a listing without its member: verify reports it */
        int gone = m->erased_day || m->status == SADASYA__STATUS__RESIGNED ||
                   m->status == SADASYA__STATUS__DECEASED;
        if (!gone && en->contact_consent)
            p = cli_org_personal(s, txn, m);
        sadasya__member_view__free_unpacked(m, NULL);
        if (gone)
            continue;
        shown++;
        if (arr) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "number", en->number);
            cJSON_AddStringToObject(j, "enterprise", en->name);
            cJSON_AddStringToObject(j, "craft", en->craft);
            cJSON_AddStringToObject(j, "products", en->products);
            cJSON_AddStringToObject(j, "place", en->place);
            cJSON_AddBoolToObject(j, "consent", en->contact_consent);
            cli_org_contact_json(j, p);
            cJSON_AddItemToArray(arr, j);
        } else {
            const char *who = p ? p->name : en->contact_consent ? "(not held)" : "(no consent)";
            const char *cells[] = { en->craft, en->name, en->products, en->place, en->number,
                                    who, p ? p->phone : "" };
            cli_table_add(t, cells);
        }
        if (p)
            sadasya__personal__free_unpacked(p, NULL);
    }
    cli_read_end(&s, &txn);
    for (size_t i = 0; i < l.n; i++)
        sadasya__enterprise_listed__free_unpacked(l.v[i], NULL);
    free(l.v);
    if (rc) {
        cli_table_destroy(&t);
        return cli_error(&err);
    }
    cli_list_print("enterprises", arr, &t, shown, "no enterprises listed");
    return CLI_EXIT_OK;
}
