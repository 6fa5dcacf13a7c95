/*
 * cli.h — what every `sadasya` subcommand shares: the global options, the
 * dispatch table's shape, opening the store, and printing (aligned tables
 * for people, JSON for scripts). Errors reach the user as one line on
 * stderr, "sadasya: error: …", and a non-zero exit.
 */
#ifndef SADASYA_CLI_H
#define SADASYA_CLI_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "err.h"
#include "ident.h"
#include "store.h"
#include "view.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1   /* the command failed (or verify found faults) */
#define CLI_EXIT_USAGE 2  /* bad flags or arguments */

typedef struct cli {
    const char *data_dir;
    int json;
    int override_fence; /* --override-fence: a restored store may write */
} cli;

typedef struct cli_cmd {
    const char *name;
    int (*run)(cli *c, int argc, char **argv); /* argv[0] is the command */
    const char *summary;
} cli_cmd;

/* Prints "sadasya: error: <msg>" to stderr; returns CLI_EXIT_FAIL. */
int cli_error(const sd_err *err);
int cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, for bad usage; adds "(see sadasya COMMAND --help)"; returns 2. */
int cli_usagef(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Printing never passes terminal escapes through. Text read from the
 * store (which peers wrote) or typed by a user is shown as text_display
 * escapes it: control characters as "\x1b", "\n", C1 and bidi controls
 * as "\u202e". cli_table_add and the error printers above do it for
 * every cell and message; printf callers use cli_safe for each argument,
 * cli_put_text for text of any length.
 *
 * cli_safe returns s itself when nothing in it needs escaping, else buf
 * (cap bytes) holding the escaped text, cut between whole characters
 * when it does not fit; NULL s gives "". */
#define CLI_SAFE_MAX 1024
const char *cli_safe(const char *s, char *buf, size_t cap);
/* Writes s escaped to f; with lines, newlines and tabs are kept (a
 * notice's body). */
void cli_put_text(FILE *f, const char *s, int lines);

/* Opens the data dir's store (flags: STORE_RDONLY or 0). Prints the error
 * and returns non-zero on failure. */
int cli_open(cli *c, int flags, store **out);

/* Prints a cJSON value as one compact line on stdout and frees it. */
void cli_json_print(cJSON *j);

/* Lower-case hex of 32 bytes into out[65]. */
void cli_hex32(const unsigned char *b, char out[65]);

/* A table printed with columns aligned by display width (Devanagari
 * names take fewer columns than bytes). */
typedef struct cli_table cli_table;
cli_table *cli_table_new(int ncols, const char *const *headers);
void cli_table_add(cli_table *t, const char *const *cells);
void cli_table_print(cli_table *t, FILE *f);
void cli_table_destroy(cli_table **t);

/* A member as JSON: number, state, name, name_en, gender, phone, district,
 * status, joined, fee_paise, origin, seq, and the rest. p may be NULL
 * (personal data not held here): those fields are then null. */
cJSON *cli_member_json(const Sadasya__MemberView *m, const Sadasya__Personal *p);

/* Opens the store read-only with a read transaction and clears err for
 * what the caller reads next; cli_read_end closes both. */
int cli_read(cli *c, store **s, store_txn **txn, sd_err *err);
void cli_read_end(store **s, store_txn **txn);

/* Prints members one by one: an aligned table for people (printed by
 * cli_lister_finish), JSON Lines with --json (printed as they come).
 * Filters: any of state, district (case-insensitive), status, gender set
 * (>0 / non-NULL) must match; limit 0 means no limit. */
typedef struct cli_lister {
    cli *c;
    store *s;
    store_txn *txn;
    cli_table *t;
    size_t n, limit;
    const char *state, *district;
    int status, gender;
    char own[STORE_STATE_BYTES]; /* the state cli_lister_open chose */
} cli_lister;

void cli_lister_init(cli_lister *l, cli *c, store *s, store_txn *txn);
/* Opens the store read-only with a read transaction and inits l for the
 * state a listing shows (cli_list_state: given, every state, or this
 * chapter's own). Returns SD_OK, or the printed error's exit code. */
int cli_lister_open(cli_lister *l, cli *c, const char *given, int all_states);
/* After a walk that returned rc (err set when rc is an error; rc > 0, a
 * limit reached, is success): prints the listing or the error, ends the
 * transaction and closes the store. Returns the command's exit code. */
int cli_lister_close(cli_lister *l, int rc, sd_err *err);
/* Adds m if it passes the filters; returns 1 once the limit is reached. */
int cli_lister_add(cli_lister *l, const Sadasya__MemberView *m);
/* The same, by number (a view_find_* callback; ctx is the lister). */
int cli_lister_add_number(const char *number, void *ctx);
int cli_lister_add_view(const Sadasya__MemberView *m, void *ctx);
void cli_lister_finish(cli_lister *l);

/* The usage errors every command's getopt loop ends with: an option
 * getopt_long refused (argv[optind - 1]), and (cli_opt_rest) any argument
 * left after the options when the command takes none. Each prints and
 * returns CLI_EXIT_USAGE; cli_opt_rest returns 0 when nothing is left. */
int cli_opt_bad(const char *cmd, char **argv);
int cli_opt_rest(const char *cmd, int argc, char **argv);
/* --limit N: a positive count into *out; else prints the usage error and
 * returns CLI_EXIT_USAGE. */
int cli_limit_arg(const char *cmd, const char *arg, size_t *out);

/* A state code given by the user: 0 when NULL or 2-3 capital letters,
 * else prints the error and returns CLI_EXIT_FAIL. */
int cli_state_arg(const char *state);

/* A counter row's figures into o: members, active, inactive, resigned,
 * deceased, fee_paise (stats and report --json). */
void cli_counter_json(cJSON *o, const counter_row *r);

/* The state a list or calling sheet shows (names and phones belong to the
 * member's own chapter): given (--state CODE) if set, else every state
 * with all_states (--all-states) or on the national node, else this
 * chapter's own state, written into buf. *out is NULL for every state. */
int cli_list_state(store *s, store_txn *txn, const char *given, int all_states,
                   char buf[STORE_STATE_BYTES], const char **out, sd_err *err);

/* Prints a listing: with arr (--json), {"<key>": arr} as one line (arr is
 * taken); else *t when n rows were added, or the line none when there were
 * none. Destroys *t either way. */
void cli_list_print(const char *key, cJSON *arr, cli_table **t, size_t n,
                    const char *none);

/* Parses a membership number given by the user; prints the error. */
int cli_number(const char *in, char canon[16]);

/* Rupees from paise: "11.00". */
void cli_rupees(unsigned long long paise, char out[32]);

#endif
