/*
 * csvio.c — the CSV reader (on libcsv) and writer. See csvio.h.
 *
 * libcsv is fed one physical line at a time, so that the line where each
 * record begins is known: a record starts on the first line after the
 * previous one that is not blank (libcsv skips blank lines).
 */
#include "csvio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

static const unsigned char parser_opts = CSV_STRICT | CSV_STRICT_FINI;

/* A UTF-8 byte order mark, as spreadsheets write at the start. */
static const unsigned char bom[3] = { 0xef, 0xbb, 0xbf };
#define BOM_DONE 3

struct csvio_reader {
    struct csv_parser p;
    int flags;
    csvio_row_fn fn;
    void *ctx;
    unsigned long line;      /* the line being parsed, from 1 */
    unsigned long row_start; /* the line where the current record began */
    int between;             /* no record begun since the last one ended */
    int bom;                 /* bytes of a leading byte order mark seen;
                              * BOM_DONE once past it */
    char *buf;               /* the current record's fields */
    size_t len, cap;
    size_t off[CSVIO_FIELDS_MAX];
    size_t nfields;
    const char *bad;         /* why a field broke the record, or NULL */
    int stop;                /* the callback's non-zero return */
    int rc;                  /* an error inside a libcsv callback */
};

/* The characters a spreadsheet may take a formula from (OWASP, "CSV
 * injection"). */
static int formula_start(char c)
{
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' ||
           c == '\r';
}

/* Whether s is guarded: quotes, then a formula character. */
static int guarded(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && s[i] == '\'')
        i++;
    return i < len && formula_start(s[i]);
}

static void reset_row(csvio_reader *r)
{
    r->len = 0;
    r->nfields = 0;
    r->bad = NULL;
    r->between = 1;
}

static void deliver(csvio_reader *r, const char *broken)
{
    csvio_row row;
    row.n = r->nfields;
    row.line = r->row_start;
    row.broken = broken ? broken : r->bad;
    size_t kept = r->nfields < CSVIO_FIELDS_MAX ? r->nfields : CSVIO_FIELDS_MAX;
    for (size_t i = 0; i < kept; i++)
        row.field[i] = r->buf + r->off[i];
    reset_row(r);
    if (!r->stop && !r->rc)
        r->stop = r->fn(&row, r->ctx);
}

static void on_field(void *data, size_t len, void *ctx)
{
    csvio_reader *r = ctx;
    const char *s = data;
    if (r->nfields >= CSVIO_FIELDS_MAX || r->rc) {
        r->nfields++;
        return;
    }
    if (len > CSVIO_FIELD_MAX) {
        r->bad = "a field is longer than 4096 bytes";
        len = 0;
    } else if (len && memchr(s, '\0', len)) {
        r->bad = "a NUL byte in a field (is it a CSV file in UTF-8?)";
        len = 0;
    }
    if ((r->flags & CSVIO_UNGUARD) && len > 1 && s[0] == '\'' &&
        guarded(s + 1, len - 1)) {
        s++;
        len--;
    }
    if (r->len + len + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 1024;
        while (cap < r->len + len + 1)
            cap *= 2;
        char *nb = realloc(r->buf, cap);
        if (!nb) {
            r->rc = SD_ENOMEM;
            return;
        }
        r->buf = nb;
        r->cap = cap;
    }
    r->off[r->nfields++] = r->len;
    if (len)
        memcpy(r->buf + r->len, s, len);
    r->buf[r->len + len] = '\0';
    r->len += len + 1;
}

static void on_record(int c, void *ctx)
{
    (void)c;
    deliver(ctx, NULL);
}

int csvio_reader_new(csvio_reader **out, int flags, csvio_row_fn fn,
                     void *ctx, sd_err *err)
{
    *out = NULL;
    csvio_reader *r = calloc(1, sizeof *r);
    if (!r || csv_init(&r->p, parser_opts) != 0) {
        free(r);
        return sd_errf(err, SD_ENOMEM, "out of memory");
    }
    r->flags = flags;
    r->fn = fn;
    r->ctx = ctx;
    r->line = r->row_start = 1;
    r->between = 1;
    *out = r;
    return SD_OK;
}

void csvio_reader_destroy(csvio_reader **r)
{
    if (!r || !*r)
        return;
    csv_free(&(*r)->p);
    free((*r)->buf);
    free(*r);
    *r = NULL;
}

/* What to return once a step is done: an error, the stop, or SD_OK. */
static int outcome(csvio_reader *r, sd_err *err)
{
    if (r->rc)
        return sd_errf(err, r->rc, "out of memory");
    return r->stop;
}

/* A record libcsv refused: delivered broken; a fresh parser goes on. */
static int broken(csvio_reader *r, const char *why)
{
    deliver(r, why);
    csv_free(&r->p);
    if (csv_init(&r->p, parser_opts) != 0)
        r->rc = SD_ENOMEM;
    return r->rc;
}

/* Parses bytes, a physical line at a time. */
static int parse(csvio_reader *r, const unsigned char *b, size_t len,
                 sd_err *err)
{
    size_t pos = 0;
    while (pos < len && !r->stop && !r->rc) {
        const unsigned char *nl = memchr(b + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - b) + 1 : len;
        size_t want = end - pos;
        if (r->between) {
            for (size_t i = pos; i < end; i++) {
                unsigned char ch = b[i];
                if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
                    r->between = 0;
                    r->row_start = r->line;
                    break;
                }
            }
        }
        if (csv_parse(&r->p, b + pos, want, on_field, on_record, r) != want) {
            if (csv_error(&r->p) != CSV_EPARSE)
                r->rc = SD_ENOMEM;
            else
                broken(r, "malformed CSV: a quote inside an unquoted field, "
                          "or text after a closing quote");
        } else if (csv_get_buffer_size(&r->p) > CSVIO_RECORD_MAX) {
            return sd_errf(err, SD_EINVAL, "line %lu: a field runs on for "
                           "more than 1 MiB (a quote never closed?)",
                           r->row_start);
        }
        if (nl)
            r->line++;
        pos = end;
    }
    return outcome(r, err);
}

/* The bytes of a byte order mark begun but not finished are text after
 * all: parsed now. */
static int bom_broken(csvio_reader *r, sd_err *err)
{
    size_t held = (size_t)r->bom;
    r->bom = BOM_DONE;
    return held ? parse(r, bom, held, err) : SD_OK;
}

int csvio_feed(csvio_reader *r, const void *bytes, size_t len, sd_err *err)
{
    const unsigned char *b = bytes;
    size_t pos = 0;
    while (r->bom != BOM_DONE && pos < len) {
        if (b[pos] != bom[r->bom]) {
            int rc = bom_broken(r, err);
            if (rc)
                return rc;
            break;
        }
        r->bom++;
        pos++;
    }
    return parse(r, b + pos, len - pos, err);
}

int csvio_finish(csvio_reader *r, sd_err *err)
{
    if (r->bom != BOM_DONE) {
        int rc = bom_broken(r, err);
        if (rc)
            return rc;
    }
    if (!r->stop && !r->rc &&
        csv_fini(&r->p, on_field, on_record, r) != 0)
        broken(r, "malformed CSV: a quoted field is never closed");
    return outcome(r, err);
}

/* --- writing -------------------------------------------------------------- */

static void put_cell(FILE *out, const char *v)
{
    size_t len = v ? strlen(v) : 0;
    int guard = len && guarded(v, len);
    if (!strpbrk(v ? v : "", ",\"\r\n")) {
        if (guard)
            fputc('\'', out);
        if (len)
            fwrite(v, 1, len, out);
        return;
    }
    fputc('"', out);
    if (guard)
        fputc('\'', out);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

int csvio_write_row(FILE *out, const char *const *cells, size_t n,
                    sd_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', out);
        put_cell(out, cells[i]);
    }
    fputc('\n', out);
    if (ferror(out))
        return sd_errf(err, SD_EIO, "writing CSV: %s",
                       strerror(errno ? errno : EIO));
    return SD_OK;
}
