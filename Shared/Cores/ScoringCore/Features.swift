// The features the propensity models see: named, binary, hashed. A request's customer view and
// context become a list of names ("ch=atm", "seg=gold", "ch=atm×churn=high", …); each name is
// hashed once per request (FNV-1a, 64 bits) and indexes the same slot in every offer's weights.
// Numbers are bucketed, never used raw, so a NaN or an absurd value lands in a bucket of its own
// ("clv=unknown") instead of in the weights. Which customer attributes become features and which
// groups are crossed is the catalog's FeaturePlan (the standard plan when it names none).
import Wire

/// What the scoring model knows about a customer and the moment of the request.
public struct CustomerFeatures: Sendable, Equatable {
    public var channel: String
    public var segment: String = ""
    public var clv: Double = .nan
    public var churnRisk: Double = .nan
    public var holdings: [String] = []
    /// Whole days since the customer was last contacted with an offer / last responded; nil: never.
    public var daysSinceContact: Double?
    public var daysSinceResponse: Double?
    /// Local hour of the request, 0–23; nil when unknown.
    public var hour: Int?
    /// Free categorical context from the touchpoint ("page" → "mortgages", "call_reason" → "fees").
    public var context: [String: String] = [:]
    /// Customer attributes (as loaded: text), of which the plan's become features.
    public var attributes: [String: String] = [:]

    public init(channel: String) {
        self.channel = channel
    }
}

/// The hashed feature vector of one request: distinct names with their hashes.
public struct FeatureVector: Sendable, Equatable {
    public let names: [String]
    public let hashes: [UInt64]

    /// Keeps the first of equal names. A request has tens of names: comparing hashes first, in a
    /// plain scan, costs less than a Set of strings.
    public init(names: [String]) {
        var distinct: [String] = [], hashes: [UInt64] = []
        distinct.reserveCapacity(names.count)
        hashes.reserveCapacity(names.count)
        for name in names {
            let hash = Self.hash(name)
            if hashes.indices.contains(where: { hashes[$0] == hash && distinct[$0] == name }) { continue }
            distinct.append(name)
            hashes.append(hash)
        }
        self.names = distinct
        self.hashes = hashes
    }

    /// FNV-1a over the UTF-8 bytes: stable across processes, platforms and releases.
    public static func hash(_ name: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}

public enum FeatureBuilder {
    /// The intercept every example carries: its weight is the offer's base propensity (in logits).
    public static let bias = "bias"
    /// At most this many context entries, holdings and names per cross become features; names are cut to 64 bytes.
    public static let maxListed = 32
    static let maxNameBytes = 64

    public static func features(_ customer: CustomerFeatures, plan: FeaturePlan = .standard) -> FeatureVector {
        let channel = "ch=" + clean(customer.channel)
        let segment = "seg=" + (customer.segment.isEmpty ? "none" : clean(customer.segment))
        let churn = "churn=" + churnBucket(customer.churnRisk)
        let clv = "clv=" + clvBucket(customer.clv)
        let time = "tod=" + timeOfDay(customer.hour)
        let contact = "contact=" + recency(customer.daysSinceContact)
        let response = "response=" + recency(customer.daysSinceResponse)
        let holdings = customer.holdings.sorted().prefix(maxListed).map { "holds=" + clean($0) }
        let context = customer.context.sorted(by: { $0.key < $1.key }).prefix(maxListed).map { (key: clean($0.key), name: "ctx:" + clean($0.key) + "=" + clean($0.value)) }
        let attributes = plan.attributes.map { attribute in
            (attribute.name, "attr:" + attribute.name + "=" + attributeBucket(customer.attributes[attribute.name], bounds: attribute.bounds))
        }
        func group(_ name: String) -> [String] {
            switch name {
            case "channel": [channel]
            case "segment": [segment]
            case "churn": [churn]
            case "clv": [clv]
            case "time": [time]
            case "contact": [contact]
            case "response": [response]
            case "holdings": holdings
            case "context": context.map(\.name)
            case _ where name.hasPrefix("context."): context.filter { "context." + $0.key == name }.map(\.name)
            default: attributes.filter { $0.0 == name }.map(\.1)
            }
        }
        var names = [bias, channel, segment, churn, clv, time, contact, response]
        names.append(contentsOf: attributes.map(\.1))
        for cross in plan.crosses {
            let lefts = group(cross.left), rights = group(cross.right)
            var crossed = 0
            for a in lefts {
                for b in rights where crossed < maxListed {
                    names.append(a + "×" + b)
                    crossed += 1
                }
            }
        }
        names.append(contentsOf: holdings)
        names.append(contentsOf: context.map(\.name))
        return FeatureVector(names: names)
    }

    /// An attribute's bucket: categorical, its cleaned value; numeric, the bucket between bounds
    /// ("lt0.2", "0.2-0.4", "ge0.8"). Unset or not a number: "unknown".
    static func attributeBucket(_ value: String?, bounds: [Double]) -> String {
        guard let value, !value.isEmpty else { return "unknown" }
        guard !bounds.isEmpty else { return clean(value) }
        guard let number = Double(value), number.isFinite else { return "unknown" }
        guard let above = bounds.firstIndex(where: { number < $0 }) else { return "ge" + text(bounds[bounds.count - 1]) }
        return above == 0 ? "lt" + text(bounds[0]) : text(bounds[above - 1]) + "-" + text(bounds[above])
    }

    static func text(_ bound: Double) -> String { bound == bound.rounded() && abs(bound) < 1e15 ? String(Int(bound)) : String(bound) }

    /// Churn risk in five bands; anything not a probability is "unknown".
    static func churnBucket(_ risk: Double) -> String {
        guard risk.isFinite, risk >= 0, risk <= 1 else { return "unknown" }
        switch risk {
        case ..<0.2: return "very_low"
        case ..<0.4: return "low"
        case ..<0.6: return "medium"
        case ..<0.8: return "high"
        default: return "very_high"
        }
    }

    /// Lifetime value on a log scale: 0, <100, <1,000, <10,000, more.
    static func clvBucket(_ clv: Double) -> String {
        guard clv.isFinite, clv >= 0 else { return "unknown" }
        switch clv {
        case ..<1: return "0"
        case ..<100: return "lt100"
        case ..<1_000: return "lt1k"
        case ..<10_000: return "lt10k"
        default: return "10k_plus"
        }
    }

    static func timeOfDay(_ hour: Int?) -> String {
        guard let hour, (0..<24).contains(hour) else { return "unknown" }
        switch hour {
        case 0..<6: return "night"
        case 6..<12: return "morning"
        case 12..<18: return "afternoon"
        default: return "evening"
        }
    }

    static func recency(_ days: Double?) -> String {
        guard let days else { return "never" }
        guard days.isFinite, days >= 0 else { return "unknown" }
        switch days {
        case ..<1: return "today"
        case ..<7: return "week"
        case ..<30: return "month"
        case ..<180: return "half_year"
        default: return "older"
        }
    }

    /// Lower-case, no separators of our own, bounded length: a hostile value cannot forge a cross.
    static func clean(_ value: String) -> String {
        // Most values are already clean (lower-case ASCII letters, digits, "_", "-", "."): as they are.
        if FeaturePlan.isPlainName(value[...]) { return value }
        var out = ""
        for scalar in value.lowercased().unicodeScalars where out.utf8.count < maxNameBytes {
            switch scalar {
            case "=", "×", ":": out.append("_")
            case _ where scalar.properties.isWhitespace || scalar.value < 0x20: out.append("_")
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out.isEmpty ? "none" : out
    }
}
