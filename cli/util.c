/*
 * util.c — the shared pieces of the CLI declared in cli.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "audience.h"
#include "day.h"
#include "number.h"
#include "text.h"

/* Prints "sadasya: error: " and the message, escaped as text_display does:
 * a message may quote what a user typed or a peer sent. */
static void error_line(const char *msg, const char *cmd)
{
    char safe[SD_ERR_MSG_MAX * 4];
    fprintf(stderr, "sadasya: error: %s", cli_safe(msg, safe, sizeof safe));
    if (cmd)
        fprintf(stderr, " (see sadasya %s%s--help)", cmd, *cmd ? " " : "");
    fputc('\n', stderr);
}

int cli_error(const sd_err *err)
{
    error_line(err && err->msg[0] ? err->msg : "unknown failure", NULL);
    return CLI_EXIT_FAIL;
}

int cli_errorf(const char *fmt, ...)
{
    char msg[SD_ERR_MSG_MAX * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    error_line(msg, NULL);
    return CLI_EXIT_FAIL;
}

int cli_usagef(const char *cmd, const char *fmt, ...)
{
    char msg[SD_ERR_MSG_MAX * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    error_line(msg, cmd ? cmd : "");
    return CLI_EXIT_USAGE;
}

const char *cli_safe(const char *s, char *buf, size_t cap)
{
    if (!s)
        return "";
    if (text_check(s, strlen(s), 0) == TEXT_OK)
        return s;
    text_display(s, buf, cap, 0);
    return buf;
}

void cli_put_text(FILE *f, const char *s, int lines)
{
    if (!s)
        return;
    int flags = lines ? TEXT_LINES : 0;
    if (text_check(s, strlen(s), flags) == TEXT_OK) {
        fputs(s, f);
        return;
    }
    size_t n = text_display(s, NULL, 0, flags) + 1;
    char *buf = malloc(n);
    if (!buf)
        return;
    text_display(s, buf, n, flags);
    fputs(buf, f);
    free(buf);
}

int cli_open(cli *c, int flags, store **out)
{
    sd_err err;
    sd_err_clear(&err);
    if (c->override_fence)
        flags |= STORE_OVERRIDE_FENCE;
    if (store_open(out, c->data_dir, flags, &err))
        return cli_error(&err);
    return SD_OK;
}

void cli_json_print(cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
    cJSON_Delete(j);
}

void cli_hex32(const unsigned char *b, char out[65])
{
    sodium_bin2hex(out, 65, b, 32);
}

int cli_number(const char *in, char canon[16])
{
    sd_err err;
    sd_err_clear(&err);
    if (number_parse(in, canon, NULL, NULL, &err))
        return cli_error(&err);
    return SD_OK;
}

int cli_opt_bad(const char *cmd, char **argv)
{
    return cli_usagef(cmd, "unknown or incomplete option %s", argv[optind - 1]);
}

int cli_opt_rest(const char *cmd, int argc, char **argv)
{
    if (optind < argc)
        return cli_usagef(cmd, "unexpected argument %s", argv[optind]);
    return 0;
}

int cli_state_arg(const char *state)
{
    if (state && !number_state_valid(state))
        return cli_errorf("state code \"%s\" is not 2-3 capital letters", state);
    return 0;
}

void cli_counter_json(cJSON *o, const counter_row *r)
{
    cJSON_AddNumberToObject(o, "members", (double)r->members);
    cJSON_AddNumberToObject(o, "active", (double)r->active);
    cJSON_AddNumberToObject(o, "inactive", (double)r->inactive);
    cJSON_AddNumberToObject(o, "resigned", (double)r->resigned);
    cJSON_AddNumberToObject(o, "deceased", (double)r->deceased);
    cJSON_AddNumberToObject(o, "fee_paise", (double)r->fee_paise);
}

int cli_list_state(store *s, store_txn *txn, const char *given, int all_states,
                   char buf[STORE_STATE_BYTES], const char **out, sd_err *err)
{
    *out = given;
    if (given || all_states)
        return SD_OK;
    audience own;
    int rc = audience_of_node(s, txn, &own, err);
    if (rc)
        return rc;
    if (!own.all) {
        snprintf(buf, STORE_STATE_BYTES, "%s", own.state);
        *out = buf;
    }
    return SD_OK;
}

void cli_list_print(const char *key, cJSON *arr, cli_table **t, size_t n,
                    const char *none)
{
    if (arr) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddItemToObject(j, key, arr);
        cli_json_print(j);
    } else if (n) {
        cli_table_print(*t, stdout);
    } else {
        puts(none);
    }
    cli_table_destroy(t);
}

void cli_rupees(unsigned long long paise, char out[32])
{
    snprintf(out, 32, "%llu.%02llu", paise / 100, paise % 100);
}

/* --- tables ------------------------------------------------------------ */

struct cli_table {
    int ncols;
    char **cells; /* rows × ncols, row 0 the headers */
    size_t nrows, cap;
};

cli_table *cli_table_new(int ncols, const char *const *headers)
{
    cli_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ncols = ncols;
    cli_table_add(t, headers);
    return t;
}

void cli_table_add(cli_table *t, const char *const *cells)
{
    if (!t)
        return;
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **nc = realloc(t->cells, cap * (size_t)t->ncols * sizeof *nc);
        if (!nc)
            return;
        t->cells = nc;
        t->cap = cap;
    }
    for (int i = 0; i < t->ncols; i++) {
        /* Cells are shown as text_display escapes them: a district holding
         * a terminal escape or a line break cannot repaint or split a row. */
        const char *c = cells[i] ? cells[i] : "";
        size_t n = text_display(c, NULL, 0, 0) + 1;
        char *copy = malloc(n);
        if (copy)
            text_display(c, copy, n, 0);
        t->cells[t->nrows * (size_t)t->ncols + (size_t)i] = copy ? copy : strdup("");
    }
    t->nrows++;
}

void cli_table_print(cli_table *t, FILE *f)
{
    if (!t)
        return;
    int *w = calloc((size_t)t->ncols, sizeof *w);
    if (!w)
        return;
    for (size_t r = 0; r < t->nrows; r++)
        for (int i = 0; i < t->ncols; i++) {
            int cw = text_width(t->cells[r * (size_t)t->ncols + (size_t)i]);
            if (cw > w[i])
                w[i] = cw;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (int i = 0; i < t->ncols; i++) {
            const char *s = t->cells[r * (size_t)t->ncols + (size_t)i];
            fputs(s, f);
            if (i + 1 < t->ncols) {
                /* Pad by display columns, not bytes. */
                for (int p = text_width(s); p < w[i] + 2; p++)
                    fputc(' ', f);
            }
        }
        fputc('\n', f);
    }
    free(w);
}

void cli_table_destroy(cli_table **t)
{
    if (!t || !*t)
        return;
    for (size_t i = 0; i < (*t)->nrows * (size_t)(*t)->ncols; i++)
        free((*t)->cells[i]);
    free((*t)->cells);
    free(*t);
    *t = NULL;
}

/* --- members ----------------------------------------------------------- */

static void add_str(cJSON *o, const char *k, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

cJSON *cli_member_json(const Sadasya__MemberView *m, const Sadasya__Personal *p)
{
    cJSON *o = cJSON_CreateObject();
    char day[DAY_STR_LEN], hex[65];
    add_str(o, "number", m->number);
    add_str(o, "state", m->state);
    add_str(o, "name", p ? p->name : NULL);
    add_str(o, "name_en", p && p->name_en[0] ? p->name_en : NULL);
    add_str(o, "gender", view_gender_name(m->gender));
    add_str(o, "phone", p ? p->phone : NULL);
    add_str(o, "email", p && p->email[0] ? p->email : NULL);
    add_str(o, "guardian", p && p->guardian[0] ? p->guardian : NULL);
    if (p && p->birth_year)
        cJSON_AddNumberToObject(o, "birth_year", p->birth_year);
    else
        cJSON_AddNullToObject(o, "birth_year");
    add_str(o, "address", p && p->address[0] ? p->address : NULL);
    add_str(o, "district", m->district);
    add_str(o, "area", m->area ? view_area_name(m->area) : NULL);
    add_str(o, "status", view_status_name(m->status));
    add_str(o, "status_reason", m->status_reason[0] ? m->status_reason : NULL);
    day_format(m->joined_day, day);
    add_str(o, "joined", day);
    cJSON_AddNumberToObject(o, "fee_paise", (double)m->fee_paise);
    add_str(o, "payment_ref", m->payment_ref[0] ? m->payment_ref : NULL);
    add_str(o, "referred_by", m->referred_by[0] ? m->referred_by : NULL);
    add_str(o, "occupation", m->occupation[0] ? m->occupation : NULL);
    cJSON *ints = cJSON_AddArrayToObject(o, "interests");
    for (size_t i = 0; i < m->n_interests; i++)
        cJSON_AddItemToArray(ints, cJSON_CreateString(m->interests[i]));
    if (m->origin.len == 32) {
        cli_hex32(m->origin.data, hex);
        add_str(o, "origin", hex);
    }
    cJSON_AddNumberToObject(o, "seq", (double)m->seq);
    cJSON_AddNumberToObject(o, "last_seq", (double)m->last_seq);
    day_format(view_last_activity(m), day);
    add_str(o, "last_activity", day);
    cJSON_AddBoolToObject(o, "personal_held", p != NULL);
    return o;
}

/* --- listing members ---------------------------------------------------- */

static const char *const list_heads[] = { "NUMBER", "NAME", "GENDER", "PHONE",
                                          "DISTRICT", "STATUS", "JOINED" };

void cli_lister_init(cli_lister *l, cli *c, store *s, store_txn *txn)
{
    memset(l, 0, sizeof *l);
    l->c = c;
    l->s = s;
    l->txn = txn;
    if (!c->json)
        l->t = cli_table_new(7, list_heads);
}

int cli_lister_add(cli_lister *l, const Sadasya__MemberView *m)
{
    if (l->limit && l->n >= l->limit)
        return 1;
    if ((l->state && strcmp(l->state, m->state)) ||
        (l->district && strcasecmp(l->district, m->district)) ||
        (l->status > 0 && l->status != (int)m->status) ||
        (l->gender > 0 && l->gender != (int)m->gender))
        return 0;
    Sadasya__Personal *p = NULL;
    view_personal_get(l->s, l->txn, m, &p, NULL);
    if (l->c->json) {
        cli_json_print(cli_member_json(m, p));
    } else {
        char day[DAY_STR_LEN];
        day_format(m->joined_day, day);
        const char *cells[] = { m->number, p ? p->name : "(not held)",
                                view_gender_name(m->gender), p ? p->phone : "",
                                m->district, view_status_name(m->status), day };
        cli_table_add(l->t, cells);
    }
    if (p)
        sadasya__personal__free_unpacked(p, NULL);
    l->n++;
    return l->limit && l->n >= l->limit;
}

int cli_lister_add_view(const Sadasya__MemberView *m, void *ctx)
{
    return cli_lister_add(ctx, m);
}

int cli_lister_add_number(const char *number, void *ctx)
{
    cli_lister *l = ctx;
    Sadasya__MemberView *m = NULL;
    if (view_member_get(l->s, l->txn, number, &m, NULL))
        return 0; /* an index entry without its member: verify reports it */
    int rc = cli_lister_add(l, m);
    sadasya__member_view__free_unpacked(m, NULL);
    return rc;
}

int cli_read(cli *c, store **s, store_txn **txn, sd_err *err)
{
    *txn = NULL;
    sd_err_clear(err);
    if (cli_open(c, STORE_RDONLY, s))
        return CLI_EXIT_FAIL;
    if (store_begin(*s, 0, txn, err)) {
        store_destroy(s);
        return cli_error(err);
    }
    sd_err_clear(err);
    return SD_OK;
}

void cli_read_end(store **s, store_txn **txn)
{
    if (*txn)
        store_end(*txn);
    *txn = NULL;
    store_destroy(s);
}

int cli_limit_arg(const char *cmd, const char *arg, size_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (!*arg || *end || v <= 0 || errno)
        return cli_usagef(cmd, "--limit needs a positive number, not \"%s\"", arg);
    *out = (size_t)v;
    return SD_OK;
}

int cli_lister_open(cli_lister *l, cli *c, const char *given, int all_states)
{
    store *s;
    store_txn *txn;
    sd_err err;
    int rc = cli_read(c, &s, &txn, &err);
    if (rc)
        return rc;
    cli_lister_init(l, c, s, txn);
    if (cli_list_state(s, txn, given, all_states, l->own, &l->state, &err)) {
        cli_table_destroy(&l->t);
        cli_read_end(&s, &txn);
        return cli_error(&err);
    }
    return SD_OK;
}

int cli_lister_close(cli_lister *l, int rc, sd_err *err)
{
    if (rc > 0)
        rc = SD_OK; /* the limit stopped the walk */
    if (!rc)
        cli_lister_finish(l);
    else
        cli_table_destroy(&l->t);
    cli_read_end(&l->s, &l->txn);
    return rc ? cli_error(err) : CLI_EXIT_OK;
}

void cli_lister_finish(cli_lister *l)
{
    if (l->t) {
        if (l->n)
            cli_table_print(l->t, stdout);
        else
            fputs("no members\n", stdout);
        cli_table_destroy(&l->t);
    }
}
