/*
 * notify.c — nudging the node after a local write. See notify.h.
 */
#include "notify.h"

#include <stdio.h>
#include <sys/stat.h>

#include <zmq.h>

void notify_node(const char *dir)
{
    char path[4200], ep[4300];
    snprintf(path, sizeof path, "%s/%s", dir, NOTIFY_SOCKET);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
        return; /* no node runs here: the entries wait for its next start */
    void *ctx = zmq_ctx_new();
    if (!ctx)
        return;
    void *s = zmq_socket(ctx, ZMQ_PUSH);
    if (s) {
        int linger = 200; /* ms: enough for a local connect, bounded if stale */
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
        snprintf(ep, sizeof ep, "ipc://%s", path);
        if (zmq_connect(s, ep) == 0)
            zmq_send(s, "n", 1, ZMQ_DONTWAIT);
        zmq_close(s);
    }
    zmq_ctx_term(ctx);
}
