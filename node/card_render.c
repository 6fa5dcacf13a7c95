/*
 * card_render.c — drawing a membership card with Cairo, Pango and
 * libqrencode (reading it back is card_read.c). See card_render.h.
 *
 * Coordinates are pixels of the 300 dpi PNG; the SVG surface is scaled so
 * that the same drawing comes out at the card's physical size. Pango's
 * resolution is 300 dpi on both, so font sizes are true points.
 *
 * A card is the chapter's common part (bands, header, labels, state) and
 * the member's part (names, number, date, QR code). For PNG cards the
 * renderer keeps the common part as an image and copies it under each
 * member's part; most of a PNG card's cost is then its compression.
 */
#include "card_render.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairo-svg.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <png.h>
#include <qrencode.h>

#include "card.h"
#include "card_labels.h"
#include "day.h"
#include "durable.h"

/* Layout, in pixels of the 1011 × 638 card. */
#define MARGIN 44.0
#define HEADER_H 150.0
#define STRIPE_H 12.0
#define QR_BOX 380.0         /* the QR code with its quiet zone */
#define QR_QUIET 4           /* modules of quiet zone on each side */
#define QR_RIGHT 36.0        /* from the right edge to the QR box */
#define GUTTER 24.0          /* between the text column and the QR box */

typedef struct rgb {
    double r, g, b;
} rgb;

static const rgb INDIGO = { 0x1f / 255.0, 0x3a / 255.0, 0x68 / 255.0 };
static const rgb SAFFRON = { 0xf2 / 255.0, 0x8c / 255.0, 0x28 / 255.0 };
static const rgb GREEN = { 0x13 / 255.0, 0x88 / 255.0, 0x08 / 255.0 };
static const rgb PAPER = { 0xff / 255.0, 0xfd / 255.0, 0xf7 / 255.0 };
static const rgb WHITE = { 1, 1, 1 };
static const rgb HEADER_DIM = { 0xd6 / 255.0, 0xdf / 255.0, 0xee / 255.0 };
static const rgb INK = { 0x1a / 255.0, 0x1a / 255.0, 0x1a / 255.0 };
static const rgb GREY = { 0x4a / 255.0, 0x4a / 255.0, 0x4a / 255.0 };
static const rgb LABEL = { 0x80 / 255.0, 0x78 / 255.0, 0x70 / 255.0 };
static const rgb BLACK = { 0, 0, 0 };

/* Families for text that may be in either script; Pango falls back
 * through fontconfig for any other. */
#define SANS "Noto Sans, Noto Sans Devanagari"
#define DEVA "Noto Sans Devanagari, Noto Sans"

struct card_renderer {
    PangoFontMap *fm;
    PangoContext *ctx;
    cairo_surface_t *common;   /* the chapter's common part (PNG cards) */
    char *key[3];              /* ... drawn for this org, chapter, state */
    cairo_surface_t *work;     /* the card being drawn */
    double number_y, value_y;  /* where draw_common left room */
};

static void set_ink(cairo_t *cr, rgb c)
{
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

static int has_family(PangoFontFamily **fams, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(pango_font_family_get_name(fams[i]), name))
            return 1;
    return 0;
}

int card_renderer_new(card_renderer **out, sd_err *err)
{
    *out = NULL;
    card_renderer *r = calloc(1, sizeof *r);
    if (!r)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    r->fm = pango_cairo_font_map_new();
    if (!r->fm) {
        free(r);
        return sd_errf(err, SD_EIO, "Pango has no font map");
    }
    /* Refuse to draw tofu: the card's fonts must be there, Noto Sans and
     * the font of every language the labels come in. */
    PangoFontFamily **fams = NULL;
    int n = 0;
    pango_font_map_list_families(r->fm, &fams, &n);
    const char *missing = has_family(fams, n, "Noto Sans") ? NULL : "Noto Sans";
    for (int i = 0; !missing && card_labels_nth(i); i++)
        if (!has_family(fams, n, card_labels_nth(i)->family))
            missing = card_labels_nth(i)->family;
    g_free(fams);
    if (missing) {
        card_renderer_destroy(&r);
        return sd_errf(err, SD_ENOTFOUND,
                       "font %s is not installed (Debian package fonts-noto-core)",
                       missing);
    }
    r->ctx = pango_font_map_create_context(r->fm);
    pango_cairo_context_set_resolution(r->ctx, CARD_DPI);
    /* The same glyph positions on PNG and SVG: no hinting of outlines or
     * metrics, positions not rounded to whole pixels. */
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    pango_cairo_context_set_font_options(r->ctx, fo);
    cairo_font_options_destroy(fo);
    pango_context_set_round_glyph_positions(r->ctx, FALSE);
    *out = r;
    return SD_OK;
}

void card_renderer_destroy(card_renderer **r)
{
    if (!r || !*r)
        return;
    if ((*r)->ctx)
        g_object_unref((*r)->ctx);
    if ((*r)->fm)
        g_object_unref((*r)->fm);
    if ((*r)->common)
        cairo_surface_destroy((*r)->common);
    if ((*r)->work)
        cairo_surface_destroy((*r)->work);
    for (int i = 0; i < 3; i++)
        free((*r)->key[i]);
    free(*r);
    *r = NULL;
}

int card_format_of(const char *path)
{
    size_t n = strlen(path);
    if (n > 4 && !strcasecmp(path + n - 4, ".png"))
        return CARD_FORMAT_PNG;
    if (n > 4 && !strcasecmp(path + n - 4, ".svg"))
        return CARD_FORMAT_SVG;
    return 0;
}

/* --- text ---------------------------------------------------------------- */

/* A layout of s in font (a Pango font description string, size in points),
 * at most width pixels wide (0: unbounded) and max_lines lines, the rest
 * ellipsized. The caller unrefs it. */
static PangoLayout *layout(card_renderer *r, const char *font, const char *s,
                           double width, int max_lines)
{
    PangoLayout *l = pango_layout_new(r->ctx);
    PangoFontDescription *fd = pango_font_description_from_string(font);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(l, s, -1);
    if (width > 0) {
        pango_layout_set_width(l, (int)(width * PANGO_SCALE));
        pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
        pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
        pango_layout_set_height(l, -max_lines);
    }
    return l;
}

static double layout_height(PangoLayout *l)
{
    PangoRectangle logical;
    pango_layout_get_extents(l, NULL, &logical);
    return (double)logical.height / PANGO_SCALE;
}

/* Draws a layout with its top-left at (x, y), aligned within its width. */
static void show(cairo_t *cr, PangoLayout *l, double x, double y, rgb ink,
                 PangoAlignment align)
{
    pango_layout_set_alignment(l, align);
    cairo_move_to(cr, x, y);
    set_ink(cr, ink);
    pango_cairo_show_layout(cr, l);
}

/* Draws one string; returns the height it took. */
static double text(card_renderer *r, cairo_t *cr, const char *font,
                   const char *s, double x, double y, double width, rgb ink,
                   PangoAlignment align)
{
    PangoLayout *l = layout(r, font, s, width, 1);
    double h = layout_height(l);
    show(cr, l, x, y, ink, align);
    g_object_unref(l);
    return h;
}

/* s in `families style pt`, wrapped at width pixels, never ellipsized. */
static PangoLayout *wrapped(card_renderer *r, const char *families,
                            const char *style, double pt, const char *s,
                            double width)
{
    char font[160];
    snprintf(font, sizeof font, "%s %s %.2f", families, style, pt);
    PangoLayout *l = layout(r, font, s, 0, 1);
    pango_layout_set_width(l, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    return l;
}

/* How a text may be set to fit its box: at pt on one line, down to
 * one_min; else on up to `lines` lines from pt down to min. */
typedef struct fit_rule {
    double pt, one_min, min;
    int lines;
} fit_rule;

/* s laid out whole (never cut) in a box of width × height pixels
 * (height 0: any) by rule f. When nothing fits, s at f->min wrapped on as
 * many lines as it takes: a card may be crowded, never wrong. */
static PangoLayout *fit(card_renderer *r, const char *families,
                        const char *style, const char *s, double width,
                        double height, const fit_rule *f)
{
    PangoLayout *l = NULL;
    for (int lines = 1; lines <= f->lines; lines++) {
        double floor_pt = lines == 1 ? f->one_min : f->min;
        for (double pt = f->pt; pt >= floor_pt - 1e-9; pt -= 0.25) {
            if (l)
                g_object_unref(l);
            l = wrapped(r, families, style, pt, s, width);
            if (pango_layout_get_line_count(l) <= lines &&
                (height <= 0 || layout_height(l) <= height))
                return l;
        }
    }
    return l;
}

/* Draws s fitted (fit); returns the height it took. */
static double fitted(card_renderer *r, cairo_t *cr, const char *families,
                     const char *style, const char *s, double x, double y,
                     double width, double height, const fit_rule *f, rgb ink,
                     PangoAlignment align)
{
    PangoLayout *l = fit(r, families, style, s, width, height, f);
    double h = layout_height(l);
    show(cr, l, x, y, ink, align);
    g_object_unref(l);
    return h;
}

/* "28 Nov 2026": no reader mistakes the day for the month. */
static void card_date(uint32_t day, char out[32])
{
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
                                          "May", "Jun", "Jul", "Aug",
                                          "Sep", "Oct", "Nov", "Dec" };
    char iso[DAY_STR_LEN];
    day_format(day, iso);
    int m = atoi(iso + 5);
    snprintf(out, 32, "%d %s %.4s", atoi(iso + 8),
             m >= 1 && m <= 12 ? months[m - 1] : "?", iso);
}

/* The name in its own script and the English name below it, set as large
 * as fits the box (two lines at most each). */
static void draw_names(card_renderer *r, cairo_t *cr, const card_face *f,
                       double x, double y, double w, double h)
{
    PangoLayout *name = NULL, *en = NULL;
    double nh = 0, eh = 0;
    for (int pt = CARD_NAME_PT; pt >= CARD_NAME_PT_MIN; pt--) {
        char font[96];
        if (name)
            g_object_unref(name);
        if (en)
            g_object_unref(en);
        snprintf(font, sizeof font, CARD_NAME_FAMILIES " Bold %d", pt);
        name = layout(r, font, f->name, w, 2);
        nh = layout_height(name);
        en = NULL;
        eh = 0;
        if (f->name_en && *f->name_en) {
            snprintf(font, sizeof font, SANS " %.1f", pt * 0.62);
            en = layout(r, font, f->name_en, w, 2);
            eh = layout_height(en);
        }
        if (nh + eh <= h && pango_layout_get_line_count(name) == 1)
            break;
        if (nh + eh <= h && pt <= CARD_NAME_PT - 4)
            break; /* a long name: two lines rather than too small */
    }
    show(cr, name, x, y, INK, PANGO_ALIGN_LEFT);
    g_object_unref(name);
    if (en) {
        show(cr, en, x, y + nh, GREY, PANGO_ALIGN_LEFT);
        g_object_unref(en);
    }
}

/* --- QR code --------------------------------------------------------------- */

/* Draws the QR code of payload in the box of side `box` at (x, y), which
 * the caller has made white (the quiet zone is inside the box). Module
 * edges fall on whole pixels of the PNG, so every module is crisp (some a
 * pixel wider than others, which readers take in their stride). */
static int draw_qr(cairo_t *cr, const char *payload, double x, double y,
                   double box, sd_err *err)
{
    QRcode *qr = QRcode_encodeString(payload, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!qr)
        return sd_errf(err, SD_EINVAL, "the card payload does not fit a QR code: %s",
                       strerror(errno));
    int n = qr->width;
    double m = box / (n + 2 * QR_QUIET);
    cairo_antialias_t aa = cairo_get_antialias(cr);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    set_ink(cr, BLACK);
    for (int row = 0; row < n; row++) {
        double y0 = round(y + (row + QR_QUIET) * m);
        double y1 = round(y + (row + QR_QUIET + 1) * m);
        for (int col = 0; col < n;) {
            if (!(qr->data[row * n + col] & 1)) {
                col++;
                continue;
            }
            int end = col;
            while (end < n && (qr->data[row * n + end] & 1))
                end++;
            double x0 = round(x + (col + QR_QUIET) * m);
            double x1 = round(x + (end + QR_QUIET) * m);
            cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
            col = end;
        }
    }
    cairo_fill(cr);
    cairo_set_antialias(cr, aa);
    QRcode_free(qr);
    return SD_OK;
}

/* --- the card ---------------------------------------------------------------- */

/* Where things go, the same on every card. */
#define BODY_Y (HEADER_H + STRIPE_H)
#define QR_X (CARD_WIDTH_PX - QR_RIGHT - QR_BOX)
#define QR_Y (BODY_Y + (CARD_HEIGHT_PX - STRIPE_H - BODY_Y - QR_BOX) / 2)
#define COL_W (QR_X - GUTTER - MARGIN)     /* the text column, left of the QR */
#define COL2_X (MARGIN + COL_W * 0.52)      /* its second column of facts */
#define NAMES_Y (BODY_Y + 22)
#define NAMES_H (332 - NAMES_Y)
#define NUMBER_LABEL_Y 350.0
#define FACTS_Y 476.0
#define FOOTER_Y (CARD_HEIGHT_PX - STRIPE_H - 40)
#define VALUE_FONT SANS " Bold 9"

/* "बिहार · BR", or the code alone when the chapter has no other name. */
static void chapter_line(const card_face *f, char out[512])
{
    if (f->chapter && *f->chapter && strcmp(f->chapter, f->state))
        snprintf(out, 512, "%s · %s", f->chapter, f->state);
    else
        snprintf(out, 512, "%s", f->state);
}

/* What every card of a chapter shares: paper, bands, header, labels, the
 * state, the footer. Sets r->number_y and r->value_y for draw_member. */
static void draw_common(card_renderer *r, cairo_t *cr, const card_face *f)
{
    const double W = CARD_WIDTH_PX, H = CARD_HEIGHT_PX;
    pango_cairo_update_context(cr, r->ctx);

    set_ink(cr, PAPER);
    cairo_paint(cr);
    set_ink(cr, INDIGO);
    cairo_rectangle(cr, 0, 0, W, HEADER_H);
    cairo_fill(cr);
    set_ink(cr, SAFFRON);
    cairo_rectangle(cr, 0, HEADER_H, W, STRIPE_H);
    cairo_fill(cr);
    set_ink(cr, GREEN);
    cairo_rectangle(cr, 0, H - STRIPE_H, W, STRIPE_H);
    cairo_fill(cr);
    set_ink(cr, WHITE);
    cairo_rectangle(cr, QR_X, QR_Y, QR_BOX, QR_BOX);
    cairo_fill(cr);

    /* Header: organisation and chapter on the left, the card's title on
     * the right in the state's language and English. Names are set whole:
     * smaller, or on a second line, never cut. */
    const card_labels *lb = card_labels_for(f->state);
    char fam[96], buf[256];
    snprintf(fam, sizeof fam, "%s, " SANS, lb->family);
    const double title_w = 340;
    static const fit_rule title_fit = { 8.5, 6, 6, 1 };
    PangoLayout *title = fit(r, fam, "Bold", lb->title, title_w, 0, &title_fit);
    PangoLayout *title_en = layout(r, SANS " Bold 6.5", CARD_LABEL_EN_TITLE,
                                   title_w, 1);
    PangoRectangle t1, t2;
    pango_layout_get_pixel_extents(title, NULL, &t1);
    pango_layout_get_pixel_extents(title_en, NULL, &t2);
    double tw = t1.width > t2.width ? t1.width : t2.width;
    double tx = W - MARGIN - title_w;
    double th = layout_height(title);
    show(cr, title, tx, 30, SAFFRON, PANGO_ALIGN_RIGHT);
    show(cr, title_en, tx, 30 + th, HEADER_DIM, PANGO_ALIGN_RIGHT);
    g_object_unref(title);
    g_object_unref(title_en);

    /* The organisation and the chapter share the band left of the title;
     * the chapter's line takes at most half of its height. */
    const double top = 20, budget = HEADER_H - top - 10;
    double hw = W - 2 * MARGIN - tw - 24;
    char chapter[512];
    chapter_line(f, chapter);
    const char *org = f->org && *f->org ? f->org : chapter;
    static const fit_rule org_fit = { 10, 8, 5, 2 }, sub_fit = { 8.5, 6, 5, 2 };
    double ch = 0;
    PangoLayout *sub = NULL;
    if (org != chapter) {
        sub = fit(r, SANS, "", chapter, hw, budget / 2, &sub_fit);
        ch = layout_height(sub);
    }
    double oh = fitted(r, cr, SANS, "Bold", org, MARGIN, top, hw, budget - ch,
                       &org_fit, WHITE, PANGO_ALIGN_LEFT);
    if (sub) {
        show(cr, sub, MARGIN, top + oh, HEADER_DIM, PANGO_ALIGN_LEFT);
        g_object_unref(sub);
    }

    /* Labels of the text column, and the state, the same for all. */
    static const fit_rule label_fit = { 6.5, 5.5, 5, 2 };
    snprintf(buf, sizeof buf, "%s · %s", lb->number, CARD_LABEL_EN_NUMBER);
    r->number_y = NUMBER_LABEL_Y + fitted(r, cr, fam, "", buf, MARGIN,
                                          NUMBER_LABEL_Y, COL_W, 0, &label_fit,
                                          LABEL, PANGO_ALIGN_LEFT) - 4;
    snprintf(buf, sizeof buf, "%s · %s", lb->state, CARD_LABEL_EN_STATE);
    double sh = fitted(r, cr, fam, "", buf, MARGIN, FACTS_Y, COL2_X - MARGIN - 8,
                       0, &label_fit, LABEL, PANGO_ALIGN_LEFT);
    snprintf(buf, sizeof buf, "%s · %s", lb->joined, CARD_LABEL_EN_JOINED);
    double jh = fitted(r, cr, fam, "", buf, COL2_X, FACTS_Y,
                       MARGIN + COL_W - COL2_X, 0, &label_fit, LABEL,
                       PANGO_ALIGN_LEFT);
    r->value_y = FACTS_Y + (sh > jh ? sh : jh);
    static const fit_rule state_fit = { 9, 7, 5, 2 };
    fitted(r, cr, SANS, "Bold", chapter, MARGIN, r->value_y, COL2_X - MARGIN - 8,
           FOOTER_Y - 4 - r->value_y, &state_fit, INK, PANGO_ALIGN_LEFT);
    text(r, cr, SANS " 5.5", "Scan the QR code to check this card", MARGIN,
         FOOTER_Y, COL_W, LABEL, PANGO_ALIGN_LEFT);
}

/* What is the member's own: names, number, joining date, QR code. */
static int draw_member(card_renderer *r, cairo_t *cr, const card_face *f,
                       sd_err *err)
{
    pango_cairo_update_context(cr, r->ctx);
    int rc = draw_qr(cr, f->payload, QR_X, QR_Y, QR_BOX, err);
    if (rc)
        return rc;
    draw_names(r, cr, f, MARGIN, NAMES_Y, COL_W, NAMES_H);
    text(r, cr, "Noto Sans Bold 15", f->number, MARGIN, r->number_y, COL_W, INDIGO,
         PANGO_ALIGN_LEFT);
    char joined[32];
    card_date(f->joined_day, joined);
    text(r, cr, VALUE_FONT, joined, COL2_X, r->value_y, MARGIN + COL_W - COL2_X,
         INK, PANGO_ALIGN_LEFT);
    return SD_OK;
}

/* The chapter's common part as an image, drawn once per chapter: cards
 * of one chapter differ only in the member's part. */
static int common_image(card_renderer *r, const card_face *f, sd_err *err)
{
    const char *key[3] = { f->org ? f->org : "", f->chapter ? f->chapter : "",
                           f->state ? f->state : "" };
    if (r->common && !strcmp(key[0], r->key[0]) && !strcmp(key[1], r->key[1]) &&
        !strcmp(key[2], r->key[2]))
        return SD_OK;
    if (r->common) {
        cairo_surface_destroy(r->common);
        r->common = NULL;
    }
    for (int i = 0; i < 3; i++) {
        free(r->key[i]);
        r->key[i] = strdup(key[i]);
        if (!r->key[i])
            return sd_errf(err, SD_ENOMEM, "out of memory");
    }
        r->common = cairo_image_surface_create(CAIRO_FORMAT_RGB24, CARD_WIDTH_PX,
                                               CARD_HEIGHT_PX);
    cairo_t *cr = cairo_create(r->common);
    draw_common(r, cr, f);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_flush(r->common);
    if (st != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(r->common);
        r->common = NULL;
        return sd_errf(err, SD_EIO, "cannot draw a card: %s",
                       cairo_status_to_string(st));
    }
    return SD_OK;
}

/* --- files ------------------------------------------------------------------- */

static cairo_status_t write_file(void *closure, const unsigned char *data,
                                 unsigned int len)
{
    return fwrite(data, 1, len, closure) == len ? CAIRO_STATUS_SUCCESS
                                                : CAIRO_STATUS_WRITE_ERROR;
}

/* Writes an RGB24 image surface as an 8-bit RGB PNG. Cairo's own writer
 * leaves libpng at its defaults (every filter tried on every row, zlib
 * level 6), which made writing a card take four times as long as drawing
 * it. A card is mostly flat colour: the Up filter on every row and zlib's
 * fastest level give a file some 40% larger (about 75 KB) in a quarter
 * of the time. */
static cairo_status_t write_png(cairo_surface_t *sf, FILE *fp)
{
    int w = cairo_image_surface_get_width(sf);
    int h = cairo_image_surface_get_height(sf);
    int stride = cairo_image_surface_get_stride(sf);
    cairo_surface_flush(sf);
    const unsigned char *data = cairo_image_surface_get_data(sf);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    unsigned char *row = malloc((size_t)w * 3);
    if (!png || !info || !row) {
        png_destroy_write_struct(&png, &info);
        free(row);
        return CAIRO_STATUS_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(row);
        return CAIRO_STATUS_WRITE_ERROR;
    }
    png_init_io(png, fp);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_UP);
    png_set_compression_level(png, 1);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE,
                 PNG_FILTER_TYPE_BASE);
    /* 300 dpi, so that printing software sizes the card right. */
    png_set_pHYs(png, info, (png_uint_32)(CARD_DPI / 0.0254 + 0.5),
                 (png_uint_32)(CARD_DPI / 0.0254 + 0.5), PNG_RESOLUTION_METER);
    png_write_info(png, info);
    for (int y = 0; y < h; y++) {
        const uint32_t *px = (const uint32_t *)(data + (size_t)y * (size_t)stride);
        for (int x = 0; x < w; x++) {
            row[3 * x] = (unsigned char)(px[x] >> 16);
            row[3 * x + 1] = (unsigned char)(px[x] >> 8);
            row[3 * x + 2] = (unsigned char)px[x];
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    return CAIRO_STATUS_SUCCESS;
}

/* Writes a card whole or not at all (durable.h, not synced: a card can
 * be drawn again). The drawing's own failure wins over the write's. */
static int finish_file(durable_file *df, cairo_status_t st, const char *path,
                       sd_err *err)
{
    if (st != CAIRO_STATUS_SUCCESS && st != CAIRO_STATUS_WRITE_ERROR) {
        durable_abort(&df);
        return sd_errf(err, SD_EIO, "cannot draw %s: %s", path,
                       cairo_status_to_string(st));
    }
    if (st == CAIRO_STATUS_WRITE_ERROR || ferror(durable_stream(df))) {
        durable_abort(&df);
        return sd_errf(err, SD_EIO, "cannot write %s", path);
    }
    return durable_commit(&df, err);
}

static FILE *open_card(const char *path, durable_file **df, sd_err *err)
{
    if (durable_open(df, NULL, path, 0600, DURABLE_NOSYNC, err))
        return NULL;
    FILE *fp = durable_stream(*df);
    if (!fp) {
        durable_abort(df);
        sd_errf(err, SD_ENOMEM, "out of memory");
    }
    return fp;
}

int card_render(card_renderer *r, const card_face *f, const char *path,
                sd_err *err)
{
    int fmt = card_format_of(path);
    if (!fmt)
        return sd_errf(err, SD_EINVAL, "%s: a card is written as .png or .svg",
                       path);
    durable_file *df;
    FILE *fp = open_card(path, &df, err);
    if (!fp)
        return err ? err->code : SD_EIO;
    sd_err derr;
    sd_err_clear(&derr);
    int rc = SD_OK;
    cairo_status_t st = CAIRO_STATUS_SUCCESS;
    if (fmt == CARD_FORMAT_PNG) {
        /* The chapter's common image, then the member's part over it. */
        rc = common_image(r, f, &derr);
        if (!rc && !r->work)
            r->work = cairo_image_surface_create(CAIRO_FORMAT_RGB24, CARD_WIDTH_PX,
                                                 CARD_HEIGHT_PX);
        if (!rc) {
            cairo_surface_flush(r->work);
            memcpy(cairo_image_surface_get_data(r->work),
                   cairo_image_surface_get_data(r->common),
                   (size_t)cairo_image_surface_get_stride(r->common) * CARD_HEIGHT_PX);
            cairo_surface_mark_dirty(r->work);
            cairo_t *cr = cairo_create(r->work);
            rc = draw_member(r, cr, f, &derr);
            st = cairo_status(cr);
            cairo_destroy(cr);
        }
        if (!rc && st == CAIRO_STATUS_SUCCESS)
            st = write_png(r->work, fp);
    } else {
        /* Points: the card at its true size, 85.6 mm wide. */
        cairo_surface_t *sf = cairo_svg_surface_create_for_stream(
            write_file, fp, CARD_WIDTH_PX * 72.0 / CARD_DPI,
            CARD_HEIGHT_PX * 72.0 / CARD_DPI);
        cairo_svg_surface_set_document_unit(sf, CAIRO_SVG_UNIT_PT);
        cairo_t *cr = cairo_create(sf);
        cairo_scale(cr, 72.0 / CARD_DPI, 72.0 / CARD_DPI);
        draw_common(r, cr, f);
        rc = draw_member(r, cr, f, &derr);
        st = cairo_status(cr);
        cairo_destroy(cr);
        cairo_surface_finish(sf);
        if (st == CAIRO_STATUS_SUCCESS)
            st = cairo_surface_status(sf);
        cairo_surface_destroy(sf);
    }
    if (rc) {
        durable_abort(&df);
        if (err)
            *err = derr;
        return rc;
    }
    return finish_file(df, st, path, err);
}

int card_render_name(card_renderer *r, const char *s, const char *path,
                     sd_err *err)
{
    /* Measure on a scratch surface, then draw on one of the text's size. */
    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    cairo_t *cr = cairo_create(sf);
    pango_cairo_update_context(cr, r->ctx);
    PangoLayout *l = layout(r, CARD_NAME_FONT, s, 0, 1);
    PangoRectangle logical;
    pango_layout_get_pixel_extents(l, NULL, &logical);
    cairo_destroy(cr);
    cairo_surface_destroy(sf);
    int w = logical.width > 0 ? logical.width : 1;
    int h = logical.height > 0 ? logical.height : 1;

    sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cr = cairo_create(sf);
    pango_cairo_update_context(cr, r->ctx);
    pango_layout_context_changed(l);
    set_ink(cr, WHITE);
    cairo_paint(cr);
    show(cr, l, -logical.x, -logical.y, BLACK, PANGO_ALIGN_LEFT);
    g_object_unref(l);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    durable_file *df;
    FILE *fp = open_card(path, &df, err);
    if (!fp) {
        cairo_surface_destroy(sf);
        return err ? err->code : SD_EIO;
    }
    if (st == CAIRO_STATUS_SUCCESS)
        st = write_png(sf, fp);
    cairo_surface_destroy(sf);
    return finish_file(df, st, path, err);
}
