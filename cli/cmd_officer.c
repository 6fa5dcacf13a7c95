/*
 * cmd_officer.c — `sadasya officer appoint|end …` and `sadasya officers`:
 * a chapter's office-bearers and cell heads, as signed OfficerAppointed
 * entries in its log (the national office appoints national officers).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "day.h"
#include "number.h"
#include "org.h"
#include "org_cli.h"

static const char officer_usage[] =
    "usage: sadasya [--data DIR] [--json] officer appoint NUMBER --role ROLE\n"
    "           [--cell CELL] [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n"
    "       sadasya [--data DIR] [--json] officer end NUMBER --role ROLE\n"
    "           [--cell CELL] [--to YYYY-MM-DD]\n"
    "\n"
    "Appoints a member of this node's chapter to an office, or ends the\n"
    "appointment. ROLE: president, vice-president, general-secretary,\n"
    "secretary, treasurer, cell-head (with --cell women, youth, …) or any\n"
    "other office, written as words joined by hyphens. --from defaults to\n"
    "today; --to (the end of the term) is open when not given. `officer end`\n"
    "ends the appointment on --to (default today). The national office's\n"
    "node appoints national officers.\n";

static const char officers_usage[] =
    "usage: sadasya [--data DIR] [--json] officers [--state CODE] [--all]\n"
    "\n"
    "Each chapter's current office-bearers and cell heads (the national\n"
    "office's are under IN); with --all, past and upcoming ones too.\n";

/* Offices in the order a chapter lists them; others follow by name. */
static const char *const role_order[] = { "president", "vice-president",
                                          "general-secretary", "secretary",
                                          "joint-secretary", "treasurer",
                                          "cell-head" };

static int role_rank(const char *role)
{
    for (size_t i = 0; i < sizeof role_order / sizeof role_order[0]; i++)
        if (!strcmp(role, role_order[i]))
            return (int)i;
    return (int)(sizeof role_order / sizeof role_order[0]);
}

/* current, past (ended, or its term is over) or upcoming. */
static const char *officer_state(const Sadasya__OfficerView *o, uint32_t today)
{
    if (o->ended || (o->to_day && o->to_day < today))
        return "past";
    if (o->from_day > today)
        return "upcoming";
    return "current";
}

/* --- officer appoint / end ------------------------------------------------ */

typedef struct appoint_ctx {
    const char *number, *role, *cell;
    uint32_t from, to;
    int end, to_given;
    char state[STORE_STATE_BYTES];
    char other[NUMBER_MAX_LEN]; /* another current holder of the office */
    Sadasya__OfficerView *found; /* the appointment `end` ends */
} appoint_ctx;

static int find_holder(const Sadasya__OfficerView *o, void *ctx)
{
    appoint_ctx *a = ctx;
    if (strcmp(o->role, a->role) || strcmp(o->cell, a->cell))
        return 0;
    if (!strcmp(o->number, a->number)) {
        if (!o->ended && !a->found)
            a->found = cli_org_dup(&o->base); /* o is freed after this call */
    } else if (!strcmp(officer_state(o, day_today()), "current") && !a->other[0]) {
        snprintf(a->other, sizeof a->other, "%s", o->number);
    }
    return 0;
}

static int appoint_write(cli_org_tx *t, void *ctx, sd_err *err)
{
    appoint_ctx *a = ctx;
    snprintf(a->state, sizeof a->state, "%s", t->w->state);
    Sadasya__MemberView *m = NULL;
    int rc = cli_org_member(t->s, t->txn, a->number, &m, err);
    if (rc)
        return rc;
    if (!t->w->national)
        rc = cli_org_own(t->w, m, "appoint its officers", err);
    if (!rc && !a->end && (m->status == SADASYA__STATUS__RESIGNED ||
                           m->status == SADASYA__STATUS__DECEASED))
        rc = sd_errf(err, SD_EINVAL, "%s is %s: not appointed", a->number,
                     view_status_name(m->status));
    sadasya__member_view__free_unpacked(m, NULL);
    if (rc)
        return rc;
    if ((rc = org_officers_each(t->s, t->txn, t->w->state, find_holder, a, err)))
        return rc;
    Sadasya__OfficerAppointed o = SADASYA__OFFICER_APPOINTED__INIT;
    o.number = (char *)a->number;
    o.role = (char *)a->role;
    o.cell = (char *)a->cell;
    if (a->end) {
        if (!a->found)
            return sd_errf(err, SD_ENOTFOUND, "%s holds no %s%s%s%s appointment in %s "
                           "that has not ended", a->number, a->role,
                           a->cell[0] ? " (" : "", a->cell, a->cell[0] ? " cell)" : "",
                           t->w->state);
        if (!a->to_given)
            a->to = day_today();
        if (a->to < a->found->from_day) {
            char f[DAY_STR_LEN];
            day_format(a->found->from_day, f);
            return sd_errf(err, SD_EINVAL, "--to is before the appointment began (%s)", f);
        }
        a->from = a->found->from_day;
        o.from_day = a->from;
        o.to_day = a->to;
        o.ended = 1;
    } else {
        o.from_day = a->from;
        o.to_day = a->to;
    }
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_OFFICER;
    e.officer = &o;
    return cli_org_sign(t, &e, err);
}

int cmd_officer(cli *c, int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(officer_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    int end = !strcmp(argv[1], "end");
    if (!end && strcmp(argv[1], "appoint"))
        return cli_usagef("officer", "unknown officer command \"%s\" (appoint or end)",
                          argv[1]);
    static const struct option opts[] = {
        { "role", required_argument, 0, 'r' }, { "cell", required_argument, 0, 'c' },
        { "from", required_argument, 0, 'f' }, { "to", required_argument, 0, 't' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *role = NULL, *cell = NULL, *from = NULL, *to = NULL;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (o) {
        case 'r': role = optarg; break;
        case 'c': cell = optarg; break;
        case 'f': from = optarg; break;
        case 't': to = optarg; break;
        case 'h': fputs(officer_usage, stdout); return CLI_EXIT_OK;
        default:
            return cli_usagef("officer", "unknown or incomplete option %s", argv[optind]);
        }
    }
    if (optind + 1 != argc - 1)
        return cli_usagef("officer", "give one membership number");
    if (!role)
        return cli_usagef("officer", "--role is required");
    if (end && from)
        return cli_usagef("officer", "officer end takes --to, not --from");
    char number[16], rtag[CLI_ORG_TAG_MAX + 1], ctag[CLI_ORG_TAG_MAX + 1] = "";
    if (cli_number(argv[optind + 1], number))
        return CLI_EXIT_FAIL;
    int rc;
    if ((rc = cli_org_tag("officer", "--role", role, rtag)))
        return rc;
    if (cell && (rc = cli_org_tag("officer", "--cell", cell, ctag)))
        return rc;
    if (!end && !strcmp(rtag, "cell-head") && !ctag[0])
        return cli_usagef("officer", "a cell head needs --cell (women, youth, …)");
    appoint_ctx a;
    memset(&a, 0, sizeof a);
    a.number = number;
    a.role = rtag;
    a.cell = ctag;
    a.end = end;
    a.to_given = to != NULL;
    if (cli_org_entry_day("--from", from, 1, &a.from))
        return CLI_EXIT_FAIL;
    if (to && cli_org_entry_day("--to", to, 1, &a.to))
        return CLI_EXIT_FAIL;
    if (!end && to && a.to < a.from)
        return cli_errorf("--to is before --from");
    rc = cli_org_write(c, appoint_write, &a);
    if (a.found)
        sadasya__officer_view__free_unpacked(a.found, NULL);
    if (rc)
        return rc;
    char f[DAY_STR_LEN], t[DAY_STR_LEN];
    day_format(a.from, f);
    day_format(a.to, t);
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, end ? "ended" : "appointed", number);
        cJSON_AddStringToObject(j, "state", a.state);
        cJSON_AddStringToObject(j, "role", rtag);
        if (ctag[0])
            cJSON_AddStringToObject(j, "cell", ctag);
        else
            cJSON_AddNullToObject(j, "cell");
        cJSON_AddStringToObject(j, "from", f);
        if (a.to)
            cJSON_AddStringToObject(j, "to", t);
        else
            cJSON_AddNullToObject(j, "to");
        cli_json_print(j);
    } else if (end) {
        printf("%s is no longer %s%s%s%s of %s (from %s to %s)\n", number, rtag,
               ctag[0] ? " (" : "", ctag, ctag[0] ? " cell)" : "", a.state, f, t);
    } else {
        printf("%s appointed %s%s%s%s of %s from %s%s%s\n", number, rtag,
               ctag[0] ? " (" : "", ctag, ctag[0] ? " cell)" : "", a.state, f,
               a.to ? " to " : "", a.to ? t : "");
        if (a.other[0])
            fprintf(stderr, "sadasya: note: %s also holds this office; "
                    "`sadasya officer end %s --role %s%s%s` if it was handed over\n",
                    a.other, a.other, rtag, ctag[0] ? " --cell " : "", ctag);
    }
    return CLI_EXIT_OK;
}

/* --- officers ---------------------------------------------------------------- */

typedef struct row {
    Sadasya__OfficerView *o;
} row;

typedef struct list_ctx {
    row *rows;
    size_t n, cap;
    int all;
    uint32_t today;
} list_ctx;

static int collect(const Sadasya__OfficerView *o, void *ctx)
{
    list_ctx *l = ctx;
    if (!l->all && strcmp(officer_state(o, l->today), "current"))
        return 0;
    if (cli_org_grow((void **)&l->rows, &l->cap, l->n, sizeof *l->rows))
        return SD_ENOMEM;
    if (!(l->rows[l->n].o = cli_org_dup(&o->base)))
        return SD_ENOMEM;
    l->n++;
    return 0;
}

static int row_cmp(const void *x, const void *y)
{
    const Sadasya__OfficerView *a = ((const row *)x)->o, *b = ((const row *)y)->o;
    int c = strcmp(a->state, b->state);
    if (!c)
        c = role_rank(a->role) - role_rank(b->role);
    if (!c)
        c = strcmp(a->role, b->role);
    if (!c)
        c = strcmp(a->cell, b->cell);
    if (!c)
        c = (a->from_day > b->from_day) - (a->from_day < b->from_day);
    if (!c)
        c = strcmp(a->number, b->number);
    return c;
}

int cmd_officers(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "state", required_argument, 0, 's' }, { "all", no_argument, 0, 'a' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *state = NULL;
    list_ctx l;
    memset(&l, 0, sizeof l);
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's': state = optarg; break;
        case 'a': l.all = 1; break;
        case 'h': fputs(officers_usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("officers", argv);
        }
    }
    if (cli_opt_rest("officers", argc, argv))
        return CLI_EXIT_USAGE;
    if (cli_state_arg(state))
        return CLI_EXIT_FAIL;
    l.today = day_today();
    store *s;
    store_txn *txn;
    sd_err err;
    if (cli_read(c, &s, &txn, &err))
        return CLI_EXIT_FAIL;
    int rc = org_officers_each(s, txn, state, collect, &l, &err);
    if (rc == SD_ENOMEM && !err.msg[0])
        sd_errf(&err, SD_ENOMEM, "out of memory");
    if (!rc && l.n)
        qsort(l.rows, l.n, sizeof *l.rows, row_cmp);
    cJSON *arr = c->json ? cJSON_CreateArray() : NULL;
    static const char *const heads[] = { "STATE", "ROLE", "CELL", "NUMBER", "NAME",
                                         "FROM", "TO", "STATUS" };
    cli_table *t = c->json ? NULL : cli_table_new(l.all ? 8 : 7, heads);
    for (size_t i = 0; i < l.n && !rc; i++) {
        const Sadasya__OfficerView *ov = l.rows[i].o;
        cli_person who;
        cli_org_person(s, txn, ov->number, &who);
        char f[DAY_STR_LEN], to[DAY_STR_LEN] = "";
        day_format(ov->from_day, f);
        if (ov->to_day)
            day_format(ov->to_day, to);
        const char *st = officer_state(ov, l.today);
        if (arr) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "state", ov->state);
            cJSON_AddStringToObject(j, "role", ov->role);
            if (ov->cell[0])
                cJSON_AddStringToObject(j, "cell", ov->cell);
            else
                cJSON_AddNullToObject(j, "cell");
            cJSON_AddStringToObject(j, "number", ov->number);
            cli_org_person_json(j, &who);
            cJSON_AddStringToObject(j, "from", f);
            if (ov->to_day)
                cJSON_AddStringToObject(j, "to", to);
            else
                cJSON_AddNullToObject(j, "to");
            cJSON_AddBoolToObject(j, "ended", ov->ended);
            cJSON_AddStringToObject(j, "status", st);
            cJSON_AddItemToArray(arr, j);
        } else {
            const char *cells[] = { ov->state, ov->role, ov->cell, ov->number,
                                    who.name, f, to, st };
            cli_table_add(t, cells);
        }
        cli_org_person_free(&who);
    }
    cli_read_end(&s, &txn);
    for (size_t i = 0; i < l.n; i++)
        sadasya__officer_view__free_unpacked(l.rows[i].o, NULL);
    free(l.rows);
    if (rc) {
        cJSON_Delete(arr);
        cli_table_destroy(&t);
        return cli_error(&err);
    }
    cli_list_print("officers", arr, &t, l.n, l.all ? "no officers" : "no current officers");
    return CLI_EXIT_OK;
}
