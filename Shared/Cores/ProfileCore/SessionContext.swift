// The live context of a visit (pages seen, the call's reason, the ATM's language): kept for a
// time-to-live after the last change, then gone.

public struct SessionContext: Sendable, Equatable {
    public var values: [String: String]
    public var expiresUnixMs: Int64

    public static let maxEntries = 64

    public init(values: [String: String] = [:], expiresUnixMs: Int64 = 0) {
        self.values = values
        self.expiresUnixMs = expiresUnixMs
    }

    public func isLive(now: Int64) -> Bool { expiresUnixMs > now }

    /// The context after a change: a stale session starts empty; every change renews the TTL.
    public func updated(set: [String: String], clear: Bool, ttlMs: Int64, now: Int64) throws(ProfileError) -> SessionContext {
        var values = clear || !isLive(now: now) ? [:] : self.values
        for (key, value) in set {
            try AttributeSchema.validateName(key)
            guard value.utf8.count <= AttributeSchema.maxValueBytes else {
                throw .tooLarge("session value '\(key)' is \(value.utf8.count) bytes; the limit is \(AttributeSchema.maxValueBytes)")
            }
            values[key] = value
        }
        guard values.count <= Self.maxEntries else {
            throw .tooLarge("a session holds at most \(Self.maxEntries) entries; this one would hold \(values.count)")
        }
        return SessionContext(values: values, expiresUnixMs: now + ttlMs)
    }
}
