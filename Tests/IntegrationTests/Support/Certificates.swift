import Foundation

/// Test PKI made with the openssl CLI: a CA, server certificates (valid,
/// expired, not yet valid, for the wrong name, from an unknown CA), a
/// client certificate, and an encrypted key.
struct TestPKI {
    let dir: URL
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// One PKI per test run: key generation is the slow part.
    static let shared = Task { () throws -> TestPKI in
        let pki = TestPKI(dir: Paths.tempDirectory("pki"))
        try await pki.build(serverName: "sip.tls.test", extraNames: ["primary.cluster.test", "secondary.cluster.test"])
        return pki
    }

    static func make(serverName: String) async throws -> TestPKI {
        precondition(serverName == "sip.tls.test")
        return try await shared.value
    }

    private func openssl(_ args: [String]) async throws {
        let (status, out) = try await runCommand("/usr/bin/openssl", args)
        guard status == 0 else { throw KamailioError(reason: "openssl \(args.joined(separator: " ")) failed:\n\(out)") }
    }

    private func makeCA(_ name: String) async throws {
        try await openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("\(name).key"), "-out", path("\(name).crt"),
                           "-days", "30", "-subj", "/CN=\(name)", "-addext", "basicConstraints=critical,CA:TRUE",
                           "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        let caDir = dir.appendingPathComponent("\(name)-db")
        try FileManager.default.createDirectory(at: caDir, withIntermediateDirectories: true)
        try "".write(to: caDir.appendingPathComponent("index.txt"), atomically: true, encoding: .utf8)
        try "1000\n".write(to: caDir.appendingPathComponent("serial"), atomically: true, encoding: .utf8)
        try """
        [ ca ]
        default_ca = local
        [ local ]
        database = \(caDir.path)/index.txt
        new_certs_dir = \(caDir.path)
        serial = \(caDir.path)/serial
        default_md = sha256
        policy = any
        copy_extensions = copy
        unique_subject = no
        [ any ]
        commonName = supplied

        """.write(to: caDir.appendingPathComponent("ca.cnf"), atomically: true, encoding: .utf8)
    }

    /// A leaf certificate signed by `ca`, valid between the two dates (YYYYMMDDHHMMSSZ).
    private func leaf(_ name: String, cn: String, san: String, ca: String, start: String, end: String, client: Bool = false) async throws {
        try await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("\(name).key"), "-out", path("\(name).csr"),
                           "-subj", "/CN=\(cn)", "-addext", "subjectAltName=\(san)",
                           "-addext", "extendedKeyUsage=\(client ? "clientAuth" : "serverAuth")"])
        try await openssl(["ca", "-batch", "-notext", "-config", dir.appendingPathComponent("\(ca)-db/ca.cnf").path,
                           "-cert", path("\(ca).crt"), "-keyfile", path("\(ca).key"), "-in", path("\(name).csr"),
                           "-out", path("\(name).crt"), "-startdate", start, "-enddate", end])
    }

    private func build(serverName: String, extraNames: [String]) async throws {
        try await makeCA("ca")
        try await makeCA("rogue-ca")
        let now = Date()
        func stamp(_ d: Date) -> String {
            let f = DateFormatter()
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = "yyyyMMddHHmmss'Z'"
            return f.string(from: d)
        }
        let past = stamp(now.addingTimeInterval(-86_400)), future = stamp(now.addingTimeInterval(30 * 86_400))
        try await leaf("server", cn: serverName, san: ([serverName] + extraNames).map { "DNS:\($0)" }.joined(separator: ","), ca: "ca", start: past, end: future)
        try await leaf("expired", cn: serverName, san: "DNS:\(serverName)", ca: "ca",
                       start: stamp(now.addingTimeInterval(-10 * 86_400)), end: stamp(now.addingTimeInterval(-5 * 86_400)))
        try await leaf("notyet", cn: serverName, san: "DNS:\(serverName)", ca: "ca",
                       start: stamp(now.addingTimeInterval(5 * 86_400)), end: stamp(now.addingTimeInterval(10 * 86_400)))
        try await leaf("wronghost", cn: "other.example.net", san: "DNS:other.example.net", ca: "ca", start: past, end: future)
        try await leaf("rogue", cn: serverName, san: "DNS:\(serverName)", ca: "rogue-ca", start: past, end: future)
        try await leaf("client", cn: "agent-7001", san: "DNS:agent-7001.example.test", ca: "ca", start: past, end: future, client: true)
        try await openssl(["pkey", "-in", path("client.key"), "-aes256", "-passout", "pass:secret", "-out", path("client-encrypted.key")])
    }
}
