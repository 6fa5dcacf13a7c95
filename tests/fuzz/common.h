/*
 * common.h — shared setup of the libFuzzer targets in tests/fuzz/ (and of
 * make_corpus.c, which writes their seed files).
 *
 * A fuzzer only reaches the deep paths (roster authorisation, chain
 * links, body rules, the fold into the view) with entries that are
 * signed, chain onto held heads and name real members. So every process
 * builds the same store — byte for byte — and the seeds in corpus/ are
 * entries that extend it:
 *
 *   - libsodium's randomness is replaced by a seeded generator (installed
 *     before sodium_init), so keys, Personal salts and hash-table keys are
 *     the same in every run; entry times are fixed;
 *   - the store is a state node "BR" made by init_dir (its key comes
 *     from that generator), holding a national log (IN: the office, then
 *     BR and KA authorised, TN authorised and revoked), BR's own log
 *     (four members, an update, a status change), KA's log (two members)
 *     and one equivocation of KA kept as evidence;
 *   - the targets may re-sign what they are given with the key of the
 *     origin it names (the fixture's keys and a rogue key outside the
 *     roster), so that mutated bodies still pass the signature check.
 *
 * Isolation: the fixture's data.mdb is kept in memory; after an input has
 * changed the store (LMDB's last transaction id moved), the store is
 * closed, the file put back and the store reopened. Every input thus sees
 * the same store (crashes reproduce from one file) and the disk never
 * grows beyond one input's worth. The directory lives in /dev/shm where
 * there is one (else TMPDIR, else /tmp) and is removed at exit, or by the
 * next fuzzer to start when this one crashed.
 *
 * Oracles (abort, so that libFuzzer keeps the input) beyond the
 * sanitizers: an entry whose signature does not verify under the origin
 * it decodes to must never land in the log; a Personal blob kept must
 * hash to its entry's commitment; apply's counts must add up; entry_peek
 * must agree with entry_decode on origin, seq and prev; applying hostile
 * input refuses entries one by one and never fails with a store error;
 * and after an input changed the store, `verify` still passes on it.
 * Set SADASYA_FUZZ_SKIP to a comma-separated list of oracle names
 * ("peek", "unsigned", "personal", "counts", "storeerr", "valsize",
 * "verify") to silence a known finding while it is being fixed.
 *
 * Everything is static (inline): each target includes this once.
 */
#ifndef SADASYA_FUZZ_COMMON_H
#define SADASYA_FUZZ_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkdtemp, nftw, memfd_create */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "apply.h"
#include "bundle.h"
#include "entry.h"
#include "ident.h"
#include "init.h"
#include "keys.h"
#include "number.h"
#include "roster.h"
#include "store.h"
#include "store_db.h"
#include "sync.h"
#include "verify.h"

#define FZ_PATH_MAX 512
#define FZ_TIME_MS 1789000000000ull   /* entry times: fixed */
#define FZ_MAX_ITEMS 64               /* entries one input may carry */

/* Abort with a message: libFuzzer keeps the input as a crash file. */
#define FZ_DIE(...)                                                         \
    do {                                                                    \
        fprintf(stderr, "fuzz oracle: " __VA_ARGS__);                       \
        fputc('\n', stderr);                                                \
        abort();                                                            \
    } while (0)

/* --- deterministic randomness -------------------------------------------- */

static uint64_t fz_rng_state;

static inline uint64_t fz_rng_next(void)
{
    /* splitmix64: enough for keys nobody needs to keep secret. */
    uint64_t z = (fz_rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline void fz_rng_seed(uint64_t seed)
{
    fz_rng_state = seed;
}

static inline const char *fz_rng_name(void)
{
    return "sadasya-fuzz";
}

static inline uint32_t fz_rng_random(void)
{
    return (uint32_t)fz_rng_next();
}

static inline void fz_rng_buf(void *const buf, const size_t size)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < size; i += 8) {
        uint64_t v = fz_rng_next();
        size_t n = size - i < 8 ? size - i : 8;
        memcpy(p + i, &v, n);
    }
}

static randombytes_implementation fz_rng_impl = {
    .implementation_name = fz_rng_name,
    .random = fz_rng_random,
    .stir = NULL,
    .uniform = NULL,
    .buf = fz_rng_buf,
    .close = NULL,
};

/* --- keys ---------------------------------------------------------------- */

enum { FZ_NAT, FZ_BR, FZ_KA, FZ_TN, FZ_AUDITOR, FZ_ROGUE, FZ_NKEYS };

typedef struct fz_world {
    char root[FZ_PATH_MAX];     /* the temporary directory */
    char dir[FZ_PATH_MAX + 8];  /* the BR node's data directory */
    store *s;                   /* open on dir (STORE_SCRATCH) */
    keys_pair keys[FZ_NKEYS];
    uint8_t *snapshot;          /* data.mdb as built */
    size_t snapshot_len;
    size_t base_txnid;          /* last txn id of the pristine store */
    size_t restores;
    char skip[256];             /* SADASYA_FUZZ_SKIP */
    int verbose;                /* SADASYA_FUZZ_VERBOSE: say what inputs did */
    int map_reserved;           /* set before fz_setup: the store is mapped
                                 * at its largest, as sadasyad maps it for
                                 * its receive worker (recv.h) */
} fz_world;

static fz_world fz;

/* A fixed key pair for name (not for BR, whose key init_dir makes). */
static inline void fz_key_from(const char *name, keys_pair *kp)
{
    uint8_t seed[crypto_sign_SEEDBYTES];
    crypto_generichash(seed, sizeof seed, (const uint8_t *)name, strlen(name),
                       NULL, 0);
    crypto_sign_seed_keypair(kp->pk, kp->sk, seed);
}

/* The key pair whose public key is origin, or NULL. */
static inline const keys_pair *fz_key_of(const uint8_t origin[32])
{
    for (int i = 0; i < FZ_NKEYS; i++)
        if (!memcmp(fz.keys[i].pk, origin, 32))
            return &fz.keys[i];
    return NULL;
}

/* Re-signs es with the key of the origin its bytes name: the one entry_peek
 * reads (what a RUNSIG batch checks the run's signature against), else the
 * decoded one. Entries of unknown origins keep their signature. */
static inline void fz_resign(entry_signed *es, int by_decoded)
{
    uint8_t origin[32];
    uint64_t seq;
    const keys_pair *kp = NULL;
    if (!by_decoded &&
        entry_peek(es->entry, es->entry_len, origin, &seq, NULL) == 0)
        kp = fz_key_of(origin);
    if (!kp) {
        Sadasya__Entry *e = NULL;
        if (entry_decode(es->entry, es->entry_len, &e, NULL) == SD_OK) {
            kp = fz_key_of(e->origin.data);
            sadasya__entry__free_unpacked(e, NULL);
        }
    }
    if (kp)
        entry_sign(kp, es->entry, es->entry_len, es->sig);
}

/* --- building entries ---------------------------------------------------- */

/* Encodes e as kp's entry at seq after prev and signs it into out (which
 * owns the bytes). */
static inline void fz_sign(const keys_pair *kp, Sadasya__Entry *e, uint64_t seq,
                           const uint8_t prev[32], entry_signed *out)
{
    static const uint8_t zero[32];
    memset(out, 0, sizeof *out);
    e->origin.data = (uint8_t *)kp->pk;
    e->origin.len = 32;
    e->seq = seq;
    e->prev.data = (uint8_t *)(prev ? prev : zero);
    e->prev.len = 32;
    e->time_ms = FZ_TIME_MS + seq * 1000;
    sd_err err;
    if (entry_encode(e, &out->entry, &out->entry_len, &err))
        FZ_DIE("fixture: %s", err.msg);
    entry_sign(kp, out->entry, out->entry_len, out->sig);
}

/* Signs e and appends body bytes encoded by hand (field, wire type 2):
 * bodies whose C names may still change are written by field number,
 * which never changes (proto/sadasya.proto). */
static inline void fz_sign_raw_body(const keys_pair *kp, uint64_t seq,
                                    const uint8_t prev[32], unsigned field,
                                    const uint8_t *body, size_t blen,
                                    entry_signed *out)
{
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    fz_sign(kp, &e, seq, prev, out);
    uint8_t *b = realloc(out->entry, out->entry_len + blen + 16);
    if (!b)
        abort();
    size_t n = out->entry_len;
    uint64_t key = (uint64_t)field << 3 | 2;
    for (uint64_t v = key; ; v >>= 7) {
        b[n++] = (uint8_t)(v & 0x7f) | (v >= 0x80 ? 0x80 : 0);
        if (v < 0x80)
            break;
    }
    for (uint64_t v = blen; ; v >>= 7) {
        b[n++] = (uint8_t)(v & 0x7f) | (v >= 0x80 ? 0x80 : 0);
        if (v < 0x80)
            break;
    }
    memcpy(b + n, body, blen);
    out->entry = b;
    out->entry_len = n + blen;
    entry_sign(kp, out->entry, out->entry_len, out->sig);
}

static inline void fz_hash_of(const entry_signed *es, uint8_t out[32])
{
    entry_hash(es->entry, es->entry_len, es->sig, out);
}

static inline void fz_roster_chapter(const keys_pair *kp, uint64_t seq,
                                     const uint8_t prev[32], const char *code,
                                     const uint8_t *key, entry_signed *out)
{
    Sadasya__Chapter ch = SADASYA__CHAPTER__INIT;
    ch.state = (char *)code;
    ch.name = (char *)"Chapter";
    ch.key.data = (uint8_t *)key;
    ch.key.len = 32;
    char *eps[1] = { (char *)"tcp://127.0.0.1:7001" };
    ch.endpoints = eps;
    ch.n_endpoints = 1;
    Sadasya__Chapter *chs[1] = { &ch };
    Sadasya__RosterUpdate ru = SADASYA__ROSTER_UPDATE__INIT;
    ru.chapters = chs;
    ru.n_chapters = 1;
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_ROSTER;
    e.roster = &ru;
    fz_sign(kp, &e, seq, prev, out);
}

/* A member of state `code`, serial n, with a sealed Personal blob. */
static inline void fz_joined(const keys_pair *kp, uint64_t seq,
                             const uint8_t prev[32], const char *code,
                             uint64_t serial, unsigned variant,
                             entry_signed *out)
{
    char number[NUMBER_MAX_LEN], name_en[64], phone[32];
    if (number_format(number, code, serial, NULL))
        FZ_DIE("fixture: number %s %llu", code, (unsigned long long)serial);
    snprintf(name_en, sizeof name_en, "Member Number%u", variant);
    snprintf(phone, sizeof phone, "98%08u", 10000000u + variant);
    Sadasya__Personal p = SADASYA__PERSONAL__INIT;
    p.name = (char *)"सदस्य";
    p.name_en = name_en;
    p.phone = phone;
    p.email = (char *)"m@example.org";
    p.birth_year = 1990;
    uint8_t *blob;
    size_t blen;
    uint8_t ph[32];
    sd_err err;
    if (entry_personal_seal(&p, &blob, &blen, ph, &err))
        FZ_DIE("fixture: %s", err.msg);
    char *interests[2] = { (char *)"music", (char *)"seva" };
    Sadasya__MemberJoined j = SADASYA__MEMBER_JOINED__INIT;
    j.number = number;
    j.personal_hash.data = ph;
    j.personal_hash.len = 32;
    j.gender = variant % 2 ? SADASYA__GENDER__MALE : SADASYA__GENDER__FEMALE;
    j.district = (char *)(variant % 3 ? "Patna" : "Gaya");
    j.area = variant % 2 ? SADASYA__AREA__URBAN : SADASYA__AREA__RURAL;
    j.occupation = (char *)"teacher";
    j.interests = interests;
    j.n_interests = 2;
    j.fee_paise = 1100;
    j.payment_ref = (char *)"UPI-1";
    j.joined_day = 20690 + variant; /* on or before the day it was signed */
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_JOINED;
    e.joined = &j;
    fz_sign(kp, &e, seq, prev, out);
    out->personal = blob;
    out->personal_len = blen;
}

static inline void fz_updated(const keys_pair *kp, uint64_t seq,
                              const uint8_t prev[32], const char *number,
                              int new_personal, entry_signed *out)
{
    uint8_t *blob = NULL;
    size_t blen = 0;
    uint8_t ph[32];
    Sadasya__MemberUpdated u = SADASYA__MEMBER_UPDATED__INIT;
    u.number = (char *)number;
    u.district = (char *)"Nalanda";
    u.area = SADASYA__AREA__RURAL;
    u.occupation = (char *)"farmer";
    char *interests[1] = { (char *)"yoga" };
    u.interests = interests;
    u.n_interests = 1;
    u.interests_set = 1;
    if (new_personal) {
        Sadasya__Personal p = SADASYA__PERSONAL__INIT;
        p.name = (char *)"नया नाम";
        p.name_en = (char *)"New Name";
        p.phone = (char *)"9123456789";
        p.address = (char *)"Main Road, Patna";
        sd_err err;
        if (entry_personal_seal(&p, &blob, &blen, ph, &err))
            FZ_DIE("fixture: %s", err.msg);
        u.personal_hash.data = ph;
        u.personal_hash.len = 32;
    }
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_UPDATED;
    e.updated = &u;
    fz_sign(kp, &e, seq, prev, out);
    out->personal = blob;
    out->personal_len = blen;
}

static inline void fz_status(const keys_pair *kp, uint64_t seq,
                             const uint8_t prev[32], const char *number,
                             Sadasya__Status st, entry_signed *out)
{
    Sadasya__MemberStatus m = SADASYA__MEMBER_STATUS__INIT;
    m.number = (char *)number;
    m.status = st;
    m.reason = (char *)"moved away";
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_STATUS;
    e.status = &m;
    fz_sign(kp, &e, seq, prev, out);
}

static inline void fz_items_free(entry_signed *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        entry_signed_clear(&items[i]);
}

/* --- the store ----------------------------------------------------------- */

static inline int fz_rm_one(const char *path, const struct stat *st, int flag,
                            struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void fz_run_verify(const char *when);

static inline void fz_cleanup(void)
{
    if (fz.s)
        store_destroy(&fz.s);
    if (fz.root[0])
        nftw(fz.root, fz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    fz.root[0] = '\0';
    free(fz.snapshot);
    fz.snapshot = NULL;
}

static inline void fz_apply_fixture(store *s, entry_signed *items, size_t n,
                                    size_t want_added, size_t want_evidence)
{
    apply_opts o;
    memset(&o, 0, sizeof o);
    apply_result res;
    sd_err err;
    sd_err_clear(&err);
    if (apply_batch(s, items, n, &o, &res, &err))
        FZ_DIE("fixture: apply_batch: %s", err.msg);
    if (res.added != want_added || res.evidence != want_evidence)
        FZ_DIE("fixture: %zu of %zu entries added, %zu evidence (the product's "
               "rules changed? update tests/fuzz/common.h)",
               res.added, want_added, res.evidence);
}

static inline size_t fz_txnid(store *s)
{
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    return info.me_last_txnid;
}

static inline void fz_open_scratch(void)
{
    sd_err err;
    sd_err_clear(&err);
    if (store_open(&fz.s, fz.dir, STORE_SCRATCH, &err))
        FZ_DIE("store_open %s: %s", fz.dir, err.msg);
    if (fz.map_reserved && store_map_reserve(fz.s, &err))
        FZ_DIE("store_map_reserve %s: %s", fz.dir, err.msg);
    fz.base_txnid = fz_txnid(fz.s);
}

/* Removes what fuzzers that died (a crash ends a process without atexit)
 * left in base: directories "sadasya-fuzz.<pid>.*" of pids gone. */
static inline void fz_sweep(const char *base)
{
    DIR *d = opendir(base);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        long pid;
        char path[FZ_PATH_MAX];
        if (sscanf(de->d_name, "sadasya-fuzz.%ld.", &pid) != 1 || pid <= 0 ||
            kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        snprintf(path, sizeof path, "%s/%s", base, de->d_name);
        nftw(path, fz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
    closedir(d);
}

/* Writes the fixture's logs into the BR node at fz.dir (see the top). */
static inline void fz_build_logs(store *s)
{
    keys_pair *N = &fz.keys[FZ_NAT], *B = &fz.keys[FZ_BR], *K = &fz.keys[FZ_KA];
    uint8_t h[32];
    entry_signed nat[4], br[6], ka[3];

    /* National: the office, BR and KA, TN (with an auditor), TN revoked. */
    Sadasya__RosterUpdate ru = SADASYA__ROSTER_UPDATE__INIT;
    ru.national_name = (char *)"National Office";
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_ROSTER;
    e.roster = &ru;
    fz_sign(N, &e, 1, NULL, &nat[0]);
    fz_hash_of(&nat[0], h);
    {
        Sadasya__Chapter c1 = SADASYA__CHAPTER__INIT, c2 = SADASYA__CHAPTER__INIT;
        c1.state = (char *)"BR";
        c1.name = (char *)"Bihar";
        c1.key.data = B->pk;
        c1.key.len = 32;
        char *eps[1] = { (char *)"tcp://127.0.0.1:7001" };
        c1.endpoints = eps;
        c1.n_endpoints = 1;
        c2.state = (char *)"KA";
        c2.name = (char *)"Karnataka";
        c2.key.data = K->pk;
        c2.key.len = 32;
        Sadasya__Chapter *chs[2] = { &c1, &c2 };
        Sadasya__RosterUpdate r2 = SADASYA__ROSTER_UPDATE__INIT;
        r2.chapters = chs;
        r2.n_chapters = 2;
        Sadasya__Entry e2 = SADASYA__ENTRY__INIT;
        e2.body_case = SADASYA__ENTRY__BODY_ROSTER;
        e2.roster = &r2;
        fz_sign(N, &e2, 2, h, &nat[1]);
        fz_hash_of(&nat[1], h);
    }
    {
        Sadasya__Chapter c = SADASYA__CHAPTER__INIT;
        c.state = (char *)"TN";
        c.name = (char *)"Tamil Nadu";
        c.key.data = fz.keys[FZ_TN].pk;
        c.key.len = 32;
        Sadasya__Chapter *chs[1] = { &c };
        ProtobufCBinaryData aud = { 32, fz.keys[FZ_AUDITOR].pk };
        Sadasya__RosterUpdate r3 = SADASYA__ROSTER_UPDATE__INIT;
        r3.chapters = chs;
        r3.n_chapters = 1;
        r3.auditor_keys = &aud;
        r3.n_auditor_keys = 1;
        Sadasya__Entry e3 = SADASYA__ENTRY__INIT;
        e3.body_case = SADASYA__ENTRY__BODY_ROSTER;
        e3.roster = &r3;
        fz_sign(N, &e3, 3, h, &nat[2]);
        fz_hash_of(&nat[2], h);
    }
    {
        char *rev[1] = { (char *)"TN" };
        Sadasya__RosterUpdate r4 = SADASYA__ROSTER_UPDATE__INIT;
        r4.revoke_states = rev;
        r4.n_revoke_states = 1;
        Sadasya__Entry e4 = SADASYA__ENTRY__INIT;
        e4.body_case = SADASYA__ENTRY__BODY_ROSTER;
        e4.roster = &r4;
        fz_sign(N, &e4, 4, h, &nat[3]);
    }
    fz_apply_fixture(s, nat, 4, 4, 0);

    /* BR: four members, an update with new Personal data, a status. */
    uint8_t *prev = NULL;
    for (unsigned i = 0; i < 4; i++) {
        fz_joined(B, i + 1, prev, "BR", i + 1, i, &br[i]);
        fz_hash_of(&br[i], h);
        prev = h;
    }
    char n1[NUMBER_MAX_LEN], n2[NUMBER_MAX_LEN];
    if (number_format(n1, "BR", 1, NULL) || number_format(n2, "BR", 2, NULL))
        FZ_DIE("fixture: numbers");
    fz_updated(B, 5, h, n1, 1, &br[4]);
    fz_hash_of(&br[4], h);
    fz_status(B, 6, h, n2, SADASYA__STATUS__INACTIVE, &br[5]);
    fz_apply_fixture(s, br, 6, 6, 0);

    /* KA: two members; then another seq 2 (equivocation, kept as evidence). */
    fz_joined(K, 1, NULL, "KA", 1, 10, &ka[0]);
    fz_hash_of(&ka[0], h);
    fz_joined(K, 2, h, "KA", 2, 11, &ka[1]);
    fz_joined(K, 2, h, "KA", 2, 12, &ka[2]);
    fz_apply_fixture(s, ka, 2, 2, 0);
    fz_apply_fixture(s, ka + 2, 1, 0, 1);

    fz_items_free(nat, 4);
    fz_items_free(br, 6);
    fz_items_free(ka, 3);
}

/* Builds the world once per process (see the top). Call first thing, from
 * LLVMFuzzerInitialize or main. */
static inline void fz_setup(void)
{
    if (fz.s)
        return;
    const char *skip = getenv("SADASYA_FUZZ_SKIP");
    snprintf(fz.skip, sizeof fz.skip, ",%s,", skip ? skip : "");
    fz.verbose = getenv("SADASYA_FUZZ_VERBOSE") != NULL;
    if (randombytes_set_implementation(&fz_rng_impl) != 0 || sodium_init() < 0)
        FZ_DIE("cannot install the seeded random generator");
    fz_rng_seed(0x5ada5a);

    const char *base = NULL;
    struct stat st;
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
        access("/dev/shm", W_OK) == 0)
        base = "/dev/shm";
    if (!base && !(base = getenv("TMPDIR")))
        base = "/tmp";
    fz_sweep(base);
    snprintf(fz.root, sizeof fz.root, "%s/sadasya-fuzz.%ld.XXXXXX", base,
             (long)getpid());
    if (!mkdtemp(fz.root))
        FZ_DIE("mkdtemp %s", fz.root);
    atexit(fz_cleanup);
    snprintf(fz.dir, sizeof fz.dir, "%s/br", fz.root);

    fz_key_from("national", &fz.keys[FZ_NAT]);
    fz_key_from("KA", &fz.keys[FZ_KA]);
    fz_key_from("TN", &fz.keys[FZ_TN]);
    fz_key_from("auditor", &fz.keys[FZ_AUDITOR]);
    fz_key_from("rogue", &fz.keys[FZ_ROGUE]);

    sd_err err;
    sd_err_clear(&err);
    uint8_t pk[32];
    fz_rng_seed(0xb1a2);
    if (init_dir(fz.dir, "BR", "Bihar Chapter", fz.keys[FZ_NAT].pk, 0, pk, &err))
        FZ_DIE("init_dir: %s", err.msg);
    char path[FZ_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", fz.dir, STORE_KEY_FILE);
    if (keys_load(path, &fz.keys[FZ_BR], &err) || memcmp(fz.keys[FZ_BR].pk, pk, 32))
        FZ_DIE("loading the BR key: %s", err.msg);

    fz_open_scratch();
    fz_rng_seed(0x10c5);
    fz_build_logs(fz.s);
    store_destroy(&fz.s);

    /* Keep data.mdb as built, to put back after an input changed it. */
    snprintf(path, sizeof path, "%s/data.mdb", fz.dir);
    FILE *f = fopen(path, "rb");
    if (!f || stat(path, &st) != 0 || st.st_size <= 0)
        FZ_DIE("reading back %s", path);
    fz.snapshot_len = (size_t)st.st_size;
    if (!(fz.snapshot = malloc(fz.snapshot_len)) ||
        fread(fz.snapshot, 1, fz.snapshot_len, f) != fz.snapshot_len)
        FZ_DIE("reading back %s", path);
    fclose(f);
    fz_open_scratch();
    fz_run_verify("as built (update tests/fuzz/common.h?)");
    /* Inputs see this generator state: what they sign or salt repeats. */
    fz_rng_seed(0xf022);
}

/* Puts the store back as built when the last input changed it. */
static inline void fz_restore(void)
{
    fz_rng_seed(0xf022);
    if (fz_txnid(fz.s) == fz.base_txnid)
        return;
    store_destroy(&fz.s);
    char path[FZ_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/lock.mdb", fz.dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/data.mdb", fz.dir);
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0 || write(fd, fz.snapshot, fz.snapshot_len) != (ssize_t)fz.snapshot_len)
        FZ_DIE("restoring %s", path);
    close(fd);
    fz_open_scratch();
    fz.restores++;
}

/* --- oracles ------------------------------------------------------------- */

static inline int fz_oracle(const char *name)
{
    char k[64];
    snprintf(k, sizeof k, ",%s,", name);
    return !strstr(fz.skip, k);
}

/* entry_peek must read what entry_decode decodes. */
static inline void fz_check_peek(const uint8_t *bytes, size_t len)
{
    Sadasya__Entry *e = NULL;
    if (entry_decode(bytes, len, &e, NULL) != SD_OK)
        return;
    uint8_t origin[32], prev[32];
    uint64_t seq = 0;
    int ok = entry_peek(bytes, len, origin, &seq, prev) == 0;
    int same = ok && !memcmp(origin, e->origin.data, 32) && seq == e->seq &&
               !memcmp(prev, e->prev.data, 32);
    uint64_t dseq = e->seq;
    sadasya__entry__free_unpacked(e, NULL);
    if (ok && !same && fz_oracle("peek"))
        FZ_DIE("entry_peek reads origin/seq/prev other than entry_decode "
               "(seq %llu vs %llu): a run's signature may be checked against "
               "another origin than the entry is applied as",
               (unsigned long long)seq, (unsigned long long)dseq);
}

/* After a committed apply of items: none that fails its own signature is
 * in the log, and every Personal blob kept hashes to its commitment. */
static inline void fz_check_applied(store *s, const entry_signed *items, size_t n)
{
    MDB_txn *txn;
    if (store_begin(s, 0, &txn, NULL))
        FZ_DIE("store_begin after apply");
    for (size_t i = 0; i < n; i++) {
        const entry_signed *es = &items[i];
        Sadasya__Entry *e = NULL;
        if (entry_decode(es->entry, es->entry_len, &e, NULL) != SD_OK)
            continue;
        const uint8_t *sig, *bytes;
        size_t len;
        if (store_log_get(s, txn, e->origin.data, e->seq, &sig, &bytes, &len,
                          NULL) == SD_OK &&
            len == es->entry_len && !memcmp(bytes, es->entry, len) &&
            !memcmp(sig, es->sig, ENTRY_SIG_BYTES)) {
            if (!entry_verify_sig(e->origin.data, es->entry, es->entry_len,
                                  es->sig) &&
                fz_oracle("unsigned"))
                FZ_DIE("entry %zu (seq %llu, %s) is in the log but its "
                       "signature does not verify under its origin",
                       i, (unsigned long long)e->seq, entry_kind(e));
            uint8_t key[STORE_LOGKEY_BYTES];
            store_logkey(key, e->origin.data, e->seq);
            MDB_val k = { sizeof key, key }, v;
            const ProtobufCBinaryData *c = entry_personal_commitment(e);
            if (mdb_get(txn, s->personal, &k, &v) == 0 && fz_oracle("personal")) {
                uint8_t ph[32];
                entry_personal_hash(v.mv_data, v.mv_size, ph);
                if (!c || c->len != 32 || memcmp(c->data, ph, 32))
                    FZ_DIE("entry %zu: a Personal blob is kept that its "
                           "entry does not commit to", i);
            }
        }
        sadasya__entry__free_unpacked(e, NULL);
    }
    mdb_txn_abort(txn);
}

/* A store error from applying hostile input (rc not SD_OK): the input
 * should have been refused entry by entry instead. Keys LMDB cannot hold
 * (empty, or over its 511-byte limit) are told apart as "valsize". */
static inline void fz_check_store_error(const char *what, int rc,
                                        const sd_err *err)
{
    if (rc == SD_OK || rc == SD_ENOMEM)
        return;
    const char *name = strstr(err->msg, "MDB_BAD_VALSIZE") ? "valsize" : "storeerr";
    if (fz_oracle(name))
        FZ_DIE("%s failed with a store error (%d) on hostile input: %s", what,
               rc, err->msg);
}

static inline void fz_check_counts(const apply_result *r, size_t n)
{
    if (r->added + r->duplicate + r->rejected != n && fz_oracle("counts"))
        FZ_DIE("apply counts %zu added + %zu duplicate + %zu rejected for %zu "
               "entries", r->added, r->duplicate, r->rejected, n);
}

/* Reads every field of a reject report (ASan checks the pointers). */
static inline void fz_on_reject(const entry_signed *es, int kind, const char *why,
                                void *ctx)
{
    size_t *sum = ctx;
    *sum += strlen(why) + (size_t)kind + es->entry_len + es->personal_len;
    if (fz.verbose)
        fprintf(stderr, "  %s: %s\n", kind ? "dropped" : "refused", why);
}

static inline void fz_say_result(const char *what, int rc, const apply_result *r,
                                 const char *msg)
{
    if (fz.verbose)
        fprintf(stderr, "%s: rc %d%s%s; added %zu, duplicate %zu, rejected %zu, "
                "evidence %zu, personal dropped %zu\n", what, rc,
                rc ? " " : "", rc ? msg : "", r->added, r->duplicate,
                r->rejected, r->evidence, r->personal_dropped);
}

typedef struct fz_vreport {
    size_t bad;
    char first[SD_ERR_MSG_MAX];
} fz_vreport;

static inline void fz_verify_line(int warning, const char *line, void *ctx)
{
    fz_vreport *r = ctx;
    if (fz.verbose)
        fprintf(stderr, "  verify %s: %s\n", warning ? "warning" : "failure", line);
    /* Evidence of equivocation is a finding about an origin, not a fault
     * of this store: inputs may well bring some. */
    if (warning || strstr(line, "equivocation"))
        return;
    if (!r->bad++)
        snprintf(r->first, sizeof r->first, "%s", line);
}

static inline void fz_run_verify(const char *when);

/* When the input changed the store: the auditor's verify (every
 * signature, chain, number, blob, and the view against a fresh fold of
 * the log) must still pass. It costs a scratch fold, so it runs for one
 * changing input in four, chosen by the input's bytes (a crash it finds
 * still reproduces from the file). SADASYA_FUZZ_VERBOSE runs it always. */
static inline void fz_check_verify(const uint8_t *data, size_t size)
{
    if (!fz_oracle("verify") || fz_txnid(fz.s) == fz.base_txnid)
        return;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    if (h % 4 && !fz.verbose)
        return;
    fz_run_verify("after an input was applied");
}

static inline void fz_run_verify(const char *when)
{
    verify_opts o;
    memset(&o, 0, sizeof o);
    o.scratch_dir = fz.root;
    o.threads = 1;
    fz_vreport r;
    memset(&r, 0, sizeof r);
    o.report = fz_verify_line;
    o.ctx = &r;
    verify_result res;
    sd_err err;
    sd_err_clear(&err);
    if (verify_run(fz.s, &o, &res, &err) != SD_OK)
        FZ_DIE("verify could not run: %s", err.msg);
    if (r.bad)
        FZ_DIE("verify finds %zu failure(s) in the store %s; the first: %s",
               r.bad, when, r.first);
}

/* Ends an input: the verify oracle, then the store put back. */
static inline void fz_finish(const uint8_t *data, size_t size)
{
    fz_check_verify(data, size);
    fz_restore();
}

/* --- cutting inputs ------------------------------------------------------ */

typedef struct fz_reader {
    const uint8_t *p;
    size_t n;
} fz_reader;

/* The next 2-byte big-endian length and that many bytes (fewer at the
 * end). 0 when nothing is left. */
static inline int fz_take(fz_reader *r, const uint8_t **out, size_t *len)
{
    if (r->n < 2)
        return 0;
    size_t l = (size_t)r->p[0] << 8 | r->p[1];
    r->p += 2;
    r->n -= 2;
    if (l > r->n)
        l = r->n;
    *out = r->p;
    *len = l;
    r->p += l;
    r->n -= l;
    return 1;
}

/* An entry_signed borrowing a decoded Carried (NULL fields when it has
 * none); 0 when it carries no 64-byte signature. */
static inline int fz_from_carried(const Sadasya__Carried *c, entry_signed *es)
{
    memset(es, 0, sizeof *es);
    if (!c || !c->signed_ || c->signed_->sig.len != ENTRY_SIG_BYTES)
        return 0;
    /* protobuf-c leaves an empty bytes field NULL. Peers' batches never
     * hold one (sync_decode refuses empty entries); entry_peek would add
     * 0 to NULL (UB), so an empty entry is handed over as a valid pointer. */
    static uint8_t empty[1];
    es->entry = c->signed_->entry.len ? c->signed_->entry.data : empty;
    es->entry_len = c->signed_->entry.len;
    memcpy(es->sig, c->signed_->sig.data, ENTRY_SIG_BYTES);
    es->personal = c->personal.len ? c->personal.data : NULL;
    es->personal_len = c->personal.len;
    return 1;
}

/* --- writing seeds (make_corpus) and bundles ----------------------------- */

typedef struct fz_buf {
    uint8_t *p;
    size_t n, cap;
} fz_buf;

static inline void fz_put(fz_buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *np = realloc(b->p, cap);
        if (!np)
            abort();
        b->p = np;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
}

static inline void fz_put_be(fz_buf *b, uint64_t v, int bytes)
{
    uint8_t x[8];
    for (int i = 0; i < bytes; i++)
        x[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
    fz_put(b, x, (size_t)bytes);
}

/* Packs es as a Carried message. */
static inline void fz_put_carried(fz_buf *b, const entry_signed *es)
{
    Sadasya__SignedEntry se = SADASYA__SIGNED_ENTRY__INIT;
    se.entry.data = es->entry;
    se.entry.len = es->entry_len;
    se.sig.data = (uint8_t *)es->sig;
    se.sig.len = ENTRY_SIG_BYTES;
    Sadasya__Carried c = SADASYA__CARRIED__INIT;
    c.signed_ = &se;
    if (es->personal) {
        c.personal.data = es->personal;
        c.personal.len = es->personal_len;
    }
    size_t n = sadasya__carried__get_packed_size(&c);
    uint8_t *tmp = malloc(n ? n : 1);
    if (!tmp)
        abort();
    sadasya__carried__pack(&c, tmp);
    fz_put(b, tmp, n);
    free(tmp);
}

/* Bundle files written frame by frame: begin, a frame per Carried, end
 * (the count and digest as bundle.h defines them). */
static inline void fz_bundle_begin(fz_buf *out, crypto_generichash_state *h)
{
    crypto_generichash_init(h, NULL, 0, BUNDLE_DIGEST_BYTES);
    fz_put(out, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN);
    crypto_generichash_update(h, (const uint8_t *)BUNDLE_MAGIC, BUNDLE_MAGIC_LEN);
}

static inline void fz_bundle_frame(fz_buf *out, crypto_generichash_state *h,
                                   Sadasya__Carried *c)
{
    Sadasya__BundleFrame f = SADASYA__BUNDLE_FRAME__INIT;
    f.frame_case = SADASYA__BUNDLE_FRAME__FRAME_CARRIED;
    f.carried = c;
    size_t fl = sadasya__bundle_frame__get_packed_size(&f);
    uint8_t *tmp = malloc(fl ? fl : 1);
    if (!tmp)
        abort();
    sadasya__bundle_frame__pack(&f, tmp);
    size_t at = out->n;
    fz_put_be(out, fl, 4);
    fz_put(out, tmp, fl);
    crypto_generichash_update(h, out->p + at, 4 + fl);
    free(tmp);
}

static inline void fz_bundle_end(fz_buf *out, crypto_generichash_state *h,
                                 uint64_t count)
{
    uint8_t digest[BUNDLE_DIGEST_BYTES];
    crypto_generichash_final(h, digest, sizeof digest);
    Sadasya__BundleEnd end = SADASYA__BUNDLE_END__INIT;
    end.count = count;
    end.digest.data = digest;
    end.digest.len = sizeof digest;
    Sadasya__BundleFrame f = SADASYA__BUNDLE_FRAME__INIT;
    f.frame_case = SADASYA__BUNDLE_FRAME__FRAME_END;
    f.end = &end;
    size_t fl = sadasya__bundle_frame__get_packed_size(&f);
    uint8_t tmp[128];
    sadasya__bundle_frame__pack(&f, tmp);
    fz_put_be(out, fl, 4);
    fz_put(out, tmp, fl);
}

/* A whole bundle of items, in the order given. */
static inline void fz_bundle_of(fz_buf *out, const entry_signed *items, size_t n)
{
    crypto_generichash_state h;
    fz_bundle_begin(out, &h);
    for (size_t i = 0; i < n; i++) {
        Sadasya__SignedEntry se = SADASYA__SIGNED_ENTRY__INIT;
        se.entry.data = items[i].entry;
        se.entry.len = items[i].entry_len;
        se.sig.data = (uint8_t *)items[i].sig;
        se.sig.len = ENTRY_SIG_BYTES;
        Sadasya__Carried c = SADASYA__CARRIED__INIT;
        c.signed_ = &se;
        if (items[i].personal) {
            c.personal.data = items[i].personal;
            c.personal.len = items[i].personal_len;
        }
        fz_bundle_frame(out, &h, &c);
    }
    fz_bundle_end(out, &h, n);
}

#endif
