/*
 * test_card_face.c — unit tests for what a card prints around the member:
 * the labels in the state's language (node/card_labels.c) and names set
 * whole, never cut (node/card_render.c).
 *
 * "Never cut" is tested on the picture: two cards whose state line differs
 * only in its last characters (two states of one language, so the same
 * labels) must differ where the state is printed; a line cut with "…"
 * before its end would draw both the same. The same for the header, and
 * for the longest names: "Dadra and Nagar Haveli and Daman and Diu",
 * தமிழ்நாடு, পশ্চিমবঙ্গ, an organisation's name in two scripts.
 */
#include "helpers.h"

#include <cairo.h>

#include "card_labels.h"
#include "card_render.h"

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

/* Where node/card_render.c prints the state (under its label), and the
 * header band with the organisation and chapter: generous boxes. */
#define STATE_BOX_X0 40
#define STATE_BOX_X1 320
#define STATE_BOX_Y0 500
#define STATE_BOX_Y1 600
#define HEADER_X1 CARD_WIDTH_PX
#define HEADER_Y1 150

static void test_labels_by_state(void **state)
{
    (void)state;
    static const struct {
        const char *state, *lang, *family;
    } want[] = {
        { "TN", "ta", "Noto Sans Tamil" },     { "PY", "ta", "Noto Sans Tamil" },
        { "WB", "bn", "Noto Sans Bengali" },   { "AS", "as", "Noto Sans Bengali" },
        { "MH", "mr", "Noto Sans Devanagari" }, { "GJ", "gu", "Noto Sans Gujarati" },
        { "TS", "te", "Noto Sans Telugu" },    { "AP", "te", "Noto Sans Telugu" },
        { "KA", "kn", "Noto Sans Kannada" },   { "KL", "ml", "Noto Sans Malayalam" },
        { "OD", "or", "Noto Sans Oriya" },     { "PB", "pa", "Noto Sans Gurmukhi" },
        { "BR", "hi", "Noto Sans Devanagari" }, { "UP", "hi", "Noto Sans Devanagari" },
        { "DN", "hi", "Noto Sans Devanagari" }, { "IN", "hi", "Noto Sans Devanagari" },
        { "", "hi", "Noto Sans Devanagari" },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const card_labels *l = card_labels_for(want[i].state);
        assert_non_null(l);
        assert_string_equal(l->lang, want[i].lang);
        assert_string_equal(l->family, want[i].family);
    }
    assert_string_equal(card_labels_for(NULL)->lang, "hi");
    /* Tamil labels are Tamil: every letter in U+0B80..U+0BFF. */
    const unsigned char *p = (const unsigned char *)card_labels_for("TN")->number;
    int tamil = 0;
    for (; *p; p++)
        if (p[0] == 0xe0 && (p[1] == 0xae || p[1] == 0xaf))
            tamil++;
    assert_true(tamil >= 5);
    /* Every language has every label, and a distinct title from Hindi's
     * unless it is written in Devanagari. */
    for (int i = 0; card_labels_nth(i); i++) {
        const card_labels *l = card_labels_nth(i);
        assert_true(*l->title && *l->number && *l->state && *l->joined);
        if (strcmp(l->family, "Noto Sans Devanagari"))
            assert_string_not_equal(l->title, card_labels_for("BR")->title);
    }
    assert_null(card_labels_nth(-1));
}

typedef struct pic {
    cairo_surface_t *sf;
} pic;

/* Draws a card of org/chapter/state into dir/name.png and loads it. */
static void draw(card_renderer *r, const char *dir, const char *name,
                 const char *org, const char *chapter, const char *st, pic *out)
{
    char path[TH_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s.png", dir, name);
    card_face f = { org, chapter, st, "प्रिया", "Priya", "BR-0000001-7", 20700,
                    "SDY1:test" };
    sd_err err;
    sd_err_clear(&err);
    if (card_render(r, &f, path, &err))
        fail_msg("card_render: %s", err.msg);
    out->sf = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(out->sf), CAIRO_STATUS_SUCCESS);
}

/* Whether a and b differ anywhere in the box [x0, x1) × [y0, y1). */
static int differ(const pic *a, const pic *b, int x0, int y0, int x1, int y1)
{
    int sa = cairo_image_surface_get_stride(a->sf);
    const unsigned char *da = cairo_image_surface_get_data(a->sf);
    const unsigned char *db = cairo_image_surface_get_data(b->sf);
    for (int y = y0; y < y1; y++)
        if (memcmp(da + (size_t)y * sa + 4 * x0, db + (size_t)y * sa + 4 * x0,
                   4 * (size_t)(x1 - x0)))
            return 1;
    return 0;
}

static void pics_free(pic *a, pic *b)
{
    cairo_surface_destroy(a->sf);
    cairo_surface_destroy(b->sf);
}

static void test_names_are_never_cut(void **state)
{
    (void)state;
    char dir[] = "/tmp/sadasya-test-card-face.XXXXXX";
    assert_non_null(mkdtemp(dir));
    card_renderer *r = NULL;
    sd_err err;
    sd_err_clear(&err);
    if (card_renderer_new(&r, &err))
        fail_msg("card_renderer_new: %s", err.msg);

    /* Pairs of states of one language: the state line differs only at its
     * end (" · TN" against " · PY"). */
    static const struct {
        const char *chapter, *s1, *s2;
    } cases[] = {
        { "தமிழ்நாடு", "TN", "PY" },
        { "পশ্চিমবঙ্গ", "WB", "TR" },
        { "Dadra and Nagar Haveli and Daman and Diu", "DN", "DD" },
        { "अण्डमान और निकोबार द्वीपसमूह", "AN", "DL" },
    };
    const char *org = "भारतीय सदस्यता संघ · Bharatiya Sadasyata Sangh";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pic a, b;
        draw(r, dir, "a", org, cases[i].chapter, cases[i].s1, &a);
        draw(r, dir, "b", org, cases[i].chapter, cases[i].s2, &b);
        if (!differ(&a, &b, STATE_BOX_X0, STATE_BOX_Y0, STATE_BOX_X1, STATE_BOX_Y1))
            fail_msg("the state line of %s is cut on the card", cases[i].chapter);
        if (!differ(&a, &b, 0, 0, HEADER_X1, HEADER_Y1))
            fail_msg("the chapter line of %s is cut in the header",
                     cases[i].chapter);
        pics_free(&a, &b);
    }

    /* The organisation's name whole: two names that differ in their last
     * letter draw differently in the header, and nowhere else. */
    pic a, b;
    draw(r, dir, "a", "भारतीय सदस्यता संघ · Bharatiya Sadasyata Sangh", "बिहार",
         "BR", &a);
    draw(r, dir, "b", "भारतीय सदस्यता संघ · Bharatiya Sadasyata Sangha", "बिहार",
         "BR", &b);
    assert_true(differ(&a, &b, 0, 0, HEADER_X1, HEADER_Y1));
    assert_false(differ(&a, &b, 0, HEADER_Y1, CARD_WIDTH_PX, CARD_HEIGHT_PX));
    pics_free(&a, &b);

    /* The labels follow the state's language: a Tamil card's labels
     * differ from a Hindi one's, the same chapter line aside. */
    draw(r, dir, "a", org, "X", "TN", &a);
    draw(r, dir, "b", org, "X", "BR", &b);
    assert_true(differ(&a, &b, 40, 350, 560, 400)); /* MEMBERSHIP NO. label */
    pics_free(&a, &b);

    card_renderer_destroy(&r);
    char cmd[TH_PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels_by_state),
        cmocka_unit_test(test_names_are_never_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
