#ifndef CSIP_SPEEXDSP_H
#define CSIP_SPEEXDSP_H
/* libspeexdsp (libspeexdsp-dev): the sample-rate converter between the
 * codec's rate and the rate the audio device really runs at. */
#include <speex/speex_resampler.h>

/* The library's own quality step for VoIP (a macro): a short filter, so
 * little delay, with the stop-band a speech codec needs. */
static inline int csip_speex_resampler_quality_voip(void) { return SPEEX_RESAMPLER_QUALITY_VOIP; }

#endif
