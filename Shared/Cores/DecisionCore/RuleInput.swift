// What an eligibility rule can see: the customer view and the request, as typed variables.
// The names and types are fixed here, so a catalog's rules are type-checked when it loads.
import Foundation
import Wire

public enum RuleType: String, Sendable, CustomStringConvertible {
    case number, string, bool, stringList = "list of strings"

    public var description: String { rawValue }
}

/// The values of one decision request, read by compiled rules.
public struct RuleInput: Sendable {
    public var numbers: [Double]
    public var strings: [String]
    public var bools: [Bool]
    /// A customer holds a handful of products: a linear scan beats hashing every lookup.
    public var holdings: [String]
    public var attributes: [String: String]
    public var context: [String: String]

    /// Builds the input from a customer view and the request; `now` in Unix milliseconds.
    public init(view: CustomerView, channel: String, context: [String: String], hour: Int?, now: Int64) {
        let source = RuleVariables.Source(view: view, channel: channel, hour: hour, now: now)
        numbers = RuleVariables.numbers.map { $0.value(source) }
        strings = RuleVariables.strings.map { $0.value(source) }
        bools = RuleVariables.bools.map { $0.value(source) }
        holdings = view.holdings
        attributes = view.attributes
        self.context = context
    }
}

/// The variables rules may name, by type: each with how its value is read, in the order of its
/// slot in `RuleInput`.
public enum RuleVariables {
    struct Source {
        let view: CustomerView
        let channel: String
        let hour: Int?
        let now: Int64

        /// Days since a moment; +∞ when it never happened.
        func days(_ ms: Int64) -> Double { ms > 0 ? Double(now - ms) / 86_400_000 : .infinity }
    }

    static let numbers: [(name: String, value: @Sendable (Source) -> Double)] = [
        ("clv", { $0.view.clv }),
        ("churn_risk", { $0.view.churnRisk }),
        ("p_alive", { $0.view.pAlive }),
        ("expected_purchases", { $0.view.expectedPurchases }),
        ("transactions", { Double($0.view.transactions) }),
        ("total_spend", { $0.view.totalSpend }),
        ("days_since_last_transaction", { $0.days($0.view.lastTransactionUnixMs) }),
        ("days_since_last_contact", { $0.days($0.view.lastContactUnixMs) }),
        ("days_since_last_response", { $0.days($0.view.lastResponseUnixMs) }),
        ("hour", { $0.hour.map(Double.init) ?? .nan }),
    ]
    static let strings: [(name: String, value: @Sendable (Source) -> String)] = [
        ("segment", { $0.view.segment }), ("channel", { $0.channel }), ("customer_id", { $0.view.customerID }),
    ]
    static let bools: [(name: String, value: @Sendable (Source) -> Bool)] = [
        ("anonymous", { $0.view.anonymous }), ("known", { !$0.view.customerID.isEmpty }),
    ]

    /// Every name a rule may use: variables, `holdings`, and the functions.
    public static var all: [(name: String, type: RuleType)] {
        numbers.map { ($0.name, .number) } + strings.map { ($0.name, .string) } + bools.map { ($0.name, .bool) }
            + [("holdings", .stringList)]
    }

    public static let functions = ["holds", "attribute", "context"]
}
