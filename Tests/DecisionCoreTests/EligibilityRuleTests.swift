import DecisionCore
import Testing
import Wire

struct EligibilityRuleTests {
    static let now: Int64 = 1_790_000_000_000

    static func input(segment: String = "gold", churn: Double = 0.7, clv: Double = 3_000, holdings: [String] = ["credit_card"],
                      channel: String = "atm", attributes: [String: String] = [:], context: [String: String] = [:],
                      lastContactDaysAgo: Int64? = nil, known: Bool = true) -> RuleInput {
        let view = CustomerView.with {
            $0.customerID = known ? "c1" : ""
            $0.segment = segment
            $0.churnRisk = churn
            $0.clv = clv
            $0.holdings = holdings
            $0.attributes = attributes
            $0.anonymous = !known
            if let days = lastContactDaysAgo { $0.lastContactUnixMs = now - days * 86_400_000 }
        }
        return RuleInput(view: view, channel: channel, context: context, hour: 14, now: now)
    }

    static func admits(_ rule: String, _ input: RuleInput = input()) throws -> Bool {
        try EligibilityRule(rule).admits(input)
    }

    @Test func theIssueExampleAdmitsExactlyTheRightCustomers() throws {
        let rule = try EligibilityRule(#"segment in ["gold", "platinum"] and churn_risk >= 0.6 and not holds("mortgage")"#)
        #expect(rule.admits(Self.input()))
        #expect(!rule.admits(Self.input(segment: "silver")))
        #expect(!rule.admits(Self.input(churn: 0.59)))
        #expect(!rule.admits(Self.input(holdings: ["mortgage"])))
        #expect(rule.admits(Self.input(segment: "platinum", churn: 0.6)))
    }

    @Test(arguments: [
        ("clv > 2999", true), ("clv > 3000", false), ("clv >= 3000", true), ("clv < 3000", false), ("clv <= 3000", true),
        ("clv == 3000", true), ("clv != 3000", false), ("segment == 'gold'", true), ("segment != 'gold'", false),
        ("channel in ['atm', 'kiosk']", true), ("channel not in ['atm', 'kiosk']", false), ("'credit_card' in holdings", true),
        ("'mortgage' not in holdings", true), ("holds('credit_card')", true), ("not holds('credit_card')", false),
        ("clv * 0.1 + 1 > 300", true), ("clv / 2 - 1 < 1500", true), ("-clv < 0", true), ("hour in [13, 14, 15]", true),
        ("true or false", true), ("true and false", false), ("not (churn_risk > 0.5 or clv > 1)", false),
        ("known and not anonymous", true), ("known == true", true),
        ("attribute('city') == 'Leeds'", true), ("context('page') == 'cards'", true), ("attribute('missing') == ''", true),
        ("days_since_last_contact > 6", true), ("days_since_last_contact > 8", false), ("days_since_last_response > 10000", true),
    ])
    func eachOperator(rule: String, expected: Bool) throws {
        let input = Self.input(attributes: ["city": "Leeds"], context: ["page": "cards"], lastContactDaysAgo: 7)
        #expect(try Self.admits(rule, input) == expected, "\(rule)")
    }

    @Test func unknownNumbersAdmitNoOne() throws {
        let visitor = Self.input(churn: .nan, clv: .nan)
        #expect(try !Self.admits("churn_risk >= 0.6", visitor))
        #expect(try !Self.admits("churn_risk < 0.6", visitor))
        #expect(try !Self.admits("churn_risk != 0.6", visitor))
        #expect(try Self.admits("not (churn_risk >= 0.6)", visitor))  // the rule's author asked for it explicitly
    }

    @Test(arguments: [
        ("segmnt == 'gold'", 0, "unknown name 'segmnt' (did you mean 'segment'?)"),
        ("segment == 'gold' and churn_risk", 22, "'and' needs true/false values, found a number"),
        ("segment > 'gold'", 8, "strings compare with == and != only, not '>'"),
        ("clv == 'high'", 4, "cannot compare a number with a string using '=='"),
        ("segment in ['gold', 3]", 11, "a list mixes strings and numbers"),
        ("holdz('x')", 0, "unknown function 'holdz' (did you mean 'holds'?); functions: holds, attribute, context"),
        ("holds(mortgage)", 6, "holds(…) takes one string, e.g. holds(\"mortgage\")"),
        ("clv > 1 )", 8, "unexpected ')' after a complete rule"),
        ("(clv > 1", 8, "expected ')', found the end of the rule"),
        ("segment == 'gold", 11, "unclosed string"),
        ("clv # 2", 4, "unexpected character '#'"),
        ("clv", 0, "a rule must be true or false, not a number"),
        ("", 0, "empty rule"),
        ("segment in holdings and clv", 24, "'and' needs true/false values, found a number"),
        ("clv in holdings", 4, "'in' needs a string and a list of strings (or a number and a list of numbers), found a number and a list of strings"),
    ])
    func badRulesAreRejectedWithTheirPosition(rule: String, offset: Int, message: String) {
        #expect(throws: RuleError(offset: offset, message: message)) { try EligibilityRule(rule) }
    }
}
