/*
 * bench_curve.c — the raw limit of ZeroMQ with CURVE on this machine:
 * a DEALER streams messages to a ROUTER over tcp loopback, both ends
 * encrypting, and we count what arrives per second. Prints
 *   curve_msgs_per_s N        (messages of SIZE bytes, default 300)
 *   curve_mb_per_s N          (1 MiB messages)
 * usage: bench_curve [SIZE] [COUNT]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double run(size_t size, long count)
{
    unsigned char spk[32], ssk[32], cpk[32], csk[32];
    crypto_box_keypair(spk, ssk);
    crypto_box_keypair(cpk, csk);
    void *ctx = zmq_ctx_new();
    void *srv = zmq_socket(ctx, ZMQ_ROUTER);
    void *cli = zmq_socket(ctx, ZMQ_DEALER);
    int one = 1, hwm = 100000;
    zmq_setsockopt(srv, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(srv, ZMQ_CURVE_SECRETKEY, ssk, 32);
    zmq_setsockopt(srv, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(cli, ZMQ_CURVE_SERVERKEY, spk, 32);
    zmq_setsockopt(cli, ZMQ_CURVE_PUBLICKEY, cpk, 32);
    zmq_setsockopt(cli, ZMQ_CURVE_SECRETKEY, csk, 32);
    zmq_setsockopt(cli, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (zmq_bind(srv, "tcp://127.0.0.1:*")) {
        perror("bind");
        exit(1);
    }
    char ep[256];
    size_t el = sizeof ep;
    zmq_getsockopt(srv, ZMQ_LAST_ENDPOINT, ep, &el);
    zmq_connect(cli, ep);
    char *buf = calloc(1, size);
    /* One round trip first so that the handshake is not timed. */
    zmq_send(cli, buf, size, 0);
    zmq_msg_t m;
    zmq_msg_init(&m);
    zmq_msg_recv(&m, srv, 0);
    zmq_msg_recv(&m, srv, 0);
    double t0 = now();
    long got = 0;
    long sent = 0;
    while (got < count) {
        while (sent < count && sent - got < 1000) {
            if (zmq_send(cli, buf, size, ZMQ_DONTWAIT) < 0)
                break;
            sent++;
        }
        while (zmq_msg_recv(&m, srv, sent - got > 0 ? 0 : ZMQ_DONTWAIT) >= 0) {
            zmq_msg_recv(&m, srv, 0); /* the body after the routing id */
            if (++got >= count || sent - got < 500)
                break;
        }
    }
    double dt = now() - t0;
    zmq_msg_close(&m);
    free(buf);
    zmq_close(cli);
    zmq_close(srv);
    zmq_ctx_term(ctx);
    return count / dt;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 1;
    size_t size = argc > 1 ? strtoul(argv[1], NULL, 10) : 300;
    long count = argc > 2 ? strtol(argv[2], NULL, 10) : 200000;
    printf("curve_msgs_per_s %.0f\n", run(size, count));
    double big = run(1 << 20, 300);
    printf("curve_mb_per_s %.0f\n", big);
    return 0;
}
