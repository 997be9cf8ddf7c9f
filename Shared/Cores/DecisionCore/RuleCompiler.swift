// Type-checks a parsed rule against the known variables and compiles it to closures.
import Foundation

enum CompiledRule {
    case number(@Sendable (RuleInput) -> Double)
    case string(@Sendable (RuleInput) -> String)
    case bool(@Sendable (RuleInput) -> Bool)
    case stringList(@Sendable (RuleInput) -> [String])
    /// A literal list: its strings or its numbers.
    case strings(Set<String>)
    case numbers(Set<Double>)

    var type: String {
        switch self {
        case .number: "number"
        case .string: "string"
        case .bool: "true/false value"
        case .stringList, .strings: "list of strings"
        case .numbers: "list of numbers"
        }
    }
}

enum RuleCompiler {
    static func compile(_ node: RuleNode) throws(RuleError) -> CompiledRule {
        switch node {
        case .number(let value, _): return .number { _ in value }
        case .string(let value, _): return .string { _ in value }
        case .bool(let value, _): return .bool { _ in value }
        case .variable(let name, let offset): return try variable(name, offset)
        case .call(let name, let argument, let offset): return try call(name, argument, offset)
        case .list(let items, let offset): return try list(items, offset)
        case .not(let operand, let offset):
            let body = try bool(operand, "'not'", offset)
            return .bool { !body($0) }
        case .negate(let operand, let offset):
            let body = try number(operand, "'-'", offset)
            return .number { -body($0) }
        case .binary(let op, let left, let right, let offset): return try binary(op, left, right, offset)
        case .membership(let item, let collection, let negated, let offset):
            let test = try membership(item, collection, offset)
            return negated ? .bool { !test($0) } : .bool(test)
        }
    }

    static func variable(_ name: String, _ offset: Int) throws(RuleError) -> CompiledRule {
        if let index = RuleVariables.numbers.firstIndex(where: { $0.name == name }) { return .number { $0.numbers[index] } }
        if let index = RuleVariables.strings.firstIndex(where: { $0.name == name }) { return .string { $0.strings[index] } }
        if let index = RuleVariables.bools.firstIndex(where: { $0.name == name }) { return .bool { $0.bools[index] } }
        if name == "holdings" { return .stringList { $0.holdings } }
        let known = RuleVariables.all.map(\.name) + RuleVariables.functions
        let hint = closest(to: name, in: known).map { " (did you mean '\($0)'?)" } ?? " (known: \(known.joined(separator: ", ")))"
        throw RuleError(offset: offset, message: "unknown name '\(name)'\(hint)")
    }

    static func call(_ name: String, _ argument: String, _ offset: Int) throws(RuleError) -> CompiledRule {
        switch name {
        case "holds": return .bool { $0.holdings.contains(argument) }
        case "attribute": return .string { $0.attributes[argument] ?? "" }
        case "context": return .string { $0.context[argument] ?? "" }
        default:
            let hint = closest(to: name, in: RuleVariables.functions).map { " (did you mean '\($0)'?)" } ?? ""
            throw RuleError(offset: offset, message: "unknown function '\(name)'\(hint); functions: \(RuleVariables.functions.joined(separator: ", "))")
        }
    }

    static func list(_ items: [RuleNode], _ offset: Int) throws(RuleError) -> CompiledRule {
        var strings: Set<String> = [], numbers: Set<Double> = []
        for item in items {
            switch item {
            case .string(let value, _): strings.insert(value)
            case .number(let value, _): numbers.insert(value)
            case .negate(.number(let value, _), _): numbers.insert(-value)
            default: throw RuleError(offset: item.offset, message: "a list holds literal strings or numbers only")
            }
        }
        guard strings.isEmpty || numbers.isEmpty else { throw RuleError(offset: offset, message: "a list mixes strings and numbers") }
        return numbers.isEmpty ? .strings(strings) : .numbers(numbers)
    }

    static func bool(_ node: RuleNode, _ what: String, _ offset: Int) throws(RuleError) -> @Sendable (RuleInput) -> Bool {
        let compiled = try compile(node)
        guard case .bool(let body) = compiled else {
            throw RuleError(offset: node.offset, message: "\(what) needs true/false values, found a \(compiled.type)")
        }
        return body
    }

    static func number(_ node: RuleNode, _ what: String, _ offset: Int) throws(RuleError) -> @Sendable (RuleInput) -> Double {
        let compiled = try compile(node)
        guard case .number(let body) = compiled else {
            throw RuleError(offset: node.offset, message: "\(what) needs numbers, found a \(compiled.type)")
        }
        return body
    }

    static func binary(_ op: String, _ left: RuleNode, _ right: RuleNode, _ offset: Int) throws(RuleError) -> CompiledRule {
        switch op {
        case "and", "or":
            let a = try bool(left, "'\(op)'", offset), b = try bool(right, "'\(op)'", offset)
            return op == "and" ? .bool { a($0) && b($0) } : .bool { a($0) || b($0) }
        case "+", "-", "*", "/":
            let a = try number(left, "'\(op)'", offset), b = try number(right, "'\(op)'", offset)
            switch op {
            case "+": return .number { a($0) + b($0) }
            case "-": return .number { a($0) - b($0) }
            case "*": return .number { a($0) * b($0) }
            default: return .number { a($0) / b($0) }
            }
        default:
            return .bool(try comparison(op, left, right, offset))
        }
    }

    static func comparison(_ op: String, _ left: RuleNode, _ right: RuleNode, _ offset: Int) throws(RuleError) -> @Sendable (RuleInput) -> Bool {
        let a = try compile(left), b = try compile(right)
        switch (a, b) {
        case (.number(let x), .number(let y)):
            // NaN compares false with everything, != included: unknown data admits no one.
            switch op {
            case "==": return { x($0) == y($0) }
            case "!=": return { let (p, q) = (x($0), y($0)); return !p.isNaN && !q.isNaN && p != q }
            case "<": return { x($0) < y($0) }
            case "<=": return { x($0) <= y($0) }
            case ">": return { x($0) > y($0) }
            default: return { x($0) >= y($0) }
            }
        case (.string(let x), .string(let y)):
            switch op {
            case "==": return { x($0) == y($0) }
            case "!=": return { x($0) != y($0) }
            default: throw RuleError(offset: offset, message: "strings compare with == and != only, not '\(op)'")
            }
        case (.bool(let x), .bool(let y)) where op == "==" || op == "!=":
            if op == "==" { return { x($0) == y($0) } }
            return { x($0) != y($0) }
        default:
            throw RuleError(offset: offset, message: "cannot compare a \(a.type) with a \(b.type) using '\(op)'")
        }
    }

    static func membership(_ item: RuleNode, _ collection: RuleNode, _ offset: Int) throws(RuleError) -> @Sendable (RuleInput) -> Bool {
        let a = try compile(item), b = try compile(collection)
        switch (a, b) {
        case (.string(let x), .strings(let set)):
            // Lists in rules are short: comparing a few strings is cheaper than hashing one.
            if set.count > 16 { return { set.contains(x($0)) } }
            let list = Array(set)
            return { list.contains(x($0)) }
        case (.number(let x), .numbers(let set)): return { set.contains(x($0)) }
        case (.string(let x), .stringList(let list)): return { list($0).contains(x($0)) }
        default:
            throw RuleError(offset: offset, message: "'in' needs a string and a list of strings (or a number and a list of numbers), found a \(a.type) and a \(b.type)")
        }
    }

    /// The known name closest to a misspelt one, if it is close (edit distance ≤ 2).
    static func closest(to name: String, in names: [String]) -> String? {
        names.map { ($0, editDistance(name, $0)) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }
}
