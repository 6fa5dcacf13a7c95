/*
 * cmd_update.c — `sadasya update NUMBER [--phone …] [--district …] …`: new
 * values for a member of this node's state, as a signed MemberUpdated.
 * Personal fields are merged with the held Personal data and sealed anew.
 */
#include <getopt.h>
#include <string.h>

#include "cmds.h"
#include "org_cli.h"
#include "member.h"
#include "member_edit.h"

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] update NUMBER [--name NAME]\n"
    "         [--name-en NAME] [--guardian NAME] [--birth-year YYYY]\n"
    "         [--phone PHONE] [--email EMAIL] [--address TEXT]\n"
    "         [--district DISTRICT] [--area urban|rural] [--occupation TEXT]\n"
    "         [--interest TAG]... [--allow-duplicate]\n"
    "\n"
    "Records new values for a member of this node's state. --interest\n"
    "replaces the member's interests with those given. A new phone, name,\n"
    "guardian or birth year that makes the member a likely duplicate of\n"
    "another (as register checks) is refused unless --allow-duplicate.\n";

typedef struct upd_ctx {
    const member_input *nw; /* only what the user gave */
    const char *number;
    int personal, interests;
    int identity; /* phone, name, guardian or birth year given */
    char changed[MEMBER_EDIT_CHANGED_MAX];
} upd_ctx;

/* The member as it will be (member_edit_fill), checked as register checks
 * a new one (member_edit_prepare; member_check_store when its identity
 * changes), and the MemberUpdated that records the difference
 * (cli_org_write's fn). */
static int update_sign(cli_org_tx *t, void *ctx, sd_err *err)
{
    upd_ctx *x = ctx;
    Sadasya__MemberView *m = NULL;
    Sadasya__Personal *p = NULL;
    member_edit ed;
    memset(&ed, 0, sizeof ed);
    int rc = view_member_get(t->s, t->txn, x->number, &m, err);
    if (!rc)
        rc = cli_org_own(t->w, m, "update it", err);
    if (!rc) {
        int prc = view_personal_get(t->s, t->txn, m, &p, err);
        if (prc == SD_ENOTFOUND)
            rc = sd_errf(err, SD_ENOTFOUND,
                         "personal data of %s is not held here: cannot update it",
                         x->number);
        else
            rc = prc;
    }
    member_input full;
    member_edit_bufs bufs;
    if (!rc) {
        member_edit_fill(m, p, x->nw, x->interests, &full, &bufs);
        rc = member_edit_prepare(m, p, &full, NULL, NULL, &ed, err);
    }
    if (!rc && x->identity)
        rc = member_check_store(t->s, t->txn, m->state, x->number, &full,
                                NULL, err);
    entry_signed es[MEMBER_EDIT_ENTRIES];
    size_t n = 0;
    if (!rc && ed.changed[0])
        rc = member_edit_sign(t->w, &ed, es, &n, err);
    for (size_t i = 0; i < n; i++) {
        if (!rc)
            rc = cli_org_keep(t, &es[i], err);
        entry_signed_clear(&es[i]);
    }
    if (!rc)
        snprintf(x->changed, sizeof x->changed, "%s", ed.changed);
    member_edit_clear(&ed);
    if (p)
        sadasya__personal__free_unpacked(p, NULL);
    if (m)
        sadasya__member_view__free_unpacked(m, NULL);
    return rc;
}

int cmd_update(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "name", required_argument, 0, 'a' }, { "name-en", required_argument, 0, 'e' },
        { "guardian", required_argument, 0, 'G' }, { "birth-year", required_argument, 0, 'b' },
        { "phone", required_argument, 0, 'p' }, { "email", required_argument, 0, 'm' },
        { "address", required_argument, 0, 'A' }, { "district", required_argument, 0, 'd' },
        { "area", required_argument, 0, 'r' }, { "occupation", required_argument, 0, 'o' },
        { "interest", required_argument, 0, 'i' }, { "help", no_argument, 0, 'h' },
        { "allow-duplicate", no_argument, 0, 'D' },
        { 0, 0, 0, 0 },
    };
    member_input nw; /* only what the user gave */
    memset(&nw, 0, sizeof nw);
    int o, personal = 0, interests = 0, identity = 0;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'a': nw.name = optarg; personal = 1; identity = 1; break;
        case 'e': nw.name_en = optarg; personal = 1; break;
        case 'G': nw.guardian = optarg; personal = 1; identity = 1; break;
        case 'b': nw.birth_year = optarg; personal = 1; identity = 1; break;
        case 'p': nw.phone = optarg; personal = 1; identity = 1; break;
        case 'm': nw.email = optarg; personal = 1; break;
        case 'A': nw.address = optarg; personal = 1; break;
        case 'd': nw.district = optarg; break;
        case 'r': nw.area = optarg; break;
        case 'o': nw.occupation = optarg; break;
        case 'i':
            if (nw.n_interests == MEMBER_MAX_INTERESTS)
                return cli_usagef("update", "more than %d interests", MEMBER_MAX_INTERESTS);
            nw.interests[nw.n_interests++] = optarg;
            interests = 1;
            break;
        case 'D': nw.allow_duplicate = 1; break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("update", argv);
        }
    }
    if (optind + 1 != argc)
        return cli_usagef("update", "give one membership number");
    if (!personal && !interests && !nw.district && !nw.area && !nw.occupation)
        return cli_usagef("update", "nothing to update");
    char number[16];
    if (cli_number(argv[optind], number))
        return CLI_EXIT_FAIL;

    upd_ctx x = { &nw, number, personal, interests, identity, "" };
    int rc = cli_org_write(c, update_sign, &x);
    if (rc)
        return rc;
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, x.changed[0] ? "updated" : "unchanged", number);
        cJSON_AddStringToObject(j, "changed", x.changed);
        cli_json_print(j);
    } else if (x.changed[0]) {
        printf("updated %s (%s)\n", number, x.changed);
    } else {
        printf("%s unchanged: it already has those values\n", number);
    }
    return CLI_EXIT_OK;
}
