#ifndef CSIP_SRTP_H
#define CSIP_SRTP_H
/* libsrtp2 (libsrtp2-dev). Function forms of what Swift cannot call
 * directly; every name is prefixed csip_. */
#include <srtp2/srtp.h>
#include <string.h>

/* Suites as sipendpointd numbers them (SDESCrypto.Suite order). */
enum { CSIP_SRTP_AES_CM_128_SHA1_80 = 0, CSIP_SRTP_AES_CM_128_SHA1_32 = 1,
       CSIP_SRTP_AEAD_AES_128_GCM = 2, CSIP_SRTP_AEAD_AES_256_GCM = 3 };

/* Creates a session for one direction: `inbound` accepts any SSRC from the
 * peer, outbound protects ours. `key` is master key || master salt. Returns
 * srtp_err_status_ok (0) or the libsrtp error. */
static inline int csip_srtp_create(srtp_t *session, int suite, const unsigned char *key, int inbound, unsigned long window) {
    srtp_policy_t p;
    memset(&p, 0, sizeof(p));
    switch (suite) {
    case CSIP_SRTP_AES_CM_128_SHA1_80:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
        break;
    case CSIP_SRTP_AES_CM_128_SHA1_32:
        /* RFC 4568 §6.2.2: the _32 tag applies to SRTP; SRTCP keeps 80 bits. */
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
        break;
    case CSIP_SRTP_AEAD_AES_128_GCM:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
        break;
    case CSIP_SRTP_AEAD_AES_256_GCM:
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
        break;
    default:
        return srtp_err_status_bad_param;
    }
    p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    p.key = (unsigned char *)key;
    p.window_size = window;
    p.allow_repeat_tx = 1;
    p.next = NULL;
    return srtp_create(session, &p);
}

#endif
