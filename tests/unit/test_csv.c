/*
 * test_csv.c — unit tests for node/csvio.c: quoting, embedded newlines and
 * quotes, CRLF, line numbers, a formula cell guarded on writing and read
 * back, a NUL byte (a broken row naming its line, not a cut field), a
 * trailing empty row, stray quotes, chunk boundaries anywhere; UTF-16
 * "Unicode Text" (LE and BE, tabs, a character cut by a chunk, a
 * surrogate pair, a lone surrogate) read as UTF-8.
 */
#include "helpers.h"

#include "csvio.h"

#define ROWS_MAX 16

/* What the reader delivered, copied out. */
typedef struct got {
    size_t rows;
    size_t n[ROWS_MAX];
    unsigned long line[ROWS_MAX];
    char broken[ROWS_MAX][128];
    char field[ROWS_MAX][8][64];
    int stop_after;          /* stop once this many rows came (0: never) */
} got;

static int collect(csvio_row *row, void *ctx)
{
    got *g = ctx;
    assert_true(g->rows < ROWS_MAX);
    size_t i = g->rows++;
    g->n[i] = row->n;
    g->line[i] = row->line;
    snprintf(g->broken[i], sizeof g->broken[i], "%s",
             row->broken ? row->broken : "");
    for (size_t k = 0; k < row->n && k < 8; k++)
        snprintf(g->field[i][k], sizeof g->field[i][k], "%s", row->field[k]);
    return g->stop_after && g->rows == (size_t)g->stop_after ? 7 : 0;
}

/* Reads len bytes of text in chunks of chunk bytes (0: all at once). */
static int read_csv(const char *text, size_t len, size_t chunk, int flags,
                    got *g)
{
    memset(g->n, 0, sizeof g->n);
    g->rows = 0;
    csvio_reader *r;
    sd_err err;
    assert_int_equal(csvio_reader_new(&r, flags, collect, g, &err), SD_OK);
    int rc = SD_OK;
    for (size_t pos = 0; pos < len && !rc;) {
        size_t n = chunk && len - pos > chunk ? chunk : len - pos;
        rc = csvio_feed(r, text + pos, n, &err);
        pos += n;
    }
    if (!rc)
        rc = csvio_finish(r, &err);
    csvio_reader_destroy(&r);
    assert_null(r);
    return rc;
}

static void test_quoting_newlines_crlf(void **state)
{
    (void)state;
    static const char text[] =
        "\xef\xbb\xbfname,note\r\n"
        "\"Rao, Sita\",\"said \"\"hi\"\"\"\r\n"
        "\r\n"
        "Amit,\"two\r\nlines\"\r\n"
        "Lata,plain\r\n";
    /* Any chunking gives the same rows. */
    size_t chunks[] = { 0, 1, 2, 5, 7 };
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        got g = { 0 };
        assert_int_equal(read_csv(text, sizeof text - 1, chunks[c], 0, &g),
                         SD_OK);
        assert_int_equal(g.rows, 4);
        assert_string_equal(g.field[0][0], "name");
        assert_int_equal(g.line[0], 1);
        assert_string_equal(g.field[1][0], "Rao, Sita");
        assert_string_equal(g.field[1][1], "said \"hi\"");
        assert_int_equal(g.line[1], 2);
        assert_string_equal(g.field[2][0], "Amit");
        assert_string_equal(g.field[2][1], "two\r\nlines");
        assert_int_equal(g.line[2], 4); /* after a blank line */
        assert_string_equal(g.field[3][1], "plain");
        assert_int_equal(g.line[3], 6); /* the quoted newline counts */
        for (size_t i = 0; i < 4; i++) {
            assert_int_equal(g.n[i], 2);
            assert_string_equal(g.broken[i], "");
        }
    }
}

static void test_trailing_empty_row(void **state)
{
    (void)state;
    got g = { 0 };
    static const char text[] = "a,b\n1,2\n\n";
    assert_int_equal(read_csv(text, sizeof text - 1, 0, 0, &g), SD_OK);
    assert_int_equal(g.rows, 2);
    /* A last record without its newline still comes. */
    static const char open_end[] = "a,b\n1,";
    assert_int_equal(read_csv(open_end, sizeof open_end - 1, 0, 0, &g), SD_OK);
    assert_int_equal(g.rows, 2);
    assert_int_equal(g.n[1], 2);
    assert_string_equal(g.field[1][1], "");
}

static void test_nul_byte_breaks_its_row(void **state)
{
    (void)state;
    got g = { 0 };
    static const char text[] = "a,b\nok,1\nbad\0tail,2\nnext,3\n";
    assert_int_equal(read_csv(text, sizeof text - 1, 0, 0, &g), SD_OK);
    assert_int_equal(g.rows, 4);
    assert_non_null(strstr(g.broken[2], "NUL"));
    assert_int_equal(g.line[2], 3);
    assert_string_equal(g.broken[3], "");
    assert_string_equal(g.field[3][0], "next");
}

static void test_malformed_rows(void **state)
{
    (void)state;
    got g = { 0 };
    static const char stray[] = "a,b\nx\"y,1\nfine,2\n";
    assert_int_equal(read_csv(stray, sizeof stray - 1, 0, 0, &g), SD_OK);
    assert_int_equal(g.rows, 3);
    assert_non_null(strstr(g.broken[1], "malformed"));
    assert_int_equal(g.line[1], 2);
    assert_string_equal(g.field[2][0], "fine");
    assert_int_equal(g.line[2], 3);

    static const char open_quote[] = "a,b\n\"never closed,1\n";
    assert_int_equal(read_csv(open_quote, sizeof open_quote - 1, 0, 0, &g),
                     SD_OK);
    assert_int_equal(g.rows, 2);
    assert_non_null(strstr(g.broken[1], "never closed"));
    assert_int_equal(g.line[1], 2);
}

static void test_long_field_and_stop(void **state)
{
    (void)state;
    size_t len = CSVIO_FIELD_MAX + 10;
    char *text = malloc(len + 16);
    assert_non_null(text);
    memcpy(text, "a\n", 2);
    memset(text + 2, 'x', len);
    memcpy(text + 2 + len, "\nb\n", 3);
    got g = { 0 };
    assert_int_equal(read_csv(text, len + 5, 100, 0, &g), SD_OK);
    assert_int_equal(g.rows, 3);
    assert_non_null(strstr(g.broken[1], "longer than"));
    free(text);

    /* The callback's non-zero return stops the reading and comes back. */
    static const char rows[] = "1\n2\n3\n4\n";
    g.stop_after = 2;
    assert_int_equal(read_csv(rows, sizeof rows - 1, 0, 0, &g), 7);
    assert_int_equal(g.rows, 2);
}

/* The bytes csvio_write_row writes for cells. */
static const char *written(const char *const *cells, size_t n)
{
    static char buf[512];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    assert_non_null(f);
    sd_err err;
    assert_int_equal(csvio_write_row(f, cells, n, &err), SD_OK);
    fclose(f);
    return buf;
}

/* UTF-16 of text in LE or BE with its byte order mark; code units given. */
static size_t utf16(const unsigned short *units, size_t n, int le,
                    unsigned char *out)
{
    size_t k = 0;
    out[k++] = le ? 0xff : 0xfe;
    out[k++] = le ? 0xfe : 0xff;
    for (size_t i = 0; i < n; i++) {
        unsigned char hi = (unsigned char)(units[i] >> 8);
        unsigned char lo = (unsigned char)(units[i] & 0xff);
        out[k++] = le ? lo : hi;
        out[k++] = le ? hi : lo;
    }
    return k;
}

static void test_utf16(void **state)
{
    (void)state;
    /* "नाम\tx,y\r\n" "\"a\tb\"\tU+1F600\r\n" "?\n" with a lone high
     * surrogate for ? */
    static const unsigned short units[] = {
        0x0928, 0x093e, 0x092e, '\t', 'x', ',', 'y', '\r', '\n',
        '"', 'a', '\t', 'b', '"', '\t', 0xd83d, 0xde00, '\r', '\n',
        0xd800, '\n',
    };
    unsigned char buf[128];
    got g;
    for (int le = 0; le <= 1; le++) {
        size_t len = utf16(units, sizeof units / sizeof units[0], le, buf);
        for (size_t chunk = 0; chunk <= 5; chunk++) {
            assert_int_equal(read_csv((const char *)buf, len, chunk, 0, &g),
                             SD_OK);
            assert_int_equal(g.rows, 3);
            assert_int_equal(g.n[0], 2);
            assert_string_equal(g.field[0][0], "नाम");
            assert_string_equal(g.field[0][1], "x,y"); /* a comma is text */
            assert_int_equal(g.n[1], 2);
            assert_string_equal(g.field[1][0], "a\tb");
            assert_string_equal(g.field[1][1], "\xf0\x9f\x98\x80");
            assert_int_equal(g.line[2], 3);
            assert_string_equal(g.field[2][0], "\xef\xbf\xbd");
        }
    }
    /* an odd byte at the end becomes U+FFFD; a file of "\xff" alone is
     * plain text */
    size_t len = utf16(units, 2, 1, buf);
    buf[len++] = 'z';
    assert_int_equal(read_csv((const char *)buf, len, 0, 0, &g), SD_OK);
    assert_string_equal(g.field[0][0], "\xe0\xa4\xa8\xe0\xa4\xbe\xef\xbf\xbd");
    assert_int_equal(read_csv("\xffz", 2, 1, 0, &g), SD_OK);
    assert_string_equal(g.field[0][0], "\xffz");
}

static void test_write_quotes_and_guards(void **state)
{
    (void)state;
    const char *plain[] = { "BR-0000001-5", NULL, "रागिनी" };
    assert_string_equal(written(plain, 3), "BR-0000001-5,,रागिनी\n");
    const char *quoted[] = { "a,b", "say \"x\"", "two\nlines" };
    assert_string_equal(written(quoted, 3),
                        "\"a,b\",\"say \"\"x\"\"\",\"two\nlines\"\n");
    const char *formula[] = { "=HYPERLINK(\"http://x\")", "+91", "-1",
                              "@SUM(A1)", "\tx", "'=x", "it's" };
    assert_string_equal(written(formula, 7),
                        "\"'=HYPERLINK(\"\"http://x\"\")\",'+91,'-1,"
                        "'@SUM(A1),'\tx,''=x,it's\n");
    const char *cr[] = { "\rx" };
    assert_string_equal(written(cr, 1), "\"'\rx\"\n");
}

static void test_guard_round_trip(void **state)
{
    (void)state;
    const char *cells[] = { "=1+2", "'=x", "'plain", "-", "+91 94310",
                            "@a", "x=1" };
    const char *text = written(cells, 7);
    got g = { 0 };
    assert_int_equal(read_csv(text, strlen(text), 0, CSVIO_UNGUARD, &g),
                     SD_OK);
    assert_int_equal(g.rows, 1);
    assert_int_equal(g.n[0], 7);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(g.field[0][i], cells[i]);
    /* Without the flag the guard is kept, as a spreadsheet shows it. */
    assert_int_equal(read_csv(text, strlen(text), 0, 0, &g), SD_OK);
    assert_string_equal(g.field[0][0], "'=1+2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoting_newlines_crlf),
        cmocka_unit_test(test_trailing_empty_row),
        cmocka_unit_test(test_nul_byte_breaks_its_row),
        cmocka_unit_test(test_malformed_rows),
        cmocka_unit_test(test_long_field_and_stop),
        cmocka_unit_test(test_utf16),
        cmocka_unit_test(test_write_quotes_and_guards),
        cmocka_unit_test(test_guard_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
