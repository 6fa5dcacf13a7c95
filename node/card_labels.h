/*
 * card_labels.h — the words a membership card prints around the member, in
 * the language of the member's state with English beside them.
 *
 * A card of Tamil Nadu reads "உறுப்பினர் எண் · MEMBERSHIP NO.", one of
 * West Bengal "সদস্য নম্বর · MEMBERSHIP NO."; a state without its own entry
 * (and every Hindi-speaking state) gets Hindi. Each language names the Noto
 * font of its script (all in Debian's fonts-noto-core), which the renderer
 * sets the labels in (node/card_render.c). A table, no state: the web app
 * prints the same words.
 */
#ifndef SADASYA_CARD_LABELS_H
#define SADASYA_CARD_LABELS_H

/* English, printed beside the state's language on every card. */
#define CARD_LABEL_EN_TITLE "MEMBERSHIP CARD"
#define CARD_LABEL_EN_NUMBER "MEMBERSHIP NO."
#define CARD_LABEL_EN_STATE "STATE"
#define CARD_LABEL_EN_JOINED "JOINED"

typedef struct card_labels {
    const char *lang;    /* BCP 47 tag: "ta", "bn", "hi", … */
    const char *family;  /* the Noto family of its script: "Noto Sans Tamil" */
    const char *title;   /* "membership card" */
    const char *number;  /* "membership no." */
    const char *state;   /* "state" */
    const char *joined;  /* "joined on" */
} card_labels;

/* The labels for a state code ("TN", case as stored: upper); Hindi for a
 * code without its own language, NULL or "". Never NULL. */
const card_labels *card_labels_for(const char *state);

/* The n-th language of the table (n from 0), NULL past the last: for
 * checking that every font is installed. */
const card_labels *card_labels_nth(int n);

#endif
