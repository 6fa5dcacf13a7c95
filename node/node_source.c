/*
 * node_source.c — one source per origin (node/README.md, replication):
 * every link tells us its heads, but each origin's entries are pulled from
 * one link at a time, so that a federation where every node knows every
 * other does not carry each entry once per link. Part of sadasyad's loop
 * (node_int.h).
 *
 * The source of an origin is the link furthest ahead for it; among equals
 * the origin's own node (a live push then comes straight from its
 * author), then the national node, then the one already chosen. It
 * changes when
 *   - the link goes (disconnect, or an inbound link dropped);
 *   - it has nothing more for us while another link has;
 *   - it stalls: we are behind what it claims and our head has not moved
 *     for NODE_STALL_MS (that link is then passed over for a while);
 *   - we are caught up and the origin's own node is connected (no cost:
 *     nothing is in flight for it).
 * A link's pull names the origins it is the source of (Pull.select/want);
 * a link that is the source of none still long-polls, for heads only.
 */
#include "node_int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* One origin's choice. */
struct source {
    uint8_t origin[32];
    uint64_t link;          /* peer id it is pulled from; 0: none */
    uint64_t seq_seen;      /* our head when it last moved */
    int64_t progress_ms;    /* when it last moved (or the link was chosen) */
    uint64_t shunned;       /* a link that stalled on it, passed over ... */
    int64_t shunned_until;  /* ... until then */
};

static struct source *find_source(node *n, const uint8_t origin[32])
{
    for (size_t i = 0; i < n->nsrc; i++)
        if (!memcmp(n->src[i].origin, origin, 32))
            return &n->src[i];
    return NULL;
}

static struct source *add_source(node *n, const uint8_t origin[32], int64_t now)
{
    struct source *s = find_source(n, origin);
    if (s)
        return s;
    if (n->nsrc == NODE_MAX_SOURCES)
        return NULL;
    if (n->nsrc == n->capsrc) {
        size_t cap = n->capsrc ? 2 * n->capsrc : 64;
        struct source *ns = realloc(n->src, cap * sizeof *ns);
        if (!ns)
            return NULL;
        n->src = ns;
        n->capsrc = cap;
    }
    s = &n->src[n->nsrc++];
    memset(s, 0, sizeof *s);
    memcpy(s->origin, origin, 32);
    s->progress_ms = now;
    return s;
}

/* A link we can pull from now: its session is up and its heads known. */
static int usable(const peer *p)
{
    return p->handshaken && p->heads_known;
}

static uint64_t advertised(const peer *p, const uint8_t origin[32])
{
    const Sadasya__Head *h = sync_head_find(p->heads, p->nheads, origin);
    return h ? h->seq : 0;
}

/* Our head of origin as it will be once the batches at the receive worker
 * land: the store's, or a link's tip beyond it. */
static uint64_t ours(node *n, Sadasya__Head *const *hs, size_t nh,
                     const uint8_t origin[32])
{
    const Sadasya__Head *h = sync_head_find(hs, nh, origin);
    uint64_t seq = h ? h->seq : 0;
    for (int i = 0; i < n->npeers; i++) {
        const Sadasya__Head *t = sync_head_find(n->peers[i].tips,
                                                n->peers[i].ntips, origin);
        if (t && t->seq > seq)
            seq = t->seq;
    }
    return seq;
}

/* How much a link is to be preferred for origin: ahead first, then the
 * origin's own node, then the national node, then the current source. */
static int better(const peer *a, uint64_t sa, const peer *b, uint64_t sb,
                  const uint8_t origin[32], uint64_t current)
{
    if (!b)
        return 1;
    if (sa != sb)
        return sa > sb;
    int aa = !memcmp(a->key, origin, 32), ab = !memcmp(b->key, origin, 32);
    if (aa != ab)
        return aa;
    int na = !strcmp(a->state, "IN"), nb = !strcmp(b->state, "IN");
    if (na != nb)
        return na;
    return a->id == current && b->id != current;
}

static void set_source(node *n, struct source *s, peer *to, int64_t now)
{
    uint64_t id = to ? to->id : 0;
    if (s->link == id)
        return;
    for (int i = 0; i < n->npeers; i++)
        if (n->peers[i].id == s->link || n->peers[i].id == id)
            n->peers[i].want_gen++;
    if (to) {
        char hex[17];
        sodium_bin2hex(hex, sizeof hex, s->origin, 8);
        node_logf(LOG_DEBUG, "origin %s…: pulled from %s", hex, to->endpoint);
    }
    s->link = id;
    s->progress_ms = now;
}

void source_refresh(node *n)
{
    int64_t now = clock_mono_ms();
    store_txn *txn;
    Sadasya__Head **hs = NULL;
    size_t nh = 0;
    if (store_begin(n->s, 0, &txn, NULL))
        return;
    int rc = sync_heads(n->s, txn, &hs, &nh, NULL);
    if (rc) {
        store_end(txn);
        return;
    }
    /* Every origin we hold, those the roster lists (source_note, from the
     * roster walk), and those a link holds that the roster lists: never an
     * origin only a peer claims, so made-up heads cost that peer's lookups
     * and nothing more. */
    for (size_t i = 0; i < nh; i++)
        add_source(n, hs[i]->origin.data, now);
    for (int i = 0; i < n->npeers; i++) {
        if (!usable(&n->peers[i]))
            continue;
        for (size_t k = 0; k < n->peers[i].nheads; k++) {
            const uint8_t *o = n->peers[i].heads[k]->origin.data;
            roster_who who;
            if (!find_source(n, o) &&
                roster_whois(n->s, txn, o, &who, NULL) == SD_OK &&
                (who.kind == ROSTER_WHO_NATIONAL || who.listed))
                add_source(n, o, now);
        }
    }
    store_end(txn);

    for (size_t i = 0; i < n->nsrc; i++) {
        struct source *s = &n->src[i];
        uint64_t have = ours(n, hs, nh, s->origin);
        if (have > s->seq_seen) {
            s->seq_seen = have;
            s->progress_ms = now;
        }
        peer *cur = NULL, *best = NULL, *author = NULL;
        uint64_t bestseq = 0, curseq = 0;
        for (int k = 0; k < n->npeers; k++) {
            peer *p = &n->peers[k];
            /* The origin's own node is a candidate as soon as its session
             * is up, heads or not: it holds its newest entries. */
            if (p->handshaken && !memcmp(p->key, s->origin, 32) &&
                (!author || (p->heads_known && !author->heads_known)))
                author = p;
            if (!usable(p))
                continue;
            uint64_t seq = advertised(p, s->origin);
            if (p->id == s->link) {
                cur = p;
                curseq = seq;
            }
            if (p->id == s->shunned && now < s->shunned_until)
                continue;
            if (better(p, seq, best, bestseq, s->origin, s->link)) {
                best = p;
                bestseq = seq;
            }
        }
        if (!cur && author && author->id == s->link)
            cur = author; /* chosen before its heads came */
        int caught_up = have >= bestseq;
        int author_ok = author && (!author->heads_known ||
                                   advertised(author, s->origin) >= curseq);
        if (!cur) {
            set_source(n, s, caught_up && author_ok ? author : best ? best : author, now);
        } else if (cur->heads_known && curseq > have && bestseq > have &&
                   now - s->progress_ms > NODE_STALL_MS && best && best != cur) {
            /* It claims more than we hold, but nothing comes. */
            char hex[17];
            sodium_bin2hex(hex, sizeof hex, s->origin, 8);
            node_logf(LOG_INFO, "origin %s…: %s brought nothing for %d s; "
                      "pulling it from %s", hex, cur->endpoint,
                      NODE_STALL_MS / 1000, best->endpoint);
            s->shunned = cur->id;
            s->shunned_until = now + 4 * NODE_STALL_MS;
            set_source(n, s, best, now);
        } else if (cur->heads_known && curseq <= have && bestseq > have) {
            set_source(n, s, best, now); /* it has nothing more for us */
        } else if (caught_up && author_ok && author != cur) {
            set_source(n, s, author, now); /* caught up: straight from it */
        }
    }
    sync_heads_free(hs, nh);
    /* A long-poll asking for the old origins is replaced at once. */
    for (int i = 0; i < n->npeers; i++) {
        peer *p = &n->peers[i];
        if (p->want_gen != p->sent_gen && p->handshaken && p->inflight &&
            p->wait_ms > 0 && !p->queued && !p->next_pull_at)
            pull_send(n, p, 0);
    }
}

void source_note(node *n, const uint8_t origin[32])
{
    add_source(n, origin, clock_mono_ms());
}

void source_drop_link(node *n, const peer *p)
{
    for (size_t i = 0; i < n->nsrc; i++)
        if (n->src[i].link == p->id)
            n->src[i].link = 0;
}

size_t source_wants(node *n, const peer *p, uint8_t (**out)[32])
{
    *out = NULL;
    size_t k = 0;
    for (size_t i = 0; i < n->nsrc; i++)
        k += n->src[i].link == p->id;
    if (!k)
        return 0;
    uint8_t (*w)[32] = malloc(k * sizeof *w);
    if (!w)
        return 0;
    k = 0;
    for (size_t i = 0; i < n->nsrc; i++)
        if (n->src[i].link == p->id)
            memcpy(w[k++], n->src[i].origin, 32);
    *out = w;
    return k;
}

void source_free(node *n)
{
    free(n->src);
    n->src = NULL;
    n->nsrc = n->capsrc = 0;
}
