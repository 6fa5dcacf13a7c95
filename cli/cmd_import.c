/*
 * cmd_import.c — `sadasya import FILE.csv`: members from a spreadsheet.
 *
 * The first row names the columns, as the register flags do. Two passes
 * over the file, which is streamed in chunks and never held whole:
 *
 *   1. check: every row is read and checked (member_check) and the file's
 *      BLAKE2b-256 taken. Any bad row and, without --skip-bad, nothing is
 *      written: the bad rows are reported by line.
 *   2. import: a worker thread reads the rows again and signs a
 *      MemberJoined for each good one (member_build); the main thread
 *      commits full batches through the one write path (writer_commit).
 *      Signing is sequential (each entry chains on the one before), so the
 *      two run side by side, a bounded queue of batches between them.
 *
 * Resuming: each batch's transaction also writes the meta record
 * "import:<file hash>" = data rows of the file done (8 bytes, big-endian).
 * Run again on the same file, the import skips that many rows, so a kill
 * at any moment followed by a re-run leaves every row imported once.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>
#include <sodium.h>

#include "cmds.h"
#include "member.h"

#define IMPORT_CHUNK (64 * 1024)        /* bytes read from the file at a time */
#define IMPORT_BATCH_DEFAULT 10000      /* entries per transaction */
#define IMPORT_BATCH_MAX 100000
#define IMPORT_QUEUE_SLOTS 2            /* signed batches waiting for commit */
#define IMPORT_FIELDS_MAX 64            /* fields of a row kept; more are counted */
#define IMPORT_FIELD_MAX 4096           /* a longer field makes its row bad */
#define IMPORT_PARSER_MAX (1u << 20)    /* one field this long: the file is broken */
#define IMPORT_BAD_SHOW 20              /* bad rows reported one by one */
#define IMPORT_META_PREFIX "import:"
#define IMPORT_META_NAME_LEN (sizeof IMPORT_META_PREFIX - 1 + 64 + 1)
#define IMPORT_PROGRESS_NS 100000000ll  /* progress redrawn at most every 0.1 s */

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] import FILE.csv [--skip-bad] "
    "[--batch N]\n"
    "\n"
    "Registers a member of this node's state for each row of FILE.csv (UTF-8).\n"
    "The first row names the columns, as the register flags do:\n"
    "  name, gender, phone, district (required), name-en, guardian,\n"
    "  birth-year, email, address, area, occupation, interest (tags\n"
    "  separated by ';' or '|'), fee-paise, payment-ref, referred-by,\n"
    "  joined (YYYY-MM-DD). '_' may stand for '-'; case does not matter.\n"
    "\n"
    "All rows or none: a bad row is reported by its line number and nothing\n"
    "is imported.\n"
    "  --skip-bad   import the good rows; report the bad ones and skip them\n"
    "  --batch N    rows signed and written per transaction (default 10000)\n"
    "\n"
    "An interrupted import resumes where it stopped when run again on the\n"
    "same file; a file already imported adds nothing. Progress is shown on\n"
    "stderr when it is a terminal; a summary is printed at the end.\n";

/* --- columns ------------------------------------------------------------ */

enum {
    COL_NAME, COL_GENDER, COL_PHONE, COL_DISTRICT, /* required: the first four */
    COL_NAME_EN, COL_GUARDIAN, COL_BIRTH_YEAR, COL_EMAIL, COL_ADDRESS,
    COL_AREA, COL_OCCUPATION, COL_INTEREST, COL_FEE_PAISE, COL_PAYMENT_REF,
    COL_REFERRED_BY, COL_JOINED, COL_COUNT
};
#define COL_REQUIRED 4

static const char *const col_names[COL_COUNT] = {
    "name", "gender", "phone", "district", "name-en", "guardian",
    "birth-year", "email", "address", "area", "occupation", "interest",
    "fee-paise", "payment-ref", "referred-by", "joined",
};

/* What the header said: the column of each field. */
typedef struct import_cols {
    int of_field[IMPORT_FIELDS_MAX];
    size_t n;
} import_cols;

/* --- reading the CSV ------------------------------------------------------ */

/* One record of the file. Fields are NUL-terminated and writable (the
 * interest list is split in place); "" when empty. */
typedef struct csv_row {
    char *field[IMPORT_FIELDS_MAX];
    size_t n;              /* fields in the record; only the first
                            * IMPORT_FIELDS_MAX are kept */
    unsigned long line;    /* line of the file where the record begins */
    const char *broken;    /* why the record could not be read, or NULL */
} csv_row;

/* Called for each record; a non-zero return stops the reading. */
typedef int (*row_fn)(csv_row *row, void *ctx);

/* Streams a file through libcsv, one physical line at a time so that each
 * record's line number is known, hashing every byte on the way. */
typedef struct reader {
    FILE *f;
    const char *path;
    struct csv_parser p;
    crypto_generichash_state hash;
    unsigned char *chunk;
    uint64_t bytes;          /* read so far */
    unsigned long line;      /* the line being parsed, from 1 */
    unsigned long row_start; /* the line where the current record began */
    int between;             /* no record begun since the last one ended */
    char *buf;               /* the current record's fields */
    size_t len, cap;
    size_t off[IMPORT_FIELDS_MAX];
    size_t nfields;
    int too_long;
    row_fn fn;
    void *ctx;
    int stop;
    int rc;
    sd_err err;
} reader;

static const unsigned char csv_opts = CSV_STRICT | CSV_STRICT_FINI;

static void reader_reset_row(reader *r)
{
    r->len = 0;
    r->nfields = 0;
    r->too_long = 0;
    r->between = 1;
}

static void deliver(reader *r, const char *broken)
{
    csv_row row;
    row.n = r->nfields;
    row.line = r->row_start;
    row.broken = broken;
    if (!broken && r->too_long)
        row.broken = "a field is longer than 4096 bytes";
    size_t kept = r->nfields < IMPORT_FIELDS_MAX ? r->nfields : IMPORT_FIELDS_MAX;
    for (size_t i = 0; i < kept; i++)
        row.field[i] = r->buf + r->off[i];
    reader_reset_row(r);
    if (!r->stop)
        r->stop = r->fn(&row, r->ctx);
}

static void on_field(void *data, size_t len, void *ctx)
{
    reader *r = ctx;
    const char *s = data;
    if (r->nfields < IMPORT_FIELDS_MAX) {
        if (len > IMPORT_FIELD_MAX) {
            r->too_long = 1;
            len = 0;
        }
        if (r->len + len + 1 > r->cap) {
            size_t cap = r->cap ? r->cap : 1024;
            while (cap < r->len + len + 1)
                cap *= 2;
            char *nb = realloc(r->buf, cap);
            if (!nb) {
                r->rc = sd_errf(&r->err, SD_ENOMEM, "out of memory");
                r->stop = 1;
                return;
            }
            r->buf = nb;
            r->cap = cap;
        }
        r->off[r->nfields] = r->len;
        if (len)
            memcpy(r->buf + r->len, s, len);
        r->buf[r->len + len] = '\0';
        r->len += len + 1;
    }
    r->nfields++;
}

static void on_record(int c, void *ctx)
{
    (void)c;
    deliver(ctx, NULL);
}

/* Opens path for reading; fn is called with each record. */
static int reader_open(reader *r, const char *path, row_fn fn, void *ctx,
                       sd_err *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->fn = fn;
    r->ctx = ctx;
    r->line = r->row_start = 1;
    r->between = 1;
    r->f = fopen(path, "rb");
    if (!r->f)
        return sd_errf(err, SD_EIO, "cannot open %s: %s", path, strerror(errno));
    r->chunk = malloc(IMPORT_CHUNK);
    if (!r->chunk || csv_init(&r->p, csv_opts) != 0) {
        fclose(r->f);
        free(r->chunk);
        return sd_errf(err, SD_ENOMEM, "out of memory");
    }
    crypto_generichash_init(&r->hash, NULL, 0, ENTRY_HASH_BYTES);
    return SD_OK;
}

static void reader_close(reader *r)
{
    if (r->f)
        fclose(r->f);
    csv_free(&r->p);
    free(r->chunk);
    free(r->buf);
    memset(r, 0, sizeof *r);
}

/* A record libcsv refused: reported as a bad row, reading goes on at the
 * next line with a fresh parser. */
static int reader_broken(reader *r, const char *why)
{
    deliver(r, why);
    csv_free(&r->p);
    if (csv_init(&r->p, csv_opts) != 0)
        return sd_errf(&r->err, SD_ENOMEM, "out of memory");
    return SD_OK;
}

/* Reads the whole file (or until fn stops it). SD_OK at the end of the file
 * or when fn stopped; the error otherwise (in r->err). The hash is of the
 * file's bytes, valid when the whole file was read. */
static int reader_run(reader *r, uint8_t hash[ENTRY_HASH_BYTES])
{
    int first = 1;
    while (!r->stop) {
        size_t n = fread(r->chunk, 1, IMPORT_CHUNK, r->f);
        if (n == 0) {
            if (ferror(r->f))
                return sd_errf(&r->err, SD_EIO, "reading %s: %s", r->path,
                               strerror(errno));
            break;
        }
        crypto_generichash_update(&r->hash, r->chunk, n);
        r->bytes += n;
        size_t pos = 0;
        if (first && n >= 3 && !memcmp(r->chunk, "\xef\xbb\xbf", 3))
            pos = 3; /* a UTF-8 byte order mark, as spreadsheets write */
        first = 0;
        while (pos < n && !r->stop) {
            const unsigned char *nl = memchr(r->chunk + pos, '\n', n - pos);
            size_t end = nl ? (size_t)(nl - r->chunk) + 1 : n;
            size_t want = end - pos;
            if (r->between) {
                /* Where the next record begins: the first line that is not
                 * blank (libcsv skips blank lines). */
                for (size_t i = pos; i < end; i++) {
                    unsigned char ch = r->chunk[i];
                    if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
                        r->between = 0;
                        r->row_start = r->line;
                        break;
                    }
                }
            }
            if (csv_parse(&r->p, r->chunk + pos, want, on_field, on_record,
                          r) != want) {
                if (csv_error(&r->p) != CSV_EPARSE)
                    return sd_errf(&r->err, SD_ENOMEM, "out of memory");
                if (reader_broken(r, "malformed CSV: a quote inside an "
                                     "unquoted field, or text after a "
                                     "closing quote"))
                    return r->err.code;
            } else if (csv_get_buffer_size(&r->p) > IMPORT_PARSER_MAX) {
                return sd_errf(&r->err, SD_EINVAL,
                               "%s:%lu: a field runs on for more than 1 MiB "
                               "(a quote never closed?)", r->path,
                               r->row_start);
            }
            if (r->rc)
                return r->rc;
            if (nl)
                r->line++;
            pos = end;
        }
    }
    if (r->rc)
        return r->rc;
    if (r->stop)
        return SD_OK;
    if (csv_fini(&r->p, on_field, on_record, r) != 0) {
        if (reader_broken(r, "malformed CSV: a quoted field is never closed"))
            return r->err.code;
    }
    if (r->rc)
        return r->rc;
    crypto_generichash_final(&r->hash, hash, ENTRY_HASH_BYTES);
    return SD_OK;
}

/* --- rows to members -------------------------------------------------------- */

static void header_name(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++) {
        char ch = in[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        out[i] = ch == '_' ? '-' : ch;
    }
    out[i] = '\0';
}

/* Reads the header row into cols; the message names the first problem. */
static int header_parse(const char *path, const csv_row *row, import_cols *cols,
                        sd_err *err)
{
    if (row->broken)
        return sd_errf(err, SD_EINVAL, "%s:%lu: header: %s", path, row->line,
                       row->broken);
    if (row->n > IMPORT_FIELDS_MAX)
        return sd_errf(err, SD_EINVAL, "%s:%lu: header has %zu columns; "
                       "at most %d are known", path, row->line, row->n,
                       COL_COUNT);
    int seen[COL_COUNT] = { 0 };
    for (size_t i = 0; i < row->n; i++) {
        char name[64];
        header_name(row->field[i], name, sizeof name);
        int col = -1;
        for (int k = 0; k < COL_COUNT; k++)
            if (!strcmp(name, col_names[k]))
                col = k;
        if (col < 0)
            return sd_errf(err, SD_EINVAL,
                           "%s:%lu: unknown column \"%s\" (columns are named "
                           "as the register flags: name, gender, phone, "
                           "district, ...)", path, row->line, row->field[i]);
        if (seen[col])
            return sd_errf(err, SD_EINVAL, "%s:%lu: column \"%s\" appears "
                           "twice", path, row->line, col_names[col]);
        seen[col] = 1;
        cols->of_field[i] = col;
    }
    cols->n = row->n;
    for (int k = 0; k < COL_REQUIRED; k++)
        if (!seen[k])
            return sd_errf(err, SD_EINVAL, "%s: no \"%s\" column in the "
                           "header (required: name, gender, phone, "
                           "district)", path, col_names[k]);
    return SD_OK;
}

/* Turns a data row into a member's input (pointing into the row), not yet
 * checked (member_check). SD_EINVAL with the reason when the row cannot be
 * one. */
static int row_input(const import_cols *cols, csv_row *row, member_input *in,
                     sd_err *err)
{
    memset(in, 0, sizeof *in);
    if (row->broken)
        return sd_errf(err, SD_EINVAL, "%s", row->broken);
    if (row->n != cols->n)
        return sd_errf(err, SD_EINVAL, "%zu fields where the header has %zu",
                       row->n, cols->n);
    for (size_t i = 0; i < row->n; i++) {
        char *v = row->field[i];
        if (!*v)
            continue;
        switch (cols->of_field[i]) {
        case COL_NAME: in->name = v; break;
        case COL_GENDER: in->gender = v; break;
        case COL_PHONE: in->phone = v; break;
        case COL_DISTRICT: in->district = v; break;
        case COL_NAME_EN: in->name_en = v; break;
        case COL_GUARDIAN: in->guardian = v; break;
        case COL_BIRTH_YEAR: in->birth_year = v; break;
        case COL_EMAIL: in->email = v; break;
        case COL_ADDRESS: in->address = v; break;
        case COL_AREA: in->area = v; break;
        case COL_OCCUPATION: in->occupation = v; break;
        case COL_INTEREST: member_split_interests(in, v); break;
        case COL_FEE_PAISE: in->fee_paise = v; break;
        case COL_PAYMENT_REF: in->payment_ref = v; break;
        case COL_REFERRED_BY: in->referred_by = v; break;
        case COL_JOINED: in->joined = v; break;
        }
    }
    return SD_OK;
}

/* The first bad rows, by line, and how many there were in all. */
typedef struct bad_rows {
    uint64_t n;
    size_t kept;
    unsigned long line[IMPORT_BAD_SHOW];
    char why[IMPORT_BAD_SHOW][SD_ERR_MSG_MAX];
} bad_rows;

static void bad_add(bad_rows *b, unsigned long line, const char *why)
{
    if (b->kept < IMPORT_BAD_SHOW) {
        b->line[b->kept] = line;
        snprintf(b->why[b->kept], sizeof b->why[0], "%s", why);
        b->kept++;
    }
    b->n++;
}

/* Prints them as errors or as warnings (skipped). */
static void bad_print(const bad_rows *b, const char *path, int skipped)
{
    const char *kind = skipped ? "warning" : "error";
    for (size_t i = 0; i < b->kept; i++)
        fprintf(stderr, "sadasya: %s: %s:%lu: %s%s\n", kind, path, b->line[i],
                b->why[i], skipped ? " (skipped)" : "");
    if (b->n > b->kept)
        fprintf(stderr, "sadasya: %s: %s: … and %" PRIu64 " more bad rows%s\n",
                kind, path, b->n - b->kept, skipped ? " (skipped)" : "");
}

/* --- progress on a terminal ------------------------------------------------- */

typedef struct progress {
    int on, drawn;
    struct timespec start, last;
} progress;

static int64_t ns_since(const struct timespec *a, const struct timespec *b)
{
    return (int64_t)(b->tv_sec - a->tv_sec) * 1000000000ll +
           (b->tv_nsec - a->tv_nsec);
}

static void progress_start(progress *p)
{
    memset(p, 0, sizeof *p);
    p->on = isatty(STDERR_FILENO);
    clock_gettime(CLOCK_MONOTONIC, &p->start);
    p->last = p->start;
}

/* 1 when it is time to redraw (always when force), with the seconds
 * since the start in *secs. */
static int progress_due(progress *p, int force, double *secs)
{
    if (!p->on)
        return 0;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!force && ns_since(&p->last, &now) < IMPORT_PROGRESS_NS)
        return 0;
    p->last = now;
    p->drawn = 1;
    *secs = (double)ns_since(&p->start, &now) / 1e9;
    return 1;
}

/* "importing done/total rows (pct%), rate rows/s" */
static void progress_rows(progress *p, uint64_t done, uint64_t total, int force)
{
    double secs;
    if (!progress_due(p, force, &secs))
        return;
    fprintf(stderr, "\rimporting %" PRIu64 "/%" PRIu64 " rows (%u%%), "
            "%.0f rows/s  ", done, total,
            total ? (unsigned)(done * 100 / total) : 100,
            secs > 0 ? (double)done / secs : 0.0);
    fflush(stderr);
}

/* "checking pct% (rows rows)", by bytes of the file read */
static void progress_check(progress *p, uint64_t bytes, uint64_t size,
                           uint64_t rows, int force)
{
    double secs;
    if (!progress_due(p, force, &secs))
        return;
    fprintf(stderr, "\rchecking %u%% (%" PRIu64 " rows)  ",
            size ? (unsigned)(bytes * 100 / size) : 100, rows);
    fflush(stderr);
}

static void progress_end(progress *p)
{
    if (p->on && p->drawn)
        fputc('\n', stderr);
    p->drawn = 0;
}

/* --- pass 1: check every row -------------------------------------------------- */

typedef struct check_pass {
    const char *path;
    import_cols cols;
    int have_header;
    uint64_t rows;          /* data rows */
    bad_rows bad;
    int rc;
    sd_err err;             /* a header error: fatal */
    progress *prog;
    uint64_t size;          /* of the file, for progress */
    reader *r;
} check_pass;

static int check_row(csv_row *row, void *ctx)
{
    check_pass *cp = ctx;
    if (!cp->have_header) {
        cp->have_header = 1;
        cp->rc = header_parse(cp->path, row, &cp->cols, &cp->err);
        return cp->rc;
    }
    cp->rows++;
    member_input in;
    sd_err why;
    sd_err_clear(&why);
    if (row_input(&cp->cols, row, &in, &why) || member_check(&in, &why))
        bad_add(&cp->bad, row->line, why.msg);
    if (!(cp->rows & 1023))
        progress_check(cp->prog, cp->r->bytes, cp->size, cp->rows, 0);
    return 0;
}

/* --- pass 2: sign in a worker, commit in the main thread ---------------------- */

typedef struct batch {
    entry_signed *items;
    size_t n;
    uint64_t rows_done;          /* data rows of the file done once it lands */
    char first[NUMBER_MAX_LEN], last[NUMBER_MAX_LEN];
} batch;

typedef struct pipeline {
    /* set before the worker starts */
    const char *path;
    const import_cols *cols;
    writer *w;                   /* the worker's alone while it runs */
    uint64_t skip;               /* data rows done by an earlier run */
    uint64_t rows_expected;
    uint8_t hash_expected[ENTRY_HASH_BYTES];
    size_t batch_size;
    int skip_bad;

    /* the worker's */
    reader r;
    int have_header;
    uint64_t rows;               /* data rows read (atomic: progress reads it) */
    uint64_t pushed_rows;        /* rows_done of the last batch handed over */
    batch *cur;
    bad_rows bad;                /* skipped in this run */

    /* shared, under mu */
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    batch *slot[IMPORT_QUEUE_SLOTS];
    size_t head, count;
    int done;
    int stop;                    /* set by the committer (also read atomically) */
    int rc;                      /* the worker's failure */
    sd_err err;
} pipeline;

static void batch_destroy(batch **b)
{
    if (!b || !*b)
        return;
    for (size_t i = 0; i < (*b)->n; i++)
        entry_signed_clear(&(*b)->items[i]);
    free((*b)->items);
    free(*b);
    *b = NULL;
}

static batch *batch_new(size_t size)
{
    batch *b = calloc(1, sizeof *b);
    if (b && !(b->items = calloc(size, sizeof *b->items))) {
        free(b);
        b = NULL;
    }
    return b;
}

/* Hands a batch to the committer, waiting for a free slot. Non-zero when
 * the committer has stopped (the batch is then freed). */
static int pipeline_push(pipeline *pl, batch *b)
{
    pthread_mutex_lock(&pl->mu);
    while (pl->count == IMPORT_QUEUE_SLOTS && !pl->stop)
        pthread_cond_wait(&pl->not_full, &pl->mu);
    int stop = pl->stop;
    if (!stop) {
        pl->slot[(pl->head + pl->count) % IMPORT_QUEUE_SLOTS] = b;
        pl->count++;
        pthread_cond_signal(&pl->not_empty);
    }
    pthread_mutex_unlock(&pl->mu);
    if (stop)
        batch_destroy(&b);
    return stop;
}

/* The next batch, or NULL when the worker is done and the queue empty.
 * While waiting, redraws the progress (rows the worker has read) when
 * prog is given. */
static batch *pipeline_pop(pipeline *pl, progress *prog)
{
    pthread_mutex_lock(&pl->mu);
    while (!pl->count && !pl->done) {
        if (!prog || !prog->on) {
            pthread_cond_wait(&pl->not_empty, &pl->mu);
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += IMPORT_PROGRESS_NS;
        if (until.tv_nsec >= 1000000000l) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000l;
        }
        if (pthread_cond_timedwait(&pl->not_empty, &pl->mu, &until) == ETIMEDOUT)
            progress_rows(prog, __atomic_load_n(&pl->rows, __ATOMIC_RELAXED) -
                          pl->skip, pl->rows_expected - pl->skip, 0);
    }
    batch *b = NULL;
    if (pl->count) {
        b = pl->slot[pl->head];
        pl->head = (pl->head + 1) % IMPORT_QUEUE_SLOTS;
        pl->count--;
        pthread_cond_signal(&pl->not_full);
    }
    pthread_mutex_unlock(&pl->mu);
    return b;
}

/* Records the worker's failure and stops the reading. */
static int worker_fail(pipeline *pl, int rc, const sd_err *err)
{
    pl->rc = rc;
    pl->err = *err;
    return rc;
}

static int build_row(csv_row *row, void *ctx)
{
    pipeline *pl = ctx;
    if (!pl->have_header) {
        pl->have_header = 1;
        return 0;
    }
    uint64_t n = __atomic_add_fetch(&pl->rows, 1, __ATOMIC_RELAXED);
    if (n <= pl->skip)
        return 0;
    if (__atomic_load_n(&pl->stop, __ATOMIC_RELAXED))
        return 1; /* the committer failed: no use signing more */
    if (!pl->cur && !(pl->cur = batch_new(pl->batch_size))) {
        sd_err e;
        return worker_fail(pl, sd_errf(&e, SD_ENOMEM, "out of memory"), &e);
    }
    batch *b = pl->cur;
    member_input in;
    sd_err err;
    sd_err_clear(&err);
    int rc = row_input(pl->cols, row, &in, &err);
    char number[NUMBER_MAX_LEN];
    /* member_build checks the row first: only when that passes is a
     * failure not the row's (no number left, out of memory). */
    if (!rc && (rc = member_build(pl->w, &in, &b->items[b->n], number, &err)) &&
        !member_check(&in, NULL))
        return worker_fail(pl, rc, &err);
    if (rc) {
        if (!pl->skip_bad) {
            sd_err e;
            sd_errf(&e, SD_EINVAL, "%s changed while it was imported "
                    "(line %lu: %s)", pl->path, row->line, err.msg);
            return worker_fail(pl, SD_EINVAL, &e);
        }
        bad_add(&pl->bad, row->line, err.msg);
        return 0;
    }
    if (!b->n)
        memcpy(b->first, number, sizeof number);
    memcpy(b->last, number, sizeof number);
    if (++b->n == pl->batch_size) {
        b->rows_done = pl->pushed_rows = pl->rows;
        pl->cur = NULL;
        if (pipeline_push(pl, b))
            return 1; /* the committer stopped */
    }
    return 0;
}

static void *worker_main(void *arg)
{
    pipeline *pl = arg;
    uint8_t hash[ENTRY_HASH_BYTES];
    sd_err err;
    sd_err_clear(&err);
    int rc = reader_open(&pl->r, pl->path, build_row, pl, &err);
    if (rc) {
        worker_fail(pl, rc, &err);
    } else {
        rc = reader_run(&pl->r, hash);
        if (rc && !pl->rc)
            worker_fail(pl, rc, &pl->r.err);
        int stopped = pl->r.stop;
        reader_close(&pl->r);
        if (!pl->rc && !stopped) {
            if (pl->rows != pl->rows_expected ||
                memcmp(hash, pl->hash_expected, sizeof hash)) {
                sd_errf(&err, SD_EINVAL, "%s changed while it was imported; "
                        "run the import again", pl->path);
                worker_fail(pl, SD_EINVAL, &err);
            } else if (pl->rows > pl->pushed_rows) {
                /* The last batch also records that every row is done. */
                batch *b = pl->cur ? pl->cur : batch_new(1);
                pl->cur = NULL;
                if (!b) {
                    sd_errf(&err, SD_ENOMEM, "out of memory");
                    worker_fail(pl, SD_ENOMEM, &err);
                } else {
                    b->rows_done = pl->rows;
                    pipeline_push(pl, b);
                }
            }
        }
    }
    batch_destroy(&pl->cur);
    pthread_mutex_lock(&pl->mu);
    pl->done = 1;
    pthread_cond_broadcast(&pl->not_empty);
    pthread_mutex_unlock(&pl->mu);
    return NULL;
}

/* --- the command ---------------------------------------------------------------- */

typedef struct summary {
    uint64_t imported, skipped, already, rows;
    char first[NUMBER_MAX_LEN], last[NUMBER_MAX_LEN];
} summary;

static void summary_print(const cli *c, const summary *s)
{
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "imported", (double)s->imported);
        cJSON_AddNumberToObject(j, "skipped_bad", (double)s->skipped);
        cJSON_AddNumberToObject(j, "already", (double)s->already);
        if (s->imported) {
            cJSON_AddStringToObject(j, "first", s->first);
            cJSON_AddStringToObject(j, "last", s->last);
        } else {
            cJSON_AddNullToObject(j, "first");
            cJSON_AddNullToObject(j, "last");
        }
        cJSON_AddNumberToObject(j, "rows", (double)s->rows);
        cli_json_print(j);
        return;
    }
    printf("imported %" PRIu64 " member%s", s->imported,
           s->imported == 1 ? "" : "s");
    if (s->imported == 1)
        printf(" (%s)", s->first);
    else if (s->imported)
        printf(" (%s .. %s)", s->first, s->last);
    if (s->skipped)
        printf("; skipped %" PRIu64 " bad row%s", s->skipped,
               s->skipped == 1 ? "" : "s");
    if (s->already)
        printf("; %" PRIu64 " row%s imported earlier", s->already,
               s->already == 1 ? "" : "s");
    putchar('\n');
}

/* Good rows still to import, at least: rows left less every bad row. */
static uint64_t at_least(uint64_t left, uint64_t bad)
{
    return left > bad ? left - bad : 0;
}

/* Data rows of the file an earlier run finished (0 when none). */
static int progress_get(store *s, const char *name, uint64_t *done, sd_err *err)
{
    store_txn *txn;
    int rc = store_begin(s, 0, &txn, err);
    if (rc)
        return rc;
    const void *v;
    size_t len;
    *done = 0;
    rc = store_meta_get(s, txn, name, &v, &len, err);
    if (rc == SD_OK && len == 8)
        *done = store_be64(v);
    else if (rc == SD_OK)
        rc = sd_errf(err, SD_ECORRUPT, "meta %s is not a row count", name);
    else if (rc == SD_ENOTFOUND)
        rc = SD_OK;
    store_end(txn);
    return rc;
}

/* Pass 2. Fills sum; on failure prints the error and what landed. */
static int import_rows(pipeline *pl, writer *w, const char *meta_name,
                       summary *sum)
{
    /* writer_commit re-reads the head on failure, while the worker may be
     * signing with w: the committer works on its own copy of the writer
     * (same store and key; the lock stays with w). */
    writer committer = *w;
    pthread_t th;
    pthread_mutex_init(&pl->mu, NULL);
    pthread_cond_init(&pl->not_empty, NULL);
    pthread_cond_init(&pl->not_full, NULL);
    int prc = pthread_create(&th, NULL, worker_main, pl);
    if (prc) {
        sodium_memzero(&committer, sizeof committer);
        return cli_errorf("cannot start the import thread: %s", strerror(prc));
    }
    progress prog;
    progress_start(&prog);
    uint64_t todo = pl->rows_expected - pl->skip, done = 0;
    progress_rows(&prog, 0, todo, 1);
    uint8_t be[8];
    sd_err err;
    sd_err_clear(&err);
    int rc = SD_OK;
    batch *b;
    while ((b = pipeline_pop(pl, &prog))) {
        store_put_be64(be, b->rows_done);
        apply_opts o = { 0 };
        o.meta_name = meta_name;
        o.meta_val = be;
        o.meta_len = sizeof be;
        apply_result res;
        rc = writer_commit(&committer, b->items, b->n, &o, &res, &err);
        if (rc) {
            batch_destroy(&b);
            break;
        }
        if (b->n && !sum->imported)
            memcpy(sum->first, b->first, sizeof sum->first);
        if (b->n)
            memcpy(sum->last, b->last, sizeof sum->last);
        sum->imported += b->n;
        done = b->rows_done - pl->skip;
        batch_destroy(&b);
        progress_rows(&prog, __atomic_load_n(&pl->rows, __ATOMIC_RELAXED) -
                      pl->skip, todo, 0);
    }
    if (rc) {
        /* Stop the worker before anything else touches the writer. */
        pthread_mutex_lock(&pl->mu);
        __atomic_store_n(&pl->stop, 1, __ATOMIC_RELAXED);
        pthread_cond_broadcast(&pl->not_full);
        pthread_mutex_unlock(&pl->mu);
    }
    pthread_join(th, NULL);
    while ((b = pipeline_pop(pl, NULL)))
        batch_destroy(&b);
    sodium_memzero(&committer, sizeof committer);
    if (!rc)
        progress_rows(&prog, done, todo, 1);
    progress_end(&prog);
    pthread_mutex_destroy(&pl->mu);
    pthread_cond_destroy(&pl->not_empty);
    pthread_cond_destroy(&pl->not_full);
    if (pl->skip_bad)
        bad_print(&pl->bad, pl->path, 1);
    sum->skipped = pl->bad.n;

    if (!rc && pl->rc) {
        rc = pl->rc;
        err = pl->err;
    }
    if (!rc)
        return CLI_EXIT_OK;
    if (rc == SD_EFULL)
        cli_errorf("out of space for the next batch: %s", err.msg);
    else
        cli_error(&err);
    if (sum->imported)
        fprintf(stderr, "sadasya: error: %" PRIu64 " members (%s .. %s) "
                "imported before that are kept; %srun the same import again "
                "to resume\n", sum->imported, sum->first, sum->last,
                rc == SD_EFULL ? "free space (or raise SADASYA_MAP_MAX_MB) "
                                 "and " : "");
    else
        fprintf(stderr, "sadasya: error: nothing was imported\n");
    return CLI_EXIT_FAIL;
}

int cmd_import(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "skip-bad", no_argument, 0, 's' },
        { "batch", required_argument, 0, 'b' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    int skip_bad = 0;
    size_t batch_size = IMPORT_BATCH_DEFAULT;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (o) {
        case 's': skip_bad = 1; break;
        case 'b': {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-' || v < 1 ||
                v > IMPORT_BATCH_MAX)
                return cli_usagef("import", "--batch wants a number of rows "
                                  "from 1 to %d, not \"%s\"", IMPORT_BATCH_MAX,
                                  optarg);
            batch_size = (size_t)v;
            break;
        }
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        case ':':
            return cli_usagef("import", "%s needs a value", argv[optind - 1]);
        default:
            return cli_usagef("import", "unknown option %s", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usagef("import", "which CSV file?");
    if (optind + 1 < argc)
        return cli_usagef("import", "unexpected argument %s", argv[optind + 1]);
    const char *path = argv[optind];

    store *s;
    if (cli_open(c, 0, &s))
        return CLI_EXIT_FAIL;

    /* Pass 1: check the whole file before writing anything. */
    sd_err err;
    sd_err_clear(&err);
    check_pass cp;
    memset(&cp, 0, sizeof cp);
    cp.path = path;
    reader r;
    if (reader_open(&r, path, check_row, &cp, &err)) {
        store_destroy(&s);
        return cli_error(&err);
    }
    struct stat st;
    if (fstat(fileno(r.f), &st) == 0 && S_ISREG(st.st_mode))
        cp.size = (uint64_t)st.st_size;
    progress prog;
    progress_start(&prog);
    cp.prog = &prog;
    cp.r = &r;
    uint8_t hash[ENTRY_HASH_BYTES];
    int rc = reader_run(&r, hash);
    if (rc)
        err = r.err;
    reader_close(&r);
    if (prog.drawn)
        progress_check(&prog, cp.size, cp.size, cp.rows, 1);
    progress_end(&prog);
    if (!rc && cp.rc)
        err = cp.err;
    else if (!rc && !cp.have_header)
        sd_errf(&err, SD_EINVAL, "%s is empty: the first row must name the "
                "columns", path);
    if (rc || cp.rc || !cp.have_header) {
        store_destroy(&s);
        return cli_error(&err);
    }

    char meta_name[IMPORT_META_NAME_LEN];
    char hex[65];
    cli_hex32(hash, hex);
    snprintf(meta_name, sizeof meta_name, "%s%s", IMPORT_META_PREFIX, hex);

    summary sum;
    memset(&sum, 0, sizeof sum);
    sum.rows = cp.rows;
    writer *w = NULL;
    /* Progress is read again once the writer holds the lock: another import
     * of the same file may have been running. */
    rc = progress_get(s, meta_name, &sum.already, &err);
    if (!rc && sum.already < cp.rows && cp.bad.n && !skip_bad) {
        bad_print(&cp.bad, path, 0);
        cli_errorf("%s: %" PRIu64 " bad row%s of %" PRIu64 "; nothing "
                   "imported (--skip-bad imports the good rows)", path,
                   cp.bad.n, cp.bad.n == 1 ? "" : "s", cp.rows);
        store_destroy(&s);
        return CLI_EXIT_FAIL;
    }
    if (!rc && sum.already < cp.rows)
        rc = writer_open(&w, s, &err);
    if (!rc && w)
        rc = progress_get(s, meta_name, &sum.already, &err);
    if (rc) {
        writer_destroy(&w);
        store_destroy(&s);
        return cli_error(&err);
    }
    int ret = CLI_EXIT_OK;
    if (sum.already >= cp.rows && cp.rows) {
        if (!c->json)
            printf("%s was already imported (%" PRIu64 " row%s); nothing to "
                   "do\n", path, cp.rows, cp.rows == 1 ? "" : "s");
        else
            summary_print(c, &sum);
    } else if (cp.rows && w->first_serial - 1 + w->head.joins + at_least(cp.rows - sum.already,
                                                   cp.bad.n) >
                              NUMBER_SERIAL_MAX) {
        ret = cli_errorf("%s: %" PRIu64 " more members would pass the last "
                         "membership number of %s (serial %u); nothing "
                         "imported", path,
                         at_least(cp.rows - sum.already, cp.bad.n), w->state,
                         NUMBER_SERIAL_MAX);
    } else if (!cp.rows) {
        summary_print(c, &sum);
    } else {
        pipeline pl;
        memset(&pl, 0, sizeof pl);
        pl.path = path;
        pl.cols = &cp.cols;
        pl.w = w;
        pl.skip = pl.pushed_rows = sum.already;
        pl.rows_expected = cp.rows;
        memcpy(pl.hash_expected, hash, sizeof hash);
        pl.batch_size = batch_size;
        pl.skip_bad = skip_bad;
        ret = import_rows(&pl, w, meta_name, &sum);
        if (ret == CLI_EXIT_OK)
            summary_print(c, &sum);
    }
    writer_destroy(&w);
    store_destroy(&s);
    return ret;
}
