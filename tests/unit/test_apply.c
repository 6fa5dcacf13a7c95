/*
 * test_apply.c — unit tests for node/apply.c, the one write path: a chain
 * of own entries; a batch applied twice; every refusal a peer's batch can
 * meet (broken chain, gap, bad signature, key not in the roster, another
 * state's prefix, a roster update from a state key, a revoked or replaced
 * key); equivocation kept as evidence with the origin's later entries held
 * back, from every batch and after a restart, until the roster cuts the
 * key; Personal blobs that do not match their signed hash, and blobs
 * that arrive after their entries (taken late, indexed, verify clean;
 * never after an erasure); and this node's own batches, which land whole
 * or not at all.
 *
 * Each test makes a small federation in its own directory: a national
 * node, Bihar (BR, in the roster) and Uttar Pradesh (UP, not in it).
 */
#include "helpers.h"

#include "verify.h"
#include "view.h"

typedef th_fed fed;

/* What a store holds, to show that a batch changed nothing. */
typedef struct snap {
    store_head head;
    counter_row total;
    size_t log, members, personal, evidence, idx_phone, roster;
} snap;

static snap snapshot(store *s, const uint8_t origin[32])
{
    snap x;
    memset(&x, 0, sizeof x);
    x.head = th_head(s, origin);
    MDB_txn *txn;
    assert_int_equal(store_begin(s, 0, &txn, NULL), SD_OK);
    assert_int_equal(view_counter_get(s, txn, "total", "", &x.total, NULL),
                     SD_OK);
    mdb_txn_abort(txn);
    x.log = th_count(s, s->log);
    x.members = th_count(s, s->members);
    x.personal = th_count(s, s->personal);
    x.evidence = th_count(s, s->evidence);
    x.idx_phone = th_count(s, s->idx_phone);
    x.roster = th_count(s, s->roster);
    return x;
}

static void assert_same(const snap *a, const snap *b)
{
    assert_int_equal(a->head.seq, b->head.seq);
    assert_memory_equal(a->head.hash, b->head.hash, ENTRY_HASH_BYTES);
    assert_int_equal(a->head.joins, b->head.joins);
    assert_memory_equal(&a->total, &b->total, sizeof a->total);
    assert_int_equal(a->log, b->log);
    assert_int_equal(a->members, b->members);
    assert_int_equal(a->personal, b->personal);
    assert_int_equal(a->evidence, b->evidence);
    assert_int_equal(a->idx_phone, b->idx_phone);
    assert_int_equal(a->roster, b->roster);
}

static void assert_has(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle))
        fail_msg("\"%s\" does not say \"%s\"", haystack, needle);
}

/* The hash of the held log entry (origin, seq). */
static void log_hash(store *s, const uint8_t origin[32], uint64_t seq,
                     uint8_t out[ENTRY_HASH_BYTES])
{
    MDB_txn *txn;
    const uint8_t *sig, *bytes;
    size_t len;
    assert_int_equal(store_begin(s, 0, &txn, NULL), SD_OK);
    assert_int_equal(store_log_get(s, txn, origin, seq, &sig, &bytes, &len,
                                   NULL),
                     SD_OK);
    entry_hash(bytes, len, sig, out);
    mdb_txn_abort(txn);
}

/* A member entry of node n signed as if its log ended at seq `after`
 * (whose entries are all joins): a fork of its real log when it holds
 * more than that. */
static void fork_member(th_node *n, uint64_t after, entry_signed *out)
{
    writer *w = th_writer(n);
    memset(&w->head, 0, sizeof w->head);
    w->head.seq = after;
    w->head.joins = after;
    if (after)
        log_hash(n->s, n->pk, after, w->head.hash);
    th_member_buf buf;
    member_input in = th_member(&buf, 900 + (unsigned)after);
    th_build(w, &in, out, NULL);
    writer_destroy(&w);
}

/* --- the good path ------------------------------------------------------ */

static void test_own_chain_applied(void **state)
{
    fed *f = *state;
    char numbers[3][NUMBER_MAX_LEN];
    th_register(&f->br, 3, numbers);
    char want[NUMBER_MAX_LEN];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(number_format(want, "BR", (uint64_t)i + 1, NULL), SD_OK);
        assert_string_equal(numbers[i], want);
    }
    store_head h = th_head(f->br.s, f->br.pk);
    assert_int_equal(h.seq, 3);
    assert_int_equal(h.joins, 3);
    assert_string_equal(h.state, "BR");
    assert_int_equal(th_count(f->br.s, f->br.s->log), 3);
    assert_int_equal(th_count(f->br.s, f->br.s->members), 3);
    assert_int_equal(th_count(f->br.s, f->br.s->personal), 3);

    /* Gapless seqs, each prev the hash of the one before, and the head's
     * hash that of the last. */
    size_t n;
    entry_signed *items = th_collect(f->br.s, f->br.pk, 1, 0, &n);
    assert_int_equal(n, 3);
    uint8_t prev[ENTRY_HASH_BYTES] = { 0 };
    for (size_t i = 0; i < n; i++) {
        Sadasya__Entry *e = NULL;
        assert_int_equal(entry_decode(items[i].entry, items[i].entry_len, &e,
                                      NULL),
                         SD_OK);
        assert_int_equal(e->seq, i + 1);
        assert_memory_equal(e->origin.data, f->br.pk, 32);
        assert_memory_equal(e->prev.data, prev, ENTRY_HASH_BYTES);
        assert_string_equal(e->joined->number, numbers[i]);
        assert_true(entry_verify_sig(f->br.pk, items[i].entry,
                                     items[i].entry_len, items[i].sig));
        entry_hash(items[i].entry, items[i].entry_len, items[i].sig, prev);
        sadasya__entry__free_unpacked(e, NULL);
    }
    assert_memory_equal(h.hash, prev, ENTRY_HASH_BYTES);

    /* The same entries reach the national node as a peer's batch. */
    th_rejects rej;
    apply_result r = th_apply(f->nat.s, items, n, 0, &rej);
    assert_int_equal(r.added, 3);
    assert_int_equal(r.rejected, 0);
    assert_int_equal(r.duplicate, 0);
    assert_int_equal(r.personal_dropped, 0);
    assert_int_equal(rej.n, 0);
    store_head nh = th_head(f->nat.s, f->br.pk);
    assert_int_equal(nh.seq, 3);
    assert_memory_equal(nh.hash, h.hash, ENTRY_HASH_BYTES);
    assert_string_equal(nh.state, "BR");
    assert_int_equal(th_count(f->nat.s, f->nat.s->members), 3);
    assert_int_equal(th_count(f->nat.s, f->nat.s->personal), 3);
    th_free_items(items, n);
}

static void test_reapply_is_all_duplicates(void **state)
{
    fed *f = *state;
    size_t n;
    entry_signed *items = th_register_log(&f->br, 3, &n);

    snap before = snapshot(f->br.s, f->br.pk);
    apply_result r = th_apply(f->br.s, items, n, 0, NULL);
    assert_int_equal(r.duplicate, 3);
    assert_int_equal(r.added, 0);
    assert_int_equal(r.rejected, 0);
    assert_int_equal(r.evidence, 0);
    snap after = snapshot(f->br.s, f->br.pk);
    assert_same(&before, &after);

    /* On a peer: first time added, second time all duplicates. */
    r = th_apply(f->nat.s, items, n, 0, NULL);
    assert_int_equal(r.added, 3);
    before = snapshot(f->nat.s, f->br.pk);
    r = th_apply(f->nat.s, items, n, 0, NULL);
    assert_int_equal(r.duplicate, 3);
    assert_int_equal(r.added, 0);
    after = snapshot(f->nat.s, f->br.pk);
    assert_same(&before, &after);
    assert_int_equal(after.total.members, 3);

    /* A batch overlapping the head: duplicates, then the new entry. */
    th_register(&f->br, 1, NULL);
    th_free_items(items, n);
    items = th_collect(f->br.s, f->br.pk, 2, 0, &n);
    assert_int_equal(n, 3);
    r = th_apply(f->nat.s, items, n, 0, NULL);
    assert_int_equal(r.duplicate, 2);
    assert_int_equal(r.added, 1);
    th_free_items(items, n);
}

/* --- refusals ------------------------------------------------------------ */

static void test_broken_chain(void **state)
{
    fed *f = *state;
    th_register(&f->br, 1, NULL);
    assert_int_equal(th_replicate(f->br.s, f->nat.s, f->br.pk).added, 1);

    /* Seq 2 with a wrong prev, correctly signed by BR's key. */
    writer *w = th_writer(&f->br);
    w->head.hash[5] ^= 0x10;
    th_member_buf buf;
    member_input in = th_member(&buf, 77);
    entry_signed es;
    th_build(w, &in, &es, NULL);
    writer_destroy(&w);
    assert_true(entry_verify_sig(f->br.pk, es.entry, es.entry_len, es.sig));

    store *targets[2] = { f->br.s, f->nat.s };
    for (int t = 0; t < 2; t++) {
        snap before = snapshot(targets[t], f->br.pk);
        th_rejects rej;
        apply_result r = th_apply(targets[t], &es, 1, 0, &rej);
        assert_int_equal(r.rejected, 1);
        assert_int_equal(r.added, 0);
        assert_int_equal(rej.n, 1);
        assert_has(rej.last, "broken chain");
        snap after = snapshot(targets[t], f->br.pk);
        assert_same(&before, &after);
        assert_int_equal(after.head.seq, 1);
    }
    entry_signed_clear(&es);
}

static void test_gap(void **state)
{
    fed *f = *state;
    th_register(&f->br, 1, NULL);
    writer *w = th_writer(&f->br);
    w->head.seq++; /* the next entry claims seq 3 after a held 1 */
    th_member_buf buf;
    member_input in = th_member(&buf, 78);
    entry_signed es;
    th_build(w, &in, &es, NULL);
    writer_destroy(&w);

    snap before = snapshot(f->br.s, f->br.pk);
    th_rejects rej;
    apply_result r = th_apply(f->br.s, &es, 1, 0, &rej);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(r.added, 0);
    assert_has(rej.last, "gap");
    assert_has(rej.last, "seq 3");
    snap after = snapshot(f->br.s, f->br.pk);
    assert_same(&before, &after);

    /* A peer that holds nothing of BR sees seq 1 missing just the same. */
    size_t n;
    entry_signed *items = th_collect(f->br.s, f->br.pk, 1, 1, &n);
    entry_signed pair[2] = { es, items[0] }; /* seq 3, then seq 1 */
    r = th_apply(f->nat.s, pair, 2, 0, &rej);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(r.added, 1);
    th_free_items(items, n);
    entry_signed_clear(&es);
}

static void test_bad_signature(void **state)
{
    fed *f = *state;
    size_t n;
    entry_signed *items = th_register_log(&f->br, 2, &n);
    items[1].sig[10] ^= 0x04;

    th_rejects rej;
    apply_result r = th_apply(f->nat.s, items, n, 0, &rej);
    assert_int_equal(r.added, 1);
    assert_int_equal(r.rejected, 1);
    assert_has(rej.last, "bad signature");
    store_head h = th_head(f->nat.s, f->br.pk);
    assert_int_equal(h.seq, 1);
    assert_int_equal(th_count(f->nat.s, f->nat.s->members), 1);

    /* Mended, it is accepted. */
    items[1].sig[10] ^= 0x04;
    r = th_apply(f->nat.s, items, n, 0, &rej);
    assert_int_equal(r.duplicate, 1);
    assert_int_equal(r.added, 1);
    th_free_items(items, n);
}

static void test_bad_signature_runsig(void **state)
{
    fed *f = *state;
    size_t n;
    entry_signed *items = th_register_log(&f->br, 4, &n);

    /* The last signature failing: each entry is checked on its own. */
    items[3].sig[0] ^= 1;
    th_rejects rej;
    apply_result r = th_apply(f->nat.s, items, n, APPLY_RUNSIG, &rej);
    assert_int_equal(r.added, 3);
    assert_int_equal(r.rejected, 1);
    assert_has(rej.last, "bad signature");
    items[3].sig[0] ^= 1;
    th_free_items(items, n);

    /* A middle signature bad: the chain no longer links up to the last
     * entry, so nothing after it is vouched for. */
    th_register(&f->br, 4, NULL);
    items = th_collect(f->br.s, f->br.pk, 4, 0, &n); /* seqs 4..8 */
    assert_int_equal(n, 5);
    items[2].sig[0] ^= 1; /* seq 6 */
    r = th_apply(f->nat.s, items, n, APPLY_RUNSIG, &rej);
    assert_int_equal(r.added, 2);
    assert_int_equal(r.rejected, 3);
    assert_has(rej.all, "bad signature");
    assert_int_equal(th_head(f->nat.s, f->br.pk).seq, 5);
    items[2].sig[0] ^= 1;
    r = th_apply(f->nat.s, items, n, APPLY_RUNSIG, &rej);
    assert_int_equal(r.added, 3);
    assert_int_equal(r.duplicate, 2);
    assert_int_equal(th_head(f->nat.s, f->br.pk).seq, 8);
    th_free_items(items, n);
}

static void test_key_not_in_roster(void **state)
{
    fed *f = *state;
    size_t n;
    entry_signed *items = th_register_log(&f->up, 2, &n);

    /* The national node lists BR only. */
    snap before = snapshot(f->nat.s, f->up.pk);
    th_rejects rej;
    apply_result r = th_apply(f->nat.s, items, n, 0, &rej);
    assert_int_equal(r.added, 0);
    assert_int_equal(r.rejected, 1 + 1);
    assert_has(rej.all, "key not in the roster");
    snap after = snapshot(f->nat.s, f->up.pk);
    assert_same(&before, &after);
    assert_int_equal(after.head.seq, 0);

    /* A third node, BR, once it holds the national roster, refuses them
     * too (it accepts its own key only as its own). */
    apply_result rr = th_replicate(f->nat.s, f->br.s, f->nat.pk);
    assert_int_equal(rr.added, 2); /* the opening entry and BR's chapter */
    assert_int_equal(rr.rejected, 0);
    r = th_apply(f->br.s, items, n, 0, &rej);
    assert_int_equal(r.added, 0);
    assert_int_equal(r.rejected, 2);
    assert_has(rej.all, "key not in the roster");
    assert_int_equal(th_head(f->br.s, f->up.pk).seq, 0);

    /* Once the roster lists UP, the same entries are accepted. */
    th_roster_add(&f->nat, "UP", f->up.pk);
    r = th_apply(f->nat.s, items, n, 0, &rej);
    assert_int_equal(r.added, 2);
    assert_int_equal(th_head(f->nat.s, f->up.pk).joins, 2);
    th_free_items(items, n);
}

static void test_number_under_another_prefix(void **state)
{
    fed *f = *state;
    writer *w = th_writer(&f->br);
    snprintf(w->state, sizeof w->state, "UP"); /* BR's key, UP's numbers */
    th_member_buf buf;
    member_input in = th_member(&buf, 1);
    entry_signed es;
    char number[NUMBER_MAX_LEN];
    th_build(w, &in, &es, number);
    assert_int_equal(strncmp(number, "UP-", 3), 0);

    th_rejects rej;
    apply_result r = th_apply(f->nat.s, &es, 1, 0, &rej);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(r.added, 0);
    assert_has(rej.last, "another state");
    assert_has(rej.last, number);

    /* As this node's own entry, the whole commit fails with that reason. */
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(writer_commit(w, &es, 1, NULL, NULL, &err), SD_EINVAL);
    assert_has(err.msg, "another state");
    writer_destroy(&w);
    assert_int_equal(th_head(f->br.s, f->br.pk).seq, 0);
    assert_int_equal(th_count(f->br.s, f->br.s->members), 0);
    entry_signed_clear(&es);
}

static void test_roster_from_state_key(void **state)
{
    fed *f = *state;
    /* BR's key signs a roster update that would list UP. */
    th_roster_body b;
    Sadasya__Entry *e = th_roster_one(&b, "UP", "Usurper", f->up.pk);
    keys_pair kp;
    th_keys(&f->br, &kp);
    entry_signed es;
    th_sign(&kp, e, 1, NULL, &es);

    snap before = snapshot(f->nat.s, f->br.pk);
    th_rejects rej;
    apply_result r = th_apply(f->nat.s, &es, 1, 0, &rej);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(r.added, 0);
    assert_has(rej.last, "not national");
    snap after = snapshot(f->nat.s, f->br.pk);
    assert_same(&before, &after);
    MDB_txn *txn;
    Sadasya__ChapterView *cv = NULL;
    assert_int_equal(store_begin(f->nat.s, 0, &txn, NULL), SD_OK);
    assert_int_equal(roster_chapter(f->nat.s, txn, "UP", &cv, NULL),
                     SD_ENOTFOUND);
    char st[STORE_STATE_BYTES];
    int flag;
    assert_int_equal(roster_key_state(f->nat.s, txn, f->up.pk, st, &flag, NULL),
                     SD_ENOTFOUND);
    mdb_txn_abort(txn);

    /* Nor may BR's node write one as its own. */
    r = th_apply(f->br.s, &es, 1, 0, &rej);
    assert_int_equal(r.rejected, 1);
    assert_has(rej.last, "not national");
    entry_signed_clear(&es);
}

static void test_revoked_key(void **state)
{
    fed *f = *state;
    th_register(&f->br, 2, NULL);
    assert_int_equal(th_replicate(f->br.s, f->nat.s, f->br.pk).added, 2);
    th_roster_revoke(&f->nat, "BR");
    th_register(&f->br, 1, NULL);

    size_t n;
    entry_signed *items = th_collect(f->br.s, f->br.pk, 3, 0, &n);
    snap before = snapshot(f->nat.s, f->br.pk);
    th_rejects rej;
    apply_result r = th_apply(f->nat.s, items, n, 0, &rej);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(r.added, 0);
    assert_has(rej.last, "revoked");
    snap after = snapshot(f->nat.s, f->br.pk);
    assert_same(&before, &after);
    assert_int_equal(after.head.seq, 2);
    /* What BR wrote before the revocation stays. */
    assert_int_equal(after.members, 2);

    MDB_txn *txn;
    Sadasya__ChapterView *cv = NULL;
    assert_int_equal(store_begin(f->nat.s, 0, &txn, NULL), SD_OK);
    assert_int_equal(roster_chapter(f->nat.s, txn, "BR", &cv, NULL), SD_OK);
    assert_true(cv->revoked);
    sadasya__chapter_view__free_unpacked(cv, NULL);
    mdb_txn_abort(txn);
    th_free_items(items, n);
}

static void test_replaced_key(void **state)
{
    fed *f = *state;
    th_register(&f->br, 1, NULL);
    assert_int_equal(th_replicate(f->br.s, f->nat.s, f->br.pk).added, 1);
    /* BR gets a new key (say, after a lost laptop): the old one's later
     * entries are refused. */
    uint8_t newkey[32];
    randombytes_buf(newkey, sizeof newkey);
    th_roster_add(&f->nat, "BR", newkey);
    th_register(&f->br, 1, NULL);
    th_rejects rej;
    size_t n;
    entry_signed *items = th_collect(f->br.s, f->br.pk, 2, 0, &n);
    apply_result r = th_apply(f->nat.s, items, n, 0, &rej);
    assert_int_equal(r.rejected, 1);
    assert_has(rej.last, "replaced");
    th_free_items(items, n);
}

static void test_equivocation_against_held(void **state)
{
    fed *f = *state;
    th_register(&f->br, 3, NULL);
    assert_int_equal(th_replicate(f->br.s, f->nat.s, f->br.pk).added, 3);

    entry_signed alt; /* another seq 2, signed by BR's key */
    fork_member(&f->br, 1, &alt);
    th_register(&f->br, 1, NULL); /* seq 4, the real chain */
    size_t n;
    entry_signed *four = th_collect(f->br.s, f->br.pk, 4, 4, &n);
    entry_signed batch[2] = { alt, four[0] };

    snap before = snapshot(f->nat.s, f->br.pk);
    th_rejects rej;
    apply_result r = th_apply(f->nat.s, batch, 2, 0, &rej);
    assert_int_equal(r.evidence, 1);
    assert_int_equal(r.added, 0);
    assert_int_equal(r.rejected, 2);
    assert_has(rej.all, "equivocation");
    assert_has(rej.last, "held back");
    snap after = snapshot(f->nat.s, f->br.pk);
    assert_int_equal(after.head.seq, 3);
    assert_memory_equal(after.head.hash, before.head.hash, ENTRY_HASH_BYTES);
    assert_int_equal(after.members, before.members);

    /* Both signed entries of seq 2 are kept, byte for byte. */
    assert_int_equal(after.evidence, 2);
    uint8_t held[ENTRY_HASH_BYTES], alth[ENTRY_HASH_BYTES];
    log_hash(f->nat.s, f->br.pk, 2, held);
    entry_hash(alt.entry, alt.entry_len, alt.sig, alth);
    const uint8_t *hs[2] = { held, alth };
    MDB_txn *txn;
    assert_int_equal(store_begin(f->nat.s, 0, &txn, NULL), SD_OK);
    for (int i = 0; i < 2; i++) {
        uint8_t key[STORE_LOGKEY_BYTES + ENTRY_HASH_BYTES];
        store_logkey(key, f->br.pk, 2);
        memcpy(key + STORE_LOGKEY_BYTES, hs[i], ENTRY_HASH_BYTES);
        MDB_val k = { sizeof key, key }, v;
        assert_int_equal(mdb_get(txn, f->nat.s->evidence, &k, &v), 0);
        assert_true(v.mv_size > ENTRY_SIG_BYTES);
        entry_hash((uint8_t *)v.mv_data + ENTRY_SIG_BYTES,
                   v.mv_size - ENTRY_SIG_BYTES, v.mv_data, alth);
        assert_memory_equal(alth, hs[i], ENTRY_HASH_BYTES);
    }
    mdb_txn_abort(txn);

    /* Holding back is the node's, not the batch's: a later batch (another
     * peer's, a bundle's) is held back too, and so after the store is
     * opened again; its held entries still count as duplicates. */
    r = th_apply(f->nat.s, four, 1, 0, &rej);
    assert_int_equal(r.added, 0);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(r.held_back, 1);
    assert_has(rej.last, "held back");
    th_node_close(&f->nat);
    th_node_open(&f->nat);
    size_t n3;
    entry_signed *three = th_collect(f->br.s, f->br.pk, 1, 4, &n3);
    r = th_apply(f->nat.s, three, n3, APPLY_RUNSIG, &rej);
    assert_int_equal(r.duplicate, 3);
    assert_int_equal(r.held_back, 1);
    assert_int_equal(r.added, 0);
    assert_int_equal(th_head(f->nat.s, f->br.pk).seq, 3);
    MDB_txn *rt;
    assert_int_equal(store_begin(f->nat.s, 0, &rt, NULL), SD_OK);
    assert_int_equal(apply_held_back(f->nat.s, rt, f->br.pk, NULL), 1);
    assert_int_equal(apply_held_back(f->nat.s, rt, f->nat.pk, NULL), 0);
    mdb_txn_abort(rt);
    /* Evidence is not stored twice. */
    assert_int_equal(th_count(f->nat.s, f->nat.s->evidence), 2);

    /* The national roster cuts the key (at 4: the chain it holds): the cut
     * decides what stands, and the hold-back ends. */
    th_roster_cut(&f->nat, "BR", f->br.pk, 4, f->up.pk, 5);
    assert_int_equal(store_begin(f->nat.s, 0, &rt, NULL), SD_OK);
    assert_int_equal(apply_held_back(f->nat.s, rt, f->br.pk, NULL), 0);
    mdb_txn_abort(rt);
    r = th_apply(f->nat.s, four, 1, 0, &rej);
    assert_int_equal(r.added, 1);
    assert_int_equal(th_head(f->nat.s, f->br.pk).seq, 4);
    entry_signed_clear(&alt);
    th_free_items(four, n);
    th_free_items(three, n3);
}

static void test_equivocation_within_batch(void **state)
{
    fed *f = *state;
    th_register(&f->br, 2, NULL);
    assert_int_equal(th_replicate(f->br.s, f->nat.s, f->br.pk).added, 2);
    entry_signed alt; /* a second seq 3 */
    fork_member(&f->br, 2, &alt);
    th_register(&f->br, 2, NULL); /* seqs 3 and 4 */
    size_t n;
    entry_signed *real = th_collect(f->br.s, f->br.pk, 3, 4, &n);
    entry_signed batch[3] = { real[0], alt, real[1] };

    th_rejects rej;
    apply_result r = th_apply(f->nat.s, batch, 3, 0, &rej);
    assert_int_equal(r.added, 1);
    assert_int_equal(r.evidence, 1);
    assert_int_equal(r.rejected, 2);
    assert_has(rej.last, "held back");
    assert_int_equal(th_head(f->nat.s, f->br.pk).seq, 3);
    assert_int_equal(th_count(f->nat.s, f->nat.s->evidence), 2);
    entry_signed_clear(&alt);
    th_free_items(real, n);
}

static void test_equivocation_needs_a_valid_signature(void **state)
{
    fed *f = *state;
    th_register(&f->br, 2, NULL);
    assert_int_equal(th_replicate(f->br.s, f->nat.s, f->br.pk).added, 2);
    entry_signed alt;
    fork_member(&f->br, 1, &alt);
    alt.sig[3] ^= 1; /* anyone could make this: it proves nothing */
    th_rejects rej;
    apply_result r = th_apply(f->nat.s, &alt, 1, 0, &rej);
    assert_int_equal(r.evidence, 0);
    assert_int_equal(r.rejected, 1);
    assert_has(rej.last, "bad signature");
    assert_int_equal(th_count(f->nat.s, f->nat.s->evidence), 0);
    entry_signed_clear(&alt);
}

/* --- Personal blobs ------------------------------------------------------ */

static void test_personal_mismatch_dropped(void **state)
{
    fed *f = *state;
    char numbers[2][NUMBER_MAX_LEN];
    th_register(&f->br, 2, numbers);
    size_t n;
    entry_signed *items = th_collect(f->br.s, f->br.pk, 1, 0, &n);
    assert_non_null(items[0].personal);

    /* Seq 1 carries someone else's sealed data instead of its own. */
    Sadasya__Personal p = SADASYA__PERSONAL__INIT;
    p.name = (char *)"Impostor";
    p.phone = (char *)"9000000001";
    uint8_t *blob;
    size_t blen;
    uint8_t h[ENTRY_HASH_BYTES];
    assert_int_equal(entry_personal_seal(&p, &blob, &blen, h, NULL), SD_OK);
    free(items[0].personal);
    items[0].personal = blob;
    items[0].personal_len = blen;

    th_rejects rej;
    apply_result r = th_apply(f->nat.s, items, n, 0, &rej);
    assert_int_equal(r.added, 2);          /* the entries are kept */
    assert_int_equal(r.personal_dropped, 1);
    assert_int_equal(r.rejected, 0);
    assert_has(rej.last, "personal data does not match");
    assert_int_equal(th_count(f->nat.s, f->nat.s->personal), 1);
    assert_int_equal(th_count(f->nat.s, f->nat.s->members), 2);

    MDB_txn *txn;
    Sadasya__MemberView *m = NULL;
    Sadasya__Personal *got = NULL;
    assert_int_equal(store_begin(f->nat.s, 0, &txn, NULL), SD_OK);
    assert_int_equal(view_member_get(f->nat.s, txn, numbers[0], &m, NULL), SD_OK);
    assert_int_equal(view_personal_get(f->nat.s, txn, m, &got, NULL),
                     SD_ENOTFOUND);
    sadasya__member_view__free_unpacked(m, NULL);
    assert_int_equal(view_member_get(f->nat.s, txn, numbers[1], &m, NULL), SD_OK);
    assert_int_equal(view_personal_get(f->nat.s, txn, m, &got, NULL), SD_OK);
    sadasya__personal__free_unpacked(got, NULL);
    sadasya__member_view__free_unpacked(m, NULL);
    /* Nothing of the impostor's data was indexed. */
    MDB_val k = { 10, (void *)"9000000001" }, v;
    assert_int_equal(mdb_get(txn, f->nat.s->idx_phone, &k, &v), MDB_NOTFOUND);
    mdb_txn_abort(txn);
    th_free_items(items, n);
}

static void test_personal_on_entry_without_commitment(void **state)
{
    fed *f = *state;
    char numbers[1][NUMBER_MAX_LEN];
    th_register(&f->br, 1, numbers);
    /* A status entry commits to no Personal blob: one beside it is dropped. */
    Sadasya__MemberStatus st = SADASYA__MEMBER_STATUS__INIT;
    st.number = numbers[0];
    st.status = SADASYA__STATUS__INACTIVE;
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_STATUS;
    e.status = &st;
    writer *w = th_writer(&f->br);
    entry_signed es;
    const uint8_t junk[] = { 0x12, 0x01, 'x' };
    assert_int_equal(writer_sign(w, &e, junk, sizeof junk, &es, NULL), SD_OK);
    writer_destroy(&w);
    apply_result r = th_apply(f->br.s, &es, 1, 0, NULL);
    assert_int_equal(r.added, 1);
    assert_int_equal(r.personal_dropped, 1);
    assert_int_equal(th_count(f->br.s, f->br.s->personal), 1);
    entry_signed_clear(&es);
}

/* --- Personal blobs that come late ------------------------------------------ */

/* verify on s: its failures and warnings, each line in text. */
typedef struct vreport {
    char text[4096];
    uint64_t failures, warnings;
} vreport;

static void vreport_line(int warning, const char *line, void *ctx)
{
    vreport *r = ctx;
    size_t l = strlen(r->text);
    if (l + 2 < sizeof r->text)
        snprintf(r->text + l, sizeof r->text - l, "%s%s\n",
                 warning ? "warning: " : "FAIL: ", line);
}

static vreport run_verify(fed *f, store *s)
{
    vreport r;
    memset(&r, 0, sizeof r);
    verify_opts o;
    memset(&o, 0, sizeof o);
    o.scratch_dir = f->root;
    o.threads = 1;
    o.report = vreport_line;
    o.ctx = &r;
    verify_result res;
    sd_err err;
    sd_err_clear(&err);
    if (verify_run(s, &o, &res, &err))
        fail_msg("verify_run: %s", err.msg);
    r.failures = res.failures;
    r.warnings = res.warnings;
    return r;
}

static int found_one(const char *number, void *ctx)
{
    (void)number;
    (*(int *)ctx)++;
    return 0;
}

/* How many members the phone index finds under phone. */
static int phone_hits(store *s, const char *phone)
{
    MDB_txn *txn;
    int n = 0;
    assert_int_equal(store_begin(s, 0, &txn, NULL), SD_OK);
    assert_int_equal(view_find_phone(s, txn, phone, found_one, &n, NULL), SD_OK);
    mdb_txn_abort(txn);
    return n;
}

/* The phone in a carried Personal blob. */
static void blob_phone(const entry_signed *es, char out[32])
{
    Sadasya__Personal *p = NULL;
    assert_int_equal(entry_personal_decode(es->personal, es->personal_len, &p,
                                           NULL),
                     SD_OK);
    snprintf(out, 32, "%s", p->phone);
    sadasya__personal__free_unpacked(p, NULL);
}

static void strip_blob(entry_signed *es)
{
    free(es->personal);
    es->personal = NULL;
    es->personal_len = 0;
}

static void test_personal_taken_late(void **state)
{
    fed *f = *state;
    th_roster_add(&f->nat, "UP", f->up.pk); /* the national holds every blob */
    char numbers[2][NUMBER_MAX_LEN];
    th_register(&f->br, 2, numbers);
    size_t n;
    entry_signed *honest = th_collect(f->br.s, f->br.pk, 1, 0, &n);
    entry_signed *stripped = th_collect(f->br.s, f->br.pk, 1, 0, &n);
    char phone[32];
    blob_phone(&honest[0], phone);
    strip_blob(&stripped[0]); /* a relay that drops seq 1's blob */

    apply_result r = th_apply(f->nat.s, stripped, n, APPLY_RUNSIG, NULL);
    assert_int_equal(r.added, 2);
    assert_int_equal(th_count(f->nat.s, f->nat.s->personal), 1);
    assert_int_equal(phone_hits(f->nat.s, phone), 0);
    /* verify: consistent, but warns of the blob the national should hold */
    vreport v = run_verify(f, f->nat.s);
    assert_int_equal(v.failures, 0);
    assert_has(v.text, "personal blobs this node should hold are missing (seq 1)");

    /* The honest copy, later: its entries are duplicates, the blob is taken. */
    r = th_apply(f->nat.s, honest, n, APPLY_RUNSIG, NULL);
    assert_int_equal(r.added, 0);
    assert_int_equal(r.duplicate, 2);
    assert_int_equal(r.personal_healed, 1);
    assert_int_equal(th_count(f->nat.s, f->nat.s->personal), 2);
    assert_int_equal(phone_hits(f->nat.s, phone), 1);
    MDB_txn *txn;
    Sadasya__MemberView *m = NULL;
    Sadasya__Personal *got = NULL;
    assert_int_equal(store_begin(f->nat.s, 0, &txn, NULL), SD_OK);
    assert_int_equal(view_member_get(f->nat.s, txn, numbers[0], &m, NULL), SD_OK);
    assert_int_equal(view_personal_get(f->nat.s, txn, m, &got, NULL), SD_OK);
    assert_string_equal(got->phone, phone);
    sadasya__personal__free_unpacked(got, NULL);
    sadasya__member_view__free_unpacked(m, NULL);
    mdb_txn_abort(txn);
    /* The view equals the fold of the log and the blobs, and nothing lacks. */
    v = run_verify(f, f->nat.s);
    if (v.failures || strstr(v.text, "should hold"))
        fail_msg("verify after healing:\n%s", v.text);

    /* Once more: held already, nothing taken twice. */
    r = th_apply(f->nat.s, honest, n, 0, NULL);
    assert_int_equal(r.personal_healed, 0);
    assert_int_equal(th_count(f->nat.s, f->nat.s->personal), 2);
    assert_int_equal(phone_hits(f->nat.s, phone), 1);
    th_free_items(honest, n);
    th_free_items(stripped, n);
}

static void test_personal_not_taken_after_erasure(void **state)
{
    fed *f = *state;
    char numbers[1][NUMBER_MAX_LEN];
    th_register(&f->br, 1, numbers);
    size_t n;
    entry_signed *honest = th_collect(f->br.s, f->br.pk, 1, 1, &n);
    entry_signed *stripped = th_collect(f->br.s, f->br.pk, 1, 1, &n);
    char phone[32];
    blob_phone(&honest[0], phone);
    strip_blob(&stripped[0]);
    assert_int_equal(th_apply(f->nat.s, stripped, 1, 0, NULL).added, 1);

    /* The member asks for erasure; the national takes it. */
    Sadasya__Redaction rd = SADASYA__REDACTION__INIT;
    rd.number = numbers[0];
    rd.reason = (char *)"member's request";
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_REDACTION;
    e.redaction = &rd;
    th_commit_body(&f->br, &e, NULL, 0);
    assert_int_equal(th_replicate(f->br.s, f->nat.s, f->br.pk).added, 1);

    /* The blob, arriving after the erasure, is not taken. */
    apply_result r = th_apply(f->nat.s, honest, 1, 0, NULL);
    assert_int_equal(r.duplicate, 1);
    assert_int_equal(r.personal_healed, 0);
    assert_int_equal(th_count(f->nat.s, f->nat.s->personal), 0);
    assert_int_equal(phone_hits(f->nat.s, phone), 0);
    vreport v = run_verify(f, f->nat.s);
    if (v.failures || strstr(v.text, "should hold"))
        fail_msg("verify after an erasure:\n%s", v.text);
    th_free_items(honest, n);
    th_free_items(stripped, n);
}

/* --- this node's own batches --------------------------------------------- */

static void test_own_batch_all_or_nothing(void **state)
{
    fed *f = *state;
    writer *w = th_writer(&f->br);
    entry_signed items[3];
    th_member_buf buf;
    member_input in = th_member(&buf, 1);
    th_build(w, &in, &items[0], NULL);
    /* Seq 2: a status change for a member nobody registered. */
    Sadasya__MemberStatus st = SADASYA__MEMBER_STATUS__INIT;
    char ghost[NUMBER_MAX_LEN];
    assert_int_equal(number_format(ghost, "BR", 99, NULL), SD_OK);
    st.number = ghost;
    st.status = SADASYA__STATUS__INACTIVE;
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_STATUS;
    e.status = &st;
    assert_int_equal(writer_sign(w, &e, NULL, 0, &items[1], NULL), SD_OK);
    in = th_member(&buf, 2);
    th_build(w, &in, &items[2], NULL);
    assert_int_equal(w->head.seq, 3);

    snap before = snapshot(f->br.s, f->br.pk);
    /* Through the one write path directly, as this node's own... */
    apply_opts o;
    memset(&o, 0, sizeof o);
    o.flags = APPLY_OWN;
    o.meta_name = "import_progress";
    o.meta_val = "row 3";
    o.meta_len = 5;
    apply_result res;
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(apply_batch(f->br.s, items, 3, &o, &res, &err), SD_EINVAL);
    assert_has(err.msg, ghost); /* the first refusal names the cause */
    /* seq 2 refused, and seq 3 then has nothing to follow */
    assert_int_equal(res.rejected, 2);
    snap after = snapshot(f->br.s, f->br.pk);
    assert_same(&before, &after);
    assert_int_equal(after.head.seq, 0);
    assert_int_equal(after.log, 0);
    assert_int_equal(after.total.members, 0);
    MDB_txn *txn;
    const void *mv;
    size_t ml;
    assert_int_equal(store_begin(f->br.s, 0, &txn, NULL), SD_OK);
    assert_int_equal(store_meta_get(f->br.s, txn, "import_progress", &mv, &ml,
                                    NULL),
                     SD_ENOTFOUND);
    mdb_txn_abort(txn);

    /* ...and through the writer, which then re-reads its head. */
    sd_err_clear(&err);
    assert_int_equal(writer_commit(w, items, 3, NULL, &res, &err), SD_EINVAL);
    assert_has(err.msg, "no member");
    assert_int_equal(w->head.seq, 0);
    after = snapshot(f->br.s, f->br.pk);
    assert_same(&before, &after);
    for (int i = 0; i < 3; i++)
        entry_signed_clear(&items[i]);

    /* The writer carries on from the real head: number 1 again. */
    char number[NUMBER_MAX_LEN];
    in = th_member(&buf, 3);
    th_build(w, &in, &items[0], number);
    assert_int_equal(writer_commit(w, items, 1, &o, &res, &err), SD_OK);
    char want[NUMBER_MAX_LEN];
    assert_int_equal(number_format(want, "BR", 1, NULL), SD_OK);
    assert_string_equal(number, want);
    assert_int_equal(res.added, 1);
    assert_int_equal(store_begin(f->br.s, 0, &txn, NULL), SD_OK);
    assert_int_equal(store_meta_get(f->br.s, txn, "import_progress", &mv, &ml,
                                    NULL),
                     SD_OK);
    assert_int_equal(ml, 5);
    assert_memory_equal(mv, "row 3", 5);
    mdb_txn_abort(txn);
    entry_signed_clear(&items[0]);
    writer_destroy(&w);
}

static void test_own_seq_written_meanwhile(void **state)
{
    fed *f = *state;
    th_register(&f->br, 2, NULL);
    entry_signed alt; /* this node's seq 2 again, with other content */
    fork_member(&f->br, 1, &alt);
    apply_opts o;
    memset(&o, 0, sizeof o);
    o.flags = APPLY_OWN;
    apply_result res;
    sd_err err;
    sd_err_clear(&err);
    snap before = snapshot(f->br.s, f->br.pk);
    int rc = apply_batch(f->br.s, &alt, 1, &o, &res, &err);
    assert_int_equal(rc, SD_ECONFLICT);
    assert_has(err.msg, "seq 2");
    snap after = snapshot(f->br.s, f->br.pk);
    assert_same(&before, &after);
    entry_signed_clear(&alt);
}

static void test_undecodable_rejected(void **state)
{
    fed *f = *state;
    entry_signed es;
    memset(&es, 0, sizeof es);
    uint8_t junk[] = { 0xff, 0xff, 0xff };
    es.entry = junk;
    es.entry_len = sizeof junk;
    th_rejects rej;
    apply_result r = th_apply(f->nat.s, &es, 1, 0, &rej);
    assert_int_equal(r.rejected, 1);
    assert_has(rej.last, "decode");
    /* An empty batch commits nothing and fails nothing. */
    r = th_apply(f->nat.s, NULL, 0, 0, &rej);
    assert_int_equal(r.added + r.rejected + r.duplicate, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, th_fed_setup, th_fed_teardown)

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        T(test_own_chain_applied),
        T(test_reapply_is_all_duplicates),
        T(test_broken_chain),
        T(test_gap),
        T(test_bad_signature),
        T(test_bad_signature_runsig),
        T(test_key_not_in_roster),
        T(test_number_under_another_prefix),
        T(test_roster_from_state_key),
        T(test_revoked_key),
        T(test_replaced_key),
        T(test_equivocation_against_held),
        T(test_equivocation_within_batch),
        T(test_equivocation_needs_a_valid_signature),
        T(test_personal_mismatch_dropped),
        T(test_personal_on_entry_without_commitment),
        T(test_personal_taken_late),
        T(test_personal_not_taken_after_erasure),
        T(test_own_batch_all_or_nothing),
        T(test_own_seq_written_meanwhile),
        T(test_undecodable_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
