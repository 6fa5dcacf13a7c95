/*
 * cmd_register.c — `sadasya register …`: a new member, signed by this
 * node's key, through the one write path; prints the membership number.
 */
#include <getopt.h>
#include <string.h>

#include "cmds.h"
#include "member.h"
#include "org_cli.h"

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] register --name NAME\n"
    "         --gender female|male|other --phone PHONE --district DISTRICT\n"
    "         [--name-en NAME] [--guardian NAME] [--birth-year YYYY]\n"
    "         [--email EMAIL] [--address TEXT] [--area urban|rural]\n"
    "         [--occupation TEXT] [--interest TAG]... [--fee RUPEES|--fee-paise N]\n"
    "         [--payment-ref REF] [--referred-by NUMBER] [--joined YYYY-MM-DD]\n"
    "         [--allow-duplicate]\n"
    "\n"
    "Registers a member of this node's state and prints the new membership\n"
    "number. The fee defaults to Rs 11 (--fee 11, --fee-paise 1100). A\n"
    "likely duplicate (same phone, or same name and guardian or birth year,\n"
    "in this state) is refused unless --allow-duplicate. Works with or\n"
    "without the node running.\n";

typedef struct reg_ctx {
    const member_input *in;
    char number[NUMBER_MAX_LEN];
    sd_err warn;
} reg_ctx;

/* Checks the referrer and duplicates, signs the MemberJoined
 * (cli_org_write's fn). */
static int reg_sign(cli_org_tx *t, void *ctx, sd_err *err)
{
    reg_ctx *x = ctx;
    entry_signed es;
    memset(&es, 0, sizeof es);
    int rc = member_check_store(t->s, t->txn, t->w->state, NULL, x->in,
                                &x->warn, err);
    if (rc)
        return rc;
    rc = member_build(t->w, x->in, &es, x->number, err);
    if (rc) {
        entry_signed_clear(&es);
        return rc;
    }
    return cli_org_keep(t, &es, err);
}

int cmd_register(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "name", required_argument, 0, 'a' }, { "gender", required_argument, 0, 'g' },
        { "phone", required_argument, 0, 'p' }, { "district", required_argument, 0, 'd' },
        { "name-en", required_argument, 0, 'e' }, { "guardian", required_argument, 0, 'G' },
        { "birth-year", required_argument, 0, 'b' }, { "email", required_argument, 0, 'm' },
        { "address", required_argument, 0, 'A' }, { "area", required_argument, 0, 'r' },
        { "occupation", required_argument, 0, 'o' }, { "interest", required_argument, 0, 'i' },
        { "fee-paise", required_argument, 0, 'f' }, { "payment-ref", required_argument, 0, 'P' },
        { "referred-by", required_argument, 0, 'R' }, { "joined", required_argument, 0, 'j' },
        { "fee", required_argument, 0, 'F' }, { "allow-duplicate", no_argument, 0, 'D' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    member_input in;
    memset(&in, 0, sizeof in);
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'a': in.name = optarg; break;
        case 'g': in.gender = optarg; break;
        case 'p': in.phone = optarg; break;
        case 'd': in.district = optarg; break;
        case 'e': in.name_en = optarg; break;
        case 'G': in.guardian = optarg; break;
        case 'b': in.birth_year = optarg; break;
        case 'm': in.email = optarg; break;
        case 'A': in.address = optarg; break;
        case 'r': in.area = optarg; break;
        case 'o': in.occupation = optarg; break;
        case 'i':
            if (in.n_interests == MEMBER_MAX_INTERESTS)
                return cli_usagef("register", "more than %d interests", MEMBER_MAX_INTERESTS);
            in.interests[in.n_interests++] = optarg;
            break;
        case 'f': in.fee_paise = optarg; break;
        case 'P': in.payment_ref = optarg; break;
        case 'R': in.referred_by = optarg; break;
        case 'j': in.joined = optarg; break;
        case 'F': in.fee = optarg; break;
        case 'D': in.allow_duplicate = 1; break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("register", argv);
        }
    }
    if (cli_opt_rest("register", argc, argv))
        return CLI_EXIT_USAGE;
    sd_err err;
    sd_err_clear(&err);
    /* Check before touching the store: bad input writes nothing. */
    if (member_check(&in, &err))
        return cli_error(&err);
    reg_ctx x;
    memset(&x, 0, sizeof x);
    x.in = &in;
    int rc = cli_org_write(c, reg_sign, &x);
    if (rc)
        return rc;
    if (x.warn.msg[0])
        fprintf(stderr, "sadasya: warning: %s\n", x.warn.msg);
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "number", x.number);
        cli_json_print(j);
    } else {
        puts(x.number);
    }
    return CLI_EXIT_OK;
}
