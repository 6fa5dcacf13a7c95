/*
 * org_cli.h — what the commands for the organisation's work (officer,
 * event, inactive, campaign, honour, notice, enterprise/directory, erase,
 * rules) share: signing entries of this node's log under its writer lock,
 * finding members, and checking the words and dates users type.
 *
 * Every helper that returns an int returns SD_OK or, having printed the
 * one-line error, a non-zero CLI exit code; callers pass it on.
 */
#ifndef SADASYA_ORG_CLI_H
#define SADASYA_ORG_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "rules.h"
#include "writer.h"

/* The limits every entry meets (rules.h). */
#define CLI_ORG_TAG_MAX RULES_TAG_MAX    /* bytes of a role, cell or event kind */
#define CLI_ORG_TEXT_MAX RULES_TEXT_MAX  /* bytes of a title, name, reason, place… */
#define CLI_ORG_BODY_MAX RULES_BODY_MAX  /* bytes of a notice's body */

/* One write: the store, this node's writer (its lock held), a read
 * transaction on the store as it is under that lock, and the entries
 * signed so far (committed together, all or none). */
typedef struct cli_org_tx {
    store *s;
    writer *w;
    store_txn *txn;
    entry_signed *items;
    size_t n, cap;
} cli_org_tx;

/* Signs e (its body set by the caller) as the next entry of this node's
 * log and keeps it for the commit. SD code, message in err. */
int cli_org_sign(cli_org_tx *t, Sadasya__Entry *e, sd_err *err);

/* The same, attaching the sealed Personal blob personal (plen bytes,
 * copied; NULL and 0 for none) that e's body commits to. */
int cli_org_sign_personal(cli_org_tx *t, Sadasya__Entry *e,
                          const uint8_t *personal, size_t plen, sd_err *err);

/* Keeps an entry signed by t->w elsewhere (member_build) for the commit:
 * t takes what *es owns and zeroes it. On SD_ENOMEM *es is cleared. */
int cli_org_keep(cli_org_tx *t, entry_signed *es, sd_err *err);

/* Opens the store and the writer, calls fn (which checks what it needs in
 * t->txn and signs entries with cli_org_sign), then commits what fn signed
 * through the one write path. fn returns an SD code with err set; nothing
 * is written unless it returns SD_OK. Returns CLI_EXIT_OK or the printed
 * error's exit code. */
int cli_org_write(cli *c, int (*fn)(cli_org_tx *t, void *ctx, sd_err *err),
                  void *ctx);


/* The member with the canonical number, or SD_ENOTFOUND with a message
 * that says the number may not have reached this node yet. */
int cli_org_member(store *s, store_txn *txn, const char *number,
                   Sadasya__MemberView **out, sd_err *err);

/* SD_OK when m was registered by w's node; else SD_EAUTH with "only
 * <state>'s node can <doing>". */
int cli_org_own(const writer *w, const Sadasya__MemberView *m,
                const char *doing, sd_err *err);

/* A tag typed by a user (role, cell, event kind): lower-cased, spaces and
 * underscores made hyphens; then it must be letters a-z, digits and single
 * hyphens, at most CLI_ORG_TAG_MAX bytes. what names it in the error. */
int cli_org_tag(const char *cmd, const char *what, const char *in,
                char out[CLI_ORG_TAG_MAX + 1]);

/* Free text, by rules_text: valid UTF-8 without control characters
 * (newlines and tabs allowed when multiline) or bidi overrides, not blank
 * when required (a usage error), at most max bytes. */
int cli_org_text(const char *cmd, const char *what, const char *in,
                 size_t max, int required, int multiline);

/* A date YYYY-MM-DD given to flag; NULL in gives today. */
int cli_org_day(const char *flag, const char *in, uint32_t *day);

/* The same, for a date an entry will carry: refused, as every node would
 * refuse it (rules_day), before 2000-01-01 or after tomorrow; with ahead,
 * up to RULES_TERM_AHEAD_DAYS later (officers' terms set ahead). */
int cli_org_entry_day(const char *flag, const char *in, int ahead,
                      uint32_t *day);

/* The member's Personal data when held here (NULL otherwise; the caller
 * frees it with sadasya__personal__free_unpacked). */
Sadasya__Personal *cli_org_personal(store *s, store_txn *txn,
                                    const Sadasya__MemberView *m);

/* Adds "name" and "phone" to a listing's JSON object j: p's, or null
 * when p is NULL (not held here, or not to be shown). */
void cli_org_contact_json(cJSON *j, const Sadasya__Personal *p);

/* A member and its Personal data as listings show them: name is the
 * member's name, or "(erased)", "(not held)" (personal data not on this
 * node) or "(not on this node)" (no such member here); never NULL. */
typedef struct cli_person {
    Sadasya__MemberView *m;   /* NULL when no such member here */
    Sadasya__Personal *p;     /* NULL when its personal data is not held */
    const char *name;
} cli_person;

void cli_org_person(store *s, store_txn *txn, const char *number, cli_person *out);
/* Adds "name": the name, or null, to a JSON object. */
void cli_org_person_json(cJSON *o, const cli_person *x);
void cli_org_person_free(cli_person *x);

/* A deep copy of a protobuf-c message (readers' rows are freed after each
 * callback); NULL when out of memory. Free it with
 * protobuf_c_message_free_unpacked(copy, NULL). */
void *cli_org_dup(const ProtobufCMessage *m);

/* Keeps a deep copy of m (cli_org_dup) as element *n of the pointer
 * array *arr (*cap allocated), for readers' callbacks that gather rows to
 * sort. 0, or SD_ENOMEM. */
int cli_org_collect(void *arr, size_t *cap, size_t *n, const ProtobufCMessage *m);

/* Makes room for one more element of size elem in *arr (n held, *cap
 * allocated), doubling. 0, or SD_ENOMEM. */
int cli_org_grow(void **arr, size_t *cap, size_t n, size_t elem);

/* A counter value as text, for tables. */
void cli_org_u64(uint64_t v, char out[24]);

#endif
