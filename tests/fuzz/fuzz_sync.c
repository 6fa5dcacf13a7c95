/*
 * fuzz_sync.c — libFuzzer target: every message a peer can send, as it
 * comes off the socket, through the path sadasyad runs it on, against
 * the fixture store of common.h.
 *
 * Input: one message. sync_decode first (node_serve.c, node_pull.c); then
 *   Pull   sync_answer_only from the store, as node_serve.c answers: our
 *          answer must itself pass sync_decode (a peer would refuse it
 *          otherwise) and carry the number of entries reported;
 *   Batch  as node_pull.c takes one: sync_incoming_prepare on this thread,
 *          then a job to the receive worker (recv.h), which applies it in
 *          its own transaction on its own thread and reports back over
 *          its socket; then sync_pull for what is still missing beyond the
 *          batch's heads (the daemon's next pull), whose bytes must decode
 *          too;
 *   Error  nothing more.
 * Harness options ride in the Batch's id (a peer sets it freely anyway):
 *   bit 0  unused (origins that equivocated are held back by the write
 *          path itself, from the evidence the store holds);
 *   bit 1  every entry and evidence re-signed with the key of the origin
 *          entry_peek reads from it (so mutated bodies pass signatures);
 *   bit 2  only the last entry re-signed (RUNSIG must vouch for the rest).
 * After a Batch the oracles of common.h run, and the evidence table must
 * hold only entries whose signature verifies under the origin they decode
 * to and are filed under.
 */
#include "common.h"

#include <zmq.h>

#include "recv.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

static void *zctx; /* the receive worker's ZeroMQ context */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz.map_reserved = 1;
    fz_setup();
    if (!(zctx = zmq_ctx_new()))
        FZ_DIE("zmq_ctx_new");
    return 0;
}

/* Our own encoded message must pass the checks a peer applies. */
static Sadasya__SyncMsg *must_decode(const uint8_t *buf, size_t len,
                                     const char *what)
{
    Sadasya__SyncMsg *m = NULL;
    sd_err err;
    if (sync_decode(buf, len, &m, &err) != SD_OK)
        FZ_DIE("%s does not pass sync_decode: %s", what, err.msg);
    return m;
}

static void answer(const Sadasya__Pull *pull)
{
    uint8_t *out = NULL;
    size_t len = 0, nent = 0;
    sd_err err;
    audience aud; /* a chapter's: each blob's member is looked at */
    audience_for_state(&aud, "BR", NULL);
    int rc = sync_answer_only(fz.s, pull, NULL, &aud, &out, &len, &nent, &err);
    if (fz.verbose)
        fprintf(stderr, "sync_answer_only: rc %d, %zu entries, %zu bytes\n", rc,
                nent, len);
    if (rc != SD_OK) {
        if (rc != SD_ENOMEM)
            FZ_DIE("sync_answer_only failed on a healthy store: %s", err.msg);
        return;
    }
    Sadasya__SyncMsg *m = must_decode(out, len, "our answer to a pull");
    if (m->msg_case != SADASYA__SYNC_MSG__MSG_BATCH ||
        m->batch->n_entries != nent || m->batch->id != pull->id)
        FZ_DIE("the answer is not a batch of the %zu entries reported", nent);
    sadasya__sync_msg__free_unpacked(m, NULL);
    free(out);
}

static void resign_signed(Sadasya__SignedEntry *se)
{
    if (!se || se->sig.len != ENTRY_SIG_BYTES)
        return;
    entry_signed es;
    memset(&es, 0, sizeof es);
    es.entry = se->entry.data;
    es.entry_len = se->entry.len;
    memcpy(es.sig, se->sig.data, ENTRY_SIG_BYTES);
    fz_resign(&es, 0);
    memcpy(se->sig.data, es.sig, ENTRY_SIG_BYTES);
}

/* Every evidence record: signed by the origin it decodes to, filed under. */
static void check_evidence(void)
{
    if (!fz_oracle("unsigned"))
        return;
    MDB_txn *txn;
    MDB_cursor *c;
    if (store_begin(fz.s, 0, &txn, NULL))
        FZ_DIE("store_begin");
    if (mdb_cursor_open(txn, fz.s->evidence, &c))
        FZ_DIE("mdb_cursor_open");
    MDB_val k, v;
    for (int r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (v.mv_size <= ENTRY_SIG_BYTES || k.mv_size < 32)
            FZ_DIE("evidence record of %zu bytes", v.mv_size);
        const uint8_t *sig = v.mv_data, *bytes = sig + ENTRY_SIG_BYTES;
        size_t len = v.mv_size - ENTRY_SIG_BYTES;
        Sadasya__Entry *e = NULL;
        if (entry_decode(bytes, len, &e, NULL) != SD_OK)
            FZ_DIE("evidence that does not decode as an entry");
        if (memcmp(k.mv_data, e->origin.data, 32) ||
            !entry_verify_sig(e->origin.data, bytes, len, sig))
            FZ_DIE("evidence (seq %llu) filed under another origin than it "
                   "decodes to, or not signed by it: a peer could frame an "
                   "origin as equivocating", (unsigned long long)e->seq);
        sadasya__entry__free_unpacked(e, NULL);
    }
    mdb_cursor_close(c);
    mdb_txn_abort(txn);
}

/* The daemon's receive path for one batch (node_pull.c's pull_on_batch
 * and recv.c): prepared here, applied by a receive worker on its thread.
 * The worker lives for one input, since an input that changed the store
 * has it reopened (fz_restore). The job borrows b (its msg stays NULL). */

static int receive_as_node(Sadasya__Batch *b, apply_result *res, sd_err *err)
{
    memset(res, 0, sizeof *res);
    recv_worker *r;
    if (recv_new(&r, zctx, fz.s, 0, err))
        FZ_DIE("recv_new: %s", err->msg);
    recv_job *j = recv_job_new(RECV_BATCH);
    if (!j)
        FZ_DIE("out of memory");
    int rc = sync_incoming_prepare(fz.s, b, &j->in, err);
    if (rc) {
        recv_job_free(&j);
        recv_destroy(&r);
        return rc;
    }
    j->link = 1;
    j->epoch = 1;
    j->more = b->more;
    j->own_key = fz.keys[FZ_BR].pk;
    if (recv_submit(r, j, err))
        FZ_DIE("recv_submit: %s", err->msg);
    recv_job *done = NULL;
    for (int waits = 0; !done; waits++) {
        if (waits == 600) /* a minute: the worker hangs */
            FZ_DIE("the receive worker never finished a job");
        zmq_pollitem_t it = { recv_socket(r), 0, ZMQ_POLLIN, 0 };
        zmq_poll(&it, 1, 100);
        int applied;
        recv_job *got;
        while ((got = recv_next(r, &applied)))
            if (!applied)
                done = got;
    }
    if (done != j)
        FZ_DIE("the receive worker returned another job");
    if (recv_pending(r) != 0)
        FZ_DIE("the receive worker still holds jobs");
    rc = done->rc;
    *res = done->res;
    if (rc)
        *err = done->err;
    if (fz.verbose)
        for (size_t i = 0; i < done->nreports; i++)
            fprintf(stderr, "  report %d: %s\n", done->reports[i].kind,
                    done->reports[i].why);
    recv_job_free(&done);
    recv_destroy(&r);
    return rc;
}

static void receive(Sadasya__Batch *b)
{
    if (b->id & 2) {
        for (size_t i = 0; i < b->n_entries; i++)
            resign_signed(b->entries[i]->signed_);
        for (size_t i = 0; i < b->n_evidence; i++)
            resign_signed(b->evidence[i]);
    } else if ((b->id & 4) && b->n_entries) {
        resign_signed(b->entries[b->n_entries - 1]->signed_);
    }
    apply_result res;
    sd_err err;
    sd_err_clear(&err);
    int rc = receive_as_node(b, &res, &err);
    fz_say_result("receive worker", rc, &res, err.msg);
    if (rc == SD_OK) {
        entry_signed items[FZ_MAX_ITEMS];
        size_t n = 0;
        for (size_t i = 0; i < b->n_entries && n < FZ_MAX_ITEMS; i++)
            n += (size_t)fz_from_carried(b->entries[i], &items[n]);
        fz_check_applied(fz.s, items, n);
        if (res.added + res.duplicate + res.rejected != b->n_entries &&
            fz_oracle("counts"))
            FZ_DIE("receive worker counts %zu + %zu + %zu for %zu entries",
                   res.added, res.duplicate, res.rejected, b->n_entries);
        if (res.evidence)
            check_evidence();
    } else {
        fz_check_store_error("receive worker", rc, &err);
    }

    uint8_t *out = NULL;
    size_t len = 0;
    if (sync_pull(fz.s, b->id, 0, 0, b->heads, b->n_heads, NULL, &out, &len, &err) ==
        SD_OK) {
        Sadasya__SyncMsg *m = must_decode(out, len, "our pull");
        sadasya__sync_msg__free_unpacked(m, NULL);
        free(out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Sadasya__SyncMsg *m = NULL;
    sd_err err;
    if (sync_decode(data, size, &m, &err) != SD_OK) {
        if (fz.verbose)
            fprintf(stderr, "sync_decode: %s\n", err.msg);
        if (m || !err.msg[0])
            FZ_DIE("sync_decode refused without a message, or kept one");
        return 0;
    }
    if (m->msg_case == SADASYA__SYNC_MSG__MSG_PULL)
        answer(m->pull);
    else if (m->msg_case == SADASYA__SYNC_MSG__MSG_BATCH)
        receive(m->batch);
    sadasya__sync_msg__free_unpacked(m, NULL);
    fz_finish(data, size);
    return 0;
}
