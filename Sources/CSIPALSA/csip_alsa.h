#ifndef CSIP_ALSA_H
#define CSIP_ALSA_H
/* libasound2 (libasound2-dev): PCM devices and device name hints. */
#include <alsa/asoundlib.h>

static inline snd_pcm_format_t csip_alsa_s16_le(void) { return SND_PCM_FORMAT_S16_LE; }
static inline snd_pcm_access_t csip_alsa_rw_interleaved(void) { return SND_PCM_ACCESS_RW_INTERLEAVED; }
static inline snd_pcm_stream_t csip_alsa_playback(void) { return SND_PCM_STREAM_PLAYBACK; }
static inline snd_pcm_stream_t csip_alsa_capture(void) { return SND_PCM_STREAM_CAPTURE; }

#endif
