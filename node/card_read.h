/*
 * card_read.h — a card's QR code read back from a file: a PNG, a phone's
 * JPEG photo, or the SVG card (card_read.c). Linked with the card
 * library (sadasya_card), as drawing is.
 */
#ifndef SADASYA_CARD_READ_H
#define SADASYA_CARD_READ_H

#include <stddef.h>

#include "err.h"

/* Reads the QR code in a PNG, JPEG or SVG file (told apart by its first
 * bytes, not its name). out receives the text of the first QR symbol that
 * holds a card payload (else of the first QR symbol) with a NUL.
 * SD_ENOTFOUND when the file is missing or holds no QR code, SD_EINVAL
 * when it is not one of those (the message says what it seems to be: "not
 * an image (a PDF?)"), cannot be decoded, or its text does not fit in cap. */
int card_qr_read(const char *path, char *out, size_t cap, sd_err *err);

#endif
