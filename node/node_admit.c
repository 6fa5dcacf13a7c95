/*
 * node_admit.c — who may connect and be served: the ZAP handler admits
 * the national key and the roster's chapter keys (an ended key is let in
 * to learn that it ended: it gets the national log only), and every pull
 * asks again, since a connection outlives a revocation. Links that
 * dialled us live here too. Part of sadasyad's loop (node_int.h).
 */
#include "node_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "roster.h"

/* Whether a node's key may still be served: the national key or an
 * active chapter key, as the ZAP handler admits. A connection outlives a
 * revocation, so every pull is asked this, not only the handshake: a
 * revoked or replaced chapter gets no more of the federation's data. */
/* What key_admitted says of a key: not in the roster; admitted; or a key
 * the roster has ended, whose node may fetch only the national log (that
 * is how it learns it must sign nothing more: fence.h). */
int admit_whois(node *n, const uint8_t key[32], roster_who *who)
{
    memset(who, 0, sizeof *who);
    store_txn *txn;
    if (store_begin(n->s, 0, &txn, NULL))
        return ROSTER_WHO_UNKNOWN;
    if (roster_whois(n->s, txn, key, who, NULL))
        memset(who, 0, sizeof *who);
    store_end(txn);
    return who->kind;
}

/* The state code a key speaks for, as log lines show it ("IN", "BR"), or
 * "" for a key the roster does not list. */
const char *admit_who_state(const roster_who *who)
{
    switch (who->kind) {
    case ROSTER_WHO_NATIONAL:
        return ROSTER_NATIONAL_STATE;
    case ROSTER_WHO_CHAPTER:
    case ROSTER_WHO_ENDED:
        return who->rk.state;
    default:
        return "";
    }
}

int admit_key(node *n, const uint8_t *key)
{
    if (!key)
        return NODE_REFUSED;
    roster_who who;
    switch (admit_whois(n, key, &who)) {
    case ROSTER_WHO_NATIONAL:
    case ROSTER_WHO_CHAPTER:
        return NODE_ADMITTED;
    case ROSTER_WHO_ENDED:
        return NODE_ENDED;
    default:
        return NODE_REFUSED;
    }
}


const char *admit_user_label(node *n, const char *user)
{
    static char label[STORE_STATE_BYTES + 8];
    uint8_t key[32];
    snprintf(label, sizeof label, "?");
    if (!user || strlen(user) != 64 ||
        sodium_hex2bin(key, sizeof key, user, 64, NULL, NULL, NULL))
        return label;
    roster_who who;
    admit_whois(n, key, &who);
    if (admit_who_state(&who)[0])
        snprintf(label, sizeof label, "%s", admit_who_state(&who));
    return label;
}

/* Whether a batch that came over the ROUTER answers a pull this node sent
 * over an inbound link since dropped. */

/* --- ZAP: only roster keys connect -------------------------------------- */

/* The state of an allowed X25519 client key, or NULL; its Ed25519 key
 * goes to ed. */
static const char *zap_allowed(node *n, const uint8_t xkey[32], char out[8],
                               uint8_t ed[32])
{
    store_txn *txn;
    if (store_begin(n->s, 0, &txn, NULL))
        return NULL;
    const char *who = NULL;
    uint8_t x[32];
    if (crypto_sign_ed25519_pk_to_curve25519(x, n->id.national_key) == 0 &&
        !memcmp(x, xkey, 32)) {
        who = strcpy(out, "IN");
        memcpy(ed, n->id.national_key, 32);
    }
    /* Keys the roster has ended connect too, to learn of it (key_admitted
     * lets them fetch the national log only). */
    roster_key rk;
    if (!who && roster_key_by_curve(n->s, txn, xkey, ed, &rk, NULL) == SD_OK) {
        memcpy(out, rk.state, STORE_STATE_BYTES);
        who = out;
    }
    store_end(txn);
    return who;
}

void admit_on_zap(node *n)
{
    zmq_msg_t f[8];
    int nf = 0;
    for (;;) {
        zmq_msg_init(&f[nf]);
        if (zmq_msg_recv(&f[nf], n->zap, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&f[nf]);
            break;
        }
        int more = zmq_msg_more(&f[nf]);
        nf++;
        if (!more || nf == 8)
            break;
    }
    /* version, request id, domain, address, identity, mechanism, key */
    const char *status = "400", *text = "not in the roster";
    char who[8] = "", user[65] = "";
    uint8_t ed[32];
    char addr[64] = "?";
    if (nf >= 4) {
        size_t al = zmq_msg_size(&f[3]);
        if (al >= sizeof addr)
            al = sizeof addr - 1;
        memcpy(addr, zmq_msg_data(&f[3]), al);
        addr[al] = '\0';
    }
    if (nf == 7 && zmq_msg_size(&f[5]) == 5 &&
        !memcmp(zmq_msg_data(&f[5]), "CURVE", 5) && zmq_msg_size(&f[6]) == 32) {
        if (zap_allowed(n, zmq_msg_data(&f[6]), who, ed)) {
            status = "200";
            text = "OK";
            sodium_bin2hex(user, sizeof user, ed, 32); /* the User-Id */
        }
    } else {
        text = "CURVE required";
    }
    if (strcmp(status, "200"))
        node_logf(LOG_WARN, "refused a connection from %s: %s", addr, text);
    else
        node_logf(LOG_DEBUG, "admitted %s from %s", who, addr);
    if (nf >= 2) {
        zmq_send(n->zap, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(n->zap, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), ZMQ_SNDMORE);
        zmq_send(n->zap, status, 3, ZMQ_SNDMORE);
        zmq_send(n->zap, text, strlen(text), ZMQ_SNDMORE);
        zmq_send(n->zap, user, strlen(user), ZMQ_SNDMORE);
        zmq_send(n->zap, "", 0, 0);
    }
    for (int i = 0; i < nf; i++)
        zmq_msg_close(&f[i]);
}


/* --- links that dialled us ------------------------------------------------ */

peer *admit_find_inbound(node *n, const zmq_msg_t *rid)
{
    size_t len = zmq_msg_size((zmq_msg_t *)rid);
    const void *data = zmq_msg_data((zmq_msg_t *)rid);
    for (int i = 0; i < n->npeers; i++)
        if (n->peers[i].inbound && n->peers[i].rid_len == len &&
            !memcmp(n->peers[i].rid, data, len))
            return &n->peers[i];
    return NULL;
}

void admit_drop_inbound(node *n, int i)
{
    peer *p = &n->peers[i];
    node_logf(LOG_INFO, "%s went quiet; no longer pulling from it", p->endpoint);
    /* Its row in sync-status says it is gone, not connected for ever. */
    p->handshaken = p->connected = 0;
    p->dropped = 1;
    links_flush_peer(n, p);
    source_drop_link(n, p);
    pull_clear_heads(p);
    pull_clear_tips(p);
    n->peers[i] = n->peers[--n->npeers];
    source_refresh(n);
}

/* The inbound link for a node that sent us a message, made on first
 * contact so that we pull from it too (even when we dialled a node of the
 * same key: it may be another copy); NULL when it is not a node's key or
 * no slot is left. */
peer *admit_inbound_link(node *n, const zmq_msg_t *rid, const char *user)
{
    peer *p = admit_find_inbound(n, rid);
    if (p)
        return p;
    uint8_t key[32];
    if (!user || strlen(user) != 64 ||
        sodium_hex2bin(key, sizeof key, user, 64, NULL, NULL, NULL))
        return NULL;
    size_t len = zmq_msg_size((zmq_msg_t *)rid);
    if (n->npeers == NODE_MAX_LINKS || len > sizeof p->rid)
        return NULL;
    p = &n->peers[n->npeers++];
    memset(p, 0, sizeof *p);
    p->id = ++n->next_link;
    p->inbound = 1;
    memcpy(p->rid, zmq_msg_data((zmq_msg_t *)rid), len);
    p->rid_len = len;
    memcpy(p->key, key, 32);
    p->handshaken = p->connected = 1;
    p->last_heard = clock_mono_ms();
    p->dirty = 1;
    roster_who who;
    admit_whois(n, key, &who);
    const char *st = admit_who_state(&who);
    snprintf(p->state, sizeof p->state, "%s", st);
    /* Named by the address the roster gives that node, when it gives one
     * and the key is the chapter's current one, so that sync-status shows
     * one row per node whichever side dialled. */
    const char *ep = NULL;
    Sadasya__ChapterView *cv = NULL;
    store_txn *txn;
    if (who.kind == ROSTER_WHO_CHAPTER && store_begin(n->s, 0, &txn, NULL) == SD_OK) {
        if (roster_chapter(n->s, txn, st, &cv, NULL) == SD_OK && cv->chapter &&
            cv->chapter->key.len == 32 && !memcmp(cv->chapter->key.data, key, 32) &&
            cv->chapter->n_endpoints)
            ep = cv->chapter->endpoints[0];
        store_end(txn);
    }
    if (ep)
        snprintf(p->endpoint, sizeof p->endpoint, "%s (dialled in)", ep);
    else
        snprintf(p->endpoint, sizeof p->endpoint, "inbound:%s:%.16s",
                 st[0] ? st : "?", user);
    if (cv)
        sadasya__chapter_view__free_unpacked(cv, NULL);
    node_logf(LOG_INFO, "%s dialled in: pulling from it over its connection",
         p->endpoint);
    source_refresh(n); /* its own origin may come from it from the start */
    pull_send(n, p, 0);
    return p;
}
