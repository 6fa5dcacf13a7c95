/*
 * card_labels.c — the card's labels in each state's language. See
 * card_labels.h.
 *
 * A state is listed by the code (or codes) chapters are given for it;
 * any other code, and every Hindi-speaking state, falls back to Hindi.
 */
#include "card_labels.h"

#include <string.h>

enum { L_HI, L_MR, L_GU, L_BN, L_AS, L_TA, L_TE, L_KN, L_ML, L_OR, L_PA };

static const card_labels LANGS[] = {
    [L_HI] = { "hi", "Noto Sans Devanagari", "सदस्यता पत्र", "सदस्य संख्या",
               "राज्य", "सदस्यता तिथि" },
    [L_MR] = { "mr", "Noto Sans Devanagari", "सदस्यत्व पत्र", "सदस्य क्रमांक",
               "राज्य", "सदस्यत्व दिनांक" },
    [L_GU] = { "gu", "Noto Sans Gujarati", "સભ્યપદ કાર્ડ", "સભ્ય નંબર", "રાજ્ય",
               "જોડાયાની તારીખ" },
    [L_BN] = { "bn", "Noto Sans Bengali", "সদস্যপদ কার্ড", "সদস্য নম্বর", "রাজ্য",
               "যোগদানের তারিখ" },
    [L_AS] = { "as", "Noto Sans Bengali", "সদস্যপদ কাৰ্ড", "সদস্য নম্বৰ", "ৰাজ্য",
               "যোগদানৰ তাৰিখ" },
    [L_TA] = { "ta", "Noto Sans Tamil", "உறுப்பினர் அட்டை", "உறுப்பினர் எண்",
               "மாநிலம்", "சேர்ந்த நாள்" },
    [L_TE] = { "te", "Noto Sans Telugu", "సభ్యత్వ కార్డు", "సభ్యత్వ సంఖ్య",
               "రాష్ట్రం", "చేరిన తేదీ" },
    [L_KN] = { "kn", "Noto Sans Kannada", "ಸದಸ್ಯತ್ವ ಕಾರ್ಡ್", "ಸದಸ್ಯತ್ವ ಸಂಖ್ಯೆ",
               "ರಾಜ್ಯ", "ಸೇರಿದ ದಿನಾಂಕ" },
    [L_ML] = { "ml", "Noto Sans Malayalam", "അംഗത്വ കാർഡ്", "അംഗത്വ നമ്പർ",
               "സംസ്ഥാനം", "ചേർന്ന തീയതി" },
    [L_OR] = { "or", "Noto Sans Oriya", "ସଦସ୍ୟତା ପତ୍ର", "ସଦସ୍ୟ ସଂଖ୍ୟା", "ରାଜ୍ୟ",
               "ଯୋଗଦାନ ତାରିଖ" },
    [L_PA] = { "pa", "Noto Sans Gurmukhi", "ਮੈਂਬਰਸ਼ਿਪ ਕਾਰਡ", "ਮੈਂਬਰ ਨੰਬਰ", "ਰਾਜ",
               "ਸ਼ਾਮਲ ਹੋਣ ਦੀ ਮਿਤੀ" },
};

/* States whose language is not Hindi; Puducherry and Lakshadweep print
 * the language most of their members read. */
static const struct {
    char code[3];
    int lang;
} STATES[] = {
    { "MH", L_MR }, { "GJ", L_GU }, { "WB", L_BN }, { "TR", L_BN },
    { "AS", L_AS }, { "TN", L_TA }, { "PY", L_TA }, { "TS", L_TE },
    { "TG", L_TE }, { "AP", L_TE }, { "KA", L_KN }, { "KL", L_ML },
    { "LD", L_ML }, { "OD", L_OR }, { "OR", L_OR }, { "PB", L_PA },
};

const card_labels *card_labels_for(const char *state)
{
    if (state)
        for (size_t i = 0; i < sizeof STATES / sizeof STATES[0]; i++)
            if (!strcmp(state, STATES[i].code))
                return &LANGS[STATES[i].lang];
    return &LANGS[L_HI];
}

const card_labels *card_labels_nth(int n)
{
    if (n < 0 || (size_t)n >= sizeof LANGS / sizeof LANGS[0])
        return NULL;
    return &LANGS[n];
}
