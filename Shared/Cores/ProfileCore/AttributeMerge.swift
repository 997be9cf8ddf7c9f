// The rule for attributes when two customers merge: per attribute, the most recently
// updated value wins (a tie goes to the survivor); every losing value is kept in the merge
// record, so nothing a customer told us is silently lost.

public struct AttributeValue: Sendable, Equatable {
    public var value: String
    public var updatedUnixMs: Int64

    public init(_ value: String, updatedUnixMs: Int64) {
        self.value = value
        self.updatedUnixMs = updatedUnixMs
    }
}

public enum AttributeMerge {
    public struct Outcome: Sendable, Equatable {
        /// Values of the merged customer that the survivor takes over.
        public var adopted: [String: AttributeValue]
        /// Values that lost, by attribute, with which side they came from.
        public var overruled: [String: String]
    }

    public static func resolve(survivor: [String: AttributeValue], merged: [String: AttributeValue]) -> Outcome {
        var outcome = Outcome(adopted: [:], overruled: [:])
        for (name, theirs) in merged {
            guard let ours = survivor[name] else {
                outcome.adopted[name] = theirs
                continue
            }
            if ours.value == theirs.value { continue }
            if theirs.updatedUnixMs > ours.updatedUnixMs {
                outcome.adopted[name] = theirs
                outcome.overruled[name] = "survivor: \(ours.value)"
            } else {
                outcome.overruled[name] = "merged: \(theirs.value)"
            }
        }
        return outcome
    }
}
