import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// A file descriptor and the Dispatch read source that serves it: the
/// source is resumed once, and the fd is closed by its cancel handler (or
/// directly when the source never started), exactly once.
///
/// `@unchecked Sendable` boundary: used only on the queue it is started on.
public final class ReadSource: @unchecked Sendable {
    public let fd: Int32
    private var source: DispatchSource?
    private var closed = false

    public init(fd: Int32) { self.fd = fd }

    public func start(queue: DispatchQueue, handler: @escaping () -> Void) {
        let s = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue) as! DispatchSource
        let fd = self.fd
        s.setEventHandler(handler: handler)
        s.setCancelHandler { close(fd) }
        source = s
        s.resume()
    }

    public func shutdown() {
        guard !closed else { return }
        closed = true
        if let source {
            source.cancel()
            self.source = nil
        } else {
            close(fd)
        }
    }

    deinit { shutdown() }
}
