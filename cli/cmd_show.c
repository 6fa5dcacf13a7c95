/*
 * cmd_show.c — `sadasya show NUMBER`: one member, from the merged view.
 */
#include <string.h>

#include "cmds.h"
#include "day.h"

static void line(const char *k, const char *v)
{
    char safe[CLI_SAFE_MAX];
    if (v && *v)
        printf("%-13s %s\n", k, cli_safe(v, safe, sizeof safe));
}

int cmd_show(cli *c, int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--help")) {
        puts("usage: sadasya [--data DIR] [--json] show NUMBER\n\n"
             "One member. NUMBER in any case, with or without hyphens.");
        return CLI_EXIT_OK;
    }
    if (argc != 2)
        return cli_usagef("show", "give one membership number");
    char number[16];
    if (cli_number(argv[1], number))
        return CLI_EXIT_FAIL;
    store *s;
    store_txn *txn;
    sd_err err;
    int rc = cli_read(c, &s, &txn, &err);
    if (rc)
        return rc;
    Sadasya__MemberView *m = NULL;
    Sadasya__Personal *p = NULL;
    rc = view_member_get(s, txn, number, &m, &err);
    if (!rc) {
        int prc = view_personal_get(s, txn, m, &p, &err);
        if (prc && prc != SD_ENOTFOUND)
            rc = prc;
    }
    cli_read_end(&s, &txn);
    if (rc) {
        if (m)
            sadasya__member_view__free_unpacked(m, NULL);
        return cli_error(&err);
    }
    char erased[DAY_STR_LEN] = "";
    if (m->erased_day)
        day_format(m->erased_day, erased);
    if (c->json) {
        cJSON *j = cli_member_json(m, p);
        if (erased[0]) {
            cJSON_AddStringToObject(j, "erased", erased);
            cJSON_AddStringToObject(j, "erased_reason", m->erased_reason);
        }
        cli_json_print(j);
    } else {
        char day[DAY_STR_LEN], last[DAY_STR_LEN], fee[32], hex[65] = "", seq[32];
        day_format(m->joined_day, day);
        day_format(view_last_activity(m), last);
        cli_rupees(m->fee_paise, fee);
        if (m->origin.len == 32)
            cli_hex32(m->origin.data, hex);
        snprintf(seq, sizeof seq, "%llu", (unsigned long long)m->seq);
        line("number", m->number);
        char reason[CLI_SAFE_MAX];
        if (erased[0])
            printf("%-13s erased on request on %s (%s)\n", "personal data", erased,
                   cli_safe(m->erased_reason, reason, sizeof reason));
        else
            line("name", p ? p->name : "(personal data not held on this node)");
        if (p) {
            line("name (en)", p->name_en);
            line("guardian", p->guardian);
            if (p->birth_year)
                printf("%-13s %u\n", "birth year", p->birth_year);
            line("phone", p->phone);
            line("email", p->email);
            line("address", p->address);
        }
        line("gender", view_gender_name(m->gender));
        line("state", m->state);
        line("district", m->district);
        if (m->area)
            line("area", view_area_name(m->area));
        line("occupation", m->occupation);
        for (size_t i = 0; i < m->n_interests; i++)
            line(i ? "" : "interests", m->interests[i]);
        line("status", view_status_name(m->status));
        line("reason", m->status_reason);
        line("joined", day);
        printf("%-13s Rs %s\n", "fee", fee);
        line("payment ref", m->payment_ref);
        line("referred by", m->referred_by);
        line("last activity", last);
        line("origin", hex);
        line("seq", seq);
    }
    if (p)
        sadasya__personal__free_unpacked(p, NULL);
    sadasya__member_view__free_unpacked(m, NULL);
    return CLI_EXIT_OK;
}
