/*
 * cmd_event.c — `sadasya event create|attend|show …` and `sadasya events`:
 * a chapter's events (EventHeld) and who came (Attendance), signed in its
 * log. Attending makes a member of the chapter active again and is their
 * latest activity (node/org.c folds it).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "cmds.h"
#include "csvio.h"
#include "day.h"
#include "number.h"
#include "org.h"
#include "org_cli.h"

#define EVENT_ATTEND_PER_ENTRY 1000 /* numbers per Attendance entry (~16 KB) */
#define EVENT_ATTEND_MAX 1000000    /* numbers in one `event attend` */
#define EVENT_CSV_CHUNK 65536

static const char event_usage[] =
    "usage: sadasya [--data DIR] [--json] event create --kind KIND\n"
    "           --mode online|offline --title TITLE --date YYYY-MM-DD [--place PLACE]\n"
    "       sadasya [--data DIR] [--json] event attend EVENT [NUMBER]... [--csv FILE]\n"
    "       sadasya [--data DIR] [--json] event show EVENT\n"
    "\n"
    "create: records an event of this node's chapter and prints its id\n"
    "  (BR-E17). KIND: webinar, cultural-evening, worship, workshop, camp,\n"
    "  leadership-training or any other, written as words joined by hyphens.\n"
    "attend: records who attended one of this chapter's events: numbers on\n"
    "  the command line and/or a CSV file with a `number` column (the first\n"
    "  row names the columns). Members of this chapter marked inactive\n"
    "  before the event's date become active; the event's date counts as\n"
    "  activity when it is their latest. An event dated after today is\n"
    "  refused. All numbers are checked first: one bad number and nothing\n"
    "  is recorded. Attendees recorded before are skipped.\n"
    "show: an event and its attendees.\n";

static const char events_usage[] =
    "usage: sadasya [--data DIR] [--json] events [--state CODE]\n"
    "           [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n"
    "\n"
    "Events of every chapter (or one), oldest first, with attendee counts.\n";

/* Event ids as users type them: "br-e17" is BR-E17. */
static int event_id(const char *in, char out[ORG_ID_MAX])
{
    size_t n = strlen(in);
    if (n == 0 || n >= ORG_ID_MAX)
        return cli_errorf("\"%s\" is not an event id (like BR-E17)", in);
    for (size_t i = 0; i <= n; i++)
        out[i] = (char)toupper((unsigned char)in[i]);
    const char *dash = strchr(out, '-');
    if (!dash || dash - out < 2 || dash - out > 3 || dash[1] != 'E' || !dash[2])
        return cli_errorf("\"%s\" is not an event id (like BR-E17)", in);
    for (const char *p = dash + 2; *p; p++)
        if (!isdigit((unsigned char)*p))
            return cli_errorf("\"%s\" is not an event id (like BR-E17)", in);
    return SD_OK;
}

static cJSON *event_json(const Sadasya__EventView *ev)
{
    const Sadasya__EventHeld *e = ev->event;
    char d[DAY_STR_LEN];
    day_format(e->day, d);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "event", e->event_id);
    cJSON_AddStringToObject(j, "state", ev->state);
    cJSON_AddStringToObject(j, "date", d);
    cJSON_AddStringToObject(j, "kind", e->kind);
    cJSON_AddStringToObject(j, "mode", e->online ? "online" : "offline");
    cJSON_AddStringToObject(j, "title", e->title);
    if (e->place[0])
        cJSON_AddStringToObject(j, "place", e->place);
    else
        cJSON_AddNullToObject(j, "place");
    cJSON_AddNumberToObject(j, "attendees", (double)ev->attendees);
    return j;
}

/* --- event create ------------------------------------------------------------ */

typedef struct create_ctx {
    Sadasya__EventHeld ev;
    char id[ORG_ID_MAX];
} create_ctx;

static int create_write(cli_org_tx *t, void *ctx, sd_err *err)
{
    create_ctx *x = ctx;
    /* The id names the entry that records the event: its seq is next. */
    org_event_id(x->id, t->w->state, t->w->head.seq + 1);
    x->ev.event_id = x->id;
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_EVENT;
    e.event = &x->ev;
    return cli_org_sign(t, &e, err);
}

static int event_create(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "kind", required_argument, 0, 'k' }, { "mode", required_argument, 0, 'm' },
        { "title", required_argument, 0, 't' }, { "date", required_argument, 0, 'd' },
        { "place", required_argument, 0, 'p' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *kind = NULL, *mode = NULL, *title = NULL, *date = NULL, *place = "";
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'k': kind = optarg; break;
        case 'm': mode = optarg; break;
        case 't': title = optarg; break;
        case 'd': date = optarg; break;
        case 'p': place = optarg; break;
        case 'h': fputs(event_usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("event", argv);
        }
    }
    if (cli_opt_rest("event", argc, argv))
        return CLI_EXIT_USAGE;
    if (!kind || !mode || !title || !date)
        return cli_usagef("event", "event create needs --kind, --mode, --title and --date");
    create_ctx x;
    memset(&x, 0, sizeof x);
    sadasya__event_held__init(&x.ev);
    char ktag[CLI_ORG_TAG_MAX + 1];
    int rc;
    if ((rc = cli_org_tag("event", "--kind", kind, ktag)))
        return rc;
    if (strcmp(mode, "online") && strcmp(mode, "offline"))
        return cli_errorf("--mode \"%s\" is not online or offline", mode);
    if ((rc = cli_org_text("event", "--title", title, CLI_ORG_TEXT_MAX, 1, 0)) ||
        (rc = cli_org_text("event", "--place", place, CLI_ORG_TEXT_MAX, 0, 0)))
        return rc;
    if (cli_org_entry_day("--date", date, 0, &x.ev.day))
        return CLI_EXIT_FAIL;
    x.ev.kind = ktag;
    x.ev.online = !strcmp(mode, "online");
    x.ev.title = (char *)title;
    x.ev.place = (char *)place;
    if ((rc = cli_org_write(c, create_write, &x)))
        return rc;
    if (c->json) {
        Sadasya__EventView v = SADASYA__EVENT_VIEW__INIT;
        v.event = &x.ev;
        char st[STORE_STATE_BYTES];
        snprintf(st, sizeof st, "%.*s", (int)(strchr(x.id, '-') - x.id), x.id);
        v.state = st;
        cli_json_print(event_json(&v));
    } else {
        puts(x.id);
    }
    return CLI_EXIT_OK;
}

/* --- event attend ------------------------------------------------------------- */

typedef struct numbers {
    char (*v)[NUMBER_MAX_LEN];
    size_t n, cap;
} numbers;

static int numbers_add(numbers *ns, const char *canon)
{
    if (ns->n == EVENT_ATTEND_MAX)
        return cli_errorf("more than %d attendees at once", EVENT_ATTEND_MAX);
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? ns->cap * 2 : 64;
        void *nv = realloc(ns->v, cap * sizeof *ns->v);
        if (!nv)
            return cli_errorf("out of memory");
        ns->v = nv;
        ns->cap = cap;
    }
    /* Zero-padded: the last byte marks a number recorded before. */
    strncpy(ns->v[ns->n++], canon, NUMBER_MAX_LEN);
    return SD_OK;
}

static int num_cmp(const void *a, const void *b) { return strcmp(a, b); }

#define RECORDED(v) ((v)[NUMBER_MAX_LEN - 1])

/* Reading the `number` column of a CSV file (csvio.h). */
typedef struct csv_in {
    const char *path;
    numbers *ns;
    long col;           /* index of the number column; -1 until the header */
    int header_done;
    size_t bad;
    char first_bad[2 * SD_ERR_MSG_MAX];
    int failed;         /* out of memory or too many */
} csv_in;

/* A header cell without surrounding spaces. */
static const char *trimmed(char *p)
{
    while (*p == ' ')
        p++;
    size_t l = strlen(p);
    while (l && p[l - 1] == ' ')
        p[--l] = '\0';
    return p;
}

static void bad_row(csv_in *r, unsigned long line, const char *why)
{
    if (!r->bad++)
        snprintf(r->first_bad, sizeof r->first_bad, "%.256s:%lu: %s", r->path,
                 line, why);
}

static int on_row(csvio_row *row, void *ctx)
{
    csv_in *r = ctx;
    if (!r->header_done) {
        r->header_done = 1;
        for (size_t i = 0; i < row->n && i < CSVIO_FIELDS_MAX; i++)
            if (!strcasecmp(trimmed(row->field[i]), "number")) {
                r->col = (long)i;
                break;
            }
        return 0;
    }
    if (row->broken) {
        bad_row(r, row->line, row->broken);
        return 0;
    }
    if (row->n == 1 && !row->field[0][0])
        return 0; /* a blank line */
    if (r->col < 0 || (size_t)r->col >= row->n || r->failed) {
        if (r->col >= 0 && !r->failed)
            bad_row(r, row->line, "no number");
        return 0;
    }
    sd_err err;
    sd_err_clear(&err);
    char canon[NUMBER_MAX_LEN];
    if (number_parse(row->field[r->col], canon, NULL, NULL, &err))
        bad_row(r, row->line, err.msg);
    else if (numbers_add(r->ns, canon))
        r->failed = 1;
    return 0;
}

static int read_csv(const char *path, numbers *ns)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return cli_errorf("cannot open %s: %s", path, strerror(errno));
    csv_in r = { path, ns, -1, 0, 0, "", 0 };
    csvio_reader *rd = NULL;
    sd_err err;
    char *chunk = malloc(EVENT_CSV_CHUNK);
    int rc = chunk ? csvio_reader_new(&rd, 0, on_row, &r, &err) : SD_ENOMEM;
    if (rc) {
        free(chunk);
        fclose(f);
        return cli_errorf("out of memory");
    }
    size_t got;
    while (!rc && (got = fread(chunk, 1, EVENT_CSV_CHUNK, f)) > 0)
        rc = csvio_feed(rd, chunk, got, &err);
    if (!rc && ferror(f))
        rc = sd_errf(&err, SD_EIO, "cannot read %s: %s", path, strerror(errno));
    if (!rc)
        rc = csvio_finish(rd, &err);
    csvio_reader_destroy(&rd);
    free(chunk);
    fclose(f);
    if (rc)
        return cli_errorf("%s: %s", path, err.msg);
    if (r.failed)
        return CLI_EXIT_FAIL;
    if (r.col < 0)
        return cli_errorf("%s: no `number` column in the first row", path);
    if (r.bad)
        return cli_errorf("%s%s; nothing recorded", r.first_bad,
                          r.bad > 1 ? " (and more bad rows)" : "");
    return SD_OK;
}

typedef struct attend_ctx {
    char id[ORG_ID_MAX];
    numbers *ns;
    uint32_t day;
    size_t added, already, others, reactivated;
} attend_ctx;

static int is_recorded(const char *number, uint32_t day, void *ctx)
{
    (void)day;
    attend_ctx *a = ctx;
    char (*hit)[NUMBER_MAX_LEN] = bsearch(number, a->ns->v, a->ns->n, NUMBER_MAX_LEN, num_cmp);
    if (hit)
        RECORDED(*hit) = 1;
    return 0;
}

static int attend_write(cli_org_tx *t, void *ctx, sd_err *err)
{
    attend_ctx *a = ctx;
    Sadasya__EventView *ev = NULL;
    int rc = org_event_get(t->s, t->txn, a->id, &ev, err);
    if (rc == SD_ENOTFOUND)
        return sd_errf(err, SD_ENOTFOUND, "no event %s on this node (see sadasya events)",
                       a->id);
    if (rc)
        return rc;
    int ours = !strcmp(ev->state, t->w->state);
    a->day = ev->event->day;
    if (!ours)
        rc = sd_errf(err, SD_EAUTH, "event %s is %s's: only %s's node records who "
                     "attended it", a->id, ev->state, ev->state);
    else
        rc = org_attend_day_check(a->id, a->day, day_today(), err);
    sadasya__event_view__free_unpacked(ev, NULL);
    if (rc)
        return rc;
    if ((rc = org_attendance_each(t->s, t->txn, a->id, is_recorded, a, err)))
        return rc;
    /* Every number must be a member this node knows; those recorded
     * before are dropped. */
    size_t n = 0;
    for (size_t i = 0; i < a->ns->n; i++) {
        Sadasya__MemberView *m = NULL;
        if ((rc = cli_org_member(t->s, t->txn, a->ns->v[i], &m, err)))
            return rc;
        int dead = m->status == SADASYA__STATUS__DECEASED;
        int own = m->origin.len == 32 && !memcmp(m->origin.data, t->w->kp.pk, 32);
        int inactive = view_attend_reactivates(m, a->day);
        sadasya__member_view__free_unpacked(m, NULL);
        if (RECORDED(a->ns->v[i])) {
            a->already++;
            continue;
        }
        if (dead)
            return sd_errf(err, SD_EINVAL, "%s is recorded as deceased", a->ns->v[i]);
        a->reactivated += own && inactive;
        a->others += !own;
        if (n != i)
            memcpy(a->ns->v[n], a->ns->v[i], NUMBER_MAX_LEN);
        n++;
    }
    a->ns->n = n;
    a->added = n;
    char **ptrs = malloc((n ? n : 1) * sizeof *ptrs);
    if (!ptrs)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        ptrs[i] = a->ns->v[i];
    for (size_t i = 0; i < n && !rc; i += EVENT_ATTEND_PER_ENTRY) {
        Sadasya__Attendance at = SADASYA__ATTENDANCE__INIT;
        at.event_id = a->id;
        at.day = a->day;
        at.numbers = ptrs + i;
        at.n_numbers = n - i < EVENT_ATTEND_PER_ENTRY ? n - i : EVENT_ATTEND_PER_ENTRY;
        Sadasya__Entry e = SADASYA__ENTRY__INIT;
        e.body_case = SADASYA__ENTRY__BODY_ATTENDANCE;
        e.attendance = &at;
        rc = cli_org_sign(t, &e, err);
    }
    free(ptrs);
    return rc;
}

static int event_attend(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "csv", required_argument, 0, 'c' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *csv = NULL;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'c': csv = optarg; break;
        case 'h': fputs(event_usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("event", argv);
        }
    }
    if (optind >= argc)
        return cli_usagef("event", "event attend needs an event id");
    if (optind + 1 == argc && !csv)
        return cli_usagef("event", "give the attendees' numbers or --csv FILE");
    attend_ctx a;
    memset(&a, 0, sizeof a);
    if (event_id(argv[optind], a.id))
        return CLI_EXIT_FAIL;
    numbers ns = { NULL, 0, 0 };
    a.ns = &ns;
    int rc = SD_OK;
    for (int i = optind + 1; i < argc && !rc; i++) {
        char canon[NUMBER_MAX_LEN];
        if ((rc = cli_number(argv[i], canon)) == SD_OK)
            rc = numbers_add(&ns, canon);
    }
    if (!rc && csv)
        rc = read_csv(csv, &ns);
    if (!rc && !ns.n)
        rc = cli_errorf("%s has no attendees' numbers", csv ? csv : "the command line");
    if (rc) {
        free(ns.v);
        return CLI_EXIT_FAIL;
    }
    /* Sorted and each number once. */
    qsort(ns.v, ns.n, NUMBER_MAX_LEN, num_cmp);
    size_t u = 0;
    for (size_t i = 0; i < ns.n; i++)
        if (!u || strcmp(ns.v[i], ns.v[u - 1]))
            memcpy(ns.v[u++], ns.v[i], NUMBER_MAX_LEN);
    ns.n = u;
    rc = cli_org_write(c, attend_write, &a);
    free(ns.v);
    if (rc)
        return rc;
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "event", a.id);
        cJSON_AddNumberToObject(j, "recorded", (double)a.added);
        cJSON_AddNumberToObject(j, "already_recorded", (double)a.already);
        cJSON_AddNumberToObject(j, "reactivated", (double)a.reactivated);
        cJSON_AddNumberToObject(j, "other_chapters", (double)a.others);
        cli_json_print(j);
    } else {
        printf("recorded %zu attendee%s at %s", a.added, a.added == 1 ? "" : "s", a.id);
        if (a.reactivated)
            printf(" (%zu inactive member%s active again)", a.reactivated,
                   a.reactivated == 1 ? "" : "s");
        if (a.already)
            printf("; %zu recorded before", a.already);
        if (a.others)
            printf("; %zu from other chapters (recorded, status unchanged)", a.others);
        putchar('\n');
    }
    return CLI_EXIT_OK;
}

/* --- event show ------------------------------------------------------------------ */

typedef struct show_ctx {
    store *s;
    store_txn *txn;
    cJSON *arr;
    cli_table *t;
} show_ctx;

static int show_attendee(const char *number, uint32_t day, void *ctx)
{
    show_ctx *x = ctx;
    Sadasya__MemberView *m = NULL;
    Sadasya__Personal *p = NULL;
    if (view_member_get(x->s, x->txn, number, &m, NULL) == SD_OK)
        p = cli_org_personal(x->s, x->txn, m);
    char d[DAY_STR_LEN];
    day_format(day, d);
    if (x->arr) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "number", number);
        if (p)
            cJSON_AddStringToObject(j, "name", p->name);
        else
            cJSON_AddNullToObject(j, "name");
        if (m)
            cJSON_AddStringToObject(j, "status", view_status_name(m->status));
        cJSON_AddStringToObject(j, "date", d);
        cJSON_AddItemToArray(x->arr, j);
    } else {
        const char *cells[] = { number, p ? p->name : "(not held)",
                                m ? view_status_name(m->status) : "" };
        cli_table_add(x->t, cells);
    }
    if (p)
        sadasya__personal__free_unpacked(p, NULL);
    if (m)
        sadasya__member_view__free_unpacked(m, NULL);
    return 0;
}

static int event_show(cli *c, int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--help")) {
        fputs(event_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (argc != 2)
        return cli_usagef("event", "event show needs one event id");
    char id[ORG_ID_MAX];
    if (event_id(argv[1], id))
        return CLI_EXIT_FAIL;
    store *s;
    store_txn *txn;
    sd_err err;
    if (cli_read(c, &s, &txn, &err))
        return CLI_EXIT_FAIL;
    Sadasya__EventView *ev = NULL;
    int rc = org_event_get(s, txn, id, &ev, &err);
    static const char *const heads[] = { "NUMBER", "NAME", "STATUS" };
    show_ctx x = { s, txn, c->json ? cJSON_CreateArray() : NULL,
                   c->json ? NULL : cli_table_new(3, heads) };
    if (!rc)
        rc = org_attendance_each(s, txn, id, show_attendee, &x, &err);
    cli_read_end(&s, &txn);
    if (!rc) {
        if (c->json) {
            cJSON *j = event_json(ev);
            cJSON_AddItemToObject(j, "attendee_list", x.arr);
            x.arr = NULL;
            cli_json_print(j);
        } else {
            const Sadasya__EventHeld *e = ev->event;
            char d[DAY_STR_LEN];
            day_format(e->day, d);
            char s1[CLI_SAFE_MAX], s2[CLI_SAFE_MAX], s3[CLI_SAFE_MAX], s4[CLI_SAFE_MAX];
            printf("%s  %s  %s, %s (%s)%s%s\n", cli_safe(e->event_id, s1, sizeof s1), d,
                   cli_safe(e->title, s2, sizeof s2), cli_safe(e->kind, s3, sizeof s3),
                   e->online ? "online" : "offline", e->place[0] ? ", " : "",
                   cli_safe(e->place, s4, sizeof s4));
            printf("%llu attendee%s\n", (unsigned long long)ev->attendees,
                   ev->attendees == 1 ? "" : "s");
            if (ev->attendees)
                cli_table_print(x.t, stdout);
        }
    }
    cJSON_Delete(x.arr);
    cli_table_destroy(&x.t);
    if (ev)
        sadasya__event_view__free_unpacked(ev, NULL);
    if (rc == SD_ENOTFOUND)
        return cli_errorf("no event %s on this node (see sadasya events)", id);
    return rc ? cli_error(&err) : CLI_EXIT_OK;
}

int cmd_event(cli *c, int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(event_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "create"))
        return event_create(c, argc - 1, argv + 1);
    if (!strcmp(argv[1], "attend"))
        return event_attend(c, argc - 1, argv + 1);
    if (!strcmp(argv[1], "show"))
        return event_show(c, argc - 1, argv + 1);
    return cli_usagef("event", "unknown event command \"%s\" (create, attend or show)",
                      argv[1]);
}

/* --- events -------------------------------------------------------------------------- */

typedef struct list_ctx {
    const char *state;
    uint32_t from, to;
    Sadasya__EventView **v;
    size_t n, cap;
} list_ctx;

static int collect(const Sadasya__EventView *ev, void *ctx)
{
    list_ctx *l = ctx;
    if ((l->state && strcmp(l->state, ev->state)) || ev->event->day < l->from ||
        ev->event->day > l->to)
        return 0;
    return cli_org_collect(&l->v, &l->cap, &l->n, &ev->base);
}

/* Oldest first; within a day by state, then in the order they were made. */
static int ev_cmp(const void *x, const void *y)
{
    const Sadasya__EventView *a = *(Sadasya__EventView *const *)x;
    const Sadasya__EventView *b = *(Sadasya__EventView *const *)y;
    if (a->event->day != b->event->day)
        return a->event->day < b->event->day ? -1 : 1;
    int c = strcmp(a->state, b->state);
    if (c)
        return c;
    const char *ea = strrchr(a->event->event_id, 'E'), *eb = strrchr(b->event->event_id, 'E');
    unsigned long long sa = ea ? strtoull(ea + 1, NULL, 10) : 0;
    unsigned long long sb = eb ? strtoull(eb + 1, NULL, 10) : 0;
    return (sa > sb) - (sa < sb);
}

int cmd_events(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "state", required_argument, 0, 's' }, { "from", required_argument, 0, 'f' },
        { "to", required_argument, 0, 't' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    list_ctx l;
    memset(&l, 0, sizeof l);
    l.to = UINT32_MAX;
    const char *from = NULL, *to = NULL;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's': l.state = optarg; break;
        case 'f': from = optarg; break;
        case 't': to = optarg; break;
        case 'h': fputs(events_usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("events", argv);
        }
    }
    if (cli_opt_rest("events", argc, argv))
        return CLI_EXIT_USAGE;
    if (cli_state_arg(l.state))
        return CLI_EXIT_FAIL;
    if ((from && cli_org_day("--from", from, &l.from)) ||
        (to && cli_org_day("--to", to, &l.to)))
        return CLI_EXIT_FAIL;
    if (l.from > l.to)
        return cli_errorf("--from is after --to");
    store *s;
    store_txn *txn;
    sd_err err;
    if (cli_read(c, &s, &txn, &err))
        return CLI_EXIT_FAIL;
    int rc = org_events_each(s, txn, collect, &l, &err);
    cli_read_end(&s, &txn);
    if (rc == SD_ENOMEM && !err.msg[0])
        sd_errf(&err, SD_ENOMEM, "out of memory");
    if (!rc && l.n)
        qsort(l.v, l.n, sizeof *l.v, ev_cmp);
    uint64_t total = 0;
    if (!rc && c->json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < l.n; i++) {
            cJSON_AddItemToArray(arr, event_json(l.v[i]));
            total += l.v[i]->attendees;
        }
        cJSON *j = cJSON_CreateObject();
        cJSON_AddItemToObject(j, "events", arr);
        cJSON_AddNumberToObject(j, "attendance", (double)total);
        cli_json_print(j);
    } else if (!rc) {
        static const char *const heads[] = { "EVENT", "DATE", "KIND", "MODE", "TITLE",
                                             "PLACE", "ATTENDEES" };
        cli_table *t = cli_table_new(7, heads);
        for (size_t i = 0; i < l.n; i++) {
            const Sadasya__EventHeld *e = l.v[i]->event;
            char d[DAY_STR_LEN], n[24];
            day_format(e->day, d);
            cli_org_u64(l.v[i]->attendees, n);
            total += l.v[i]->attendees;
            const char *cells[] = { e->event_id, d, e->kind,
                                    e->online ? "online" : "offline", e->title, e->place, n };
            cli_table_add(t, cells);
        }
        if (l.n) {
            cli_table_print(t, stdout);
            printf("%zu event%s, %llu attendance%s\n", l.n, l.n == 1 ? "" : "s",
                   (unsigned long long)total, total == 1 ? "" : "s");
        } else {
            puts("no events");
        }
        cli_table_destroy(&t);
    }
    for (size_t i = 0; i < l.n; i++)
        sadasya__event_view__free_unpacked(l.v[i], NULL);
    free(l.v);
    return rc ? cli_error(&err) : CLI_EXIT_OK;
}
