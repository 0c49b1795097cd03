extension SIPHeaders {
    /// The records of the header fields, in order: a growable buffer with
    /// copy-on-write, as `[Entry]` would be, plus ``appendUnique(_:)``, the
    /// parser's append.
    ///
    /// An array checks that its buffer is not shared (a runtime call) and
    /// has room on every append; the parser appends every field of every
    /// message to a buffer it has just made and not yet handed out, so
    /// that check was a fifth of the work per header line.
    ///
    /// Sendable as an array is: a value is changed only once its buffer
    /// is its own (copy-on-write), so no buffer is written while shared.
    struct Records: RandomAccessCollection, @unchecked Sendable {
        /// The capacity is kept here: `ManagedBuffer.capacity` asks the
        /// allocator (a call) on Linux, and every append compares with it.
        struct Header {
            var count: Int
            var capacity: Int
        }

        // `Entry` is plain integers, so the buffer needs no deinit to
        // destroy its elements.
        private typealias Buffer = ManagedBuffer<Header, Entry>
        /// Never nil-able: binding an optional class reference out of a
        /// borrowed value retains it, once per pass over the records.
        private var buffer: Buffer

        init() {
            buffer = Self.allocate(0)
        }

        /// Empty, with room for `capacity` records.
        init(capacity: Int) {
            buffer = Self.allocate(capacity)
        }

        private static func allocate(_ capacity: Int) -> Buffer {
            Buffer.create(minimumCapacity: capacity) { b in Header(count: 0, capacity: b.capacity) }
        }

        var startIndex: Int { 0 }
        var endIndex: Int { Self.count(buffer) }

        // The header is read through its pointer: the `header` property of
        // a class instance is checked for exclusive access at run time on
        // every read.
        @inline(__always)
        private static func count(_ b: Buffer) -> Int { b.withUnsafeMutablePointerToHeader { $0.pointee.count } }
        @inline(__always)
        private static func capacity(_ b: Buffer) -> Int { b.withUnsafeMutablePointerToHeader { $0.pointee.capacity } }

        subscript(i: Int) -> Entry {
            get {
                precondition(i >= 0 && i < endIndex, "header record \(i) of \(endIndex)")
                return buffer.withUnsafeMutablePointerToElements { $0[i] }
            }
            set {
                precondition(i >= 0 && i < endIndex, "header record \(i) of \(endIndex)")
                makeUnique(capacity: endIndex)
                buffer.withUnsafeMutablePointerToElements { $0[i] = newValue }
            }
        }

        /// Runs `body` with the records in place.
        func withUnsafeBufferPointer<R, E: Error>(_ body: (UnsafeBufferPointer<Entry>) throws(E) -> R) throws(E) -> R {
            try buffer.withUnsafeMutablePointers { (h, e) throws(E) in try body(UnsafeBufferPointer(start: e, count: h.pointee.count)) }
        }

        mutating func append(_ e: Entry) {
            makeUnique(capacity: endIndex + 1)
            store(e)
        }

        /// The parser's append, to records it made (``init(capacity:)``)
        /// and has not copied: no check that the buffer is not shared.
        /// Debug builds (the tests) check it all the same.
        @inline(__always)
        mutating func appendUnique(_ e: Entry) {
            assert(isKnownUniquelyReferenced(&buffer), "the parser's header records are shared")
            let full = buffer.withUnsafeMutablePointers { h, p in
                guard h.pointee.count < h.pointee.capacity else { return true }
                (p + h.pointee.count).initialize(to: e)
                h.pointee.count &+= 1
                return false
            }
            if full { append(e) }
        }

        mutating func insert(_ e: Entry, at i: Int) {
            precondition(i >= 0 && i <= endIndex, "insert at \(i) of \(endIndex) header records")
            makeUnique(capacity: endIndex + 1)
            buffer.withUnsafeMutablePointers { h, p in
                (p + i + 1).moveInitialize(from: p + i, count: h.pointee.count - i)
                (p + i).initialize(to: e)
                h.pointee.count += 1
            }
        }

        mutating func removeAll(where drop: (Entry) -> Bool) {
            guard contains(where: drop) else { return }
            makeUnique(capacity: endIndex)
            buffer.withUnsafeMutablePointers { h, p in
                var kept = 0
                for i in 0..<h.pointee.count where !drop(p[i]) {
                    p[kept] = p[i]
                    kept += 1
                }
                h.pointee.count = kept
            }
        }

        /// Appends to a buffer already made unique with room.
        private mutating func store(_ e: Entry) {
            buffer.withUnsafeMutablePointers { h, p in
                (p + h.pointee.count).initialize(to: e)
                h.pointee.count += 1
            }
        }

        /// Makes the buffer this value's own, with room for `capacity`
        /// records (doubling, as an array grows).
        private mutating func makeUnique(capacity: Int) {
            if isKnownUniquelyReferenced(&buffer), Self.capacity(buffer) >= capacity { return }
            let count = endIndex
            let fresh = Self.allocate(Swift.max(capacity, 2 * Self.capacity(buffer), 4))
            fresh.withUnsafeMutablePointers { h, p in
                buffer.withUnsafeMutablePointerToElements { p.initialize(from: $0, count: count) }
                h.pointee.count = count
            }
            buffer = fresh
        }
    }
}
