#ifndef CSIP_ALSA_H
#define CSIP_ALSA_H
/* libasound2 (libasound2-dev): PCM devices and device name hints. */
#include <alsa/asoundlib.h>

/* alsa-lib prints its errors on stderr (the journal, under systemd); the
 * engine reports each failure itself with snd_strerror, so they are muted. */
static void csip_alsa_quiet(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}
static inline void csip_alsa_silence_errors(void) { snd_lib_error_set_handler(csip_alsa_quiet); }

static inline int csip_alsa_nonblock(void) { return SND_PCM_NONBLOCK; }
static inline snd_pcm_format_t csip_alsa_s16_le(void) { return SND_PCM_FORMAT_S16_LE; }
static inline snd_pcm_access_t csip_alsa_rw_interleaved(void) { return SND_PCM_ACCESS_RW_INTERLEAVED; }
static inline snd_pcm_stream_t csip_alsa_playback(void) { return SND_PCM_STREAM_PLAYBACK; }
static inline snd_pcm_stream_t csip_alsa_capture(void) { return SND_PCM_STREAM_CAPTURE; }

#endif
