/*
 * store.h — one node's LMDB environment (node/README.md).
 *
 * Named databases:
 *   log        origin(32) ‖ seq(8, BE)  → sig(64) ‖ entry bytes
 *   personal   origin(32) ‖ seq(8, BE)  → Personal blob (as received)
 *   heads      origin(32)               → seq(8) ‖ hash(32) ‖ joins(8) ‖ state(4)
 *   members    number (canonical)       → MemberView
 *   idx_phone  phone digits             → number   (dup-sorted)
 *   idx_name   name token               → number   (dup-sorted)
 *   idx_dist   state ‖ 0 ‖ district     → number   (dup-sorted)
 *   counters   dimension ‖ 0 ‖ value    → struct counter_row
 *   roster     "s" state / "k" key      → ChapterView / state code
 *   evidence   origin ‖ seq ‖ hash      → sig ‖ entry (conflicting entries)
 *   voided     origin ‖ seq ‖ hash      → reason(1) ‖ sig ‖ entry: signed entries
 *              taken out of the log (beyond their key's cut) or refused for
 *              good (a join whose number another member holds), kept to show
 *              (VOIDED_* in retract.h)
 *   meta       name                     → value (identity, import progress)
 *   officers   state ‖ 0 ‖ role ‖ 0 ‖ cell ‖ 0 ‖ number → OfficerView
 *   events     event id ("BR-E17")      → EventView
 *   attend     event id ‖ 0 ‖ number    → day (4 bytes, BE)
 *   honours    number ‖ 0 ‖ origin ‖ seq → Honour
 *   notices    ~time_ms(8) ‖ origin ‖ seq → state(4) ‖ Notice  (newest first)
 *   directory  number                   → EnterpriseListed
 *
 * Everything derived (heads aside) is a fold of the log and can be rebuilt;
 * it is written in the same transaction as the entries it derives from.
 * The map grows on demand; a reader that sees another process grow it
 * picks up the new size. Multi-process safe: the CLI and the node share it.
 */
#ifndef SADASYA_STORE_H
#define SADASYA_STORE_H

#include <stdint.h>

#include "entry.h"
#include "err.h"

#define STORE_RDONLY 0x1   /* open read-only (an auditor's copy) */
#define STORE_CREATE 0x2   /* create the directory (mode 0700) if absent */
#define STORE_SCRATCH 0x4  /* no fsync: a throw-away store (verify's fold) */
#define STORE_OVERRIDE_FENCE 0x8 /* the operator lets a restored store write */

/* Meta record set in restored copies: this node's own log may be behind
 * what peers hold, so it must not sign anything until it has caught up
 * (node/README.md, fencing). sadasyad clears it. */
#define STORE_META_FENCE "fence"

/* The identity's meta records (init.h writes them, ident.h reads them). */
#define STORE_META_NATIONAL_KEY "national_key" /* the trust anchor, 32 bytes */
#define STORE_META_OWN_KEY "own_key"           /* this node's key, 32 bytes */
#define STORE_META_STATE "state"               /* its state code ("IN": national) */
#define STORE_META_NAME "name"
#define STORE_META_VIEW_FORMAT "view_format" /* the fold the view was made by */
#define STORE_META_ROLE "role"                 /* "national" or "state" */
/* sadasyad's view of each peer, a PeerStatus under this prefix and the
 * peer's endpoint (`sync-status`, `peers`; fence.h reads its heads). */
#define STORE_META_PEER_PREFIX "peer:"
#define STORE_META_PEER_PREFIX_LEN 5

/* Held (flock) by a running sadasyad for its life: two nodes never share a
 * data directory, and `sync-status` knows whether the node runs. */
#define STORE_NODE_LOCK_FILE "node.lock"

#define STORE_KEY_FILE "node.key"
#define STORE_LOGKEY_BYTES (KEYS_PUBLIC_BYTES + 8)
#define STORE_STATE_BYTES 4
#define STORE_MAP_INITIAL (256ull << 20)
#define STORE_MIN_FREE (1 << 20) /* bytes: below this a disk counts as full */
#define STORE_LOCK_FILE "lock.mdb"
#define STORE_MAX_READERS 126
/* Bytes of LMDB's reader table (lock.mdb) for STORE_MAX_READERS readers:
 * sizeof(MDB_txninfo) + (readers - 1) * sizeof(MDB_reader) = 192 + 125 * 64
 * (both padded to 64-byte cache lines). LMDB takes a lock file it finds as
 * it is and derives its reader limit from the size, so this must match. */
#define STORE_LOCK_BYTES 8192

typedef struct store store; /* opaque outside node/ (store_db.h) */

/* Head of one origin's log as this node holds it. */
typedef struct store_head {
    uint64_t seq;                     /* 0: nothing held */
    uint8_t hash[ENTRY_HASH_BYTES];   /* zero when seq is 0 */
    uint64_t joins;                   /* MemberJoined entries: the last serial */
    char state[STORE_STATE_BYTES];    /* state code of the origin, as known */
} store_head;

/* Opens (or with STORE_CREATE creates) the environment in dir. A missing
 * lock file is made with its blocks allocated first: on a full disk that
 * is SD_EFULL ("disk full: cannot create the lock file ..."), and a
 * read-only open goes on without one (MDB_NOLOCK, as for a copy whose lock
 * file it may not write). */
int store_open(store **out, const char *dir, int flags, sd_err *err);
void store_destroy(store **s);

/* The data directory the store was opened on. */
const char *store_dir(const store *s);
/* Whether it was opened with STORE_OVERRIDE_FENCE (fence.h). */
int store_overrides_fence(const store *s);

/* A transaction: a consistent snapshot to read (and, when begun to write,
 * the one writer's batch). Callers outside node/store*.c hold it only as
 * this handle and pass it to the node's readers and writers. */
typedef struct MDB_txn store_txn; /* LMDB's, named here without lmdb.h */

/* Begins a transaction; handles another process having grown the map. */
int store_begin(store *s, int write, store_txn **txn, sd_err *err);
/* Ends a transaction without writing anything (every read ends so). NULL
 * is allowed. */
void store_end(store_txn *txn);

/* Maps the store at its largest size (map_max) for the rest of its life,
 * so that it never has to grow, nor adopt a size another process grew it
 * to: what a store used from several threads needs, since LMDB may only
 * change the map while no transaction of the process is open. Call it
 * before any transaction. Address space only: the file grows as pages are
 * written. A full map is then SD_EFULL. */
int store_map_reserve(store *s, sd_err *err);

/* Commits; SD_EFULL when the map or disk is full (the txn is gone either
 * way and nothing of it was written). */
int store_commit(store *s, store_txn *txn, sd_err *err);

/* Doubles the map size (no transaction may be open in this process).
 * SD_EFULL when it would pass map_max. */
int store_grow(store *s, sd_err *err);

/* Maps an LMDB return code to an SD code and message ("what" names the
 * operation). MDB_MAP_FULL becomes SD_EMAPFULL, ENOSPC SD_EFULL. */
int store_mdb_err(int rc, const char *what, sd_err *err);

/* log keys */
void store_logkey(uint8_t key[STORE_LOGKEY_BYTES], const uint8_t origin[32],
                  uint64_t seq);
uint64_t store_be64(const uint8_t *p);
void store_put_be64(uint8_t *p, uint64_t v);
uint32_t store_be32(const uint8_t *p);
void store_put_be32(uint8_t *p, uint32_t v);

/* Head of origin; a zero head when none is held. */
int store_head_get(store *s, store_txn *txn, const uint8_t origin[32],
                   store_head *h, sd_err *err);
int store_head_put(store *s, store_txn *txn, const uint8_t origin[32],
                   const store_head *h, sd_err *err);

/* Calls fn for each origin whose head this store holds, in key order, with
 * its head. fn must not write the heads table; its non-zero return stops
 * the walk and is returned. */
int store_origins_each(store *s, store_txn *txn,
                       int (*fn)(const uint8_t origin[32], const store_head *h,
                                 void *ctx),
                       void *ctx, sd_err *err);

/* Calls fn for each entry of origin's log held here, from seq from_seq on
 * (0: every record, one filed under seq 0 too), in seq order: its seq, signature and entry
 * bytes, pointing into the map (valid while txn lives and the log is not
 * written). A record too short to hold a signature and an entry (a damaged
 * store) comes with len 0 and sig and entry NULL, for fn to report or
 * skip. fn's non-zero return stops the walk and is returned. */
int store_log_each(store *s, store_txn *txn, const uint8_t origin[32],
                   uint64_t from_seq,
                   int (*fn)(uint64_t seq, const uint8_t *sig,
                             const uint8_t *entry, size_t len, void *ctx),
                   void *ctx, sd_err *err);

/* The Personal blob held for the entry at (origin, seq), as received,
 * pointing into the map. SD_ENOTFOUND when none is held. */
int store_personal_get(store *s, store_txn *txn, const uint8_t origin[32],
                       uint64_t seq, const uint8_t **blob, size_t *len,
                       sd_err *err);

/* Raw log entry at (origin, seq): points into the txn's map (valid until the
 * txn ends). SD_ENOTFOUND when absent. */
int store_log_get(store *s, store_txn *txn, const uint8_t origin[32],
                  uint64_t seq, const uint8_t **sig, const uint8_t **entry,
                  size_t *entry_len, sd_err *err);

/* The lowest seq of origin's held as equivocation evidence: 1 with *seq
 * (may be NULL) when any evidence against origin is held, 0 when none, or
 * a negative SD code. */
int store_evidence_first(store *s, store_txn *txn, const uint8_t origin[32],
                         uint64_t *seq, sd_err *err);

/* Calls fn for each entry held as equivocation evidence, in (origin, seq,
 * hash) order: origin, seq, the entry's hash, its signature and bytes
 * (pointing into the map; len 0 and NULLs for a record too short to hold
 * them). fn's non-zero return stops the walk and is returned. */
int store_evidence_each(store *s, store_txn *txn,
                        int (*fn)(const uint8_t origin[32], uint64_t seq,
                                  const uint8_t hash[ENTRY_HASH_BYTES],
                                  const uint8_t *sig, const uint8_t *entry,
                                  size_t len, void *ctx),
                        void *ctx, sd_err *err);

/* How many entries are held as equivocation evidence. */
int store_evidence_count(store *s, store_txn *txn, uint64_t *n, sd_err *err);

/* Meta values. get: SD_ENOTFOUND when absent; the value points into the map. */
int store_meta_get(store *s, store_txn *txn, const char *name, const void **val,
                   size_t *len, sd_err *err);
int store_meta_put(store *s, store_txn *txn, const char *name, const void *val,
                   size_t len, sd_err *err);

/* Deletes a meta record: SD_OK when one was there, SD_ENOTFOUND (err
 * untouched) when none was. */
int store_meta_del(store *s, store_txn *txn, const char *name, sd_err *err);

/* A key held in meta (STORE_META_NATIONAL_KEY, STORE_META_OWN_KEY):
 * SD_ENOTFOUND when absent, SD_ECORRUPT when it is not 32 bytes. */
int store_meta_key32(store *s, store_txn *txn, const char *name,
                     uint8_t key[KEYS_PUBLIC_BYTES], sd_err *err);

/* Calls fn for each meta record whose name begins with prefix, in name
 * order: its name (name_len bytes, not NUL-terminated) and value, pointing
 * into the map. fn's non-zero return stops the walk and is returned. */
int store_meta_each(store *s, store_txn *txn, const char *prefix,
                    int (*fn)(const char *name, size_t name_len,
                              const void *val, size_t len, void *ctx),
                    void *ctx, sd_err *err);

#endif
