/*
 * card_name.c — renders text as a card sets a member's name, for the
 * shaping test in tests/cli/test_card.sh.
 *
 *   card_name TEXT OUT.png              as the card does (node/card_render.c)
 *   card_name --unshaped TEXT OUT.png   each character laid out on its own,
 *                                       so no conjuncts, no reordered matras
 *
 * Both use CARD_NAME_FONT at CARD_DPI, black on white, no margin: the same
 * as `pango-view --font=… --dpi=300 --margin=0`, which the test takes as
 * the reference rendering. The unshaped picture is the control: it must
 * differ clearly from the reference, or the comparison proves nothing.
 */
#include <stdio.h>
#include <string.h>

#include <cairo.h>
#include <glib.h>
#include <pango/pangocairo.h>

#include "card_render.h"

static int unshaped(const char *text, const char *path)
{
    PangoFontMap *fm = pango_cairo_font_map_new();
    PangoContext *ctx = pango_font_map_create_context(fm);
    pango_cairo_context_set_resolution(ctx, CARD_DPI);
    PangoFontDescription *fd = pango_font_description_from_string(CARD_NAME_FONT);

    /* One layout per character, side by side. */
    int n = (int)g_utf8_strlen(text, -1), width = 0, height = 0;
    PangoLayout **ls = g_new0(PangoLayout *, n ? n : 1);
    const char *p = text;
    for (int i = 0; i < n; i++, p = g_utf8_next_char(p)) {
        ls[i] = pango_layout_new(ctx);
        pango_layout_set_font_description(ls[i], fd);
        pango_layout_set_text(ls[i], p, (int)(g_utf8_next_char(p) - p));
        PangoRectangle logical;
        pango_layout_get_pixel_extents(ls[i], NULL, &logical);
        width += logical.width;
        if (logical.height > height)
            height = logical.height;
    }
    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
                                                     width > 0 ? width : 1,
                                                     height > 0 ? height : 1);
    cairo_t *cr = cairo_create(sf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    double x = 0;
    for (int i = 0; i < n; i++) {
        PangoRectangle logical;
        pango_layout_context_changed(ls[i]);
        pango_layout_get_pixel_extents(ls[i], NULL, &logical);
        cairo_move_to(cr, x, 0);
        pango_cairo_show_layout(cr, ls[i]);
        x += logical.width;
        g_object_unref(ls[i]);
    }
    g_free(ls);
    cairo_status_t st = cairo_surface_write_to_png(sf, path);
    cairo_destroy(cr);
    cairo_surface_destroy(sf);
    pango_font_description_free(fd);
    g_object_unref(ctx);
    g_object_unref(fm);
    if (st != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "card_name: %s: %s\n", path, cairo_status_to_string(st));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "--unshaped"))
        return unshaped(argv[2], argv[3]);
    if (argc != 3) {
        fprintf(stderr, "usage: card_name [--unshaped] TEXT OUT.png\n");
        return 2;
    }
    card_renderer *r = NULL;
    sd_err err;
    sd_err_clear(&err);
    int rc = card_renderer_new(&r, &err);
    if (!rc)
        rc = card_render_name(r, argv[1], argv[2], &err);
    card_renderer_destroy(&r);
    if (rc) {
        fprintf(stderr, "card_name: %s\n", err.msg);
        return 1;
    }
    return 0;
}
