/*
 * bench_wait.c — how long a new member takes to reach other nodes.
 *
 *   bench_wait TOTAL TIMEOUT_MS SOURCE_DIR DIR...
 *
 * Polls each store (read-only, every millisecond) until its national total
 * reaches TOTAL, and prints for each DIR the milliseconds between the
 * member's arrival at SOURCE_DIR (the local commit) and at DIR, one line
 * per DIR ("-1" if it did not arrive in time). Exit 1 on a timeout.
 * BENCH_WAIT_POLL_MS sets the polling interval (default 1 ms; a catch-up
 * benchmark polls less often, so as not to pin the writer's free pages).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "store_db.h"
#include "view.h"

#define MAX_DIRS 64

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 5 || argc - 3 > MAX_DIRS) {
        fprintf(stderr, "usage: bench_wait TOTAL TIMEOUT_MS SOURCE_DIR DIR...\n");
        return 2;
    }
    uint64_t want = strtoull(argv[1], NULL, 10);
    double timeout = atof(argv[2]);
    int n = argc - 3;
    store *s[MAX_DIRS];
    double at[MAX_DIRS];
    sd_err err;
    for (int i = 0; i < n; i++) {
        if (store_open(&s[i], argv[3 + i], STORE_RDONLY, &err)) {
            fprintf(stderr, "bench_wait: %s\n", err.msg);
            return 2;
        }
        at[i] = -1;
    }
    const char *poll = getenv("BENCH_WAIT_POLL_MS");
    useconds_t poll_us = poll && atoi(poll) > 0 ? (useconds_t)atoi(poll) * 1000 : 1000;
    double t0 = now_ms();
    int left = n;
    while (left && now_ms() - t0 < timeout) {
        for (int i = 0; i < n; i++) {
            if (at[i] >= 0)
                continue;
            MDB_txn *txn;
            counter_row row;
            if (store_begin(s[i], 0, &txn, NULL))
                continue;
            if (view_counter_get(s[i], txn, "total", "", &row, NULL) == SD_OK &&
                row.members >= want) {
                at[i] = now_ms();
                left--;
            }
            mdb_txn_abort(txn);
        }
        usleep(poll_us);
    }
    for (int i = 1; i < n; i++)
        printf("%.2f\n", at[i] >= 0 && at[0] >= 0 ? at[i] - at[0] : -1.0);
    for (int i = 0; i < n; i++)
        store_destroy(&s[i]);
    return left ? 1 : 0;
}
