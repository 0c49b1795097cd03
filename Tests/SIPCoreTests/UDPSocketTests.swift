import Dispatch
import Foundation
import Testing
@testable import SIPCore

/// The UDP socket against the kernel's ICMP error reporting, on loopback.
@Suite struct UDPSocketTests {
    /// A plain socket bound to 127.0.0.1 on a kernel-chosen port.
    func boundSocket() throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let any = try #require(SocketAddress(ip: "127.0.0.1", port: 0))
        #expect(any.withSockAddr { bind(fd, $0, $1) } == 0)
        return (fd, try #require(SocketOps.localAddress(fd)).port)
    }

    /// With IP_RECVERR an ICMP port-unreachable leaves an error pending on the
    /// socket, which the next sendto returns — to any destination. Both BC
    /// sites share the socket: the dead site's error must not fail (or
    /// swallow) a datagram to the live one.
    @Test func anICMPErrorForOneDestinationDoesNotFailTheNextSendToAnother() throws {
        let udp = try UDPSocket(bind: try #require(SocketAddress(ip: "127.0.0.1", port: 0)), queue: DispatchQueue(label: "udp-test"))
        defer { udp.shutdown() }
        let dead = try boundSocket()
        close(dead.fd) // nothing listens on that port any more
        let live = try boundSocket()
        defer { close(live.fd) }

        #expect(udp.send(Array("to the dead".utf8), to: try #require(SocketAddress(ip: "127.0.0.1", port: dead.port))) == nil)
        // The port-unreachable arrives: the socket reports an error pending.
        var pfd = pollfd(fd: udp.fd, events: 0, revents: 0)
        #expect(poll(&pfd, 1, 2000) == 1 && pfd.revents & Int16(POLLERR) != 0, "no ICMP error came back")

        let failure = udp.send(Array("to the living".utf8), to: try #require(SocketAddress(ip: "127.0.0.1", port: live.port)))
        #expect(failure == nil, "\(failure?.reason ?? "")")
        var rfd = pollfd(fd: live.fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&rfd, 1, 2000) == 1)
        var buf = [UInt8](repeating: 0, count: 64)
        let n = recv(live.fd, &buf, buf.count, Int32(MSG_DONTWAIT))
        #expect(n > 0 && String(decoding: buf[0..<max(n, 0)], as: UTF8.self) == "to the living")
    }

    /// An error that is this datagram's own still comes back (not retried away).
    @Test func aSendThatCannotGoOutIsReported() throws {
        let udp = try UDPSocket(bind: try #require(SocketAddress(ip: "127.0.0.1", port: 0)), queue: DispatchQueue(label: "udp-test"))
        defer { udp.shutdown() }
        // A socket bound to loopback cannot reach a non-loopback address.
        let failure = udp.send([0x41], to: try #require(SocketAddress(ip: "192.0.2.1", port: 5060)))
        #expect(failure != nil)
    }
}
