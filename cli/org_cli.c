/*
 * org_cli.c — the shared pieces of the organisation's commands. See
 * org_cli.h.
 */
#include "org_cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "day.h"
#include "text.h"

/* Room for one more signed entry in t. */
static int org_room(cli_org_tx *t, sd_err *err)
{
    if (t->n < t->cap)
        return SD_OK;
    size_t cap = t->cap ? t->cap * 2 : 4;
    entry_signed *ni = realloc(t->items, cap * sizeof *ni);
    if (!ni)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    t->items = ni;
    t->cap = cap;
    return SD_OK;
}

int cli_org_sign_personal(cli_org_tx *t, Sadasya__Entry *e,
                          const uint8_t *personal, size_t plen, sd_err *err)
{
    int rc = org_room(t, err);
    if (!rc)
        rc = writer_sign(t->w, e, personal, plen, &t->items[t->n], err);
    if (!rc)
        t->n++;
    return rc;
}

int cli_org_sign(cli_org_tx *t, Sadasya__Entry *e, sd_err *err)
{
    return cli_org_sign_personal(t, e, NULL, 0, err);
}

int cli_org_keep(cli_org_tx *t, entry_signed *es, sd_err *err)
{
    int rc = org_room(t, err);
    if (rc) {
        entry_signed_clear(es);
        return rc;
    }
    t->items[t->n++] = *es;
    memset(es, 0, sizeof *es);
    return SD_OK;
}

int cli_org_write(cli *c, int (*fn)(cli_org_tx *t, void *ctx, sd_err *err),
                  void *ctx)
{
    cli_org_tx t;
    memset(&t, 0, sizeof t);
    if (cli_open(c, 0, &t.s))
        return CLI_EXIT_FAIL;
    sd_err err;
    sd_err_clear(&err);
    int rc = writer_open(&t.w, t.s, &err);
    if (!rc)
        rc = store_begin(t.s, 0, &t.txn, &err);
    if (!rc)
        rc = fn(&t, ctx, &err);
    if (t.txn) {
        store_end(t.txn);
        t.txn = NULL;
    }
    if (!rc && t.n)
        rc = writer_commit(t.w, t.items, t.n, NULL, NULL, &err);
    for (size_t i = 0; i < t.n; i++)
        entry_signed_clear(&t.items[i]);
    free(t.items);
    writer_destroy(&t.w);
    store_destroy(&t.s);
    return rc ? cli_error(&err) : CLI_EXIT_OK;
}

int cli_org_member(store *s, store_txn *txn, const char *number,
                   Sadasya__MemberView **out, sd_err *err)
{
    int rc = view_member_get(s, txn, number, out, err);
    if (rc == SD_ENOTFOUND)
        return sd_errf(err, SD_ENOTFOUND,
                       "no member %s on this node (not registered, or its "
                       "chapter's entries have not reached this node yet)",
                       number);
    return rc;
}

int cli_org_own(const writer *w, const Sadasya__MemberView *m,
                const char *doing, sd_err *err)
{
    /* Its own, or (a later key of the state, node/README.md) any member of
     * this node's state, whichever of the state's keys registered it. */
    if ((m->origin.len == 32 && !memcmp(m->origin.data, w->kp.pk, 32)) ||
        (!w->national && m->state && !strcmp(m->state, w->state)))
        return SD_OK;
    return sd_errf(err, SD_EAUTH, "%s is a member of %s: only %s's node can %s",
                   m->number, m->state, m->state, doing);
}

int cli_org_tag(const char *cmd, const char *what, const char *in,
                char out[CLI_ORG_TAG_MAX + 1])
{
    /* As users type it: any case, spaces or underscores for hyphens. */
    size_t n = 0;
    int prev_hyphen = 1; /* no leading hyphen */
    for (const char *p = in; *p; p++) {
        char ch = *p;
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        else if (ch == ' ' || ch == '_')
            ch = '-';
        if (ch == '-' && prev_hyphen)
            continue;
        if (n == CLI_ORG_TAG_MAX)
            return cli_errorf("%s \"%s\" is longer than %d letters", what, in,
                              CLI_ORG_TAG_MAX);
        out[n++] = ch;
        prev_hyphen = ch == '-';
    }
    while (n && out[n - 1] == '-')
        n--;
    out[n] = '\0';
    if (!n)
        return cli_usagef(cmd, "%s is empty", what);
    /* Then the rule every node holds tags to. */
    if (rules_tag(what, out, 1, NULL))
        return cli_errorf("%s \"%s\": use words of letters a-z and digits "
                          "joined by hyphens (like general-secretary)", what, in);
    return SD_OK;
}

int cli_org_text(const char *cmd, const char *what, const char *in,
                 size_t max, int required, int multiline)
{
    if (required && text_blank(in))
        return cli_usagef(cmd, "%s is empty", what);
    sd_err err;
    sd_err_clear(&err);
    if (rules_text(what, in, max, multiline ? RULES_LINES : 0, &err))
        return cli_error(&err);
    return SD_OK;
}

int cli_org_day(const char *flag, const char *in, uint32_t *day)
{
    if (!in) {
        *day = day_today();
        return SD_OK;
    }
    sd_err err;
    sd_err_clear(&err);
    if (day_parse(in, day, &err))
        return cli_errorf("%s: %s", flag, err.msg);
    return SD_OK;
}

int cli_org_entry_day(const char *flag, const char *in, int ahead,
                      uint32_t *day)
{
    int rc = cli_org_day(flag, in, day);
    if (rc)
        return rc;
    uint32_t latest = rules_latest_day((uint64_t)time(NULL) * 1000) +
                      (ahead ? RULES_TERM_AHEAD_DAYS : 0);
    sd_err err;
    sd_err_clear(&err);
    if (rules_day("date", *day, latest, &err))
        return cli_errorf("%s: %s", flag, err.msg);
    return SD_OK;
}

Sadasya__Personal *cli_org_personal(store *s, store_txn *txn,
                                    const Sadasya__MemberView *m)
{
    Sadasya__Personal *p = NULL;
    if (view_personal_get(s, txn, m, &p, NULL) != SD_OK)
        return NULL;
    return p;
}

void cli_org_contact_json(cJSON *j, const Sadasya__Personal *p)
{
    if (p) {
        cJSON_AddStringToObject(j, "name", p->name);
        cJSON_AddStringToObject(j, "phone", p->phone);
    } else {
        cJSON_AddNullToObject(j, "name");
        cJSON_AddNullToObject(j, "phone");
    }
}

void cli_org_person(store *s, store_txn *txn, const char *number, cli_person *out)
{
    memset(out, 0, sizeof *out);
    if (view_member_get(s, txn, number, &out->m, NULL) == SD_OK)
        out->p = cli_org_personal(s, txn, out->m);
    out->name = out->p ? out->p->name
              : !out->m ? "(not on this node)"
              : out->m->erased_day ? "(erased)" : "(not held)";
}

void cli_org_person_json(cJSON *o, const cli_person *x)
{
    if (x->p)
        cJSON_AddStringToObject(o, "name", x->p->name);
    else
        cJSON_AddNullToObject(o, "name");
}

void cli_org_person_free(cli_person *x)
{
    if (x->p)
        sadasya__personal__free_unpacked(x->p, NULL);
    if (x->m)
        sadasya__member_view__free_unpacked(x->m, NULL);
    memset(x, 0, sizeof *x);
}

void *cli_org_dup(const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return NULL;
    protobuf_c_message_pack(m, buf);
    ProtobufCMessage *copy = protobuf_c_message_unpack(m->descriptor, NULL, n, buf);
    free(buf);
    return copy;
}

void cli_org_u64(uint64_t v, char out[24])
{
    snprintf(out, 24, "%llu", (unsigned long long)v);
}

int cli_org_grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 32;
    void *nv = realloc(*arr, nc * elem);
    if (!nv)
        return SD_ENOMEM;
    *arr = nv;
    *cap = nc;
    return 0;
}

int cli_org_collect(void *arr, size_t *cap, size_t *n, const ProtobufCMessage *m)
{
    void ***v = arr;
    if (cli_org_grow((void **)v, cap, *n, sizeof **v))
        return SD_ENOMEM;
    if (!((*v)[*n] = cli_org_dup(m)))
        return SD_ENOMEM;
    (*n)++;
    return 0;
}
