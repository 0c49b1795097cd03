import Testing
@testable import SIPCore

@Suite struct DigestTests {
    // RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256.
    let rfc7616 = (user: "Mufasa", password: "Circle of Life", realm: "http-auth@example.org",
                   nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                   cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", uri: "/dir/index.html")

    @Test func rfc7616MD5() {
        let c = DigestChallenge(realm: rfc7616.realm, nonce: rfc7616.nonce, algorithm: .md5, qopOptions: ["auth"])
        let r = DigestCredentials(username: rfc7616.user, password: rfc7616.password)
            .response(challenge: c, method: "GET", uri: rfc7616.uri, cnonce: rfc7616.cnonce, nonceCount: 1, qop: "auth")
        #expect(r == "8ca523f5e9506fed4657c9700eebdbec")
    }

    @Test func rfc7616SHA256() {
        let c = DigestChallenge(realm: rfc7616.realm, nonce: rfc7616.nonce, algorithm: .sha256, qopOptions: ["auth"])
        let r = DigestCredentials(username: rfc7616.user, password: rfc7616.password)
            .response(challenge: c, method: "GET", uri: rfc7616.uri, cnonce: rfc7616.cnonce, nonceCount: 1, qop: "auth")
        #expect(r == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")
    }

    // RFC 2617 §3.5, the classic MD5 qop=auth example.
    @Test func rfc2617Example() {
        let c = DigestChallenge(realm: "testrealm@host.com", nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", algorithm: .md5, qopOptions: ["auth"])
        let r = DigestCredentials(username: "Mufasa", password: "Circle Of Life")
            .response(challenge: c, method: "GET", uri: "/dir/index.html", cnonce: "0a4f113b", nonceCount: 1, qop: "auth")
        #expect(r == "6629fae49393a05397450978507c4ef1")
    }

    @Test func sessionVariantHashesNonceAndCnonceIntoHA1() {
        let plain = DigestChallenge(realm: "r", nonce: "n", algorithm: .md5, qopOptions: ["auth"])
        let sess = DigestChallenge(realm: "r", nonce: "n", algorithm: .md5Sess, qopOptions: ["auth"])
        let creds = DigestCredentials(username: "u", password: "p")
        let a = creds.response(challenge: plain, method: "REGISTER", uri: "sip:r", cnonce: "c", nonceCount: 1, qop: "auth")
        let b = creds.response(challenge: sess, method: "REGISTER", uri: "sip:r", cnonce: "c", nonceCount: 1, qop: "auth")
        // MD5-sess: HA1 = MD5(MD5(u:r:p):n:c), computed independently here.
        let ha1 = DigestAlgorithm.md5.hexHash(DigestAlgorithm.md5.hexHash("u:r:p") + ":n:c")
        let ha2 = DigestAlgorithm.md5.hexHash("REGISTER:sip:r")
        #expect(b == DigestAlgorithm.md5.hexHash("\(ha1):n:00000001:c:auth:\(ha2)"))
        #expect(a != b)
    }

    @Test func parsesChallengesAndPrefersSHA256() throws {
        let md5 = #"Digest realm="example.com", nonce="abc", qop="auth,auth-int", opaque="xyz", stale=TRUE"#
        let sha = #"Digest realm="example.com", nonce="def", algorithm=SHA-256, qop="auth""#
        let c = try #require(DigestChallenge(parsing: md5))
        #expect(c.realm == "example.com")
        #expect(c.qopOptions == ["auth", "auth-int"])
        #expect(c.stale)
        #expect(c.opaque == "xyz")
        #expect(DigestChallenge.best(in: [md5, sha])?.algorithm == .sha256)
        #expect(DigestChallenge(parsing: "Basic realm=\"x\"") == nil)
        #expect(DigestChallenge(parsing: #"Digest realm="x", nonce="y", algorithm=SHA-512-256"#) == nil)
        #expect(DigestChallenge(parsing: #"Digest realm="x""#) == nil)
        #expect(DigestChallenge(parsing: #"Digest realm="unterminated, nonce="y""#) == nil)
    }

    @Test func authorizationHeaderAndRedaction() {
        let c = DigestChallenge(realm: "r", nonce: "n", opaque: "o", algorithm: .sha256, qopOptions: ["auth"])
        let creds = DigestCredentials(username: "7001", password: "s3cret-pw")
        let h = creds.authorization(challenge: c, method: "REGISTER", uri: "sip:r", cnonce: "cn", nonceCount: 2)
        #expect(h.hasPrefix("Digest username=\"7001\""))
        #expect(h.contains("nc=00000002"))
        #expect(h.contains("qop=auth"))
        #expect(h.contains("opaque=\"o\""))
        #expect(h.contains("algorithm=SHA-256"))
        #expect(!h.contains("s3cret-pw"))
        #expect(!"\(creds)".contains("s3cret-pw"))
        // Without qop: RFC 2069 form, no cnonce/nc.
        let legacy = creds.authorization(challenge: DigestChallenge(realm: "r", nonce: "n"), method: "REGISTER", uri: "sip:r", cnonce: "cn", nonceCount: 1)
        #expect(!legacy.contains("nc="))
    }
}
