/*
 * import_int.h — what an import's two files share (import.c: columns,
 * rows and pass 1, the check; import_run.c: pass 2, signing and
 * committing); not for other modules, which use import.h.
 */
#ifndef SADASYA_IMPORT_INT_H
#define SADASYA_IMPORT_INT_H

#include <stdint.h>
#include <stdio.h>

#include "csvio.h"
#include "import.h"
#include "intake.h"
#include "member.h"

#define IMPORT_QUEUE_SLOTS 2              /* signed batches awaiting commit */
#define IMPORT_PROGRESS_NS 100000000ll    /* a report at most every 0.1 s */

/* What a row holds besides its member_input: the joining date rewritten
 * as YYYY-MM-DD, and the number column. */
typedef struct import_row_extra {
    char joined[INTAKE_DATE_LEN];
    const char *number, *status, *reason;
} import_row_extra;

/* Whether every cell of a row is empty or spaces (",,,"): skipped. */
int import_row_blank(const csvio_row *row);

/* The row's cells as a member_input and its extras, by the plan's
 * columns; SD_EINVAL with the reason when the row cannot be one. */
int import_row_input(const import_plan *plan, csvio_row *row,
                     member_input *in, import_row_extra *x, sd_err *err);

/* Counts a bad row, keeping its line and reason among the first shown. */
void import_bad_add(import_bad *b, unsigned long line, const char *why);

/* The reason the check pass gave for refusing the row at line, when it
 * kept it, else fallback; SD_EINVAL either way. */
int import_bad_why(const import_bad *b, unsigned long line,
                   const char *fallback, sd_err *err);

/* Bit i of a row bitmap of cap bytes; the rows registered already. */
int import_rowbit_has(const uint8_t *bits, size_t cap, uint64_t i);
int import_known_has(const import_plan *plan, uint64_t i);

/* Streams in through a CSV reader calling fn with each record, hashing
 * every byte; *bytes counts them (progress). The hash is valid when SD_OK
 * came back and fn did not stop the reading (*stopped). */
int import_read_file(FILE *in, const char *name, csvio_row_fn fn, void *ctx,
                     uint64_t *bytes, uint8_t hash[ENTRY_HASH_BYTES],
                     int *stopped, sd_err *err);

/* Forwards a pass's progress to the caller's callback. */
typedef struct import_phase {
    const import_opts *o;
    int phase;
} import_phase;
void import_on_progress(uint64_t done, uint64_t total, double per_sec,
                        int last, void *ctx);

#endif
