/*
 * clock.h — the two clocks sadasyad uses: monotonic milliseconds for
 * timeouts and back-off (never jumps), wall-clock milliseconds for what
 * is shown to people (last contact) and written in entries.
 */
#ifndef SADASYA_CLOCK_H
#define SADASYA_CLOCK_H

#include <stdint.h>

int64_t clock_mono_ms(void);
uint64_t clock_wall_ms(void);

#endif
