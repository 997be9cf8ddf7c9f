// An identifier a touchpoint has for a customer, checked and put in one canonical form so
// that "+44 20 7946 0958" and "+442079460958" meet the same customer.
import Foundation
import Wire

public enum IdentityKind: String, CaseIterable, Sendable {
    /// OfferLoop's own customer id.
    case customer
    case card, account, phone, login, loyalty
    /// Anonymous until merged: a web cookie or a device id.
    case cookie, device

    /// Kinds that alone leave a customer anonymous.
    public var isAnonymous: Bool { self == .cookie || self == .device }
}

public struct CustomerIdentity: Hashable, Sendable, CustomStringConvertible {
    public let kind: IdentityKind
    public let value: String

    public init(kind: IdentityKind, value: String) throws(ProfileError) {
        self.kind = kind
        self.value = try Self.canonical(kind, value)
    }

    public init(_ identity: Identity) throws(ProfileError) {
        guard !identity.kind.isEmpty else {
            throw .invalidArgument("identity has no kind (one of: \(IdentityKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let kind = IdentityKind(rawValue: identity.kind) else {
            throw .invalidArgument("unknown identity kind '\(identity.kind.prefix(40))' (one of: \(IdentityKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        try self.init(kind: kind, value: identity.value)
    }

    public var wire: Identity { Identity.with { $0.kind = kind.rawValue; $0.value = value } }

    /// Kind and a masked value: safe for logs and error messages (no full card numbers).
    public var description: String {
        switch kind {
        case .card, .account, .phone: "\(kind.rawValue) …\(value.suffix(4))"
        default: "\(kind.rawValue) \(value)"
        }
    }

    static func canonical(_ kind: IdentityKind, _ raw: String) throws(ProfileError) -> String {
        let value = raw.trimmingCharacters(in: .whitespaces)
        func invalid(_ why: String) -> ProfileError { .invalidArgument("invalid \(kind.rawValue) identity: \(why)") }
        guard !value.isEmpty else { throw invalid("empty value") }
        guard value.utf8.count <= 256 else { throw invalid("longer than 256 bytes") }
        switch kind {
        case .card:
            let digits = value.filter { $0 != " " && $0 != "-" }
            guard digits.allSatisfy({ $0.isASCIIDigit }), (12...19).contains(digits.count) else {
                throw invalid("a card number has 12 to 19 digits (spaces and dashes allowed)")
            }
            guard luhnValid(digits) else { throw invalid("card number fails the Luhn check") }
            return digits
        case .phone:
            let kept = value.filter { !" -().".contains($0) }
            let digits = kept.hasPrefix("+") ? kept.dropFirst() : Substring(kept)
            guard kept.hasPrefix("+"), digits.allSatisfy({ $0.isASCIIDigit }), (7...15).contains(digits.count) else {
                throw invalid("a phone number is international: '+' and 7 to 15 digits, e.g. +442079460958")
            }
            return "+" + digits
        case .account, .loyalty:
            let kept = value.filter { $0 != " " }.uppercased()
            guard kept.allSatisfy({ $0.isASCIIDigit || ($0.isASCII && $0.isLetter) || $0 == "-" }), (4...34).contains(kept.count) else {
                throw invalid("4 to 34 letters, digits or dashes")
            }
            return kept
        case .login:
            guard !value.contains(where: { $0.isWhitespace || $0.isNewline }) else { throw invalid("a login has no spaces") }
            return value.lowercased()
        case .customer:
            guard value.utf8.count <= 64, value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isASCIIDigit || "-_.:".contains($0)) }) else {
                throw invalid("up to 64 characters of letters, digits, '-', '_', '.', ':'")
            }
            return value
        case .cookie, .device:
            guard value.count >= 4, value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isASCIIDigit || "-_.:".contains($0)) }) else {
                throw invalid("4 or more characters of letters, digits, '-', '_', '.', ':'")
            }
            return value
        }
    }

    static func luhnValid(_ digits: String) -> Bool {
        var sum = 0
        for (index, character) in digits.reversed().enumerated() {
            var digit = Int(character.asciiValue! - 48)
            if index % 2 == 1 {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
        }
        return sum % 10 == 0
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
