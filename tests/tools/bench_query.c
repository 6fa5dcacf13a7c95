/*
 * bench_query.c — latency of a national stats query (node/README.md: stats
 * answer from the counters, constant time in the number of members).
 *
 *   bench_query DATA_DIR DIM [reps]
 *
 * Opens the store read-only once, then times `reps` (default 200) complete
 * queries done as `sadasya stats --by DIM` does them (cli/cmd_stats.c): a
 * read transaction, the "total" counter, every row of DIM collected into
 * memory, the transaction aborted. Opening the store and printing are
 * left out: they are the same whatever the store holds. Prints
 *   stats_DIM_rows N         rows the dimension has
 *   stats_DIM_total N        members counted in "total"
 *   stats_DIM_median_us N    median latency of one query, microseconds
 *   stats_DIM_p99_us N       99th percentile, microseconds
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "store_db.h"
#include "view.h"

#define REPS_DEFAULT 200

/* The rows of one query, as the CLI would hold them before printing. */
typedef struct rows {
    struct row {
        char *value;
        counter_row c;
    } *v;
    size_t n, cap;
} rows;

static int collect(const char *value, const counter_row *r, void *ctx)
{
    rows *x = ctx;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 64;
        struct row *v = realloc(x->v, cap * sizeof *v);
        if (!v)
            return SD_ENOMEM;
        x->v = v;
        x->cap = cap;
    }
    x->v[x->n].value = strdup(value);
    if (!x->v[x->n].value)
        return SD_ENOMEM;
    x->v[x->n++].c = *r;
    return 0;
}

static void rows_clear(rows *x)
{
    for (size_t i = 0; i < x->n; i++)
        free(x->v[i].value);
    x->n = 0;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One query as cmd_stats runs it. */
static int query(store *s, const char *dim, counter_row *total, rows *out,
                 sd_err *err)
{
    MDB_txn *txn;
    int rc = store_begin(s, 0, &txn, err);
    if (rc)
        return rc;
    rc = view_counter_get(s, txn, "total", "", total, err);
    if (!rc)
        rc = view_counter_each(s, txn, dim, collect, out, err);
    mdb_txn_abort(txn);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fputs("usage: bench_query DATA_DIR DIM [reps]\n", stderr);
        return 2;
    }
    const char *dir = argv[1], *dim = argv[2];
    long reps = argc == 4 ? strtol(argv[3], NULL, 10) : REPS_DEFAULT;
    static const char *const dims[] = { "state", "district", "gender",
                                        "status", "area", "month" };
    int known = 0;
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++)
        known |= !strcmp(dim, dims[i]);
    if (!known) {
        fprintf(stderr, "bench_query: error: %s is not one of state, district, "
                "gender, status, area, month\n", dim);
        return 2;
    }
    if (reps < 1) {
        fputs("bench_query: error: reps must be a positive number\n", stderr);
        return 2;
    }
    sd_err err;
    sd_err_clear(&err);
    store *s;
    if (store_open(&s, dir, STORE_RDONLY, &err)) {
        fprintf(stderr, "bench_query: error: %s\n", err.msg);
        return 1;
    }
    double *lat = malloc((size_t)reps * sizeof *lat);
    rows out = { NULL, 0, 0 };
    counter_row total;
    int rc = lat ? 0 : SD_ENOMEM;
    /* one untimed query warms the map pages and the allocator */
    if (!rc)
        rc = query(s, dim, &total, &out, &err);
    size_t nrows = out.n;
    rows_clear(&out);
    for (long i = 0; !rc && i < reps; i++) {
        double t0 = now_us();
        rc = query(s, dim, &total, &out, &err);
        lat[i] = now_us() - t0;
        rows_clear(&out);
    }
    store_destroy(&s);
    free(out.v);
    if (rc) {
        fprintf(stderr, "bench_query: error: %s\n",
                err.msg[0] ? err.msg : "out of memory");
        free(lat);
        return 1;
    }
    qsort(lat, (size_t)reps, sizeof *lat, cmp_double);
    /* nearest rank: the smallest latency at or above 99% of the runs */
    size_t p99 = ((size_t)reps * 99 + 99) / 100 - 1;
    double median = reps % 2 ? lat[reps / 2] : (lat[reps / 2 - 1] + lat[reps / 2]) / 2;
    printf("stats_%s_rows %zu\n", dim, nrows);
    printf("stats_%s_total %llu\n", dim, (unsigned long long)total.members);
    printf("stats_%s_median_us %.1f\n", dim, median);
    printf("stats_%s_p99_us %.1f\n", dim, lat[p99]);
    free(lat);
    return 0;
}
