/*
 * make_corpus.c — writes the seed files of the fuzz targets:
 *
 *   fuzz_make_corpus [DIR=tests/fuzz/corpus]   →  DIR/{entry,sync,bundle}/
 *
 * The seeds are small valid (and a few deliberately wrong) inputs that
 * extend the fixture store of common.h: entries at the next seq of each
 * origin, chained onto its head and signed with its key, so that the
 * fuzzers start from inputs that reach the roster, chain, body and fold
 * paths. The fixture is deterministic, so rerunning this writes the same
 * bytes; rerun it (and commit the files) when common.h's fixture or the
 * entry format changes. Input layouts: see the top of each fuzz_*.c.
 */
#include "common.h"

#include "card.h"
#include "view.h"

#include <errno.h>

static char outdir[FZ_PATH_MAX];
static size_t written;

static void write_seed(const char *target, const char *name, const void *p,
                       size_t n)
{
    char path[FZ_PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", outdir, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        FZ_DIE("mkdir %s", path);
    snprintf(path, sizeof path, "%s/%s/%s.bin", outdir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0)
        FZ_DIE("writing %s", path);
    written++;
}

/* --- protobuf by hand (bodies by field number) --------------------------- */

static void pb_varint(fz_buf *b, uint64_t v)
{
    uint8_t x[10];
    size_t n = 0;
    do {
        x[n++] = (uint8_t)(v & 0x7f) | (v >= 0x80 ? 0x80 : 0);
        v >>= 7;
    } while (v);
    fz_put(b, x, n);
}

static void pb_uint(fz_buf *b, unsigned field, uint64_t v)
{
    pb_varint(b, (uint64_t)field << 3);
    pb_varint(b, v);
}

static void pb_str(fz_buf *b, unsigned field, const char *s)
{
    pb_varint(b, (uint64_t)field << 3 | 2);
    pb_varint(b, strlen(s));
    fz_put(b, s, strlen(s));
}

/* --- the store's heads --------------------------------------------------- */

typedef struct head {
    uint64_t seq;
    uint8_t hash[32];
} head;

static head head_of(int key)
{
    MDB_txn *txn;
    store_head h;
    if (store_begin(fz.s, 0, &txn, NULL) ||
        store_head_get(fz.s, txn, fz.keys[key].pk, &h, NULL))
        FZ_DIE("reading a head");
    mdb_txn_abort(txn);
    head r = { h.seq, { 0 } };
    memcpy(r.hash, h.hash, 32);
    return r;
}

/* A held entry (with its Personal blob), copied out of the log. */
static void held(int key, uint64_t seq, entry_signed *out)
{
    MDB_txn *txn;
    const uint8_t *sig, *bytes;
    size_t len;
    memset(out, 0, sizeof *out);
    if (store_begin(fz.s, 0, &txn, NULL) ||
        store_log_get(fz.s, txn, fz.keys[key].pk, seq, &sig, &bytes, &len, NULL))
        FZ_DIE("reading a held entry");
    out->entry = malloc(len);
    memcpy(out->entry, bytes, len);
    out->entry_len = len;
    memcpy(out->sig, sig, ENTRY_SIG_BYTES);
    uint8_t k[STORE_LOGKEY_BYTES];
    store_logkey(k, fz.keys[key].pk, seq);
    MDB_val mk = { sizeof k, k }, v;
    if (mdb_get(txn, fz.s->personal, &mk, &v) == 0) {
        out->personal = malloc(v.mv_size);
        memcpy(out->personal, v.mv_data, v.mv_size);
        out->personal_len = v.mv_size;
    }
    mdb_txn_abort(txn);
}

static void copy_item(const entry_signed *from, entry_signed *to)
{
    *to = *from;
    to->entry = malloc(from->entry_len);
    memcpy(to->entry, from->entry, from->entry_len);
    if (from->personal) {
        to->personal = malloc(from->personal_len);
        memcpy(to->personal, from->personal, from->personal_len);
    }
}

static void number(char out[NUMBER_MAX_LEN], const char *state, uint64_t serial)
{
    if (number_format(out, state, serial, NULL))
        FZ_DIE("number_format");
}

/* --- the candidate entries ----------------------------------------------- */

enum {
    BR_JOIN, BR_JOIN2, BR_JOIN3, BR_UPD, BR_UPD_PLAIN, BR_DEAD, BR_REACT,
    NAT_ADD_UP, UP_JOIN, NAT_REVOKE_KA, NAT_REPLACE_BR, KA_JOIN, BR_DUP,
    BR_EQUIV, BR_BADSIG, BR_GAP, BR_BROKEN, TN_JOIN, ROGUE_JOIN, BR_PMISMATCH,
    BR_WRONGNUM, BR_WRONGPREFIX, KA_ON_BR, BR_OFFICER, BR_EVENT, BR_ATTEND,
    BR_HONOUR, BR_NOTICE, BR_REDACT, BR_ENTERPRISE, NAT_OFFICER, NAT_NOTICE,
    BR_ATTEND_8, BR_HONOUR_9, BR_DEAD_8, BR_REDACT_9,
    NCAND
};

static const char *cand_name[NCAND] = {
    "br-join", "br-join2", "br-join3", "br-update", "br-update-plain",
    "br-deceased", "br-reactivate", "nat-add-up", "up-join", "nat-revoke-ka",
    "nat-replace-br", "ka-join", "br-duplicate", "br-equivocation",
    "br-bad-sig", "br-gap", "br-broken-chain", "tn-revoked-join",
    "rogue-join", "br-personal-mismatch", "br-wrong-serial",
    "br-wrong-prefix", "ka-status-of-br", "br-officer", "br-event",
    "br-attendance", "br-honour", "br-notice", "br-redaction",
    "br-enterprise", "nat-officer", "nat-notice", "br-attendance-8",
    "br-honour-9", "br-deceased-8", "br-redaction-9",
};

static entry_signed cand[NCAND];

static void raw_body(int key, uint64_t seq, const uint8_t prev[32],
                     unsigned field, fz_buf *body, entry_signed *out)
{
    fz_sign_raw_body(&fz.keys[key], seq, prev, field, body->p, body->n, out);
    free(body->p);
    memset(body, 0, sizeof *body);
}

static void make_candidates(void)
{
    keys_pair *N = &fz.keys[FZ_NAT], *B = &fz.keys[FZ_BR], *K = &fz.keys[FZ_KA];
    head hn = head_of(FZ_NAT), hb = head_of(FZ_BR), hk = head_of(FZ_KA);
    uint64_t bjoins = 4, kjoins = 2; /* members in the fixture */
    char n1[NUMBER_MAX_LEN], n2[NUMBER_MAX_LEN], n3[NUMBER_MAX_LEN],
        n4[NUMBER_MAX_LEN], num[NUMBER_MAX_LEN];
    number(n1, "BR", 1);
    number(n2, "BR", 2);
    number(n3, "BR", 3);
    number(n4, "BR", 4);
    uint8_t h[32];

    fz_joined(B, hb.seq + 1, hb.hash, "BR", bjoins + 1, 20, &cand[BR_JOIN]);
    fz_hash_of(&cand[BR_JOIN], h);
    fz_joined(B, hb.seq + 2, h, "BR", bjoins + 2, 21, &cand[BR_JOIN2]);
    fz_hash_of(&cand[BR_JOIN2], h);
    fz_joined(B, hb.seq + 3, h, "BR", bjoins + 3, 22, &cand[BR_JOIN3]);
    fz_updated(B, hb.seq + 1, hb.hash, n3, 1, &cand[BR_UPD]);
    fz_updated(B, hb.seq + 1, hb.hash, n4, 0, &cand[BR_UPD_PLAIN]);
    fz_status(B, hb.seq + 1, hb.hash, n1, SADASYA__STATUS__DECEASED,
              &cand[BR_DEAD]);
    fz_status(B, hb.seq + 1, hb.hash, n2, SADASYA__STATUS__ACTIVE,
              &cand[BR_REACT]);

    fz_roster_chapter(N, hn.seq + 1, hn.hash, "UP", fz.keys[FZ_ROGUE].pk,
                      &cand[NAT_ADD_UP]);
    fz_joined(&fz.keys[FZ_ROGUE], 1, NULL, "UP", 1, 30, &cand[UP_JOIN]);
    {
        char *rev[1] = { (char *)"KA" };
        Sadasya__RosterUpdate ru = SADASYA__ROSTER_UPDATE__INIT;
        ru.revoke_states = rev;
        ru.n_revoke_states = 1;
        Sadasya__Entry e = SADASYA__ENTRY__INIT;
        e.body_case = SADASYA__ENTRY__BODY_ROSTER;
        e.roster = &ru;
        fz_sign(N, &e, hn.seq + 1, hn.hash, &cand[NAT_REVOKE_KA]);
    }
    fz_roster_chapter(N, hn.seq + 1, hn.hash, "BR", fz.keys[FZ_ROGUE].pk,
                      &cand[NAT_REPLACE_BR]);
    fz_joined(K, hk.seq + 1, hk.hash, "KA", kjoins + 1, 31, &cand[KA_JOIN]);

    held(FZ_BR, 3, &cand[BR_DUP]);
    {
        entry_signed two;
        held(FZ_BR, 2, &two);
        fz_hash_of(&two, h);
        entry_signed_clear(&two);
        fz_joined(B, 3, h, "BR", 3, 99, &cand[BR_EQUIV]);
    }
    copy_item(&cand[BR_JOIN], &cand[BR_BADSIG]);
    cand[BR_BADSIG].sig[7] ^= 0x20;
    {
        uint8_t junk[32];
        memset(junk, 0x42, sizeof junk);
        fz_joined(B, hb.seq + 3, junk, "BR", bjoins + 1, 23, &cand[BR_GAP]);
        fz_joined(B, hb.seq + 1, junk, "BR", bjoins + 1, 24, &cand[BR_BROKEN]);
    }
    fz_joined(&fz.keys[FZ_TN], 1, NULL, "TN", 1, 40, &cand[TN_JOIN]);
    fz_joined(&fz.keys[FZ_ROGUE], 1, NULL, "BR", 1, 41, &cand[ROGUE_JOIN]);
    {
        /* BR_JOIN's entry with BR_JOIN2's Personal blob. */
        entry_signed *pm = &cand[BR_PMISMATCH];
        copy_item(&cand[BR_JOIN], pm);
        free(pm->personal);
        pm->personal = malloc(cand[BR_JOIN2].personal_len);
        memcpy(pm->personal, cand[BR_JOIN2].personal, cand[BR_JOIN2].personal_len);
        pm->personal_len = cand[BR_JOIN2].personal_len;
    }
    fz_joined(B, hb.seq + 1, hb.hash, "BR", bjoins + 5, 25, &cand[BR_WRONGNUM]);
    fz_joined(B, hb.seq + 1, hb.hash, "KA", bjoins + 1, 26, &cand[BR_WRONGPREFIX]);
    fz_status(K, hk.seq + 1, hk.hash, n1, SADASYA__STATUS__RESIGNED,
              &cand[KA_ON_BR]);

    fz_buf b = { 0 };
    pb_str(&b, 1, n1);
    pb_str(&b, 2, "president");
    pb_uint(&b, 4, 20710);
    raw_body(FZ_BR, hb.seq + 1, hb.hash, 14, &b, &cand[BR_OFFICER]);
    snprintf(num, sizeof num, "BR-E%llu", (unsigned long long)(hb.seq + 1));
    pb_str(&b, 1, num);
    pb_str(&b, 2, "webinar");
    pb_uint(&b, 3, 1);
    pb_str(&b, 4, "सदस्यता अभियान");
    pb_uint(&b, 5, 20711);
    pb_str(&b, 6, "online");
    raw_body(FZ_BR, hb.seq + 1, hb.hash, 15, &b, &cand[BR_EVENT]);
    pb_str(&b, 1, "BR-E7");
    pb_str(&b, 2, n1);
    pb_str(&b, 2, n2);
    pb_uint(&b, 3, 20712);
    raw_body(FZ_BR, hb.seq + 1, hb.hash, 16, &b, &cand[BR_ATTEND]);
    pb_str(&b, 1, n2);
    pb_str(&b, 2, "Seva Samman");
    pb_uint(&b, 3, 20713);
    raw_body(FZ_BR, hb.seq + 1, hb.hash, 17, &b, &cand[BR_HONOUR]);
    pb_str(&b, 1, "Drive");
    pb_str(&b, 2, "₹11 membership drive opens");
    raw_body(FZ_BR, hb.seq + 1, hb.hash, 18, &b, &cand[BR_NOTICE]);
    pb_str(&b, 1, n4);
    pb_str(&b, 2, "on request");
    raw_body(FZ_BR, hb.seq + 1, hb.hash, 19, &b, &cand[BR_REDACT]);
    pb_str(&b, 1, n3);
    pb_str(&b, 2, "Madhubani Arts");
    pb_str(&b, 3, "painting");
    pb_uint(&b, 6, 1);
    raw_body(FZ_BR, hb.seq + 1, hb.hash, 20, &b, &cand[BR_ENTERPRISE]);
    pb_str(&b, 1, n1);
    pb_str(&b, 2, "national-secretary");
    raw_body(FZ_NAT, hn.seq + 1, hn.hash, 14, &b, &cand[NAT_OFFICER]);
    /* Chains: event, attendance at it, honour; update, status, erasure. */
    fz_hash_of(&cand[BR_EVENT], h);
    pb_str(&b, 1, num);
    pb_str(&b, 2, n1);
    pb_str(&b, 2, n3);
    pb_uint(&b, 3, 20711);
    raw_body(FZ_BR, hb.seq + 2, h, 16, &b, &cand[BR_ATTEND_8]);
    fz_hash_of(&cand[BR_ATTEND_8], h);
    pb_str(&b, 1, n3);
    pb_str(&b, 2, "Yuva Ratna");
    pb_uint(&b, 3, 20714);
    raw_body(FZ_BR, hb.seq + 3, h, 17, &b, &cand[BR_HONOUR_9]);
    fz_hash_of(&cand[BR_UPD], h);
    fz_status(B, hb.seq + 2, h, n3, SADASYA__STATUS__DECEASED, &cand[BR_DEAD_8]);
    fz_hash_of(&cand[BR_DEAD_8], h);
    pb_str(&b, 1, n3);
    pb_str(&b, 2, "family request");
    raw_body(FZ_BR, hb.seq + 3, h, 19, &b, &cand[BR_REDACT_9]);
    pb_str(&b, 1, "Federation notice");
    pb_str(&b, 2, "Annual meeting");
    raw_body(FZ_NAT, hn.seq + 1, hn.hash, 18, &b, &cand[NAT_NOTICE]);
}

/* --- fuzz_entry seeds ---------------------------------------------------- */

static void entry_seed(const char *name, uint8_t flags, const int *idx,
                       size_t n)
{
    fz_buf b = { 0 };
    fz_put(&b, &flags, 1);
    switch (flags & 3) {
    case 0: {
        const entry_signed *es = &cand[idx[0]];
        fz_put_be(&b, es->entry_len, 2);
        fz_put(&b, es->entry, es->entry_len);
        fz_put(&b, es->sig, ENTRY_SIG_BYTES);
        if (es->personal)
            fz_put(&b, es->personal, es->personal_len);
        break;
    }
    case 1:
        fz_put_carried(&b, &cand[idx[0]]);
        break;
    case 2: {
        fz_buf c = { 0 };
        fz_put_carried(&c, &cand[idx[0]]);
        uint8_t tag = 0x0a; /* BundleFrame.carried */
        fz_put(&b, &tag, 1);
        pb_varint(&b, c.n);
        fz_put(&b, c.p, c.n);
        free(c.p);
        break;
    }
    case 3:
        for (size_t i = 0; i < n; i++) {
            fz_buf c = { 0 };
            fz_put_carried(&c, &cand[idx[i]]);
            fz_put_be(&b, c.n, 2);
            fz_put(&b, c.p, c.n);
            free(c.p);
        }
        break;
    }
    write_seed("entry", name, b.p, b.n);
    free(b.p);
}

static void entry_seeds(void)
{
    char name[96];
    /* Every candidate alone, as a Carried (with RUNSIG: one-entry runs). */
    for (int i = 0; i < NCAND; i++) {
        snprintf(name, sizeof name, "carried-%s", cand_name[i]);
        entry_seed(name, 0x01 | (i % 2 ? 0x04 : 0), &i, 1);
    }
    /* The other layouts. */
    int one[1] = { BR_JOIN };
    entry_seed("raw-br-join", 0x00, one, 1);
    one[0] = BR_UPD;
    entry_seed("raw-br-update", 0x04, one, 1);
    one[0] = NAT_ADD_UP;
    entry_seed("frame-nat-add-up", 0x02, one, 1);
    one[0] = BR_DEAD;
    entry_seed("frame-br-deceased", 0x06, one, 1);
    /* Re-signed: what the fuzzer mutates keeps a valid signature. */
    one[0] = BR_BADSIG;
    entry_seed("resign-br-bad-sig", 0x01 | 0x08, one, 1);
    one[0] = BR_EVENT;
    entry_seed("resign-decoded-br-event", 0x01 | 0x18, one, 1);
    /* Bodies made to commit to their blobs, then re-signed. */
    one[0] = BR_PMISMATCH;
    entry_seed("commit-br-personal-mismatch", 0x01 | 0x08 | 0x20, one, 1);
    one[0] = BR_UPD;
    entry_seed("commit-raw-br-update", 0x00 | 0x08 | 0x20, one, 1);
    /* Batches. */
    int run[3] = { BR_JOIN, BR_JOIN2, BR_JOIN3 };
    entry_seed("batch-br-run", 0x03 | 0x04, run, 3);
    entry_seed("batch-br-run-plain", 0x03, run, 3);
    entry_seed("batch-br-run-resign-last", 0x03 | 0x04 | 0x10, run, 3);
    int up[2] = { NAT_ADD_UP, UP_JOIN };
    entry_seed("batch-nat-add-up-then-join", 0x03 | 0x04, up, 2);
    int rev[2] = { NAT_REVOKE_KA, KA_JOIN };
    entry_seed("batch-revoke-ka-then-join", 0x03, rev, 2);
    int rep[2] = { NAT_REPLACE_BR, BR_JOIN };
    entry_seed("batch-replace-br-then-join", 0x03 | 0x04, rep, 2);
    int eq[3] = { BR_DUP, BR_EQUIV, BR_JOIN };
    entry_seed("batch-dup-equivocation-join", 0x03 | 0x04, eq, 3);
    int mixed[4] = { NAT_OFFICER, BR_JOIN, KA_JOIN, TN_JOIN };
    entry_seed("batch-mixed-origins", 0x03 | 0x04, mixed, 4);
    int org[3] = { BR_EVENT, BR_ATTEND_8, BR_HONOUR_9 };
    entry_seed("batch-event-attendance-honour", 0x03 | 0x04, org, 3);
    entry_seed("batch-event-attendance-honour-resign", 0x03 | 0x08, org, 3);
    int upd[3] = { BR_UPD, BR_DEAD_8, BR_REDACT_9 };
    entry_seed("batch-update-status-redaction", 0x03 | 0x04, upd, 3);
}

/* --- fuzz_sync seeds ----------------------------------------------------- */

static void write_msg(const char *name, Sadasya__SyncMsg *m)
{
    uint8_t *out;
    size_t len;
    sd_err err;
    if (sync_encode(m, &out, &len, &err))
        FZ_DIE("sync_encode: %s", err.msg);
    write_seed("sync", name, out, len);
    free(out);
}

static void pull_seed(const char *name, Sadasya__Head **have, size_t n,
                      uint32_t max, uint32_t wait_ms)
{
    Sadasya__Pull p = SADASYA__PULL__INIT;
    p.id = 7;
    p.have = have;
    p.n_have = n;
    p.max = max;
    p.wait_ms = wait_ms;
    Sadasya__SyncMsg m = SADASYA__SYNC_MSG__INIT;
    m.msg_case = SADASYA__SYNC_MSG__MSG_PULL;
    m.pull = &p;
    write_msg(name, &m);
}

static void batch_seed(const char *name, uint64_t id, const int *idx,
                       size_t n, const int *ev, size_t nev,
                       Sadasya__Head **heads, size_t nheads)
{
    Sadasya__SignedEntry se[FZ_MAX_ITEMS], sev[FZ_MAX_ITEMS];
    Sadasya__Carried c[FZ_MAX_ITEMS], *cp[FZ_MAX_ITEMS];
    Sadasya__SignedEntry *evp[FZ_MAX_ITEMS];
    for (size_t i = 0; i < n; i++) {
        const entry_signed *es = &cand[idx[i]];
        sadasya__signed_entry__init(&se[i]);
        se[i].entry.data = es->entry;
        se[i].entry.len = es->entry_len;
        se[i].sig.data = (uint8_t *)es->sig;
        se[i].sig.len = ENTRY_SIG_BYTES;
        sadasya__carried__init(&c[i]);
        c[i].signed_ = &se[i];
        if (es->personal) {
            c[i].personal.data = es->personal;
            c[i].personal.len = es->personal_len;
        }
        cp[i] = &c[i];
    }
    for (size_t i = 0; i < nev; i++) {
        const entry_signed *es = &cand[ev[i]];
        sadasya__signed_entry__init(&sev[i]);
        sev[i].entry.data = es->entry;
        sev[i].entry.len = es->entry_len;
        sev[i].sig.data = (uint8_t *)es->sig;
        sev[i].sig.len = ENTRY_SIG_BYTES;
        evp[i] = &sev[i];
    }
    Sadasya__Batch b = SADASYA__BATCH__INIT;
    b.id = id;
    b.entries = cp;
    b.n_entries = n;
    b.evidence = evp;
    b.n_evidence = nev;
    b.heads = heads;
    b.n_heads = nheads;
    b.more = nheads > 0;
    Sadasya__SyncMsg m = SADASYA__SYNC_MSG__INIT;
    m.msg_case = SADASYA__SYNC_MSG__MSG_BATCH;
    m.batch = &b;
    write_msg(name, &m);
}

static void sync_seeds(void)
{
    MDB_txn *txn;
    Sadasya__Head **hs;
    size_t nh;
    if (store_begin(fz.s, 0, &txn, NULL) || sync_heads(fz.s, txn, &hs, &nh, NULL))
        FZ_DIE("sync_heads");
    mdb_txn_abort(txn);

    /* Pulls. */
    pull_seed("pull-empty", NULL, 0, 0, 0);
    pull_seed("pull-all-held", hs, nh, 0, 0);
    pull_seed("pull-max1-wait", NULL, 0, 1, 1500);
    {
        /* BR behind at seq 2 with its right hash; KA at seq 2 with the
         * other (equivocating) hash; an origin we do not know. */
        entry_signed two;
        held(FZ_BR, 2, &two);
        uint8_t h2[32], other[32], unknown[32];
        fz_hash_of(&two, h2);
        entry_signed_clear(&two);
        memset(other, 0x17, sizeof other);
        memset(unknown, 0x99, sizeof unknown);
        Sadasya__Head a = SADASYA__HEAD__INIT, b = SADASYA__HEAD__INIT,
                      c = SADASYA__HEAD__INIT, d = SADASYA__HEAD__INIT;
        a.origin.data = fz.keys[FZ_BR].pk;
        a.origin.len = 32;
        a.seq = 2;
        a.hash.data = h2;
        a.hash.len = 32;
        b.origin.data = fz.keys[FZ_KA].pk;
        b.origin.len = 32;
        b.seq = 2;
        b.hash.data = other;
        b.hash.len = 32;
        c.origin.data = unknown;
        c.origin.len = 32;
        c.seq = 5;
        c.hash.data = other;
        c.hash.len = 32;
        d.origin.data = fz.keys[FZ_NAT].pk;
        d.origin.len = 32; /* seq 0, no hash: knows nothing of it */
        Sadasya__Head *have[4] = { &a, &b, &c, &d };
        pull_seed("pull-behind-conflict-unknown", have, 4, 0, 0);
        pull_seed("pull-behind-max2", have, 1, 2, 0);
        Sadasya__Head far = a;
        far.seq = 1000;
        Sadasya__Head *ahead[1] = { &far };
        pull_seed("pull-ahead", ahead, 1, 0, 0);
    }

    /* Batches: what this store would answer (all duplicates here)... */
    {
        Sadasya__Pull p = SADASYA__PULL__INIT;
        uint8_t *out;
        size_t len, nent;
        if (sync_answer(fz.s, &p, &out, &len, &nent, NULL))
            FZ_DIE("sync_answer");
        write_seed("sync", "batch-everything-held", out, len);
        free(out);
    }
    /* ...and new entries. */
    int run[3] = { BR_JOIN, BR_JOIN2, BR_JOIN3 };
    batch_seed("batch-br-run", 0, run, 3, NULL, 0, NULL, 0);
    batch_seed("batch-br-run-resign-last", 4, run, 3, NULL, 0, NULL, 0);
    int chain[6] = { BR_EVENT, BR_ATTEND_8, BR_HONOUR_9, NAT_NOTICE, KA_JOIN,
                     TN_JOIN };
    batch_seed("batch-event-chain", 0, chain, 6, NULL, 0, NULL, 0);
    int upd[3] = { BR_UPD, BR_DEAD_8, BR_REDACT_9 };
    batch_seed("batch-update-status-redaction", 2, upd, 3, NULL, 0, NULL, 0);
    batch_seed("batch-br-run-heads", 0, run, 3, NULL, 0, hs, nh);
    int up[2] = { NAT_ADD_UP, UP_JOIN };
    batch_seed("batch-nat-add-up-then-join", 0, up, 2, NULL, 0, NULL, 0);
    int rev[2] = { NAT_REVOKE_KA, KA_JOIN };
    batch_seed("batch-revoke-ka-then-join", 0, rev, 2, NULL, 0, NULL, 0);
    int ka[1] = { KA_JOIN };
    batch_seed("batch-ka-held-back", 1, ka, 1, NULL, 0, NULL, 0);
    int eq[3] = { BR_DUP, BR_EQUIV, BR_JOIN };
    batch_seed("batch-dup-equivocation-join", 0, eq, 3, NULL, 0, NULL, 0);
    int evs[2] = { BR_JOIN, BR_UPD };
    batch_seed("batch-evidence-pair", 0, NULL, 0, evs, 2, NULL, 0);
    int ev1[1] = { BR_EQUIV };
    batch_seed("batch-evidence-held", 0, NULL, 0, ev1, 1, NULL, 0);
    int org[4] = { BR_OFFICER, BR_NOTICE, BR_REDACT, BR_ENTERPRISE };
    for (int i = 0; i < 4; i++) {
        char name[64];
        snprintf(name, sizeof name, "batch-resign-%s", cand_name[org[i]]);
        batch_seed(name, 2, &org[i], 1, NULL, 0, NULL, 0);
    }
    int bad[5] = { TN_JOIN, ROGUE_JOIN, BR_GAP, BR_BADSIG, KA_ON_BR };
    batch_seed("batch-refusals", 0, bad, 5, NULL, 0, NULL, 0);
    int mixed[4] = { NAT_OFFICER, BR_UPD, KA_JOIN, BR_PMISMATCH };
    batch_seed("batch-mixed", 2, mixed, 4, NULL, 0, NULL, 0);

    /* Neither pull nor batch. */
    Sadasya__SyncError e = SADASYA__SYNC_ERROR__INIT;
    e.id = 7;
    e.reason = (char *)"busy";
    Sadasya__SyncMsg m = SADASYA__SYNC_MSG__INIT;
    m.msg_case = SADASYA__SYNC_MSG__MSG_ERROR;
    m.error = &e;
    write_msg("error", &m);
    uint8_t v2[] = { 0x08, 0x02, 0x12, 0x00 }; /* version 2, empty pull */
    write_seed("sync", "pull-version2", v2, sizeof v2);

    sync_heads_free(hs, nh);
}

/* --- fuzz_bundle seeds --------------------------------------------------- */

static void bundle_items(const char *name, const int *idx, size_t n)
{
    entry_signed items[FZ_MAX_ITEMS];
    for (size_t i = 0; i < n; i++)
        items[i] = cand[idx[i]];
    fz_buf b = { 0 };
    fz_bundle_of(&b, items, n);
    write_seed("bundle", name, b.p, b.n);
    free(b.p);
}

static void bundle_written(const char *name, const char *const *states,
                           size_t nstates)
{
    FILE *f = tmpfile();
    sd_err err;
    audience all;
    audience_all(&all);
    if (!f || bundle_write(fz.s, f, states, nstates, &all, NULL, &err))
        FZ_DIE("bundle_write: %s", f ? err.msg : "tmpfile");
    long n = ftell(f);
    uint8_t *p = malloc((size_t)n);
    rewind(f);
    if (fread(p, 1, (size_t)n, f) != (size_t)n)
        FZ_DIE("reading back a bundle");
    fclose(f);
    write_seed("bundle", name, p, (size_t)n);
    /* Damaged copies: cut short, and one byte of an entry changed. */
    if (!strcmp(name, "file-ka")) {
        write_seed("bundle", "file-ka-truncated", p, (size_t)n - 9);
        p[BUNDLE_MAGIC_LEN + 40] ^= 1;
        write_seed("bundle", "file-ka-bad-digest", p, (size_t)n);
    }
    free(p);
}

/* Damaged bundles around one entry, each wrong in one way. */
static void damaged_seeds(const entry_signed *es)
{
    fz_buf b = { 0 };
    fz_bundle_of(&b, es, 1);
    uint8_t *p = b.p;
    size_t n = b.n, first = BUNDLE_MAGIC_LEN; /* the first frame's length */
    size_t flen = (size_t)p[first] << 24 | (size_t)p[first + 1] << 16 |
                  (size_t)p[first + 2] << 8 | p[first + 3];
    size_t endat = first + 4 + flen;        /* the end frame's length */

    fz_buf x = { 0 };
    fz_put(&x, p, n);
    fz_put(&x, "\n", 1);
    write_seed("bundle", "bad-trailing-byte", x.p, x.n);
    x.n = 0;
    fz_put(&x, p, endat);
    write_seed("bundle", "bad-no-end", x.p, x.n);
    x.n = 0;
    fz_put(&x, p, n);
    x.p[first] = 0x7f; /* a frame of ~2 GB announced */
    write_seed("bundle", "bad-huge-frame", x.p, x.n);
    x.n = 0;
    fz_put(&x, p, n);
    x.p[first + 4] = 0xff; /* the frame's first tag: no such field/type */
    write_seed("bundle", "bad-frame-not-decoding", x.p, x.n);
    x.n = 0;
    fz_put(&x, p, first);
    fz_put_be(&x, 0, 4);   /* an empty frame: neither entry nor end */
    fz_put(&x, p + first, n - first);
    write_seed("bundle", "bad-empty-frame", x.p, x.n);
    x.n = 0;
    fz_put(&x, p, n);
    x.p[endat + 4 + 3] ^= 0x01; /* the end frame's count (field 1, varint) */
    write_seed("bundle", "bad-count", x.p, x.n);
    x.n = 0;
    fz_put(&x, "SADASYA-BUNDLE-2\n", BUNDLE_MAGIC_LEN);
    fz_put(&x, p + BUNDLE_MAGIC_LEN, n - BUNDLE_MAGIC_LEN);
    write_seed("bundle", "bad-magic", x.p, x.n);
    free(x.p);
    free(b.p);
}

static void framed_seed(const char *name, uint8_t flags, const int *idx,
                        size_t n, int zero_sigs)
{
    fz_buf b = { 0 };
    fz_put(&b, &flags, 1);
    for (size_t i = 0; i < n; i++) {
        entry_signed es = cand[idx[i]];
        if (zero_sigs)
            memset(es.sig, 0, sizeof es.sig);
        fz_buf c = { 0 };
        fz_put_carried(&c, &es);
        fz_put_be(&b, c.n, 2);
        fz_put(&b, c.p, c.n);
        free(c.p);
    }
    write_seed("bundle", name, b.p, b.n);
    free(b.p);
}

static void bundle_seeds(void)
{
    bundle_written("file-everything", NULL, 0);
    const char *ka[1] = { "KA" };
    bundle_written("file-ka", ka, 1);
    bundle_items("file-empty", NULL, 0);
    int fresh[5] = { NAT_ADD_UP, UP_JOIN, BR_JOIN, BR_JOIN2, KA_JOIN };
    bundle_items("file-new-entries", fresh, 5);
    damaged_seeds(&cand[BR_JOIN]);
    int late[3] = { BR_JOIN, NAT_REVOKE_KA, KA_JOIN };
    bundle_items("file-national-late", late, 3);
    int eq[3] = { BR_DUP, BR_EQUIV, BR_JOIN };
    bundle_items("file-dup-equivocation", eq, 3);
    int bad[6] = { TN_JOIN, ROGUE_JOIN, BR_GAP, BR_BADSIG, BR_PMISMATCH,
                   BR_WRONGPREFIX };
    bundle_items("file-refusals", bad, 6);
    int org[5] = { BR_EVENT, BR_ATTEND_8, BR_HONOUR_9, NAT_NOTICE, BR_ATTEND };
    bundle_items("file-org-bodies", org, 5);

    framed_seed("framed-new-entries", 0x00, fresh, 5, 0);
    framed_seed("framed-national-late", 0x00, late, 3, 0);
    framed_seed("framed-resign", 0x01, fresh, 5, 1);
    int upd[3] = { BR_UPD, BR_DEAD_8, BR_REDACT_9 };
    framed_seed("framed-resign-updates", 0x01, upd, 3, 1);
    int one[1] = { BR_OFFICER };
    framed_seed("framed-empty-carried", 0x02, one, 1, 0);
    framed_seed("framed-refusals", 0x00, bad, 6, 0);
}

/* --- fuzz_card seeds ------------------------------------------------------ */

typedef struct card_walk {
    int n;
} card_walk;

/* Cards for one fixture member, signed by each of the fixture's keys (the
 * chapter's own, another state's, a revoked one, the national office, an
 * auditor's), and variants: white space around, one character changed,
 * the prefix lost. */
static int card_member(const Sadasya__MemberView *m, void *ctx)
{
    card_walk *w = ctx;
    MDB_txn *txn;
    Sadasya__Personal *p = NULL;
    if (store_begin(fz.s, 0, &txn, NULL))
        FZ_DIE("reading the fixture");
    int held = view_personal_get(fz.s, txn, m, &p, NULL) == SD_OK;
    mdb_txn_abort(txn);
    if (!held)
        return 0;
    static const struct { int key; const char *who; } signers[] = {
        { FZ_BR, "br" }, { FZ_KA, "ka" }, { FZ_TN, "tn" },
        { FZ_NAT, "national" }, { FZ_AUDITOR, "auditor" },
    };
    for (size_t i = 0; i < sizeof signers / sizeof signers[0]; i++) {
        card_claim c;
        card_claim_for(m, p, &c);
        c.issued_day = (uint32_t)(FZ_TIME_MS / 86400000ull);
        char out[CARD_PAYLOAD_MAX + 1], name[64];
        sd_err err;
        if (card_sign(&fz.keys[signers[i].key], &c, out, &err))
            FZ_DIE("signing a card: %s", err.msg);
        snprintf(name, sizeof name, "%s-by-%s", m->number, signers[i].who);
        write_seed("card", name, out, strlen(out));
        if (i == 0 && w->n == 0) {
            char v[CARD_PAYLOAD_MAX + 8];
            snprintf(v, sizeof v, "  %s\n", out);
            write_seed("card", "spaces-around", v, strlen(v));
            memcpy(v, out, strlen(out) + 1);
            v[strlen(v) / 2] ^= 0x01;
            write_seed("card", "one-char-changed", v, strlen(v));
            write_seed("card", "no-prefix", out + strlen(CARD_PREFIX),
                       strlen(out) - strlen(CARD_PREFIX));
        }
    }
    sadasya__personal__free_unpacked(p, NULL);
    w->n++;
    return 0;
}

static void card_seeds(void)
{
    MDB_txn *txn;
    card_walk w = { 0 };
    if (store_begin(fz.s, 0, &txn, NULL))
        FZ_DIE("reading the fixture");
    if (view_members_each(fz.s, txn, NULL, card_member, &w, NULL))
        FZ_DIE("walking the fixture's members");
    mdb_txn_abort(txn);
    write_seed("card", "prefix-only", CARD_PREFIX, strlen(CARD_PREFIX));
}

int main(int argc, char **argv)
{
    snprintf(outdir, sizeof outdir, "%s", argc > 1 ? argv[1] : "tests/fuzz/corpus");
    if (mkdir(outdir, 0755) != 0 && errno != EEXIST)
        FZ_DIE("mkdir %s", outdir);
    fz_setup();
    make_candidates();
    entry_seeds();
    sync_seeds();
    bundle_seeds();
    card_seeds();
    for (int i = 0; i < NCAND; i++)
        entry_signed_clear(&cand[i]);
    printf("%zu seed files in %s\n", written, outdir);
    return 0;
}
