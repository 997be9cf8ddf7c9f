// The arbitration priority: a formula of named terms, e.g. "propensity * value * priority",
// written in the catalog in the rules' syntax (numbers, names, + - * / and parentheses).
// Terms: `propensity` (from scoring), `value` (the offer's), and every lever the catalog's
// offers declare (`priority` and any other; an offer without a lever counts it as 1).

public struct PriorityFormula: Sendable {
    public let text: String
    /// The terms in evaluation order: `propensity`, `value`, then the levers.
    public let terms: [String]
    private let evaluate: @Sendable ([Double]) -> Double

    public static let fixedTerms = ["propensity", "value"]

    public init(_ text: String, levers: Set<String>) throws(RuleError) {
        let terms = Self.fixedTerms + levers.subtracting(Self.fixedTerms).sorted()
        var parser = RuleParser(text)
        self.evaluate = try Self.compile(try parser.parseRule(), terms)
        self.text = text
        self.terms = terms
    }

    /// The priority for these term values (in `terms` order).
    public func priority(_ values: [Double]) -> Double { evaluate(values) }

    static func compile(_ node: RuleNode, _ terms: [String]) throws(RuleError) -> @Sendable ([Double]) -> Double {
        switch node {
        case .number(let value, _):
            return { _ in value }
        case .variable(let name, let offset):
            guard let index = terms.firstIndex(of: name) else {
                let hint = RuleCompiler.closest(to: name, in: terms).map { " (did you mean '\($0)'?)" } ?? ""
                throw RuleError(offset: offset, message: "unknown term '\(name)'\(hint); terms: \(terms.joined(separator: ", "))")
            }
            return { $0[index] }
        case .negate(let operand, _):
            let body = try compile(operand, terms)
            return { -body($0) }
        case .binary(let op, let left, let right, _) where ["+", "-", "*", "/"].contains(op):
            let a = try compile(left, terms), b = try compile(right, terms)
            switch op {
            case "+": return { a($0) + b($0) }
            case "-": return { a($0) - b($0) }
            case "*": return { a($0) * b($0) }
            default: return { a($0) / b($0) }
            }
        default:
            throw RuleError(offset: node.offset, message: "a priority formula is arithmetic on terms (+ - * / and numbers)")
        }
    }
}
