// SIPCore's API speaks in NetSupport's types (SocketAddress, RandomSource,
// TransportError): its users get them with `import SIPCore`.
@_exported import NetSupport

extension RandomSource {
    /// A branch with the RFC 3261 magic cookie.
    public func branch() -> String { SIPVia.magicCookie + "." + hex(10) }
}
