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
        func days(_ ms: Int64) -> Double { ms > 0 ? Double(now - ms) / 86_400_000 : .infinity }
        var numbers = [Double](repeating: .nan, count: RuleVariables.numberNames.count)
        numbers[RuleVariables.index("clv")] = view.clv
        numbers[RuleVariables.index("churn_risk")] = view.churnRisk
        numbers[RuleVariables.index("p_alive")] = view.pAlive
        numbers[RuleVariables.index("expected_purchases")] = view.expectedPurchases
        numbers[RuleVariables.index("transactions")] = Double(view.transactions)
        numbers[RuleVariables.index("total_spend")] = view.totalSpend
        numbers[RuleVariables.index("days_since_last_transaction")] = days(view.lastTransactionUnixMs)
        numbers[RuleVariables.index("days_since_last_contact")] = days(view.lastContactUnixMs)
        numbers[RuleVariables.index("days_since_last_response")] = days(view.lastResponseUnixMs)
        numbers[RuleVariables.index("hour")] = hour.map(Double.init) ?? .nan
        self.numbers = numbers
        strings = [view.segment, channel, view.customerID]
        bools = [view.anonymous, !view.customerID.isEmpty]
        holdings = view.holdings
        attributes = view.attributes
        self.context = context
    }
}

/// The variables rules may name, by type, and their slots in `RuleInput`.
public enum RuleVariables {
    static let numberNames = [
        "clv", "churn_risk", "p_alive", "expected_purchases", "transactions", "total_spend",
        "days_since_last_transaction", "days_since_last_contact", "days_since_last_response", "hour",
    ]
    static let stringNames = ["segment", "channel", "customer_id"]
    static let boolNames = ["anonymous", "known"]

    static func index(_ number: String) -> Int { numberNames.firstIndex(of: number)! }

    /// Every name a rule may use: variables, `holdings`, and the functions.
    public static var all: [(name: String, type: RuleType)] {
        numberNames.map { ($0, .number) } + stringNames.map { ($0, .string) } + boolNames.map { ($0, .bool) }
            + [("holdings", .stringList)]
    }

    public static let functions = ["holds", "attribute", "context"]
}
