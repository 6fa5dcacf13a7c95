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

#define UNICODE_REPLACEMENT 0xfffd

/* Byte order marks a spreadsheet writes at the start: UTF-8 ("CSV
 * UTF-8"), and UTF-16 little or big endian ("Unicode Text", which Excel
 * also separates with tabs). */
static const unsigned char bom_utf8[3] = { 0xef, 0xbb, 0xbf };
static const unsigned char bom_le[2] = { 0xff, 0xfe };
static const unsigned char bom_be[2] = { 0xfe, 0xff };

/* What the start of the input said the text is. */
enum { ENC_SNIFFING, ENC_UTF8, ENC_UTF16LE, ENC_UTF16BE };

struct csvio_reader {
    struct csv_parser p;
    int flags;
    csvio_row_fn fn;
    void *ctx;
    unsigned long line;      /* the line being parsed, from 1 */
    unsigned long row_start; /* the line where the current record began */
    int between;             /* no record begun since the last one ended */
    int enc;                 /* ENC_*: sniffing until the start is known */
    unsigned char head[3];   /* the first bytes, while sniffing */
    size_t nhead;
    unsigned char odd[4];    /* UTF-16 bytes of a character not yet whole */
    size_t nodd;
    unsigned char delim;     /* ',' or, for UTF-16 text, TAB */
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
    r->delim = ',';
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
    else
        csv_set_delim(&r->p, r->delim);
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

/* Writes code point c as UTF-8 at out; the bytes written. */
static size_t utf8_put(unsigned long c, unsigned char *out)
{
    if (c < 0x80) {
        out[0] = (unsigned char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (unsigned char)(0xc0 | (c >> 6));
        out[1] = (unsigned char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (unsigned char)(0xe0 | (c >> 12));
        out[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
        out[2] = (unsigned char)(0x80 | (c & 0x3f));
        return 3;
    }
    out[0] = (unsigned char)(0xf0 | (c >> 18));
    out[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
    out[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
    out[3] = (unsigned char)(0x80 | (c & 0x3f));
    return 4;
}

/* Turns UTF-16 bytes into UTF-8 and parses them; a character cut by the
 * end of the chunk waits in r->odd for the next (at the end of the input,
 * fin, it becomes U+FFFD, as does a lone surrogate). */
static int feed_utf16(csvio_reader *r, const unsigned char *b, size_t len,
                      int fin, sd_err *err)
{
    unsigned char *out = malloc((r->nodd + len) / 2 * 3 + 8);
    if (!out)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    size_t n = 0, pos = 0;
    int le = r->enc == ENC_UTF16LE;
    for (;;) {
        while (r->nodd < 4 && pos < len)
            r->odd[r->nodd++] = b[pos++];
        if (r->nodd < 2)
            break;
        unsigned long u = le ? (unsigned long)(r->odd[0] | r->odd[1] << 8)
                             : (unsigned long)(r->odd[0] << 8 | r->odd[1]);
        size_t used = 2;
        if (u >= 0xd800 && u < 0xdc00) {
            if (r->nodd < 4 && !fin)
                break; /* the low half is in the next chunk */
            unsigned long lo = 0;
            if (r->nodd == 4)
                lo = le ? (unsigned long)(r->odd[2] | r->odd[3] << 8)
                        : (unsigned long)(r->odd[2] << 8 | r->odd[3]);
            if (lo >= 0xdc00 && lo < 0xe000) {
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                used = 4;
            } else {
                u = UNICODE_REPLACEMENT;
            }
        } else if (u >= 0xdc00 && u < 0xe000) {
            u = UNICODE_REPLACEMENT;
        }
        n += utf8_put(u, out + n);
        memmove(r->odd, r->odd + used, r->nodd - used);
        r->nodd -= used;
    }
    if (fin && r->nodd) { /* an odd byte at the very end */
        n += utf8_put(UNICODE_REPLACEMENT, out + n);
        r->nodd = 0;
    }
    int rc = n ? parse(r, out, n, err) : outcome(r, err);
    free(out);
    return rc;
}

/* Parses bytes once the encoding is known. */
static int feed_known(csvio_reader *r, const unsigned char *b, size_t len,
                      int fin, sd_err *err)
{
    if (r->enc == ENC_UTF8)
        return len ? parse(r, b, len, err) : outcome(r, err);
    return feed_utf16(r, b, len, fin, err);
}

/* Whether the bytes seen so far start with (all or part of) mark. */
static int head_fits(const csvio_reader *r, const unsigned char *mark,
                     size_t mlen)
{
    size_t n = r->nhead < mlen ? r->nhead : mlen;
    return !memcmp(r->head, mark, n);
}

/* Decides the encoding from the first bytes, as soon as they tell (or at
 * the end, fin); the bytes held that are text, not a mark, are parsed. */
static int sniff(csvio_reader *r, int fin, sd_err *err)
{
    size_t drop = 0;
    if (r->nhead >= 2 && (head_fits(r, bom_le, 2) || head_fits(r, bom_be, 2))) {
        r->enc = r->head[0] == 0xff ? ENC_UTF16LE : ENC_UTF16BE;
        r->delim = '\t';
        csv_set_delim(&r->p, r->delim);
        drop = 2;
    } else if (r->nhead == 3 && head_fits(r, bom_utf8, 3)) {
        r->enc = ENC_UTF8;
        drop = 3;
    } else if (fin || !(head_fits(r, bom_utf8, 3) || head_fits(r, bom_le, 2) ||
                        head_fits(r, bom_be, 2))) {
        r->enc = ENC_UTF8;
    } else {
        return SD_OK; /* not told yet */
    }
    return feed_known(r, r->head + drop, r->nhead - drop, fin, err);
}

int csvio_feed(csvio_reader *r, const void *bytes, size_t len, sd_err *err)
{
    const unsigned char *b = bytes;
    size_t pos = 0;
    while (r->enc == ENC_SNIFFING && pos < len) {
        r->head[r->nhead++] = b[pos++];
        int rc = sniff(r, 0, err);
        if (rc)
            return rc;
    }
    return feed_known(r, b + pos, len - pos, 0, err);
}

int csvio_finish(csvio_reader *r, sd_err *err)
{
    int rc = r->enc == ENC_SNIFFING ? sniff(r, 1, err)
                                    : r->enc == ENC_UTF8
                                          ? SD_OK
                                          : feed_utf16(r, NULL, 0, 1, err);
    if (rc)
        return rc;
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
