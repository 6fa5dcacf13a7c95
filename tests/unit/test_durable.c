/*
 * test_durable.c — unit tests for node/durable.c: a file is written whole
 * with its mode, replaces the old one (or, with DURABLE_EXCL, refuses to),
 * an aborted write keeps the old file, and no temporary file is left.
 */
#include "helpers.h"

#include <dirent.h>
#include <stdio.h>

#include "durable.h"

/* Entries of dir other than . and .. */
static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* The file's bytes, NUL-terminated, in a static buffer. */
static const char *slurp(const char *dir, const char *name)
{
    static char buf[256];
    char path[TH_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_write_replace_mode(void **state)
{
    (void)state;
    char dir[TH_PATH_MAX];
    th_tmpdir(dir, "test_durable");
    sd_err err;
    assert_int_equal(durable_write_file(dir, "a", "one", 3, 0640, 0, &err),
                     SD_OK);
    assert_string_equal(slurp(dir, "a"), "one");
    assert_int_equal(durable_write_file(dir, "a", "two!", 4, 0600, 0, &err),
                     SD_OK);
    assert_string_equal(slurp(dir, "a"), "two!");
    char path[TH_PATH_MAX + 8];
    snprintf(path, sizeof path, "%s/a", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(count_files(dir), 1);
    th_rmrf(dir);
}

static void test_excl_keeps_existing(void **state)
{
    (void)state;
    char dir[TH_PATH_MAX];
    th_tmpdir(dir, "test_durable");
    sd_err err;
    char path[TH_PATH_MAX + 8];
    snprintf(path, sizeof path, "%s/k", dir);
    assert_int_equal(durable_write_file(NULL, path, "old", 3, 0600,
                                        DURABLE_EXCL, &err), SD_OK);
    assert_int_equal(durable_write_file(NULL, path, "new", 3, 0600,
                                        DURABLE_EXCL, &err), SD_ECONFLICT);
    assert_non_null(strstr(err.msg, path));
    assert_string_equal(slurp(dir, "k"), "old");
    assert_int_equal(count_files(dir), 1);
    th_rmrf(dir);
}

static void test_stream_abort_and_commit(void **state)
{
    (void)state;
    char dir[TH_PATH_MAX];
    th_tmpdir(dir, "test_durable");
    sd_err err;
    assert_int_equal(durable_write_file(dir, "b", "kept", 4, 0600, 0, &err),
                     SD_OK);
    durable_file *f;
    assert_int_equal(durable_open(&f, dir, "b", 0600, 0, &err), SD_OK);
    FILE *fp = durable_stream(f);
    assert_non_null(fp);
    fputs("half", fp);
    assert_int_equal(count_files(dir), 2); /* the temporary file */
    durable_abort(&f);
    assert_null(f);
    assert_string_equal(slurp(dir, "b"), "kept");
    assert_int_equal(count_files(dir), 1);

    assert_int_equal(durable_open(&f, dir, "b", 0600, 0, &err), SD_OK);
    assert_int_equal(durable_write(f, "whole", 5, &err), SD_OK);
    assert_string_equal(slurp(dir, "b"), "kept"); /* not yet */
    assert_int_equal(durable_commit(&f, &err), SD_OK);
    assert_null(f);
    assert_string_equal(slurp(dir, "b"), "whole");
    assert_int_equal(count_files(dir), 1);
    th_rmrf(dir);
}

static void test_missing_dir(void **state)
{
    (void)state;
    sd_err err;
    assert_int_equal(durable_write_file("/nonexistent/durable", "x", "x", 1,
                                        0600, 0, &err), SD_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/durable/x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_replace_mode),
        cmocka_unit_test(test_excl_keeps_existing),
        cmocka_unit_test(test_stream_abort_and_commit),
        cmocka_unit_test(test_missing_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
