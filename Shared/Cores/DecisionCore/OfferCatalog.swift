// The offer catalog: what may be offered, to whom, on which channel, and how it looks there.
// Written in YAML by the business (examples/catalog/retail-bank.yaml), validated as a whole
// when it loads: every problem is reported as "file:line:column: what is wrong", and a catalog
// with any problem is rejected (the running one stays). Rules are compiled at load time.
import Wire

/// The channels' presentation of an offer, with the limits of their screens.
public struct Treatment: Sendable, Equatable {
    /// The ATM screen text, the kiosk or web headline, or the call-center script.
    public var text: String
    /// Other fields: a kiosk or web body, image and link.
    public var fields: [String: String]
    /// Call center: what the agent can say.
    public var talkingPoints: [String]

    /// Per channel: the field that carries `text`, its limit, and the other fields allowed (with limits).
    static let layout: [String: (main: String, limit: Int, others: [String: Int])] = [
        "atm": ("text", 80, [:]),
        "kiosk": ("headline", 60, ["body": 240, "image": 200]),
        "web": ("headline", 80, ["body": 400, "image": 200, "link": 200]),
        "call_center": ("script", 1_000, [:]),
    ]
}

/// An offer of the catalog; immutable once loaded (a class, so the strategy passes references,
/// not copies of its strings and tables).
public final class Offer: Sendable {
    public let id: String
    public let name: String
    public let category: String
    /// Margin or expected revenue of an acceptance, in currency units.
    public let value: Double
    /// Days since 1970-01-01, inclusive; nil: open.
    public let validFrom: Int?
    public let validTo: Int?
    /// Business levers by name (`priority` always among them, default 1): terms of the arbitration formula.
    public let levers: [String: Double]
    /// The propensity to assume before anything is learned; 0: the scoring service's default.
    public let priorPropensity: Double
    public let channels: [String]
    public let treatments: [String: Treatment]
    public let eligibility: EligibilityRule?
    /// Percent of customers held out of this offer (never shown it), to measure its own lift.
    public let holdoutPercent: Double

    init(id: String, name: String, category: String, value: Double, validFrom: Int?, validTo: Int?, levers: [String: Double],
         priorPropensity: Double, channels: [String], treatments: [String: Treatment], eligibility: EligibilityRule?, holdoutPercent: Double) {
        self.id = id
        self.name = name
        self.category = category
        self.value = value
        self.validFrom = validFrom
        self.validTo = validTo
        self.levers = levers
        self.priorPropensity = priorPropensity
        self.channels = channels
        self.treatments = treatments
        self.eligibility = eligibility
        self.holdoutPercent = holdoutPercent
    }

    public func isValid(onDay day: Int) -> Bool {
        (validFrom.map { day >= $0 } ?? true) && (validTo.map { day <= $0 } ?? true)
    }
}

/// A catalog problem, where it is.
public struct CatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let column: Int
    public let message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// Every problem of a rejected catalog, in file order.
public struct CatalogErrors: Error, Sendable, CustomStringConvertible {
    public let errors: [CatalogError]

    public init(errors: [CatalogError]) { self.errors = errors }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

public struct ContactPolicy: Sendable, Equatable {
    /// Offers shown per customer per day on each channel (absent: no cap).
    public var perChannelPerDay: [String: Int] = [:]
    /// Offers shown per customer per 7 days, all channels together (nil: no cap).
    public var allChannelsPerWeek: Int?
    /// Days an offer is not shown again, on any channel, after the customer declined it.
    public var suppressDaysAfterDecline = 30
    /// Days no offer of the same category is shown after the customer accepted one.
    public var cooldownDaysAfterAccept = 90

    public init() {}
}

/// One strategy of a champion/challenger test: its share of the customers outside the control
/// group, and how it ranks and explores (each defaults to the catalog's own).
public struct Strategy: Sendable {
    public let name: String
    /// Percent of the customers; the catalog's strategies' shares sum to 100.
    public let share: Double
    public let priorityFormula: PriorityFormula
    public let exploration: Exploration
    /// The offers it may show (catalog ids); nil: every offer.
    public let offers: Set<String>?

    public init(name: String, share: Double, priorityFormula: PriorityFormula, exploration: Exploration, offers: Set<String>? = nil) {
        self.name = name
        self.share = share
        self.priorityFormula = priorityFormula
        self.exploration = exploration
        self.offers = offers
    }
}

public struct OfferCatalog: Sendable {
    public let version: String
    public let offers: [Offer]
    /// Percent of customers in the global control group (they get the channel's default offer, or none).
    public let controlPercent: Double
    public let controlSalt: String
    public let contactPolicy: ContactPolicy
    /// The offer a channel shows when nothing else qualifies (and to the control group); none if absent.
    public let defaultOffers: [String: String]
    /// Who counts as high-value and at risk: they get offers of `retentionCategory` first.
    public let retentionRule: EligibilityRule?
    public let retentionCategory: String
    /// Priority = this formula of named terms (propensity, value and the offers' levers).
    public let priorityFormula: PriorityFormula
    /// How the strategy explores among the ranked offers.
    public let exploration: Exploration
    /// The model's features: which customer attributes, which crosses (nil: the standard plan).
    public let features: FeaturePlan?
    /// Champion and challengers, customers split among them by a hash like the control group's;
    /// without a `strategies` section, one unnamed strategy: the catalog's formula and exploration.
    public let strategies: [Strategy]

    /// Offers by id, built once when the catalog loads.
    let byID: [String: Offer]

    init(version: String, offers: [Offer], controlPercent: Double, controlSalt: String, contactPolicy: ContactPolicy,
         defaultOffers: [String: String], retentionRule: EligibilityRule?, retentionCategory: String, priorityFormula: PriorityFormula,
         exploration: Exploration = .standard, features: FeaturePlan? = nil, strategies: [Strategy] = []) {
        self.version = version
        self.offers = offers
        self.controlPercent = controlPercent
        self.controlSalt = controlSalt
        self.contactPolicy = contactPolicy
        self.defaultOffers = defaultOffers
        self.retentionRule = retentionRule
        self.retentionCategory = retentionCategory
        self.priorityFormula = priorityFormula
        self.exploration = exploration
        self.features = features
        self.strategies = strategies.isEmpty ? [Strategy(name: "", share: 100, priorityFormula: priorityFormula, exploration: exploration)] : strategies
        byID = Dictionary(offers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func offer(_ id: String) -> Offer? { byID[id] }
}
