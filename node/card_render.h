/*
 * card_render.h — the picture of a membership card (proto/README.md), and
 * reading a card's QR code back from a PNG, a JPEG (a phone's photo) or an
 * SVG card.
 *
 * A card is CR80 size (85.60 × 53.98 mm) at 300 dpi: 1011 × 638 pixels as
 * PNG, or the same at its physical size as SVG. Text is laid out by Pango
 * over Cairo (HarfBuzz shaping: Devanagari conjuncts, matras and reph as a
 * reader expects) in Noto fonts; the labels are in the state's language
 * with English beside them (card_labels.h); the organisation's and the
 * state's names are set whole, smaller or on a second line, never cut
 * with an ellipsis; the QR code (libqrencode, ECC level M,
 * four-module quiet zone) holds the card's signed payload (card.h).
 * Reading decodes PNG and JPEG with gdk-pixbuf and draws SVG with librsvg,
 * then hands the picture, made grey, to libzbar.
 *
 * The module knows nothing of stores or keys: it takes the strings to
 * print. A renderer owns its own font map, so threads may each use one.
 */
#ifndef SADASYA_CARD_RENDER_H
#define SADASYA_CARD_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CARD_WIDTH_PX 1011
#define CARD_HEIGHT_PX 638
#define CARD_DPI 300.0
/* The member's name in its own script, as the card sets it at its largest
 * (a long name is set smaller, down to CARD_NAME_PT_MIN). Scripts that
 * these fonts lack fall back through fontconfig to another Noto font. */
#define CARD_NAME_FAMILIES "Noto Sans Devanagari, Noto Sans"
#define CARD_NAME_PT 15
#define CARD_NAME_PT_MIN 9
#define CARD_NAME_FONT "Noto Sans Devanagari, Noto Sans Bold 15"

enum { CARD_FORMAT_PNG = 1, CARD_FORMAT_SVG = 2 };

/* What a card prints. Every string is UTF-8; name_en and org may be "". */
typedef struct card_face {
    const char *org;        /* the organisation (national office) */
    const char *chapter;    /* the chapter's name, e.g. "बिहार" */
    const char *state;      /* "BR" */
    const char *name;       /* in the member's own script */
    const char *name_en;
    const char *number;
    uint32_t joined_day;
    const char *payload;    /* the QR code's text */
} card_face;

typedef struct card_renderer card_renderer;

/* A renderer with its fonts loaded. SD_ENOTFOUND, naming the Debian
 * package, when the Noto fonts are not installed. */
int card_renderer_new(card_renderer **out, sd_err *err);
void card_renderer_destroy(card_renderer **r);

/* CARD_FORMAT_PNG or _SVG from path's extension (any case); 0 if neither. */
int card_format_of(const char *path);

/* Renders f into path (PNG or SVG by its extension). The file is written
 * under a temporary name and renamed into place, mode 0600 (a card carries
 * a member's name). SD_EINVAL for a bad payload or extension, SD_EIO. */
int card_render(card_renderer *r, const card_face *f, const char *path,
                sd_err *err);

/* Renders only text, as the card sets the name (CARD_NAME_FONT at
 * CARD_DPI, black on white, no margin), into a PNG: for comparing the
 * card's shaping with other renderers (tests/tools/card_name.c). */
int card_render_name(card_renderer *r, const char *text, const char *path,
                     sd_err *err);

#endif
