/*
 * csvio.h — reading and writing CSV (RFC 4180), the one place that does.
 *
 * (Named csvio, not csv: node/ is on the include path before libcsv's
 * <csv.h>, which csvio.c reads with.)
 *
 * Reading: bytes are fed in chunks of any size (a file, an upload) and
 * each record comes back as a row of NUL-terminated fields with the line
 * where it begins (1-based), so that errors can say "line 17: ...". A row
 * that cannot be read is still delivered, with the reason in `broken`
 * (a stray quote, a NUL byte, a field over CSVIO_FIELD_MAX), and reading
 * goes on at the next line. Blank lines are skipped; a UTF-8 byte order
 * mark at the start is dropped. A UTF-16 byte order mark (little or big
 * endian) makes the rest UTF-16 text, as Excel saves "Unicode Text": it
 * is turned into UTF-8 as it is fed (a lone surrogate or a last odd byte
 * becomes U+FFFD) and its fields are separated by tabs, not commas.
 *
 * Writing: a row of cells, quoted where RFC 4180 needs (a comma, quote,
 * CR or LF in the cell), and guarded against formula injection as OWASP
 * advises: a cell beginning with '=', '+', '-', '@', TAB or CR is written
 * with a single quote before it, so that a spreadsheet shows it as text
 * instead of running it. A cell already beginning with quotes before such
 * a character gets one more, so that CSVIO_UNGUARD reads every cell back
 * as it was written.
 */
#ifndef SADASYA_CSVIO_H
#define SADASYA_CSVIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

#define CSVIO_FIELDS_MAX 64          /* fields of a row kept; more are counted */
#define CSVIO_FIELD_MAX 4096         /* bytes: a longer field breaks its row */
#define CSVIO_RECORD_MAX (1u << 20)  /* one record this long: the file is broken */

/* Reader flag: take the writer's formula guard off (a leading quote before
 * '=', '+', '-', '@', TAB or CR, after any other quotes), so that what
 * csvio_write_row wrote reads back as it was. */
#define CSVIO_UNGUARD 0x1

/* One record. Fields are NUL-terminated and writable, "" when empty; they
 * are valid during the callback only. */
typedef struct csvio_row {
    char *field[CSVIO_FIELDS_MAX];
    size_t n;              /* fields in the record (only the first
                            * CSVIO_FIELDS_MAX are kept) */
    unsigned long line;    /* where the record begins, from 1 */
    const char *broken;    /* why the record could not be read, or NULL */
} csvio_row;

/* Called with each record; a non-zero return stops the reading (and is
 * what csvio_feed / csvio_finish return). */
typedef int (*csvio_row_fn)(csvio_row *row, void *ctx);

typedef struct csvio_reader csvio_reader;

int csvio_reader_new(csvio_reader **out, int flags, csvio_row_fn fn,
                     void *ctx, sd_err *err);
void csvio_reader_destroy(csvio_reader **r);

/* Parses the next len bytes. SD_OK, the callback's non-zero return when
 * it stopped the reading (nothing more is parsed then), or an error: a
 * record over CSVIO_RECORD_MAX (SD_EINVAL, naming its line), SD_ENOMEM. */
int csvio_feed(csvio_reader *r, const void *bytes, size_t len, sd_err *err);

/* The end of the input: delivers the last record (a quote never closed
 * makes it broken). Returns as csvio_feed. */
int csvio_finish(csvio_reader *r, sd_err *err);

/* Writes one row of n cells (NULL is an empty cell) and a newline.
 * SD_EIO when the stream has failed. */
int csvio_write_row(FILE *out, const char *const *cells, size_t n,
                    sd_err *err);

#endif
