/*
 * cmd_honour.c — `sadasya honour NUMBER --title …` and `sadasya honours`:
 * honours given to members (a signed Honour in the giving node's log; the
 * national office or any chapter may honour any member it knows).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "day.h"
#include "number.h"
#include "org.h"
#include "org_cli.h"

static const char honour_usage[] =
    "usage: sadasya [--data DIR] [--json] honour NUMBER --title TITLE\n"
    "           [--date YYYY-MM-DD]\n"
    "\n"
    "Records an honour given to a member (the date defaults to today).\n";

static const char honours_usage[] =
    "usage: sadasya [--data DIR] [--json] honours [NUMBER]\n"
    "\n"
    "Honours given to members (or to one member), newest first.\n";

typedef struct honour_ctx {
    const char *number;
    Sadasya__Honour h;
} honour_ctx;

static int honour_write(cli_org_tx *t, void *ctx, sd_err *err)
{
    honour_ctx *x = ctx;
    Sadasya__MemberView *m = NULL;
    int rc = cli_org_member(t->s, t->txn, x->number, &m, err);
    if (rc)
        return rc;
    sadasya__member_view__free_unpacked(m, NULL);
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_HONOUR;
    e.honour = &x->h;
    return cli_org_sign(t, &e, err);
}

int cmd_honour(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "title", required_argument, 0, 't' }, { "date", required_argument, 0, 'd' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *title = NULL, *date = NULL;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 't': title = optarg; break;
        case 'd': date = optarg; break;
        case 'h': fputs(honour_usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("honour", argv);
        }
    }
    if (optind + 1 != argc)
        return cli_usagef("honour", "give one membership number");
    if (!title)
        return cli_usagef("honour", "--title is required");
    char number[16];
    if (cli_number(argv[optind], number))
        return CLI_EXIT_FAIL;
    int rc = cli_org_text("honour", "--title", title, CLI_ORG_TEXT_MAX, 1, 0);
    if (rc)
        return rc;
    honour_ctx x = { number, SADASYA__HONOUR__INIT };
    x.h.number = number;
    x.h.title = (char *)title;
    if (cli_org_entry_day("--date", date, 0, &x.h.day))
        return CLI_EXIT_FAIL;
    if ((rc = cli_org_write(c, honour_write, &x)))
        return rc;
    char d[DAY_STR_LEN];
    day_format(x.h.day, d);
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "honoured", number);
        cJSON_AddStringToObject(j, "title", title);
        cJSON_AddStringToObject(j, "date", d);
        cli_json_print(j);
    } else {
        printf("honoured %s: %s (%s)\n", number, title, d);
    }
    return CLI_EXIT_OK;
}

typedef struct row {
    char number[NUMBER_MAX_LEN];
    Sadasya__Honour *h;
} row;

typedef struct list_ctx {
    row *rows;
    size_t n, cap;
} list_ctx;

static int collect(const char *number, const Sadasya__Honour *h, void *ctx)
{
    list_ctx *l = ctx;
    if (cli_org_grow((void **)&l->rows, &l->cap, l->n, sizeof *l->rows))
        return SD_ENOMEM;
    snprintf(l->rows[l->n].number, NUMBER_MAX_LEN, "%s", number);
    if (!(l->rows[l->n].h = cli_org_dup(&h->base)))
        return SD_ENOMEM;
    l->n++;
    return 0;
}

static int row_cmp(const void *p, const void *q)
{
    const row *a = p, *b = q;
    if (a->h->day != b->h->day)
        return a->h->day > b->h->day ? -1 : 1;
    int c = strcmp(a->number, b->number);
    return c ? c : strcmp(a->h->title, b->h->title);
}

int cmd_honours(cli *c, int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(honours_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (argc > 2)
        return cli_usagef("honours", "give at most one membership number");
    if (argc == 2 && argv[1][0] == '-')
        return cli_usagef("honours", "unknown option %s", argv[1]);
    char number[16];
    if (argc == 2 && cli_number(argv[1], number))
        return CLI_EXIT_FAIL;
    store *s;
    store_txn *txn;
    sd_err err;
    if (cli_read(c, &s, &txn, &err))
        return CLI_EXIT_FAIL;
    list_ctx l = { NULL, 0, 0 };
    int rc = SD_OK;
    if (argc == 2) {
        Sadasya__MemberView *m = NULL;
        if (!(rc = cli_org_member(s, txn, number, &m, &err)))
            sadasya__member_view__free_unpacked(m, NULL);
    }
    if (!rc)
        rc = org_honours_each(s, txn, argc == 2 ? number : NULL, collect, &l, &err);
    if (rc == SD_ENOMEM && !err.msg[0])
        sd_errf(&err, SD_ENOMEM, "out of memory");
    if (!rc && l.n)
        qsort(l.rows, l.n, sizeof *l.rows, row_cmp);
    cJSON *arr = c->json && !rc ? cJSON_CreateArray() : NULL;
    static const char *const heads[] = { "DATE", "NUMBER", "NAME", "TITLE" };
    cli_table *t = !c->json && !rc ? cli_table_new(4, heads) : NULL;
    for (size_t i = 0; i < l.n && !rc; i++) {
        cli_person who;
        cli_org_person(s, txn, l.rows[i].number, &who);
        char d[DAY_STR_LEN];
        day_format(l.rows[i].h->day, d);
        if (arr) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "number", l.rows[i].number);
            cli_org_person_json(j, &who);
            cJSON_AddStringToObject(j, "title", l.rows[i].h->title);
            cJSON_AddStringToObject(j, "date", d);
            cJSON_AddItemToArray(arr, j);
        } else {
            const char *cells[] = { d, l.rows[i].number, who.name, l.rows[i].h->title };
            cli_table_add(t, cells);
        }
        cli_org_person_free(&who);
    }
    cli_read_end(&s, &txn);
    for (size_t i = 0; i < l.n; i++)
        sadasya__honour__free_unpacked(l.rows[i].h, NULL);
    free(l.rows);
    if (rc)
        return cli_error(&err);
    cli_list_print("honours", arr, &t, l.n, "no honours");
    return CLI_EXIT_OK;
}
