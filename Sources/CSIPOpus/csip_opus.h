#ifndef CSIP_OPUS_H
#define CSIP_OPUS_H
/* libopus (libopus-dev). opus_encoder_ctl is variadic and its requests are
 * macros: these csip_ functions are the forms Swift can call. */
#include <opus/opus.h>

static inline int csip_opus_set_bitrate(OpusEncoder *e, opus_int32 v) { return opus_encoder_ctl(e, OPUS_SET_BITRATE(v)); }
static inline int csip_opus_set_inband_fec(OpusEncoder *e, opus_int32 v) { return opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(v)); }
static inline int csip_opus_set_packet_loss_perc(OpusEncoder *e, opus_int32 v) { return opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(v)); }
static inline int csip_opus_set_dtx(OpusEncoder *e, opus_int32 v) { return opus_encoder_ctl(e, OPUS_SET_DTX(v)); }
static inline int csip_opus_set_signal_voice(OpusEncoder *e) { return opus_encoder_ctl(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)); }
static inline int csip_opus_set_complexity(OpusEncoder *e, opus_int32 v) { return opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(v)); }
/* maxplaybackrate → the widest band worth encoding. */
static inline int csip_opus_set_max_bandwidth_for_rate(OpusEncoder *e, opus_int32 rate) {
    opus_int32 bw = rate <= 8000 ? OPUS_BANDWIDTH_NARROWBAND : rate <= 12000 ? OPUS_BANDWIDTH_MEDIUMBAND
                  : rate <= 16000 ? OPUS_BANDWIDTH_WIDEBAND : rate <= 24000 ? OPUS_BANDWIDTH_SUPERWIDEBAND : OPUS_BANDWIDTH_FULLBAND;
    return opus_encoder_ctl(e, OPUS_SET_MAX_BANDWIDTH(bw));
}
static inline int csip_opus_application_voip(void) { return OPUS_APPLICATION_VOIP; }
static inline int csip_opus_application_restricted_lowdelay(void) { return OPUS_APPLICATION_RESTRICTED_LOWDELAY; }
static inline int csip_opus_ok(void) { return OPUS_OK; }
static inline int csip_opus_reset(OpusEncoder *e) { return opus_encoder_ctl(e, OPUS_RESET_STATE); }

#endif
