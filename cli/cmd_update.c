/*
 * cmd_update.c — `sadasya update NUMBER [--phone …] [--district …] …`: new
 * values for a member of this node's state, as a signed MemberUpdated.
 * Personal fields are merged with the held Personal data and sealed anew.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "org_cli.h"
#include "day.h"
#include "member.h"
#include "text.h"

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

static const char *pick(const char *new_value, const char *old)
{
    return new_value ? new_value : old;
}

typedef struct upd_ctx {
    const member_input *nw; /* only what the user gave */
    const char *number;
    int personal, interests;
    int identity; /* phone, name, guardian or birth year given */
} upd_ctx;

/* Checks the member as it will be and signs the MemberUpdated, with the
 * Personal data sealed anew when a personal field changes (cli_org_write's
 * fn). */
static int update_sign(cli_org_tx *t, void *ctx, sd_err *err)
{
    upd_ctx *x = ctx;
    const member_input nw = *x->nw;
    Sadasya__MemberView *m = NULL;
    Sadasya__Personal *p = NULL;
    uint8_t *blob = NULL;
    size_t blen = 0;
    int rc = view_member_get(t->s, t->txn, x->number, &m, err);
    if (!rc)
        rc = cli_org_own(t->w, m, "update it", err);
    if (!rc && x->personal) {
        int prc = view_personal_get(t->s, t->txn, m, &p, err);
        if (prc == SD_ENOTFOUND)
            rc = sd_errf(err, SD_ENOTFOUND,
                         "personal data of %s is not held here: cannot update it",
                         x->number);
        else
            rc = prc;
    }
    if (!rc) {
        /* Check the member as it will be, with the same rules as register. */
        char by[16] = "", day[DAY_STR_LEN];
        if (p && p->birth_year)
            snprintf(by, sizeof by, "%u", p->birth_year);
        day_format(m->joined_day, day);
        member_input all;
        memset(&all, 0, sizeof all);
        all.name = pick(nw.name, p ? p->name : "-");
        all.name_en = pick(nw.name_en, p ? p->name_en : NULL);
        all.guardian = pick(nw.guardian, p ? p->guardian : NULL);
        all.birth_year = pick(nw.birth_year, by);
        all.phone = pick(nw.phone, p ? p->phone : "000000");
        all.email = pick(nw.email, p ? p->email : NULL);
        all.address = pick(nw.address, p ? p->address : NULL);
        all.gender = view_gender_name(m->gender);
        all.district = pick(nw.district, m->district);
        all.area = nw.area;
        all.occupation = nw.occupation;
        all.n_interests = nw.n_interests;
        memcpy(all.interests, nw.interests, sizeof all.interests);
        all.allow_duplicate = nw.allow_duplicate;
        rc = member_check(&all, err);
        if (!rc && x->identity)
            rc = member_check_store(t->s, t->txn, m->state, x->number, &all,
                                    NULL, err);

        Sadasya__MemberUpdated u = SADASYA__MEMBER_UPDATED__INIT;
        u.number = (char *)x->number;
        uint8_t phash[ENTRY_HASH_BYTES];
        if (!rc && x->personal) {
            Sadasya__Personal np = *p;
            np.name = (char *)all.name;
            np.name_en = (char *)(all.name_en ? all.name_en : "");
            np.guardian = (char *)(all.guardian ? all.guardian : "");
            np.phone = (char *)all.phone;
            np.email = (char *)(all.email ? all.email : "");
            np.address = (char *)(all.address ? all.address : "");
            np.birth_year = all.birth_year && *all.birth_year
                                ? (uint32_t)strtoul(all.birth_year, NULL, 10) : 0;
            rc = entry_personal_seal(&np, &blob, &blen, phash, err);
            u.personal_hash.data = phash;
            u.personal_hash.len = sizeof phash;
        }
        char district[MEMBER_FIELD_MAX + 1] = "";
        if (nw.district)
            text_place(nw.district, district, sizeof district);
        u.district = district;
        u.area = nw.area ? view_area_parse(nw.area) : 0;
        u.occupation = (char *)(nw.occupation ? nw.occupation : "");
        u.interests_set = x->interests;
        u.n_interests = nw.n_interests;
        u.interests = (char **)nw.interests;
        if (!rc) {
            Sadasya__Entry e = SADASYA__ENTRY__INIT;
            e.body_case = SADASYA__ENTRY__BODY_UPDATED;
            e.updated = &u;
            rc = cli_org_sign_personal(t, &e, blob, blen, err);
        }
    }
    free(blob);
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

    upd_ctx x = { &nw, number, personal, interests, identity };
    int rc = cli_org_write(c, update_sign, &x);
    if (rc)
        return rc;
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "updated", number);
        cli_json_print(j);
    } else {
        printf("updated %s\n", number);
    }
    return CLI_EXIT_OK;
}
