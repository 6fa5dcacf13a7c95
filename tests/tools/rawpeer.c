/*
 * rawpeer.c — a hostile (or merely broken) peer: a raw ZeroMQ DEALER with
 * CURVE, using a roster-listed node's key, that sends a node's ROUTER the
 * kinds of message node/README.md says must be "rejected without harm", then
 * a valid Pull, and checks that a Batch still comes back. Test tool only.
 *
 *   rawpeer CLIENT_DATA_DIR SERVER_KEY_HEX tcp://HOST:PORT [TIMEOUT_MS [push]]
 *
 * CLIENT_DATA_DIR: a data dir whose node.key is in the server's roster (its
 * store is also used, read-only, to build the valid Pull). SERVER_KEY_HEX:
 * the target node's Ed25519 public key. Both are converted to X25519 as
 * the nodes do. TIMEOUT_MS (default 10000) bounds the wait for the final
 * Batch; each earlier step waits up to 1.5 s for a reply.
 *
 * Steps, in order (each printed with what came back):
 *   1 garbage      random bytes
 *   2 empty        a zero-length frame
 *   3 truncated    a valid Pull cut in half
 *   4 version      a well-formed Pull in a SyncMsg of version 99
 *   5 badhead      a Pull whose head has a 5-byte origin
 *   6 manyheads    a Pull listing SYNC_MAX_HEADS + 1 heads
 *   7 batch        a Batch sent to the server (only pulls are served)
 *   8 multiframe   a valid Pull followed by a second frame in one message
 *   9 oversized    one frame of SYNC_MSG_MAX + 64 KiB (the node's
 *                  ZMQ_MAXMSGSIZE drops the connection; the DEALER
 *                  reconnects and handshakes again)
 *  10 pull         a valid Pull (no wait), resent each second until a
 *                  Batch answering it arrives or the timeout passes
 * With `push`, steps 1-9 are replaced by one:
 *   P push         a Batch no pull asked for (id 7777), carrying every entry
 *                  CLIENT_DATA_DIR holds with its Personal blobs: a node
 *                  that dialled in pushing entries unasked (the server must
 *                  drop it, not apply it)
 * Exits 0 only if the final Pull was answered with a Batch; 1 otherwise;
 * 2 on bad usage or set-up failure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "keys.h"
#include "store.h"
#include "sync.h"

static void *ctx_, *sock_, *mon_;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Drains monitor events, printing the interesting ones. Returns a bit set:
 * 1 handshake succeeded, 2 disconnected. */
static int drain_monitor(void)
{
    int seen = 0;
    for (;;) {
        zmq_msg_t ev, addr;
        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, mon_, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&ev);
            return seen;
        }
        uint16_t e = 0;
        if (zmq_msg_size(&ev) >= 2)
            memcpy(&e, zmq_msg_data(&ev), 2);
        zmq_msg_init(&addr);
        if (zmq_msg_more(&ev))
            zmq_msg_recv(&addr, mon_, 0);
        zmq_msg_close(&addr);
        zmq_msg_close(&ev);
        if (e == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            printf("  (monitor: CURVE handshake succeeded)\n");
            seen |= 1;
        } else if (e == ZMQ_EVENT_DISCONNECTED) {
            printf("  (monitor: disconnected by the node)\n");
            seen |= 2;
        } else if (e == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ||
                   e == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
                   e == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
            printf("  (monitor: CURVE handshake FAILED, event 0x%x)\n", e);
        }
    }
}

/* Waits until a monitor event in `want` is seen or ms pass. */
static int wait_monitor(int want, int ms)
{
    int64_t end = now_ms() + ms;
    int seen = 0;
    while (!(seen & want) && now_ms() < end) {
        zmq_pollitem_t it = { mon_, 0, ZMQ_POLLIN, 0 };
        zmq_poll(&it, 1, 100);
        seen |= drain_monitor();
    }
    return seen & want;
}

static int send_frames(const uint8_t *a, size_t alen, const uint8_t *b,
                       size_t blen)
{
    if (zmq_send(sock_, a, alen, b ? ZMQ_SNDMORE : 0) < 0)
        return -1;
    if (b && zmq_send(sock_, b, blen, 0) < 0)
        return -1;
    return 0;
}

/* Waits up to ms for one message; describes it. Returns the decoded
 * message (caller frees) or NULL. */
static Sadasya__SyncMsg *await_reply(int ms, const char *indent)
{
    int64_t end = now_ms() + ms;
    while (now_ms() < end) {
        zmq_pollitem_t it[2] = { { sock_, 0, ZMQ_POLLIN, 0 },
                                 { mon_, 0, ZMQ_POLLIN, 0 } };
        int left = (int)(end - now_ms());
        if (zmq_poll(it, 2, left > 0 ? left : 0) < 0)
            break;
        if (it[1].revents & ZMQ_POLLIN)
            drain_monitor();
        if (!(it[0].revents & ZMQ_POLLIN))
            continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock_, 0) < 0) {
            zmq_msg_close(&m);
            continue;
        }
        while (zmq_msg_more(&m)) { /* never expected: keep the first frame */
            zmq_msg_t x;
            zmq_msg_init(&x);
            zmq_msg_recv(&x, sock_, 0);
            zmq_msg_close(&x);
        }
        sd_err err;
        Sadasya__SyncMsg *sm = NULL;
        if (sync_decode(zmq_msg_data(&m), zmq_msg_size(&m), &sm, &err)) {
            printf("%sgot an undecodable reply (%zu bytes): %s\n", indent,
                   zmq_msg_size(&m), err.msg);
            zmq_msg_close(&m);
            return NULL;
        }
        zmq_msg_close(&m);
        if (sm->msg_case == SADASYA__SYNC_MSG__MSG_ERROR)
            printf("%sgot SyncError: %s\n", indent, sm->error->reason);
        else if (sm->msg_case == SADASYA__SYNC_MSG__MSG_BATCH)
            printf("%sgot Batch id %" PRIu64 ": %zu entries, %zu heads, more=%d\n",
                   indent, sm->batch->id, sm->batch->n_entries,
                   sm->batch->n_heads, sm->batch->more);
        else
            printf("%sgot a message of kind %d\n", indent, sm->msg_case);
        return sm;
    }
    printf("%sno reply within %d ms\n", indent, ms);
    return NULL;
}

static void step(int n, const char *name, const char *what)
{
    printf("step %d %s: %s\n", n, name, what);
    fflush(stdout);
}

static void reply_and_free(int ms)
{
    Sadasya__SyncMsg *m = await_reply(ms, "  -> ");
    if (m)
        sadasya__sync_msg__free_unpacked(m, NULL);
    fflush(stdout);
}

/* Packs m as given (no version fixing, unlike sync_encode). */
static uint8_t *pack_raw(const Sadasya__SyncMsg *m, size_t *len)
{
    *len = sadasya__sync_msg__get_packed_size(m);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (buf)
        sadasya__sync_msg__pack(m, buf);
    return buf;
}

/* Step n: a SyncMsg of this version carrying pull (or, when NULL, batch),
 * packed as given and sent as one frame; then the node's reply. */
static void step_msg(int n, const char *name, const char *what, uint32_t version,
                     Sadasya__Pull *pull, Sadasya__Batch *batch)
{
    Sadasya__SyncMsg m = SADASYA__SYNC_MSG__INIT;
    m.version = version;
    if (pull) {
        m.msg_case = SADASYA__SYNC_MSG__MSG_PULL;
        m.pull = pull;
    } else {
        m.msg_case = SADASYA__SYNC_MSG__MSG_BATCH;
        m.batch = batch;
    }
    size_t len;
    uint8_t *buf = pack_raw(&m, &len);
    step(n, name, what);
    send_frames(buf, len, NULL, 0);
    free(buf);
    reply_and_free(1500);
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 6 || (argc == 6 && strcmp(argv[5], "push"))) {
        fputs("usage: rawpeer CLIENT_DATA_DIR SERVER_KEY_HEX tcp://HOST:PORT "
              "[TIMEOUT_MS [push]]\n", stderr);
        return 2;
    }
    const char *dir = argv[1], *endpoint = argv[3];
    int timeout = argc >= 5 ? atoi(argv[4]) : 10000;
    int push = argc == 6;
    if (sodium_init() < 0) {
        fputs("rawpeer: libsodium failed to initialise\n", stderr);
        return 2;
    }
    sd_err err;
    keys_pair kp;
    uint8_t server_ed[32], server_x[32], xpk[32], xsk[32];
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, STORE_KEY_FILE);
    if (keys_load(path, &kp, &err)) {
        fprintf(stderr, "rawpeer: %s\n", err.msg);
        return 2;
    }
    if (keys_parse_public(argv[2], server_ed, &err)) {
        fprintf(stderr, "rawpeer: server key: %s\n", err.msg);
        return 2;
    }
    if (crypto_sign_ed25519_pk_to_curve25519(xpk, kp.pk) ||
        crypto_sign_ed25519_sk_to_curve25519(xsk, kp.sk) ||
        crypto_sign_ed25519_pk_to_curve25519(server_x, server_ed)) {
        fputs("rawpeer: a key has no X25519 form\n", stderr);
        return 2;
    }
    store *s = NULL;
    if (store_open(&s, dir, STORE_RDONLY, &err)) {
        fprintf(stderr, "rawpeer: %s\n", err.msg);
        return 2;
    }
    /* A valid Pull from this store's heads, for the truncated and final steps. */
    uint8_t *pull = NULL;
    size_t pull_len = 0;
    if (sync_pull(s, 424242, 0, 0, NULL, 0, NULL, &pull, &pull_len, &err)) {
        fprintf(stderr, "rawpeer: building a pull: %s\n", err.msg);
        return 2;
    }

    ctx_ = zmq_ctx_new();
    sock_ = zmq_socket(ctx_, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(sock_, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sock_, ZMQ_CURVE_SERVERKEY, server_x, 32);
    zmq_setsockopt(sock_, ZMQ_CURVE_PUBLICKEY, xpk, 32);
    zmq_setsockopt(sock_, ZMQ_CURVE_SECRETKEY, xsk, 32);
    if (zmq_socket_monitor(sock_, "inproc://rawpeer-mon", ZMQ_EVENT_ALL) ||
        !(mon_ = zmq_socket(ctx_, ZMQ_PAIR)) ||
        zmq_connect(mon_, "inproc://rawpeer-mon") || zmq_connect(sock_, endpoint)) {
        fprintf(stderr, "rawpeer: cannot connect to %s: %s\n", endpoint,
                zmq_strerror(zmq_errno()));
        return 2;
    }
    printf("rawpeer: connecting to %s\n", endpoint);
    int hs_wait = timeout < 5000 ? timeout : 5000;
    if (!wait_monitor(1, hs_wait)) {
        printf("rawpeer: no CURVE handshake with %s within %d ms\n", endpoint, hs_wait);
        return 1;
    }

    if (push) {
        /* Everything this store holds, as the answer to a pull never sent. */
        Sadasya__Pull p = SADASYA__PULL__INIT;
        p.id = 7777;
        uint8_t *buf = NULL;
        size_t len = 0, nentries = 0;
        if (sync_answer(s, &p, &buf, &len, &nentries, &err)) {
            fprintf(stderr, "rawpeer: building a batch: %s\n", err.msg);
            return 2;
        }
        step(0, "push", "a Batch no pull asked for, carrying entries");
        printf("  (id 7777, %zu entries)\n", nentries);
        send_frames(buf, len, NULL, 0);
        free(buf);
        /* The node pulls from a node that dialled in: skip its Pulls. */
        int64_t until = now_ms() + 1500;
        while (now_ms() < until) {
            Sadasya__SyncMsg *m = await_reply((int)(until - now_ms()), "  -> ");
            int pull = m && m->msg_case == SADASYA__SYNC_MSG__MSG_PULL;
            if (m)
                sadasya__sync_msg__free_unpacked(m, NULL);
            if (!pull)
                break;
        }
        fflush(stdout);
        goto final_pull;
    }

    /* 1 garbage */
    uint8_t junk[200];
    randombytes_buf(junk, sizeof junk);
    junk[0] = 0xff; /* field 31, wire type 7: never valid protobuf */
    step(1, "garbage", "200 random bytes");
    send_frames(junk, sizeof junk, NULL, 0);
    reply_and_free(1500);

    /* 2 empty */
    step(2, "empty", "a zero-length frame");
    send_frames((const uint8_t *)"", 0, NULL, 0);
    reply_and_free(1500);

    /* 3 truncated */
    step(3, "truncated", "a valid Pull cut in half");
    printf("  (pull of %zu bytes, sending %zu)\n", pull_len, pull_len / 2);
    send_frames(pull, pull_len / 2, NULL, 0);
    reply_and_free(1500);

    /* 4 version 99 */
    {
        Sadasya__Pull p = SADASYA__PULL__INIT;
        p.id = 99;
        step_msg(4, "version", "a Pull in a SyncMsg of version 99", 99, &p, NULL);
    }

    /* 5 malformed head */
    {
        uint8_t five[5] = { 1, 2, 3, 4, 5 }, h32[32] = { 0 };
        Sadasya__Head h = SADASYA__HEAD__INIT;
        h.origin.data = five;
        h.origin.len = sizeof five;
        h.seq = 7;
        h.hash.data = h32;
        h.hash.len = 32;
        Sadasya__Head *hp = &h;
        Sadasya__Pull p = SADASYA__PULL__INIT;
        p.id = 5;
        p.have = &hp;
        p.n_have = 1;
        step_msg(5, "badhead", "a Pull whose head has a 5-byte origin", SYNC_VERSION,
                 &p, NULL);
    }

    /* 6 too many heads */
    {
        size_t n = SYNC_MAX_HEADS + 1;
        Sadasya__Head *hs = calloc(n, sizeof *hs);
        Sadasya__Head **hp = calloc(n, sizeof *hp);
        uint8_t (*org)[32] = calloc(n, 32);
        uint8_t h32[32] = { 0 };
        if (!hs || !hp || !org)
            return 2;
        for (size_t i = 0; i < n; i++) {
            sadasya__head__init(&hs[i]);
            randombytes_buf(org[i], 32);
            hs[i].origin.data = org[i];
            hs[i].origin.len = 32;
            hs[i].seq = 1;
            hs[i].hash.data = h32;
            hs[i].hash.len = 32;
            hp[i] = &hs[i];
        }
        Sadasya__Pull p = SADASYA__PULL__INIT;
        p.id = 6;
        p.have = hp;
        p.n_have = n;
        step_msg(6, "manyheads", "a Pull listing SYNC_MAX_HEADS + 1 heads",
                 SYNC_VERSION, &p, NULL);
        free(hs);
        free(hp);
        free(org);
    }

    /* 7 a batch to the server */
    {
        Sadasya__Batch b = SADASYA__BATCH__INIT;
        b.id = 7;
        step_msg(7, "batch", "an (empty) Batch sent to the serving side", SYNC_VERSION,
                 NULL, &b);
    }

    /* 8 multi-frame */
    step(8, "multiframe", "a valid Pull plus a second frame in one message");
    send_frames(pull, pull_len, (const uint8_t *)"extra", 5);
    reply_and_free(1500);

    /* 9 oversized */
    {
        size_t big = (size_t)SYNC_MSG_MAX + (64u << 10);
        uint8_t *buf = malloc(big);
        if (!buf)
            return 2;
        memset(buf, 0x5a, big);
        step(9, "oversized", "one frame bigger than SYNC_MSG_MAX");
        printf("  (%zu bytes)\n", big);
        drain_monitor();
        send_frames(buf, big, NULL, 0);
        free(buf);
        if (wait_monitor(2, 5000))
            printf("  -> the node dropped the connection\n");
        else
            printf("  -> no disconnection seen within 5 s\n");
        if (wait_monitor(1, 5000))
            printf("  -> reconnected\n");
        else
            printf("  -> no new handshake within 5 s\n");
        fflush(stdout);
    }

final_pull:
    /* 10 the valid pull */
    step(10, "pull", "a valid Pull; a Batch must come back");
    int64_t end = now_ms() + timeout;
    int ok = 0, sent = 0;
    while (!ok && now_ms() < end) {
        send_frames(pull, pull_len, NULL, 0);
        sent++;
        int64_t next = now_ms() + 1000;
        while (!ok && now_ms() < next && now_ms() < end) {
            Sadasya__SyncMsg *m = await_reply((int)(next - now_ms()), "  -> ");
            if (m && m->msg_case == SADASYA__SYNC_MSG__MSG_BATCH &&
                m->batch->id == 424242)
                ok = 1;
            if (m)
                sadasya__sync_msg__free_unpacked(m, NULL);
        }
    }
    printf("rawpeer: %s (valid pull sent %d time%s)\n",
           ok ? "the node still serves: Batch received"
              : "FAILED: no Batch for the valid pull",
           sent, sent == 1 ? "" : "s");

    free(pull);
    store_destroy(&s);
    sodium_memzero(&kp, sizeof kp);
    sodium_memzero(xsk, sizeof xsk);
    zmq_socket_monitor(sock_, NULL, 0);
    zmq_close(mon_);
    zmq_close(sock_);
    zmq_ctx_term(ctx_);
    return ok ? 0 : 1;
}
