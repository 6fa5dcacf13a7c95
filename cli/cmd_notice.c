/*
 * cmd_notice.c — `sadasya notice post …` and `sadasya notices`: notices of
 * the national office and the chapters, signed in the poster's log and
 * carried to every node like members.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmds.h"
#include "number.h"
#include "org.h"
#include "org_cli.h"

static const char notice_usage[] =
    "usage: sadasya [--data DIR] [--json] notice post --title TITLE\n"
    "           (--body TEXT | --body-file FILE)\n"
    "\n"
    "Posts a notice from this node's chapter (or the national office); every\n"
    "node shows it once the entry reaches it. --body-file - reads stdin.\n";

static const char notices_usage[] =
    "usage: sadasya [--data DIR] [--json] notices [--state CODE] [--limit N]\n"
    "\n"
    "Notices, newest first (IN: the national office's).\n";

static int notice_write(cli_org_tx *t, void *ctx, sd_err *err)
{
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_NOTICE;
    e.notice = ctx;
    return cli_org_sign(t, &e, err);
}

/* The whole file (at most CLI_ORG_BODY_MAX bytes), NUL-terminated. */
static char *read_body(const char *path)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        cli_errorf("cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(CLI_ORG_BODY_MAX + 2);
    size_t n = buf ? fread(buf, 1, CLI_ORG_BODY_MAX + 1, f) : 0;
    int bad = !buf || ferror(f);
    if (f != stdin)
        fclose(f);
    if (bad) {
        cli_errorf("cannot read %s", path);
        free(buf);
        return NULL;
    }
    if (n > CLI_ORG_BODY_MAX) {
        cli_errorf("%s is longer than %d bytes", path, CLI_ORG_BODY_MAX);
        free(buf);
        return NULL;
    }
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
        cli_errorf("%s is not text", path);
        free(buf);
        return NULL;
    }
    return buf;
}

static int notice_post(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "title", required_argument, 0, 't' }, { "body", required_argument, 0, 'b' },
        { "body-file", required_argument, 0, 'f' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *title = NULL, *body = NULL, *file = NULL;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 't': title = optarg; break;
        case 'b': body = optarg; break;
        case 'f': file = optarg; break;
        case 'h': fputs(notice_usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("notice", argv);
        }
    }
    if (cli_opt_rest("notice", argc, argv))
        return CLI_EXIT_USAGE;
    if (!title)
        return cli_usagef("notice", "--title is required");
    if (!body && !file)
        return cli_usagef("notice", "give --body TEXT or --body-file FILE");
    if (body && file)
        return cli_usagef("notice", "give --body or --body-file, not both");
    int rc = cli_org_text("notice", "--title", title, CLI_ORG_TEXT_MAX, 1, 0);
    if (rc)
        return rc;
    char *owned = NULL;
    if (file && !(body = owned = read_body(file)))
        return CLI_EXIT_FAIL;
    if ((rc = cli_org_text("notice", "the body", body, CLI_ORG_BODY_MAX, 1, 1))) {
        free(owned);
        return rc;
    }
    Sadasya__Notice n = SADASYA__NOTICE__INIT;
    n.title = (char *)title;
    n.body = (char *)body;
    rc = cli_org_write(c, notice_write, &n);
    free(owned);
    if (rc)
        return rc;
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "posted", title);
        cli_json_print(j);
    } else {
        printf("posted \"%s\"\n", title);
    }
    return CLI_EXIT_OK;
}

int cmd_notice(cli *c, int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(notice_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "post"))
        return notice_post(c, argc - 1, argv + 1);
    return cli_usagef("notice", "unknown notice command \"%s\" (post)", argv[1]);
}

typedef struct list_ctx {
    const char *state;
    unsigned long limit;
    size_t n;
    cJSON *arr;
} list_ctx;

static int show_notice(const char *state, const Sadasya__Notice *n, uint64_t time_ms,
                       void *ctx)
{
    list_ctx *l = ctx;
    if (l->state && strcmp(l->state, state))
        return 0;
    if (l->limit && l->n >= l->limit)
        return 1;
    char when[32];
    time_t t = (time_t)(time_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    if (l->arr) {
        char iso[32];
        strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "state", state);
        cJSON_AddStringToObject(j, "time", iso);
        cJSON_AddStringToObject(j, "title", n->title);
        cJSON_AddStringToObject(j, "body", n->body);
        cJSON_AddItemToArray(l->arr, j);
    } else {
        char st[CLI_SAFE_MAX], ti[CLI_SAFE_MAX];
        printf("%s%s  %s  %s\n", l->n ? "\n" : "", when,
               cli_safe(state, st, sizeof st), cli_safe(n->title, ti, sizeof ti));
        /* The body indented, line by line; each line escaped. */
        for (const char *p = n->body; *p;) {
            size_t len = strcspn(p, "\n");
            char *one = strndup(p, len);
            fputs("    ", stdout);
            cli_put_text(stdout, one, 0);
            fputc('\n', stdout);
            free(one);
            p += len;
            if (*p)
                p++;
        }
    }
    l->n++;
    return 0;
}

int cmd_notices(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "state", required_argument, 0, 's' }, { "limit", required_argument, 0, 'l' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    list_ctx l = { NULL, 0, 0, NULL };
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's': l.state = optarg; break;
        case 'l':
            if (cli_limit_arg("notices", optarg, &l.limit))
                return CLI_EXIT_USAGE;
            break;
        case 'h': fputs(notices_usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("notices", argv);
        }
    }
    if (cli_opt_rest("notices", argc, argv))
        return CLI_EXIT_USAGE;
    if (cli_state_arg(l.state))
        return CLI_EXIT_FAIL;
    store *s;
    store_txn *txn;
    sd_err err;
    if (cli_read(c, &s, &txn, &err))
        return CLI_EXIT_FAIL;
    if (c->json)
        l.arr = cJSON_CreateArray();
    int rc = org_notices_each(s, txn, show_notice, &l, &err);
    cli_read_end(&s, &txn);
    if (rc < 0) {
        cJSON_Delete(l.arr);
        return cli_error(&err);
    }
    if (l.arr) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddItemToObject(j, "notices", l.arr);
        cli_json_print(j);
    } else if (!l.n) {
        puts("no notices");
    }
    return CLI_EXIT_OK;
}
