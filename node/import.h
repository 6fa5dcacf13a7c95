/*
 * import.h — members from a CSV file (`sadasya import`, and uploads).
 *
 * The first row names the columns, as the register flags do ("name",
 * "gender", "phone", "district" required) or as a secretary's sheet does,
 * in English or Hindi ("Mobile No.", "जिला": intake.h, which also reads
 * the dates, gender words and phones). Columns not known are refused,
 * all named, unless ignore_unknown; the columns an export adds (number,
 * state, status, ...) are known. Rows whose every cell is empty are
 * skipped and not counted. A row already registered in this state (its
 * phone and name, or the member its number column names, unchanged) is
 * not registered again: it is counted in plan->registered. A row whose
 * number column names a member of this state and changes it is a
 * correction (member_edit.h): its MemberUpdated / MemberStatus entries
 * are signed in the row's turn. Two passes over the file, which is streamed and never held whole:
 *
 *   1. import_check: every row is read (csvio.h) and checked through the
 *      member rules (member_check), the file's BLAKE2b-256 taken and the
 *      bad rows kept by line. Nothing is written.
 *   2. import_commit: a worker thread reads the rows again and signs a
 *      MemberJoined for each good one through the node's one writer
 *      (member_build); the calling thread commits full batches through
 *      the one write path (apply_batch). Signing is sequential (each entry
 *      chains on the one before), so the two run side by side with a
 *      bounded queue (workq.h) of batches between them.
 *
 * All or nothing: with a bad row and without skip_bad, import_commit
 * writes nothing. Resuming: each batch's transaction also writes the meta
 * record "import:<file hash>" = data rows of the file done (8 bytes, big
 * endian); run again on the same file, an import skips that many rows, so
 * a kill at any moment followed by a re-run leaves every row imported
 * once. Nothing here prints: progress goes to a callback, errors to
 * sd_err, bad rows to the plan and the result.
 */
#ifndef SADASYA_IMPORT_H
#define SADASYA_IMPORT_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "csvio.h"
#include "member_edit.h"
#include "number.h"
#include "store.h"
#include "writer.h"

#define IMPORT_BATCH_DEFAULT 10000   /* entries per transaction */
#define IMPORT_BATCH_MAX 100000
#define IMPORT_BAD_SHOW 20           /* bad rows kept one by one */
#define IMPORT_META_PREFIX "import:"
#define IMPORT_META_NAME_LEN (sizeof IMPORT_META_PREFIX - 1 + 64 + 1)
#define IMPORT_IGNORED_MAX 512       /* bytes naming the columns ignored */

/* What a progress report is of. */
enum {
    IMPORT_CHECKING,  /* pass 1: done and total are bytes of the file */
    IMPORT_SIGNING,   /* pass 2: rows read for signing, of the rows to do */
};

/* At most every 0.1 s, and once at the end of each pass (last = 1). */
typedef void (*import_progress_fn)(int phase, uint64_t done, uint64_t total,
                                   double per_sec, int last, void *ctx);

typedef struct import_opts {
    const char *name;            /* the file in messages ("camp.csv") */
    size_t batch;                /* rows per transaction; 0: the default */
    int skip_bad;                /* import the good rows, skip the bad */
    int ignore_unknown;          /* columns not known are ignored, not refused */
    store *s;                    /* rows already registered here are found
                                  * (same phone and name in this state, or
                                  * a number column naming the member);
                                  * NULL: none are looked for */
    import_progress_fn progress; /* may be NULL */
    void *ctx;
    int allow_duplicate;         /* likely duplicates (member_check_store:
                                  * a member of this state with the same
                                  * phone, or name and guardian or birth
                                  * year; two new rows of the file with one
                                  * phone) are registered, not refused */
} import_opts;

/* The first bad rows, by line, and how many there were in all. */
typedef struct import_bad {
    uint64_t n;
    size_t kept;
    unsigned long line[IMPORT_BAD_SHOW];
    char why[IMPORT_BAD_SHOW][SD_ERR_MSG_MAX];
} import_bad;

/* A row that corrects a member: signed in its turn by pass 2. */
typedef struct import_edit {
    uint64_t row;                   /* data row, from 0 */
    unsigned long line;
    member_edit ed;
} import_edit;

/* What the check pass learnt of a file. */
typedef struct import_plan {
    int of_field[CSVIO_FIELDS_MAX]; /* the column of each field */
    size_t ncols;
    uint64_t rows;                  /* data rows */
    import_bad bad;
    uint8_t hash[ENTRY_HASH_BYTES]; /* of the file's bytes */
    char meta_name[IMPORT_META_NAME_LEN];
    off_t start;                    /* where in the stream the file began */
    char ignored[IMPORT_IGNORED_MAX]; /* columns ignored, as the header
                                       * names them ("Sr No", "Remarks") */
    uint8_t *known;                 /* bit per data row: already registered */
    size_t known_cap;               /* bytes of known */
    uint8_t *refused;               /* bit per data row: refused by a check
                                     * that needs the store or the whole
                                     * file (a likely duplicate) */
    size_t refused_cap;
    import_bad registered;          /* those rows: line and the member's
                                     * number (in why) */
    import_edit *edits;             /* rows changing a member, in order */
    size_t nedits, edits_cap;
} import_plan;

typedef struct import_result {
    uint64_t rows;               /* data rows of the file */
    uint64_t imported;           /* members signed and written now */
    uint64_t already;            /* rows done by an earlier run */
    uint64_t registered;         /* of the rest, rows found already
                                  * registered (not registered again) */
    uint64_t updated;            /* members corrected now (plan->edits) */
    char first[NUMBER_MAX_LEN], last[NUMBER_MAX_LEN]; /* of those imported */
    import_bad skipped;          /* bad rows skipped now (skip_bad) */
    int plain_signing;           /* presign could not start (no thread or
                                  * locked memory): signed one by one */
} import_result;

/* Pass 1 over in (seekable, from its current position). SD_EINVAL for a
 * file that cannot be imported at all (an empty file, a bad header, a
 * record over 1 MiB), with the line in the message; bad data rows are
 * not errors here: they are in plan->bad. */
int import_check(FILE *in, const import_opts *o, import_plan *plan,
                 sd_err *err);

/* Frees what import_check allocated in plan (the plan itself is the
 * caller's). */
void import_plan_release(import_plan *plan);

/* Data rows of the planned file an earlier run finished (0 when none). */
int import_done_rows(store *s, const import_plan *plan, uint64_t *done,
                     sd_err *err);

/* Pass 2: imports the rows of in (as checked into plan) not done yet,
 * signing with w (which the import uses but does not own, and whose head
 * is right again when it returns). SD_EINVAL, writing nothing, when the
 * plan has bad rows and skip_bad is off, or the rows would pass the last
 * membership number; when the file changed since the check, batches done
 * before stay (res says what landed). SD_EFULL: the disk or map is full
 * (the batches before stay). res is filled either way. */
int import_commit(writer *w, FILE *in, const import_plan *plan,
                  const import_opts *o, import_result *res, sd_err *err);

#endif
