/*
 * store_db.h — the LMDB side of the store, for the node/ modules that
 * read and write its tables themselves (the store, the write path, the
 * folds and the view). Everything else — cli/, the web app, the daemon's
 * loop — reaches the data through the functions of store.h and the
 * modules above it, and never sees LMDB (node/README.md).
 */
#ifndef SADASYA_STORE_DB_H
#define SADASYA_STORE_DB_H

#include <lmdb.h>
#include <stdint.h>

#include "store.h"

struct store {
    MDB_env *env;
    MDB_dbi log, personal, heads, members, idx_phone, idx_name, idx_dist,
        counters, roster, evidence, voided, meta,
        officers, events, attend, honours, notices, directory;
    int rdonly;
    int override_fence;
    uint64_t map_max;      /* growth stops here: SADASYA_MAP_MAX_MB, else 1 TiB */
    int map_reserved;      /* mapped at map_max for good (store_map_reserve) */
    char dir[4096];
};

#endif
