/*
 * tamper.c — alters one record of a node's LMDB store behind sadasya's
 * back, so that tests can check that `verify` (and independent tools)
 * notice. Test tool only: never installed.
 *
 *   tamper DATA_DIR log ORIGIN_HEX SEQ OFFSET
 *       flips one byte (XOR 0x01) at OFFSET of the stored log value
 *       (sig(64) ‖ entry bytes): 0..63 hit the signature, 64.. the entry.
 *   tamper DATA_DIR counter DIM VALUE
 *       adds 1 to `members` of the counter row DIM ‖ 0 ‖ VALUE (value: six
 *       little-endian uint64: members, active, inactive, resigned,
 *       deceased, fee_paise), e.g. `counter state BR`, `counter district
 *       BR/Patna`, `counter total ""`.
 *   tamper DATA_DIR member NUMBER
 *       changes one byte of the stored MemberView record of NUMBER
 *       (canonical form, e.g. BR-0000002-9): the case of the district's
 *       first letter when it has one (the record still decodes), else the
 *       last byte.
 *   tamper DATA_DIR personal ORIGIN_HEX SEQ
 *       flips one byte (XOR 0x01) of the Personal blob held for the entry.
 *
 * Every change is written in one write transaction. Prints what it did;
 * exits 0, or 1 with a message on stderr (2 on bad usage).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "sadasya.pb-c.h"
#include "store.h"
#include "store_db.h"

static void usage(void)
{
    fputs("usage: tamper DATA_DIR log ORIGIN_HEX SEQ OFFSET\n"
          "       tamper DATA_DIR counter DIM VALUE\n"
          "       tamper DATA_DIR member NUMBER\n"
          "       tamper DATA_DIR personal ORIGIN_HEX SEQ\n",
          stderr);
}

static int die(const char *fmt, const char *a)
{
    fputs("tamper: ", stderr);
    fprintf(stderr, fmt, a);
    fputc('\n', stderr);
    return 1;
}

static int parse_hex32(const char *hex, uint8_t out[32])
{
    if (strlen(hex) != 64)
        return -1;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        char two[3] = { hex[2 * i], hex[2 * i + 1], 0 };
        if (!isxdigit((unsigned char)two[0]) || !isxdigit((unsigned char)two[1]))
            return -1;
        if (sscanf(two, "%x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-')
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* Reads key from dbi, lets edit() change a private copy, writes it back,
 * all in one write transaction. */
typedef int (*edit_fn)(uint8_t *val, size_t len, void *ctx);

static int rewrite(store *s, MDB_dbi dbi, const void *key, size_t klen,
                   const char *what, edit_fn edit, void *ctx)
{
    MDB_txn *txn;
    sd_err err;
    sd_err_clear(&err);
    if (store_begin(s, 1, &txn, &err))
        return die("%s", err.msg);
    int rc;
    MDB_val k = { klen, (void *)key }, v;
    rc = mdb_get(txn, dbi, &k, &v);
    if (rc) {
        mdb_txn_abort(txn);
        fprintf(stderr, "tamper: %s: %s\n", what, mdb_strerror(rc));
        return 1;
    }
    uint8_t *copy = malloc(v.mv_size ? v.mv_size : 1);
    if (!copy) {
        mdb_txn_abort(txn);
        return die("%s", "out of memory");
    }
    memcpy(copy, v.mv_data, v.mv_size);
    size_t len = v.mv_size;
    if (edit(copy, len, ctx)) {
        free(copy);
        mdb_txn_abort(txn);
        return 1;
    }
    MDB_val nv = { len, copy };
    rc = mdb_put(txn, dbi, &k, &nv, 0);
    free(copy);
    if (rc) {
        mdb_txn_abort(txn);
        return die("put: %s", mdb_strerror(rc));
    }
    if (store_commit(s, txn, &err))
        return die("%s", err.msg);
    return 0;
}

/* --- the edits --------------------------------------------------------- */

typedef struct flip_ctx {
    size_t offset; /* SIZE_MAX: the last byte */
    const char *what;
} flip_ctx;

static int edit_flip(uint8_t *val, size_t len, void *ctx)
{
    flip_ctx *f = ctx;
    size_t at = f->offset == SIZE_MAX ? len - 1 : f->offset;
    if (!len || at >= len) {
        fprintf(stderr, "tamper: offset %zu is past the %zu-byte %s\n", at, len,
                f->what);
        return 1;
    }
    uint8_t was = val[at];
    val[at] ^= 0x01;
    printf("tampered %s: byte %zu of %zu, 0x%02x -> 0x%02x\n", f->what, at, len,
           was, val[at]);
    return 0;
}

static int edit_counter(uint8_t *val, size_t len, void *ctx)
{
    const char *what = ctx;
    if (len != 6 * 8) {
        fprintf(stderr, "tamper: counter row %s is %zu bytes, not 48\n", what,
                len);
        return 1;
    }
    uint64_t members = 0;
    for (int i = 7; i >= 0; i--)
        members = (members << 8) | val[i];
    uint64_t now = members + 1;
    for (int i = 0; i < 8; i++)
        val[i] = (uint8_t)(now >> (8 * i));
    printf("tampered counter %s: members %" PRIu64 " -> %" PRIu64 "\n", what,
           members, now);
    return 0;
}

static int edit_member(uint8_t *val, size_t len, void *ctx)
{
    const char *number = ctx;
    Sadasya__MemberView *m = sadasya__member_view__unpack(NULL, len, val);
    size_t at = len - 1;
    if (m && m->district && isalpha((unsigned char)m->district[0])) {
        size_t dl = strlen(m->district);
        /* The district's bytes inside the record (after its tag and length). */
        for (size_t i = 0; i + dl <= len; i++)
            if (!memcmp(val + i, m->district, dl) && i >= 2 &&
                val[i - 2] == ((7 << 3) | 2)) {
                at = i;
                break;
            }
    }
    if (m)
        sadasya__member_view__free_unpacked(m, NULL);
    if (!len) {
        fprintf(stderr, "tamper: member %s has an empty record\n", number);
        return 1;
    }
    uint8_t was = val[at];
    val[at] = isalpha(was) ? (uint8_t)(was ^ 0x20) : (uint8_t)(was ^ 0x01);
    printf("tampered member %s: byte %zu of %zu, 0x%02x -> 0x%02x\n", number, at,
           len, was, val[at]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        usage();
        return 2;
    }
    const char *dir = argv[1], *kind = argv[2];
    int nargs = !strcmp(kind, "log") ? 3 : !strcmp(kind, "counter") ? 2
              : !strcmp(kind, "member") ? 1 : !strcmp(kind, "personal") ? 2 : -1;
    if (nargs < 0 || argc != 3 + nargs) {
        usage();
        return 2;
    }
    store *s = NULL;
    sd_err err;
    sd_err_clear(&err);
    if (store_open(&s, dir, 0, &err)) {
        fprintf(stderr, "tamper: %s\n", err.msg);
        return 1;
    }
    int rc = 1;
    if (!strcmp(kind, "log") || !strcmp(kind, "personal")) {
        uint8_t origin[32], key[STORE_LOGKEY_BYTES];
        uint64_t seq, off = 0;
        if (parse_hex32(argv[3], origin)) {
            rc = die("origin %s is not 64 hex characters", argv[3]);
            goto out;
        }
        if (parse_u64(argv[4], &seq) || !seq) {
            rc = die("seq %s is not a positive number", argv[4]);
            goto out;
        }
        if (!strcmp(kind, "log") && parse_u64(argv[5], &off)) {
            rc = die("offset %s is not a number", argv[5]);
            goto out;
        }
        store_logkey(key, origin, seq);
        char what[64];
        snprintf(what, sizeof what, "%s record of seq %" PRIu64, kind, seq);
        flip_ctx f = { !strcmp(kind, "log") ? (size_t)off : SIZE_MAX, what };
        rc = rewrite(s, !strcmp(kind, "log") ? s->log : s->personal, key,
                     sizeof key, what, edit_flip, &f);
    } else if (!strcmp(kind, "counter")) {
        size_t dl = strlen(argv[3]), vl = strlen(argv[4]);
        char *key = malloc(dl + 1 + vl);
        char what[512];
        if (!key) {
            rc = die("%s", "out of memory");
            goto out;
        }
        memcpy(key, argv[3], dl);
        key[dl] = '\0';
        memcpy(key + dl + 1, argv[4], vl);
        snprintf(what, sizeof what, "%s/%s", argv[3], argv[4]);
        rc = rewrite(s, s->counters, key, dl + 1 + vl, what, edit_counter, what);
        free(key);
    } else {
        rc = rewrite(s, s->members, argv[3], strlen(argv[3]), argv[3],
                     edit_member, argv[3]);
    }
out:
    store_destroy(&s);
    return rc;
}
