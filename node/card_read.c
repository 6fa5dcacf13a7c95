/*
 * card_read.c — reading a card's QR code back from a file: a PNG or a
 * phone's JPEG photo (gdk-pixbuf), or the SVG card (librsvg), scanned with
 * libzbar. See card_read.h.
 */
#include "card_read.h"
#include "card_render.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <cairo.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <librsvg/rsvg.h>
#include <zbar.h>

#include "card.h"

/* --- reading ------------------------------------------------------------------ */

/* What a file is, from its first bytes: the reader takes PNG, JPEG and
 * SVG, and names the common others it cannot read. */
enum { KIND_UNKNOWN, KIND_PNG, KIND_JPEG, KIND_SVG, KIND_OTHER_IMAGE };

static int file_kind(const char *path, const char **name, int *err_no)
{
    unsigned char b[512];
    *name = NULL;
    *err_no = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        *err_no = errno;
        return -1;
    }
    size_t n = fread(b, 1, sizeof b, fp);
    fclose(fp);
    if (n >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8))
        return KIND_PNG;
    if (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
        return KIND_JPEG;
    if (n >= 5 && !memcmp(b, "%PDF-", 5))
        return *name = "a PDF?", KIND_UNKNOWN;
    if ((n >= 6 && (!memcmp(b, "GIF87a", 6) || !memcmp(b, "GIF89a", 6))))
        return *name = "a GIF: save the card as PNG or JPEG", KIND_OTHER_IMAGE;
    if (n >= 12 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WEBP", 4))
        return *name = "a WebP image: save it as PNG or JPEG", KIND_OTHER_IMAGE;
    if (n >= 12 && !memcmp(b + 4, "ftyp", 4))
        return *name = "a HEIC or video file? save the photo as JPEG",
               KIND_OTHER_IMAGE;
    if (n >= 4 && !memcmp(b, "PK\x03\x04", 4))
        return *name = "a ZIP or office document?", KIND_UNKNOWN;
    /* SVG: XML text whose first element is <svg (after a prolog). */
    size_t i = 0;
    if (n >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf)
        i = 3;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    if (i < n && b[i] == '<') {
        for (size_t j = i; j + 4 <= n; j++)
            if (!memcmp(b + j, "<svg", 4))
                return KIND_SVG;
        return *name = "XML or HTML, not an SVG picture", KIND_UNKNOWN;
    }
    return KIND_UNKNOWN;
}

/* The QR text of a grey (8-bit luma, w × h) picture; takes grey. */
static int scan_grey(const char *path, unsigned char *grey, int w, int h,
                     char *out, size_t cap, sd_err *err)
{
    zbar_image_scanner_t *sc = zbar_image_scanner_create();
    zbar_image_scanner_set_config(sc, 0, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_t *zi = zbar_image_create();
    zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(zi, (unsigned)w, (unsigned)h);
    zbar_image_set_data(zi, grey, (unsigned long)w * (unsigned long)h,
                        zbar_image_free_data);
    int found = zbar_scan_image(sc, zi);
    const zbar_symbol_t *pick = NULL;
    for (const zbar_symbol_t *sym = zbar_image_first_symbol(zi); sym;
         sym = zbar_symbol_next(sym)) {
        if (zbar_symbol_get_type(sym) != ZBAR_QRCODE)
            continue;
        if (!pick)
            pick = sym;
        if (!strncmp(zbar_symbol_get_data(sym), CARD_PREFIX,
                     sizeof CARD_PREFIX - 1)) {
            pick = sym;
            break;
        }
    }
    int rc = SD_OK;
    if (found < 0)
        rc = sd_errf(err, SD_EIO, "%s: the QR reader failed", path);
    else if (!pick)
        rc = sd_errf(err, SD_ENOTFOUND, "%s: no QR code found in the image", path);
    else if (zbar_symbol_get_data_length(pick) >= cap)
        rc = sd_errf(err, SD_EINVAL, "%s: the QR code holds %u bytes, too many "
                     "for a card", path, zbar_symbol_get_data_length(pick));
    else
        snprintf(out, cap, "%s", zbar_symbol_get_data(pick));
    zbar_image_destroy(zi); /* frees grey */
    zbar_image_scanner_destroy(sc);
    return rc;
}

/* Luma of 8-bit RGB(A) rows, alpha flattened onto white. NULL: no memory. */
static unsigned char *grey_of_rgb(const unsigned char *px, int w, int h,
                                  int stride, int channels)
{
    unsigned char *grey = malloc((size_t)w * (size_t)h);
    if (!grey)
        return NULL;
    for (int y = 0; y < h; y++) {
        const unsigned char *p = px + (size_t)y * (size_t)stride;
        for (int x = 0; x < w; x++, p += channels) {
            unsigned v = (p[0] * 299u + p[1] * 587u + p[2] * 114u) / 1000u;
            if (channels == 4)
                v = (v * p[3] + 255u * (255u - p[3])) / 255u;
            grey[(size_t)y * (size_t)w + (size_t)x] = (unsigned char)v;
        }
    }
    return grey;
}

/* A PNG or JPEG (a phone's photo of a card) through gdk-pixbuf. */
static int read_raster(const char *path, const char *what, char *out,
                       size_t cap, sd_err *err)
{
    GError *ge = NULL;
    GdkPixbuf *pb = gdk_pixbuf_new_from_file(path, &ge);
    if (!pb) {
        int rc = sd_errf(err, SD_EINVAL, "%s: cannot read this %s image (%s)",
                         path, what, ge ? ge->message : "unknown error");
        if (ge)
            g_error_free(ge);
        return rc;
    }
    /* A photo's EXIF orientation, as a viewer would show it. */
    GdkPixbuf *up = gdk_pixbuf_apply_embedded_orientation(pb);
    g_object_unref(pb);
    if (!up)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    int w = gdk_pixbuf_get_width(up), h = gdk_pixbuf_get_height(up);
    int rc;
    if (gdk_pixbuf_get_colorspace(up) != GDK_COLORSPACE_RGB ||
        gdk_pixbuf_get_bits_per_sample(up) != 8) {
        rc = sd_errf(err, SD_EINVAL, "%s: an image in a colour format the "
                     "reader does not take", path);
    } else {
        unsigned char *grey = grey_of_rgb(gdk_pixbuf_read_pixels(up), w, h,
                                          gdk_pixbuf_get_rowstride(up),
                                          gdk_pixbuf_get_n_channels(up));
        rc = grey ? scan_grey(path, grey, w, h, out, cap, err)
                  : sd_errf(err, SD_ENOMEM, "out of memory");
    }
    g_object_unref(up);
    return rc;
}

/* An SVG card through librsvg, drawn at CARD_SVG_READ_PX wide on white. */
#define CARD_SVG_READ_PX 2022 /* twice the PNG card: crisp modules */
static int read_svg(const char *path, char *out, size_t cap, sd_err *err)
{
    GError *ge = NULL;
    RsvgHandle *h = rsvg_handle_new_from_file(path, &ge);
    if (!h) {
        int rc = sd_errf(err, SD_EINVAL, "%s: cannot read this SVG (%s)", path,
                         ge ? ge->message : "unknown error");
        if (ge)
            g_error_free(ge);
        return rc;
    }
    rsvg_handle_set_dpi(h, CARD_DPI);
    double sw = 0, sh = 0;
    if (!rsvg_handle_get_intrinsic_size_in_pixels(h, &sw, &sh) || sw < 1 || sh < 1) {
        sw = CARD_WIDTH_PX;
        sh = CARD_HEIGHT_PX;
    }
    int w = CARD_SVG_READ_PX;
    int ht = (int)lround(CARD_SVG_READ_PX * sh / sw);
    if (ht < 1 || ht > 4 * CARD_SVG_READ_PX) {
        g_object_unref(h);
        return sd_errf(err, SD_EINVAL, "%s: an SVG of unlikely shape for a card "
                       "(%.0f x %.0f)", path, sw, sh);
    }
    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, ht);
    cairo_t *cr = cairo_create(sf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    RsvgRectangle vp = { 0, 0, w, ht };
    gboolean ok = rsvg_handle_render_document(h, cr, &vp, &ge);
    cairo_destroy(cr);
    g_object_unref(h);
    if (!ok) {
        int rc = sd_errf(err, SD_EINVAL, "%s: cannot draw this SVG (%s)", path,
                         ge ? ge->message : "unknown error");
        if (ge)
            g_error_free(ge);
        cairo_surface_destroy(sf);
        return rc;
    }
    cairo_surface_flush(sf);
    /* RGB24 is one native-endian 32-bit word per pixel: take its bytes
     * as B, G, R (little-endian) by reading words. */
    unsigned char *grey = malloc((size_t)w * (size_t)ht);
    if (!grey) {
        cairo_surface_destroy(sf);
        return sd_errf(err, SD_ENOMEM, "out of memory");
    }
    const unsigned char *px = cairo_image_surface_get_data(sf);
    int stride = cairo_image_surface_get_stride(sf);
    for (int y = 0; y < ht; y++) {
        const uint32_t *row = (const uint32_t *)(px + (size_t)y * (size_t)stride);
        for (int x = 0; x < w; x++) {
            uint32_t p = row[x];
            unsigned rr = (p >> 16) & 0xff, gg = (p >> 8) & 0xff, bb = p & 0xff;
            grey[(size_t)y * (size_t)w + (size_t)x] =
                (unsigned char)((rr * 299 + gg * 587 + bb * 114) / 1000);
        }
    }
    cairo_surface_destroy(sf);
    return scan_grey(path, grey, w, ht, out, cap, err);
}

int card_qr_read(const char *path, char *out, size_t cap, sd_err *err)
{
    const char *name;
    int eno;
    int kind = file_kind(path, &name, &eno);
    switch (kind) {
    case -1:
        return sd_errf(err, eno == ENOENT ? SD_ENOTFOUND : SD_EIO, "%s: %s",
                       path, strerror(eno));
    case KIND_PNG:
        return read_raster(path, "PNG", out, cap, err);
    case KIND_JPEG:
        return read_raster(path, "JPEG", out, cap, err);
    case KIND_SVG:
        return read_svg(path, out, cap, err);
    case KIND_OTHER_IMAGE:
        return sd_errf(err, SD_EINVAL, "%s: not an image the reader takes (%s); "
                       "give a PNG, JPEG or SVG card", path, name);
    default:
        return sd_errf(err, SD_EINVAL, "%s: not an image%s%s%s; give a PNG, JPEG "
                       "or SVG card", path, name ? " (" : "", name ? name : "",
                       name ? ")" : "");
    }
}
