/// How this endpoint names itself on a flow: the Contact URI and the Via
/// sent-by of requests toward a destination. One place for the
/// registration and the dialogs, so a call's Contact and Via name the same
/// address, port and transport as the binding the registrar holds.
extension SIPTransportLayer {
    /// Our Contact toward `remote` over `kind`: the address the kernel uses
    /// toward it and our port; `sips:` and `;transport=` for TLS/TCP.
    public func contact(user: String?, toward remote: SocketAddress, kind: SIPTransportKind) -> SIPURI {
        let local = advertisedAddress(toward: remote)
        var uri = SIPURI(scheme: kind == .tls ? .sips : .sip, user: user, host: local.ip, port: local.port)
        if kind == .tcp { uri.parameters.set("transport", "tcp") }
        if kind == .tls { uri.parameters.set("transport", "tls") }
        return uri
    }

    /// Fills in `request`'s top Via (built with a placeholder sent-by) for
    /// the flow to `destination`: its transport token, our address toward
    /// it and our port; the Via's parameters (branch, rport) are kept.
    public func stampVia(_ request: inout SIPMessage, toward destination: TransportDestination) {
        guard let first = request.headers[.via], let via = try? SIPVia(parsing: first) else { return }
        let local = advertisedAddress(toward: destination.address)
        let v = SIPVia(transport: destination.kind.viaToken, host: local.ip, port: local.port, parameters: via.parameters)
        request.headers.replaceFirst(.via, with: v.description)
    }
}
