/*
 * cmd_bundle.c — `sadasya bundle create FILE [--for CODE] [--state CODE]…`,
 * `bundle apply FILE` and `bundle check FILE`: signed entries carried
 * between nodes as a file (node/README.md). The format and the checks are
 * node/bundle.c's; applying goes through the one write path.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "cmds.h"
#include "notify.h"

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] bundle create FILE [--for CODE]\n"
    "                                     [--state CODE]...\n"
    "       sadasya [--data DIR] [--json] bundle apply FILE\n"
    "       sadasya [--json] bundle check FILE\n"
    "\n"
    "Carries signed entries between nodes that share no network (a USB\n"
    "stick, e-mail): a bundle is a slow peer.\n"
    "\n"
    "  create  writes every origin's log this node holds into FILE (mode\n"
    "          0600: keep it as safe as the data directory), with the\n"
    "          personal data its recipient may hold: --for IN (the national\n"
    "          office) every member's, --for CODE that state's members' only.\n"
    "          Without --for, a chapter writes its own state's; the national\n"
    "          node needs --for. --state CODE (repeatable) carries only those\n"
    "          states, and always the national log (its roster authorises\n"
    "          them). FILE appears whole or not at all.\n"
    "  apply   checks that FILE is whole (nothing of a damaged bundle is\n"
    "          applied), then verifies and applies every entry as from a\n"
    "          peer. Rejected entries are reported on stderr; applying the\n"
    "          same bundle twice changes nothing. Exit 0 when the bundle was\n"
    "          read whole, 1 when it is damaged or the store fails.\n"
    "  check   checks that FILE is whole, applying nothing.\n";

static const char create_usage[] =
    "usage: sadasya [--data DIR] [--json] bundle create FILE [--for CODE]\n"
    "                                     [--state CODE]...\n"
    "\n"
    "Writes the signed entries this node holds into FILE (mode 0600), for\n"
    "`sadasya bundle apply` on another node. Members' personal data goes\n"
    "only to the national office and the member's own chapter: --for IN\n"
    "carries every member's, --for CODE (a state) that state's members'.\n"
    "Without --for, a chapter carries its own state's; on the national\n"
    "node --for is required. The entries are carried whatever --for is.\n"
    "With --state (repeatable), only those states' logs and the national\n"
    "log. Prints: wrote N entries (M with personal data) from K origins to\n"
    "FILE. --json: {\"file\", \"entries\", \"personal\", \"origins\", \"bytes\"}.\n";

static const char apply_usage[] =
    "usage: sadasya [--data DIR] [--json] bundle apply FILE\n"
    "\n"
    "Checks that FILE is a whole bundle, then verifies and applies its\n"
    "entries exactly as entries from a peer. Each rejected entry is\n"
    "reported on stderr (sadasya: warning: rejected STATE seq N: why).\n"
    "Prints what was added, already held, rejected, and evidence of\n"
    "equivocation found. --json: {\"entries\", \"added\", \"duplicate\",\n"
    "\"rejected\", \"evidence\", \"personal_dropped\", \"personal_healed\"}\n"
    "(personal_healed: blobs taken for entries held without them). Exit 0\n"
    "when the bundle was read whole (rejections included), 1 when it is damaged\n"
    "(nothing applied) or the store fails.\n";

static const char check_usage[] =
    "usage: sadasya [--json] bundle check FILE\n"
    "\n"
    "Checks that FILE is a whole bundle (framing, count, digest) without\n"
    "applying it; signatures are checked by `bundle apply`. Exit 0 when\n"
    "whole, 1 when damaged.\n";

/* Parses the flags of a subcommand: FILE and, for create, --state and
 * --for (*recipient, when given). */
static int parse(const char *sub, const char *help, int argc, char **argv,
                 int allow_state, const char **file, const char ***states,
                 size_t *nstates, const char **recipient)
{
    static const struct option opts[] = {
        { "state", required_argument, 0, 's' },
        { "for", required_argument, 0, 'f' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    char cmd[32];
    snprintf(cmd, sizeof cmd, "bundle %s", sub);
    *file = NULL;
    *nstates = 0;
    *states = calloc((size_t)argc + 1, sizeof **states);
    if (!*states)
        return cli_errorf("out of memory");
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's':
            if (!allow_state)
                return cli_usagef(cmd, "--state is for bundle create");
            (*states)[(*nstates)++] = optarg;
            break;
        case 'f':
            if (!allow_state)
                return cli_usagef(cmd, "--for is for bundle create");
            *recipient = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            return -1;
        default:
            return cli_usagef(cmd, "unknown or incomplete option %s",
                              argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usagef(cmd, "which FILE?");
    if (optind + 1 < argc)
        return cli_usagef(cmd, "unexpected argument %s", argv[optind + 1]);
    *file = argv[optind];
    return CLI_EXIT_OK;
}

/* A bundle's figures as one JSON line (create, check). */
static void print_stats_json(const char *file, const bundle_stats *st)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "file", file);
    cJSON_AddNumberToObject(j, "entries", (double)st->entries);
    cJSON_AddNumberToObject(j, "personal", (double)st->personal);
    cJSON_AddNumberToObject(j, "origins", (double)st->origins);
    cJSON_AddNumberToObject(j, "bytes", (double)st->bytes);
    cli_json_print(j);
}

static int run_create(cli *c, int argc, char **argv)
{
    const char *file;
    const char **states;
    const char *recipient = NULL;
    size_t nstates;
    int rc = parse("create", create_usage, argc, argv, 1, &file, &states,
                   &nstates, &recipient);
    if (rc) {
        free(states);
        return rc < 0 ? CLI_EXIT_OK : rc;
    }
    store *s;
    if (cli_open(c, STORE_RDONLY, &s)) {
        free(states);
        return CLI_EXIT_FAIL;
    }
    sd_err err;
    sd_err_clear(&err);
    bundle_stats st;
    audience aud;
    if (recipient) {
        rc = audience_for_state(&aud, recipient, &err);
    } else {
        store_txn *txn;
        rc = store_begin(s, 0, &txn, &err);
        if (!rc) {
            rc = audience_of_node(s, txn, &aud, &err);
            store_end(txn);
        }
        if (!rc && aud.all)
            rc = sd_errf(&err, SD_EINVAL, "the national node's bundle needs "
                         "--for CODE: IN for the national office (every "
                         "member's personal data), a state code for that "
                         "chapter (its members' only)");
    }
    if (!rc)
        rc = bundle_create(s, file, states, nstates, &aud, &st, &err);
    store_destroy(&s);
    free(states);
    if (rc)
        return cli_error(&err);
    if (c->json) {
        print_stats_json(file, &st);
    } else {
        printf("wrote %zu entries (%zu with personal data) from %zu origins "
               "to %s\n", st.entries, st.personal, st.origins, file);
    }
    return CLI_EXIT_OK;
}

static void on_reject(const bundle_reject *r, void *ctx)
{
    (void)ctx;
    char why[CLI_SAFE_MAX]; /* a reason may quote what the bundle holds */
    if (r->personal_only)
        fprintf(stderr, "sadasya: warning: %s seq %llu: %s\n", r->state,
                (unsigned long long)r->seq, cli_safe(r->why, why, sizeof why));
    else
        fprintf(stderr, "sadasya: warning: rejected %s seq %llu: %s\n",
                r->state, (unsigned long long)r->seq, cli_safe(r->why, why, sizeof why));
}

static FILE *open_bundle(const char *file)
{
    FILE *in = fopen(file, "rb");
    if (!in)
        cli_errorf("cannot open %s: %s", file, strerror(errno));
    return in;
}

/* bundle apply and check: parses the FILE argument and opens it into *in.
 * CLI_EXIT_OK, -1 after --help, or the printed error's exit code. */
static int parse_open(const char *sub, const char *help, int argc,
                      char **argv, const char **file, FILE **in)
{
    const char **states, *recipient = NULL;
    size_t nstates;
    int rc = parse(sub, help, argc, argv, 0, file, &states, &nstates,
                   &recipient);
    free(states);
    if (rc)
        return rc;
    *in = open_bundle(*file);
    return *in ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

static int run_apply(cli *c, int argc, char **argv)
{
    const char *file;
    FILE *in;
    int rc = parse_open("apply", apply_usage, argc, argv, &file, &in);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    store *s;
    if (cli_open(c, 0, &s)) {
        fclose(in);
        return CLI_EXIT_FAIL;
    }
    sd_err err;
    sd_err_clear(&err);
    bundle_stats st;
    rc = bundle_read_apply(s, in, &st, on_reject, NULL, &err);
    store_destroy(&s);
    fclose(in);
    if (rc)
        return cli_errorf("%s: %s", file, err.msg);
    const apply_result *r = &st.applied;
    if (r->added)
        notify_node(c->data_dir); /* a running node passes them on at once */
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "entries", (double)st.entries);
        cJSON_AddNumberToObject(j, "added", (double)r->added);
        cJSON_AddNumberToObject(j, "duplicate", (double)r->duplicate);
        cJSON_AddNumberToObject(j, "rejected", (double)r->rejected);
        cJSON_AddNumberToObject(j, "evidence", (double)r->evidence);
        cJSON_AddNumberToObject(j, "personal_dropped",
                                (double)r->personal_dropped);
        cJSON_AddNumberToObject(j, "personal_healed",
                                (double)r->personal_healed);
        cli_json_print(j);
    } else {
        printf("%zu entries read: %zu added, %zu already held, %zu rejected, "
               "%zu equivocation evidence", st.entries, r->added,
               r->duplicate, r->rejected, r->evidence);
        if (r->personal_dropped)
            printf(", %zu personal blobs dropped", r->personal_dropped);
        if (r->personal_healed)
            printf(", %zu personal blobs taken for entries held without them",
                   r->personal_healed);
        putchar('\n');
    }
    return CLI_EXIT_OK;
}

static int run_check(cli *c, int argc, char **argv)
{
    const char *file;
    FILE *in;
    int rc = parse_open("check", check_usage, argc, argv, &file, &in);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    sd_err err;
    sd_err_clear(&err);
    bundle_stats st;
    rc = bundle_check(in, &st, &err);
    fclose(in);
    if (rc)
        return cli_errorf("%s: %s", file, err.msg);
    if (c->json) {
        print_stats_json(file, &st);
    } else {
        printf("%s is whole: %zu entries (%zu with personal data) from %zu "
               "origins\n", file, st.entries, st.personal, st.origins);
    }
    return CLI_EXIT_OK;
}

static const struct {
    const char *name;
    int (*run)(cli *c, int argc, char **argv);
} subs[] = {
    { "create", run_create },
    { "apply", run_apply },
    { "check", run_check },
};

int cmd_bundle(cli *c, int argc, char **argv)
{
    if (argc < 2)
        return cli_usagef("bundle", "give create, apply or check");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (!strcmp(argv[1], subs[i].name))
            return subs[i].run(c, argc - 1, argv + 1);
    return cli_usagef("bundle", "unknown subcommand \"%s\"", argv[1]);
}
