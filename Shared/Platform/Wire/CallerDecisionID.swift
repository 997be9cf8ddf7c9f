// What a decision id a caller chooses may be (DecideRequest.decision_id; Personalizer's eventIds
// through the gateway): checked by the decision service, and by the gateway before it uses one.
public enum CallerDecisionID {
    /// Room for an outcome's event id built from it (the feedback service takes ids of up to 128 bytes).
    public static let maxLength = 64
    /// The decision service's own ids start so: a caller's never collides with them.
    public static let servicePrefix = "d-"

    /// 1-64 of A-Za-z0-9-_.: (it travels in URLs and in the log), not starting with the service's prefix.
    public static func validate(_ id: String) throws(ServiceError) {
        guard (1...maxLength).contains(id.utf8.count), id.utf8.allSatisfy(allowed) else {
            throw ServiceError(.invalidArgument, "a decision id (eventId) is 1-\(maxLength) of A-Za-z0-9-_.: (not \(String(id.prefix(80)).debugDescription))")
        }
        guard !id.hasPrefix(servicePrefix) else {
            throw ServiceError(.invalidArgument, "a decision id (eventId) may not start with \(servicePrefix.debugDescription): the service's own ids do")
        }
    }

    static func allowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"): true
        default: false
        }
    }
}
