// Eligibility rules: small boolean expressions over the customer view and the request,
//   segment in ["gold", "platinum"] and churn_risk >= 0.6 and not holds("mortgage")
// parsed and type-checked once when the catalog loads, compiled to closures, evaluated per
// request without re-parsing. A comparison with an unknown number (NaN, e.g. no churn risk for
// an anonymous visitor) is false, so a rule never admits a customer on missing data.
//
//   expr  := or;  or := and ("or" and)*;  and := not ("and" not)*;  not := "not" not | cmp
//   cmp   := sum [("=="|"!="|"<"|"<="|">"|">=") sum | ["not"] "in" sum]
//   sum   := term (("+"|"-") term)*;  term := unary (("*"|"/") unary)*;  unary := "-" unary | atom
//   atom  := NUMBER | STRING | true | false | NAME | NAME "(" STRING ")" | "[" literals "]" | "(" expr ")"

/// A rule error, at a character offset (0-based) of the rule's text.
public struct RuleError: Error, Sendable, Equatable, CustomStringConvertible {
    public let offset: Int
    public let message: String

    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String { "column \(offset + 1): \(message)" }
}

public struct EligibilityRule: Sendable {
    public let text: String
    private let evaluate: @Sendable (RuleInput) -> Bool

    public init(_ text: String) throws(RuleError) {
        var parser = RuleParser(text)
        let node = try parser.parseRule()
        guard case .bool(let body) = try RuleCompiler.compile(node) else {
            throw RuleError(offset: node.offset, message: "a rule must be true or false, not a \(try RuleCompiler.compile(node).type)")
        }
        self.text = text
        self.evaluate = body
    }

    public func admits(_ input: RuleInput) -> Bool { evaluate(input) }
}

// MARK: - Tokens

struct RuleToken: Equatable {
    enum Kind: Equatable { case number(Double), string(String), name(String), symbol(String), end }
    let kind: Kind
    let offset: Int
}

struct RuleLexer {
    static let symbols = ["==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", ","]

    static func tokens(_ text: String) throws(RuleError) -> [RuleToken] {
        let chars = Array(text)
        var tokens: [RuleToken] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace { i += 1; continue }
            let start = i
            if c.isNumber || (c == "." && i + 1 < chars.count && chars[i + 1].isNumber) {
                while i < chars.count, chars[i].isNumber || chars[i] == "." { i += 1 }
                guard let value = Double(String(chars[start..<i])) else {
                    throw RuleError(offset: start, message: "'\(String(chars[start..<i]))' is not a number")
                }
                tokens.append(RuleToken(kind: .number(value), offset: start))
            } else if c == "\"" || c == "'" {
                i += 1
                var value = ""
                while i < chars.count, chars[i] != c {
                    if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                    value.append(chars[i])
                    i += 1
                }
                guard i < chars.count else { throw RuleError(offset: start, message: "unclosed string") }
                i += 1
                tokens.append(RuleToken(kind: .string(value), offset: start))
            } else if c.isLetter || c == "_" {
                while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" || chars[i] == "." { i += 1 }
                tokens.append(RuleToken(kind: .name(String(chars[start..<i])), offset: start))
            } else if let symbol = symbols.first(where: { symbol in
                symbol.count <= chars.count - i && String(chars[i..<i + symbol.count]) == symbol
            }) {
                i += symbol.count
                tokens.append(RuleToken(kind: .symbol(symbol), offset: start))
            } else {
                throw RuleError(offset: start, message: "unexpected character '\(c)'")
            }
        }
        tokens.append(RuleToken(kind: .end, offset: chars.count))
        return tokens
    }
}

// MARK: - Syntax

indirect enum RuleNode {
    case number(Double, Int)
    case string(String, Int)
    case bool(Bool, Int)
    case variable(String, Int)
    case call(String, String, Int)
    case list([RuleNode], Int)
    case not(RuleNode, Int)
    case negate(RuleNode, Int)
    case binary(String, RuleNode, RuleNode, Int)
    case membership(RuleNode, RuleNode, negated: Bool, Int)

    var offset: Int {
        switch self {
        case .number(_, let o), .string(_, let o), .bool(_, let o), .variable(_, let o), .call(_, _, let o), .list(_, let o),
             .not(_, let o), .negate(_, let o), .binary(_, _, _, let o), .membership(_, _, _, let o): o
        }
    }
}

struct RuleParser {
    let tokens: [RuleToken]
    var position = 0
    let lexError: RuleError?

    init(_ text: String) {
        do {
            tokens = try RuleLexer.tokens(text)
            lexError = nil
        } catch {
            tokens = []
            lexError = error
        }
    }

    var current: RuleToken { tokens[position] }

    mutating func parseRule() throws(RuleError) -> RuleNode {
        if let lexError { throw lexError }
        guard current.kind != .end else { throw RuleError(offset: 0, message: "empty rule") }
        let node = try parseOr()
        guard current.kind == .end else { throw RuleError(offset: current.offset, message: "unexpected \(describe(current)) after a complete rule") }
        return node
    }

    mutating func accept(_ name: String) -> Bool {
        if current.kind == .name(name) || current.kind == .symbol(name) {
            position += 1
            return true
        }
        return false
    }

    mutating func expect(_ symbol: String) throws(RuleError) {
        guard accept(symbol) else { throw RuleError(offset: current.offset, message: "expected '\(symbol)', found \(describe(current))") }
    }

    func describe(_ token: RuleToken) -> String {
        switch token.kind {
        case .number(let n): "number \(n)"
        case .string(let s): "string \"\(s)\""
        case .name(let n): "'\(n)'"
        case .symbol(let s): "'\(s)'"
        case .end: "the end of the rule"
        }
    }

    mutating func parseOr() throws(RuleError) -> RuleNode {
        var node = try parseAnd()
        while case let offset = current.offset, accept("or") { node = .binary("or", node, try parseAnd(), offset) }
        return node
    }

    mutating func parseAnd() throws(RuleError) -> RuleNode {
        var node = try parseNot()
        while case let offset = current.offset, accept("and") { node = .binary("and", node, try parseNot(), offset) }
        return node
    }

    mutating func parseNot() throws(RuleError) -> RuleNode {
        let offset = current.offset
        if accept("not") { return .not(try parseNot(), offset) }
        return try parseComparison()
    }

    mutating func parseComparison() throws(RuleError) -> RuleNode {
        let left = try parseSum()
        let offset = current.offset
        for op in ["==", "!=", "<=", ">=", "<", ">"] where accept(op) {
            return .binary(op, left, try parseSum(), offset)
        }
        if accept("in") { return .membership(left, try parseSum(), negated: false, offset) }
        if current.kind == .name("not"), tokens[position + 1].kind == .name("in") {
            position += 2
            return .membership(left, try parseSum(), negated: true, offset)
        }
        return left
    }

    mutating func parseSum() throws(RuleError) -> RuleNode {
        var node = try parseTerm()
        while true {
            let offset = current.offset
            if accept("+") { node = .binary("+", node, try parseTerm(), offset) }
            else if accept("-") { node = .binary("-", node, try parseTerm(), offset) }
            else { return node }
        }
    }

    mutating func parseTerm() throws(RuleError) -> RuleNode {
        var node = try parseUnary()
        while true {
            let offset = current.offset
            if accept("*") { node = .binary("*", node, try parseUnary(), offset) }
            else if accept("/") { node = .binary("/", node, try parseUnary(), offset) }
            else { return node }
        }
    }

    mutating func parseUnary() throws(RuleError) -> RuleNode {
        let offset = current.offset
        if accept("-") { return .negate(try parseUnary(), offset) }
        return try parseAtom()
    }

    mutating func parseAtom() throws(RuleError) -> RuleNode {
        let token = current
        switch token.kind {
        case .number(let value):
            position += 1
            return .number(value, token.offset)
        case .string(let value):
            position += 1
            return .string(value, token.offset)
        case .name("true"), .name("false"):
            position += 1
            return .bool(token.kind == .name("true"), token.offset)
        case .name(let name) where !["and", "or", "not", "in"].contains(name):
            position += 1
            guard accept("(") else { return .variable(name, token.offset) }
            guard case .string(let argument) = current.kind else {
                throw RuleError(offset: current.offset, message: "\(name)(…) takes one string, e.g. \(name)(\"mortgage\")")
            }
            position += 1
            try expect(")")
            return .call(name, argument, token.offset)
        case .symbol("["):
            position += 1
            var items: [RuleNode] = []
            if !accept("]") {
                repeat { items.append(try parseUnary()) } while accept(",")
                try expect("]")
            }
            return .list(items, token.offset)
        case .symbol("("):
            position += 1
            let node = try parseOr()
            try expect(")")
            return node
        default:
            throw RuleError(offset: token.offset, message: "expected a value, found \(describe(token))")
        }
    }
}
