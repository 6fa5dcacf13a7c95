/*
 * test_workq.c — unit tests for node/workq.c: the queue keeps order, a
 * full queue blocks its producer until a consumer takes an item, closing
 * wakes both sides and lets consumers drain what is left, many producers
 * and consumers lose and double nothing; the progress reporter is rate
 * limited and always reports the end.
 */
#include "helpers.h"

#include <pthread.h>

#include "workq.h"

static void test_order(void **state)
{
    (void)state;
    workq *q;
    assert_int_equal(workq_new(&q, 4, NULL), SD_OK);
    static int v[10];
    void *item;
    for (int round = 0; round < 3; round++) { /* the ring wraps */
        for (int i = 0; i < 3; i++)
            assert_int_equal(workq_push(q, &v[i]), 0);
        for (int i = 0; i < 3; i++) {
            assert_int_equal(workq_pop(q, &item), 0);
            assert_ptr_equal(item, &v[i]);
        }
    }
    assert_int_equal(workq_pop_wait(q, &item, 1000000), WORKQ_TIMEOUT);
    assert_null(item);
    workq_destroy(&q);
    assert_null(q);
    assert_int_equal(workq_new(&q, 0, NULL), SD_EINVAL);
}

typedef struct pusher {
    workq *q;
    int n;
    int pushed;      /* atomic: the test reads it while the thread runs */
    int rc;
} pusher;

static void *push_n(void *arg)
{
    pusher *p = arg;
    static int dummy;
    for (int i = 0; i < p->n; i++) {
        if ((p->rc = workq_push(p->q, &dummy)))
            break;
        __atomic_add_fetch(&p->pushed, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static void test_full_blocks(void **state)
{
    (void)state;
    workq *q;
    assert_int_equal(workq_new(&q, 2, NULL), SD_OK);
    pusher p = { q, 3, 0, 0 };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, push_n, &p), 0);
    usleep(100000);
    assert_int_equal(__atomic_load_n(&p.pushed, __ATOMIC_SEQ_CST), 2);
    void *item;
    assert_int_equal(workq_pop(q, &item), 0);
    pthread_join(th, NULL);
    assert_int_equal(p.pushed, 3);
    assert_int_equal(p.rc, 0);

    /* Closing wakes a blocked producer, which is refused. */
    p.n = 1;
    p.pushed = 0;
    assert_int_equal(pthread_create(&th, NULL, push_n, &p), 0);
    usleep(50000);
    assert_int_equal(__atomic_load_n(&p.pushed, __ATOMIC_SEQ_CST), 0);
    workq_close(q);
    pthread_join(th, NULL);
    assert_int_equal(p.rc, WORKQ_CLOSED);
    assert_int_equal(p.pushed, 0);
    workq_destroy(&q);
}

static void *pop_one(void *arg)
{
    void *item;
    return (void *)(intptr_t)workq_pop(arg, &item);
}

static void test_close_drain(void **state)
{
    (void)state;
    workq *q;
    assert_int_equal(workq_new(&q, 8, NULL), SD_OK);
    static int v[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(workq_push(q, &v[i]), 0);
    workq_close(q);
    assert_true(workq_closed(q));
    assert_int_equal(workq_push(q, &v[0]), WORKQ_CLOSED);
    void *item;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(workq_pop(q, &item), 0);
        assert_ptr_equal(item, &v[i]);
    }
    assert_int_equal(workq_pop(q, &item), WORKQ_CLOSED);
    assert_int_equal(workq_pop_wait(q, &item, 1000), WORKQ_CLOSED);
    workq_destroy(&q);

    /* Closing wakes a consumer waiting on an empty queue. */
    assert_int_equal(workq_new(&q, 1, NULL), SD_OK);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, pop_one, q), 0);
    usleep(50000);
    workq_close(q);
    void *ret;
    pthread_join(th, &ret);
    assert_int_equal((intptr_t)ret, WORKQ_CLOSED);
    workq_destroy(&q);
}

#define PRODUCERS 4
#define CONSUMERS 4
#define PER_PRODUCER 20000

typedef struct item {
    int producer, seq;
} item;

typedef struct consumer {
    workq *q;
    uint64_t count;
    int last[PRODUCERS];   /* the last seq seen of each producer */
    int out_of_order;
} consumer;

typedef struct producer {
    workq *q;
    int id;
    item *items;
} producer;

static void *produce(void *arg)
{
    producer *p = arg;
    for (int i = 0; i < PER_PRODUCER; i++)
        if (workq_push(p->q, &p->items[i]))
            break;
    return NULL;
}

static void *consume(void *arg)
{
    consumer *c = arg;
    for (int i = 0; i < PRODUCERS; i++)
        c->last[i] = -1;
    void *v;
    while (workq_pop(c->q, &v) == 0) {
        item *it = v;
        /* One producer's items leave the queue in its order, so each
         * consumer sees them in increasing order too. */
        if (it->seq <= c->last[it->producer])
            c->out_of_order++;
        c->last[it->producer] = it->seq;
        c->count++;
        it->seq = -1 - it->seq; /* marks it taken: twice would unmark */
    }
    return NULL;
}

static void test_many_threads(void **state)
{
    (void)state;
    workq *q;
    assert_int_equal(workq_new(&q, 16, NULL), SD_OK);
    producer pr[PRODUCERS];
    consumer co[CONSUMERS];
    pthread_t tp[PRODUCERS], tc[CONSUMERS];
    memset(co, 0, sizeof co);
    for (int i = 0; i < CONSUMERS; i++) {
        co[i].q = q;
        assert_int_equal(pthread_create(&tc[i], NULL, consume, &co[i]), 0);
    }
    for (int i = 0; i < PRODUCERS; i++) {
        pr[i].q = q;
        pr[i].id = i;
        pr[i].items = calloc(PER_PRODUCER, sizeof *pr[i].items);
        assert_non_null(pr[i].items);
        for (int k = 0; k < PER_PRODUCER; k++)
            pr[i].items[k] = (item){ i, k };
        assert_int_equal(pthread_create(&tp[i], NULL, produce, &pr[i]), 0);
    }
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(tp[i], NULL);
    workq_close(q);
    uint64_t total = 0;
    for (int i = 0; i < CONSUMERS; i++) {
        pthread_join(tc[i], NULL);
        total += co[i].count;
        assert_int_equal(co[i].out_of_order, 0);
    }
    assert_int_equal(total, (uint64_t)PRODUCERS * PER_PRODUCER);
    for (int i = 0; i < PRODUCERS; i++) {
        for (int k = 0; k < PER_PRODUCER; k++)
            assert_int_equal(pr[i].items[k].seq, -1 - k); /* taken once */
        free(pr[i].items);
    }
    workq_destroy(&q);
}

typedef struct seen {
    int calls, last_calls;
    uint64_t done, total;
} seen;

static void on_progress(uint64_t done, uint64_t total, double per_sec,
                        int last, void *ctx)
{
    seen *s = ctx;
    assert_true(per_sec >= 0);
    s->calls++;
    s->last_calls += last;
    s->done = done;
    s->total = total;
}

static void test_progress(void **state)
{
    (void)state;
    seen s = { 0 };
    workq_progress p;
    /* An interval of an hour: nothing until the end, which always reports. */
    workq_progress_init(&p, 100, 3600ll * 1000000000ll, on_progress, &s);
    for (int i = 0; i < 50; i++)
        workq_progress_add(&p, 2);
    workq_progress_tick(&p);
    assert_int_equal(s.calls, 0);
    assert_int_equal(workq_progress_done(&p), 100);
    workq_progress_end(&p);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.last_calls, 1);
    assert_int_equal(s.done, 100);
    assert_int_equal(s.total, 100);

    /* No interval: every change reports. */
    memset(&s, 0, sizeof s);
    workq_progress_init(&p, 0, 0, on_progress, &s);
    workq_progress_set(&p, 7);
    workq_progress_add(&p, 3);
    assert_int_equal(s.calls, 2);
    assert_int_equal(s.done, 10);
    assert_int_equal(s.last_calls, 0);
    assert_true(workq_progress_seconds(&p) >= 0);
    workq_progress_end(&p);
    assert_int_equal(s.last_calls, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_full_blocks),
        cmocka_unit_test(test_close_drain),
        cmocka_unit_test(test_many_threads),
        cmocka_unit_test(test_progress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
