/*
 * test_recv.c — unit tests for the node's receive path: several batches in
 * one transaction (apply_txn_*: nothing visible before the commit, reports
 * at the commit, an abort drops all), index entries made ahead on another
 * thread (the same tables as the plain fold, and the plain fold where a
 * batch changes a member it also adds), and the receive worker (recv.c):
 * jobs applied then committed, reported twice in order, a refusal making
 * the link's later jobs of that epoch skipped, peer status written.
 *
 * The federation: a national node, Bihar (BR, in the roster) whose
 * members are carried, and Uttar Pradesh (UP) as a second receiver.
 */
#include "helpers.h"

#include <zmq.h>

#include "recv.h"
#include "sync.h"
#include "view.h"

typedef th_fed fed;

/* The federation of th_fed_setup, the chapters holding the roster. */
static int setup(void **state)
{
    if (th_fed_setup(state))
        return -1;
    fed *f = *state;
    th_replicate(f->nat.s, f->br.s, f->nat.pk);
    th_replicate(f->nat.s, f->up.s, f->nat.pk);
    return 0;
}

static uint64_t members(store *s)
{
    MDB_txn *txn;
    counter_row row;
    assert_int_equal(store_begin(s, 0, &txn, NULL), SD_OK);
    assert_int_equal(view_counter_get(s, txn, "total", "", &row, NULL), SD_OK);
    mdb_txn_abort(txn);
    return row.members;
}

/* Every record of a table, hashed in order: two stores agree on it. */
static void table_hash(store *s, MDB_dbi dbi, uint8_t out[32])
{
    MDB_txn *txn;
    MDB_cursor *c;
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, 32);
    assert_int_equal(store_begin(s, 0, &txn, NULL), SD_OK);
    assert_int_equal(mdb_cursor_open(txn, dbi, &c), 0);
    MDB_val k, v;
    size_t n = 0;
    for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT), n++) {
        uint64_t kl = k.mv_size, vl = v.mv_size;
        crypto_generichash_update(&h, (const uint8_t *)&kl, sizeof kl);
        crypto_generichash_update(&h, k.mv_data, k.mv_size);
        crypto_generichash_update(&h, (const uint8_t *)&vl, sizeof vl);
        crypto_generichash_update(&h, v.mv_data, v.mv_size);
    }
    mdb_cursor_close(c);
    mdb_txn_abort(txn);
    assert_true(n > 0);
    crypto_generichash_final(&h, out, 32);
}

static void assert_same_tables(store *a, store *b)
{
    MDB_dbi da[] = { a->members, a->idx_phone, a->idx_name, a->idx_dist, a->counters };
    MDB_dbi db[] = { b->members, b->idx_phone, b->idx_name, b->idx_dist, b->counters };
    for (size_t i = 0; i < sizeof da / sizeof da[0]; i++) {
        uint8_t ha[32], hb[32];
        table_hash(a, da[i], ha);
        table_hash(b, db[i], hb);
        assert_memory_equal(ha, hb, 32);
    }
}

/* A Batch carrying items, encoded and decoded again as a peer's would be:
 * the message owns its buffers (free with sadasya__sync_msg__free_unpacked). */
static Sadasya__SyncMsg *batch_of(const entry_signed *items, size_t n, int more)
{
    Sadasya__Carried *c = calloc(n ? n : 1, sizeof *c);
    Sadasya__Carried **cp = calloc(n ? n : 1, sizeof *cp);
    Sadasya__SignedEntry *se = calloc(n ? n : 1, sizeof *se);
    assert_non_null(c);
    assert_non_null(cp);
    assert_non_null(se);
    for (size_t i = 0; i < n; i++) {
        sadasya__carried__init(&c[i]);
        sadasya__signed_entry__init(&se[i]);
        se[i].entry.data = items[i].entry;
        se[i].entry.len = items[i].entry_len;
        se[i].sig.data = (uint8_t *)items[i].sig;
        se[i].sig.len = ENTRY_SIG_BYTES;
        c[i].signed_ = &se[i];
        c[i].personal.data = items[i].personal;
        c[i].personal.len = items[i].personal ? items[i].personal_len : 0;
        cp[i] = &c[i];
    }
    Sadasya__Batch b = SADASYA__BATCH__INIT;
    b.entries = cp;
    b.n_entries = n;
    b.more = more;
    Sadasya__SyncMsg m = SADASYA__SYNC_MSG__INIT;
    m.msg_case = SADASYA__SYNC_MSG__MSG_BATCH;
    m.batch = &b;
    uint8_t *buf;
    size_t len;
    sd_err err;
    assert_int_equal(sync_encode(&m, &buf, &len, &err), SD_OK);
    Sadasya__SyncMsg *out = NULL;
    assert_int_equal(sync_decode(buf, len, &out, &err), SD_OK);
    free(buf);
    free(c);
    free(cp);
    free(se);
    return out;
}

/* --- several batches, one transaction ------------------------------------ */

static void count_reject(const entry_signed *es, int kind, const char *why,
                         void *ctx)
{
    (void)es;
    (void)kind;
    (void)why;
    ++*(int *)ctx;
}

static void test_group_lands_at_commit(void **state)
{
    fed *f = *state;
    th_register(&f->br, 30, NULL);
    size_t n;
    entry_signed *items = th_collect(f->br.s, f->br.pk, 1, 30, &n);
    /* A forged copy of seq 31 (a bad signature) after the last batch. */
    entry_signed forged = { 0 };
    forged.entry = malloc(items[29].entry_len);
    assert_non_null(forged.entry);
    memcpy(forged.entry, items[29].entry, items[29].entry_len);
    forged.entry_len = items[29].entry_len;
    memcpy(forged.sig, items[29].sig, ENTRY_SIG_BYTES);
    forged.sig[0] ^= 1;

    int reports = 0;
    apply_opts o = { .flags = APPLY_RUNSIG, .on_reject = count_reject, .ctx = &reports };
    apply_txn *t;
    sd_err err;
    apply_result r1, r2, r3;
    assert_int_equal(apply_txn_begin(f->nat.s, &t, &err), SD_OK);
    assert_int_equal(apply_txn_add(t, items, 10, &o, &r1, &err), SD_OK);
    assert_int_equal(apply_txn_add(t, items + 10, 20, &o, &r2, &err), SD_OK);
    assert_int_equal(apply_txn_add(t, &forged, 1, &o, &r3, &err), SD_OK);
    assert_int_equal(r1.added, 10);
    assert_int_equal(r2.added, 20);
    assert_int_equal(r3.duplicate + r3.rejected, 1);
    assert_int_equal(apply_txn_added(t), 30);
    /* Another reader sees nothing of the group yet, and no report came. */
    assert_int_equal(members(f->nat.s), 0);
    assert_int_equal(th_head(f->nat.s, f->br.pk).seq, 0);
    assert_int_equal(reports, 0);
    assert_int_equal(apply_txn_commit(&t, &err), SD_OK);
    assert_null(t);
    assert_int_equal(members(f->nat.s), 30);
    assert_int_equal(th_head(f->nat.s, f->br.pk).seq, 30);
    /* The forged seq 30 is refused as a bad signature on a held seq. */
    assert_int_equal(reports, (int)r3.rejected);
    assert_int_equal(r3.rejected, 1);
    entry_signed_clear(&forged);
    th_free_items(items, n);
}

static void test_group_abort_drops_all(void **state)
{
    fed *f = *state;
    th_register(&f->br, 12, NULL);
    size_t n;
    entry_signed *items = th_collect(f->br.s, f->br.pk, 1, 12, &n);
    size_t log_before = th_count(f->nat.s, f->nat.s->log); /* its own roster entries */
    apply_txn *t;
    sd_err err;
    apply_result r;
    assert_int_equal(apply_txn_begin(f->nat.s, &t, &err), SD_OK);
    assert_int_equal(apply_txn_add(t, items, 6, NULL, &r, &err), SD_OK);
    assert_int_equal(apply_txn_add(t, items + 6, 6, NULL, &r, &err), SD_OK);
    apply_txn_abort(&t);
    assert_null(t);
    assert_int_equal(members(f->nat.s), 0);
    assert_int_equal(th_count(f->nat.s, f->nat.s->log), log_before);
    assert_int_equal(th_count(f->nat.s, f->nat.s->idx_phone), 0);
    /* And the same batch lands afterwards, whole. */
    assert_int_equal(th_apply(f->nat.s, items, n, 0, NULL).added, 12);
    assert_int_equal(members(f->nat.s), 12);
    th_free_items(items, n);
}

/* --- index entries made ahead --------------------------------------------- */

static void test_index_ahead_same_as_fold(void **state)
{
    fed *f = *state;
    size_t n;
    entry_signed *items = th_register_log(&f->br, 300, &n);
    /* nat: through the peer path in batches of 64 (index entries made
     * ahead); UP: one plain apply_batch. */
    for (size_t i = 0; i < n; i += 64) {
        size_t k = n - i < 64 ? n - i : 64;
        Sadasya__SyncMsg *m = batch_of(items + i, k, i + k < n);
        apply_result r;
        sd_err err;
        assert_int_equal(sync_receive(f->nat.s, m->batch, NULL, &r, &err),
                         SD_OK);
        assert_int_equal(r.added, k);
        sadasya__sync_msg__free_unpacked(m, NULL);
    }
    assert_int_equal(th_apply(f->up.s, items, n, 0, NULL).added, n);
    assert_int_equal(members(f->nat.s), 300);
    assert_same_tables(f->nat.s, f->up.s);
    assert_same_tables(f->nat.s, f->br.s);
    th_free_items(items, n);
}

static void test_index_ahead_join_then_update(void **state)
{
    fed *f = *state;
    char numbers[1][NUMBER_MAX_LEN];
    th_register(&f->br, 1, numbers);
    /* The member changes name: a new Personal blob, committed by hash. */
    Sadasya__Personal p = SADASYA__PERSONAL__INIT;
    p.name = "नूतन सिन्हा";
    p.name_en = "Nutan Sinha";
    p.phone = "9812300001";
    uint8_t *blob;
    size_t blen;
    uint8_t hash[ENTRY_HASH_BYTES];
    sd_err err;
    assert_int_equal(entry_personal_seal(&p, &blob, &blen, hash, &err), SD_OK);
    Sadasya__MemberUpdated u = SADASYA__MEMBER_UPDATED__INIT;
    u.number = numbers[0];
    u.personal_hash.data = hash;
    u.personal_hash.len = sizeof hash;
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_UPDATED;
    e.updated = &u;
    th_commit_body(&f->br, &e, blob, blen);
    free(blob);
    size_t n;
    entry_signed *items = th_collect(f->br.s, f->br.pk, 1, 0, &n);
    assert_int_equal(n, 2);
    /* Join and update in one peer batch: the old name must not stay
     * indexed (the plain fold is used for such a batch). */
    Sadasya__SyncMsg *m = batch_of(items, n, 0);
    apply_result r;
    assert_int_equal(sync_receive(f->nat.s, m->batch, NULL, &r, &err), SD_OK);
    assert_int_equal(r.added, 2);
    sadasya__sync_msg__free_unpacked(m, NULL);
    assert_same_tables(f->nat.s, f->br.s);
    th_free_items(items, n);
}

/* --- the worker ----------------------------------------------------------- */

typedef struct heard {
    recv_job *job;
    int applied;
} heard;

/* The next word from the worker, waiting up to 5 s. */
static heard next_word(recv_worker *r)
{
    heard h = { NULL, 0 };
    for (int i = 0; i < 500 && !h.job; i++) {
        zmq_pollitem_t it = { recv_socket(r), 0, ZMQ_POLLIN, 0 };
        zmq_poll(&it, 1, 10);
        h.job = recv_next(r, &h.applied);
    }
    if (!h.job)
        fail_msg("the receive worker said nothing for 5 s");
    return h;
}

static recv_job *batch_job(fed *f, const entry_signed *items, size_t n,
                           uint64_t link, uint64_t epoch, int more)
{
    recv_job *j = recv_job_new(RECV_BATCH);
    assert_non_null(j);
    j->msg = batch_of(items, n, more);
    sd_err err;
    assert_int_equal(sync_incoming_prepare(f->nat.s, j->msg->batch,
                                           &j->in, &err),
                     SD_OK);
    j->link = link;
    j->epoch = epoch;
    j->more = more;
    return j;
}

static void test_worker_applies_and_skips(void **state)
{
    fed *f = *state;
    size_t n;
    entry_signed *items = th_register_log(&f->br, 40, &n);
    void *ctx = zmq_ctx_new();
    recv_worker *r;
    sd_err err;
    assert_int_equal(store_map_reserve(f->nat.s, &err), SD_OK);
    assert_int_equal(recv_new(&r, ctx, f->nat.s, 0, &err), SD_OK);
    /* Link 7: seqs 1-10 and 11-20, then a gap (26-30) and 31-40. */
    recv_job *js[4] = {
        batch_job(f, items, 10, 7, 1, 1),
        batch_job(f, items + 10, 10, 7, 1, 1),
        batch_job(f, items + 25, 5, 7, 1, 1),
        batch_job(f, items + 30, 10, 7, 1, 0),
    };
    for (int i = 0; i < 4; i++)
        assert_int_equal(recv_submit(r, js[i], &err), SD_OK);
    assert_int_equal(recv_pending(r), 4);
    int applied = 0, done = 0;
    recv_job *finished[4];
    while (done < 4) {
        heard h = next_word(r);
        if (h.applied) {
            applied++;
            recv_job_release_input(h.job);
            h.job->credited = 1;
        } else {
            finished[done++] = h.job;
        }
    }
    assert_int_equal(recv_pending(r), 0);
    for (int i = 0; i < 4; i++)
        assert_ptr_equal(finished[i], js[i]); /* in the order submitted */
    assert_int_equal(js[0]->rc, SD_OK);
    assert_int_equal(js[0]->res.added, 10);
    assert_int_equal(js[1]->res.added, 10);
    assert_int_equal(js[2]->res.rejected, 5);   /* the gap */
    assert_true(js[2]->nreports > 0);
    assert_non_null(strstr(js[2]->reports[0].why, "gap"));
    assert_int_equal(js[2]->reports[0].seq, 26);
    assert_int_equal(js[3]->skipped, 1);        /* pulled past the gap */
    assert_int_equal(js[3]->res.added, 0);
    assert_int_equal(applied, 3);               /* the skipped one was not */
    assert_int_equal(members(f->nat.s), 20);

    /* A new epoch goes on from the store's head; status lands too. */
    recv_job *again = batch_job(f, items + 20, 20, 7, 2, 0);
    recv_job *meta = recv_job_new(RECV_META);
    assert_non_null(meta);
    meta->meta_name[0] = strdup("peer:tcp://127.0.0.1:1");
    meta->meta_val[0] = (uint8_t *)strdup("status");
    meta->meta_len[0] = 6;
    meta->nmeta = 1;
    assert_int_equal(recv_submit(r, again, &err), SD_OK);
    assert_int_equal(recv_submit(r, meta, &err), SD_OK);
    for (done = 0; done < 2;) {
        heard h = next_word(r);
        if (!h.applied)
            done++;
    }
    assert_int_equal(again->rc, SD_OK);
    assert_int_equal(again->res.added, 20);
    assert_int_equal(meta->rc, SD_OK);
    assert_int_equal(members(f->nat.s), 40);
    MDB_txn *txn;
    const void *v;
    size_t vl;
    assert_int_equal(store_begin(f->nat.s, 0, &txn, NULL), SD_OK);
    assert_int_equal(store_meta_get(f->nat.s, txn, "peer:tcp://127.0.0.1:1", &v,
                                    &vl, NULL),
                     SD_OK);
    assert_int_equal(vl, 6);
    mdb_txn_abort(txn);

    for (int i = 0; i < 4; i++)
        recv_job_free(&js[i]);
    recv_job_free(&again);
    recv_job_free(&meta);
    recv_destroy(&r);
    assert_null(r);
    zmq_ctx_term(ctx);
    th_free_items(items, n);
}

static void test_worker_stop_commits(void **state)
{
    fed *f = *state;
    size_t n;
    entry_signed *items = th_register_log(&f->br, 8, &n);
    void *ctx = zmq_ctx_new();
    recv_worker *r;
    sd_err err;
    assert_int_equal(store_map_reserve(f->nat.s, &err), SD_OK);
    assert_int_equal(recv_new(&r, ctx, f->nat.s, 0, &err), SD_OK);
    /* more = 1: the worker lingers for the next batch; the stop must still
     * commit what it applied, and free the jobs nobody collected. */
    assert_int_equal(recv_submit(r, batch_job(f, items, n, 1, 1, 1), &err), SD_OK);
    heard h = next_word(r);
    assert_int_equal(h.applied, 1);
    recv_destroy(&r);
    zmq_ctx_term(ctx);
    assert_int_equal(members(f->nat.s), 8);
    th_free_items(items, n);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, th_fed_teardown)

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        T(test_group_lands_at_commit),
        T(test_group_abort_drops_all),
        T(test_index_ahead_same_as_fold),
        T(test_index_ahead_join_then_update),
        T(test_worker_applies_and_skips),
        T(test_worker_stop_commits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
