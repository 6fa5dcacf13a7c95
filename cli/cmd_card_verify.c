/*
 * cmd_card_verify.c — `sadasya card-verify FILE | --payload TEXT`:
 * is this card genuine, and who is its member now (proto/README.md)?
 *
 * Reads the QR code of a PNG or SVG card or a JPEG photo of one (libzbar,
 * node/card_render.c) or takes the payload as
 * read by any QR reader (a phone, `zbarimg --raw`), checks it against this
 * node's roster and view (node/card.c) and prints the member's number,
 * then the member as this node knows it: a card of a member who has since
 * become inactive or resigned is genuine, and its status says so.
 */
#include <getopt.h>
#include <string.h>

#include <sodium.h>

#include "card.h"
#include "card_read.h"
#include "card_render.h"
#include "cmds.h"
#include "day.h"

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] card-verify FILE [--name NAME]\n"
    "       sadasya [--data DIR] [--json] card-verify --payload TEXT [--name NAME]\n"
    "\n"
    "Checks a membership card: reads the QR code of FILE (a PNG or SVG card,\n"
    "or a JPEG photo of one), or takes its text (e.g. from `zbarimg --raw` or\n"
    "a phone), checks the signature,\n"
    "that the signer is the national office or the roster's active key for\n"
    "the member's state, and that the member is in this node's view with the\n"
    "same state and joining date. Prints the member's number, then the\n"
    "member as this node knows it, status included, and exits 0; or says why\n"
    "the card is not genuine and exits 1. --name also checks a name read off\n"
    "the card against the name the credential was signed for.\n";

static void line(const char *k, const char *v)
{
    char safe[CLI_SAFE_MAX];
    if (v && *v)
        printf("%-10s %s\n", k, cli_safe(v, safe, sizeof safe));
}

static void print_text(const card_check *r, const char *name_mismatch)
{
    const Sadasya__MemberView *m = r->member;
    const Sadasya__Personal *p = r->personal;
    char hex[KEYS_HEX_LEN + 1], day[DAY_STR_LEN], buf[1024];
    keys_public_hex(r->claim.key, hex);
    puts(r->claim.number);
    snprintf(buf, sizeof buf, "genuine, signed by %s",
             r->signer == CARD_SIGNER_NATIONAL ? "the national office"
                                               : "the chapter's roster key");
    line("card", buf);
    if (!p && m->erased_day) {
        day_format(m->erased_day, day);
        snprintf(buf, sizeof buf, "(erased on request on %s)", day);
        line("name", buf);
    } else if (!p)
        line("name", "(personal data not held on this node)");
    else if (r->name_matches)
        line("name", p->name);
    else {
        snprintf(buf, sizeof buf, "%s (the card was issued for another name: "
                 "the record has changed since)", p->name);
        line("name", buf);
    }
    if (p)
        line("name (en)", p->name_en);
    if (name_mismatch)
        line("note", name_mismatch);
    line("state", m->state);
    if (m->status_reason && *m->status_reason) {
        snprintf(buf, sizeof buf, "%s (%s)", view_status_name(m->status),
                 m->status_reason);
        line("status", buf);
    } else {
        line("status", view_status_name(m->status));
    }
    day_format(m->joined_day, day);
    line("joined", day);
    day_format(r->claim.issued_day, day);
    line("issued", day);
    line("signer", hex);
}

static cJSON *verdict_json(const card_check *r, int genuine, const char *reason)
{
    cJSON *o = cJSON_CreateObject();
    char hex[KEYS_HEX_LEN + 1], day[DAY_STR_LEN];
    cJSON_AddBoolToObject(o, "genuine", genuine);
    if (reason)
        cJSON_AddStringToObject(o, "reason", reason);
    else
        cJSON_AddNullToObject(o, "reason");
    if (r->claim.number[0]) {
        cJSON_AddStringToObject(o, "number", r->claim.number);
        keys_public_hex(r->claim.key, hex);
        cJSON_AddStringToObject(o, "signer_key", hex);
        day_format(r->claim.issued_day, day);
        cJSON_AddStringToObject(o, "issued", day);
    } else {
        cJSON_AddNullToObject(o, "number");
    }
    cJSON_AddStringToObject(o, "signer",
                            r->signer == CARD_SIGNER_NATIONAL ? "national"
                            : r->signer == CARD_SIGNER_CHAPTER ? "chapter"
                                                               : "unknown");
    if (r->member) {
        cJSON_AddItemToObject(o, "member", cli_member_json(r->member, r->personal));
        if (r->name_matches >= 0)
            cJSON_AddBoolToObject(o, "name_matches", r->name_matches);
        else
            cJSON_AddNullToObject(o, "name_matches");
    }
    return o;
}

int cmd_card_verify(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "payload", required_argument, 0, 'p' }, { "name", required_argument, 0, 'n' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *payload = NULL, *name = NULL;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'p': payload = optarg; break;
        case 'n': name = optarg; break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default:
            return cli_usagef("card-verify", "unknown or incomplete option %s",
                              argv[optind - 1]);
        }
    }
    const char *file = optind < argc ? argv[optind] : NULL;
    if ((file != NULL) == (payload != NULL) || optind + (file ? 1 : 0) != argc)
        return cli_usagef("card-verify", "give one FILE (PNG, JPEG or SVG) or --payload TEXT");

    sd_err err;
    sd_err_clear(&err);
    char text[CARD_PAYLOAD_MAX * 2];
    if (file) {
        if (card_qr_read(file, text, sizeof text, &err))
            return cli_error(&err);
        payload = text;
    }
    const char *what = file ? file : "the payload";

    store *s;
    if (cli_open(c, STORE_RDONLY, &s))
        return CLI_EXIT_FAIL;
    store_txn *txn;
    card_check r;
    memset(&r, 0, sizeof r);
    int rc = store_begin(s, 0, &txn, &err);
    if (!rc) {
        rc = card_check_payload(s, txn, payload, &r, &err);
        store_end(txn);
    }
    store_destroy(&s);

    /* A name read off the card must be the one the credential signs. */
    char name_note[256];
    const char *note = NULL;
    if (!rc && name) {
        uint8_t h[CARD_NAME_HASH_BYTES];
        card_name_hash(name, h);
        if (sodium_memcmp(h, r.claim.name_hash, sizeof h))
            rc = sd_errf(&err, SD_EAUTH,
                         "the name \"%s\" is not the name this card was issued for",
                         name);
        else {
            snprintf(name_note, sizeof name_note,
                     "the name given (--name) is the one the card was issued for");
            note = name_note;
        }
    }
    int store_failure = rc && (rc == SD_EIO || rc == SD_ECORRUPT || rc == SD_ENOMEM);
    if (c->json && !store_failure)
        cli_json_print(verdict_json(&r, rc == SD_OK, rc ? err.msg : NULL));
    if (rc) {
        card_check_clear(&r);
        if (store_failure)
            return cli_error(&err);
        if (r.claim.number[0])
            return cli_errorf("%s: the card of %s is not genuine: %s", what,
                              r.claim.number, err.msg);
        return cli_errorf("%s: not a genuine card: %s", what, err.msg);
    }
    if (!c->json)
        print_text(&r, note);
    card_check_clear(&r);
    return CLI_EXIT_OK;
}
