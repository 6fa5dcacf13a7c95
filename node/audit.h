/*
 * audit.h — the auditor's report of a store, as a struct for whoever shows
 * it (`sadasya audit` writes it as JSON and HTML; a web page may show the
 * same).
 *
 * It runs verify_run (every check of verify.h) and then reads the store,
 * in one read transaction, for the figures an auditor signs off: per
 * origin the head, entries, numbering range and gaps, members by status,
 * fees against ₹11 × members with every exception itemised, erased
 * Personal data; the national log's roster history; equivocation
 * evidence; void entries (retracted beyond a key's cut, joins for numbers
 * already held).
 *
 * The failures cover everything the report shows as wrong: verify's, and
 * the audit's own findings after them, a numbering gap in a key's series
 * (which starts at the key's first serial, node/README.md) and every void
 * entry (a number issued twice, entries retracted). Works on a store
 * opened STORE_RDONLY.
 */
#ifndef SADASYA_AUDIT_H
#define SADASYA_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "ident.h"
#include "number.h"
#include "store.h"
#include "verify.h"
#include "view.h"

#define AUDIT_FEE_STANDARD 1100 /* paise: ₹11 */
#define AUDIT_MAX_GAPS 1000     /* gap ranges listed per origin */
#define AUDIT_GAP_TEXT 64       /* bytes of a gap as text, NUL included */

/* Serials from..to (inclusive) that no member holds. */
typedef struct audit_gap {
    uint64_t from, to;
} audit_gap;

/* A member whose fee is not AUDIT_FEE_STANDARD. */
typedef struct audit_fee_exception {
    char number[NUMBER_MAX_LEN];
    uint64_t fee_paise;
    char *payment_ref; /* owned; "" when none */
} audit_fee_exception;

/* One origin (one key's log) and its figures. */
typedef struct audit_origin {
    uint8_t key[32];
    char state[STORE_STATE_BYTES];
    store_head head;
    int national, listed, flag; /* roster_whois: flag is ROSTER_* */
    uint64_t first_serial;      /* of the key's series (node/README.md) */
    uint64_t entries, members, by_status[5], fee, erased;
    uint64_t first, last, next; /* serials seen; next expected */
    uint64_t ngaps;             /* every gap; the first AUDIT_MAX_GAPS listed */
    audit_gap *gaps;
    size_t n_gaps, cap_gaps;
    audit_fee_exception *exceptions;
    size_t n_exceptions, cap_exceptions;
} audit_origin;

/* An entry held as equivocation evidence (store_evidence_each). */
typedef struct audit_evidence {
    char state[STORE_STATE_BYTES]; /* "?" when unknown */
    uint8_t origin[32];
    uint64_t seq;
    uint8_t hash[32];
} audit_evidence;

/* A void entry (retract.h). */
typedef struct audit_void {
    char state[STORE_STATE_BYTES]; /* "?" when unknown */
    uint8_t origin[32];
    uint64_t seq;
    int reason;                    /* VOIDED_* */
    char number[NUMBER_MAX_LEN];   /* a join's number, or "" */
} audit_void;

/* A member whose personal data was erased on request. */
typedef struct audit_erasure {
    char number[NUMBER_MAX_LEN];
    uint32_t day;  /* days since 1970-01-01 */
    char *reason;  /* owned; "" when none */
} audit_erasure;

/* A list of finding lines, each owned. */
typedef struct audit_lines {
    char **line;
    size_t n, cap;
} audit_lines;

typedef struct audit_report {
    verify_result verify;
    audit_lines failures, warnings;
    /* This node, when its identity is held. */
    int have_node, node_national;
    char node_state[STORE_STATE_BYTES], node_name[IDENT_NAME_MAX];
    uint8_t node_key[32];
    counter_row total;          /* the "total" counter */
    uint64_t fee_exceptions, erased; /* summed over the origins */
    audit_origin *origins;      /* national ones first, then in store order */
    size_t n_origins, cap_origins;
    Sadasya__Entry **roster;    /* the national log's RosterUpdate entries */
    size_t n_roster, cap_roster;
    audit_evidence *evidence;
    size_t n_evidence, cap_evidence;
    audit_void *voided;
    size_t n_voided, cap_voided;
    audit_erasure *erasures;    /* in number order */
    size_t n_erasures, cap_erasures;
} audit_report;

typedef struct audit_opts {
    const char *scratch_dir; /* verify's fold; NULL: $TMPDIR or /tmp */
    int threads;             /* signature threads; 0: all cores */
} audit_opts;

/* Runs verify_run and gathers the report into *out (the caller frees it
 * with audit_report_destroy). SD_OK when the report was made (its
 * failures say whether the store passed); an error, *out NULL, when it
 * could not be (store unreadable, no room for verify's fold, memory). */
int audit_run(store *s, const audit_opts *opts, audit_report **out,
              sd_err *err);
void audit_report_destroy(audit_report **r);

/* audit_run on a bundle file instead of a data directory (an auditor given
 * a bundle): its entries are applied, every signature verified, to a
 * throw-away store under opts->scratch_dir ($TMPDIR or /tmp) trusting only
 * the national key trust, then audited; the store is removed afterwards.
 * Entries the store refused (bad signature, broken chain, a key outside
 * the roster) are failures of the report. A damaged bundle is SD_EINVAL,
 * no report. */
int audit_bundle(const char *path, const uint8_t trust[32],
                 const audit_opts *opts, audit_report **out, sd_err *err);

/* What the audit checks, one line each, for the report's reader; *n gets
 * the count. */
const char *const *audit_checks(size_t *n);

/* A gap as text: "7" or "7..9". */
void audit_gap_format(const audit_gap *g, char out[AUDIT_GAP_TEXT]);

/* Whether a finding line concerns the origins of state: "BR seq 2: …",
 * "BR: …", "origin …… (BR): …". */
int audit_finding_of(const char *line, const char *state);

#endif
