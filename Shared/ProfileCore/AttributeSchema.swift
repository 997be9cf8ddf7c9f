// Customer attributes: known names are typed and checked; other names are free text. Names
// are short snake_case; values and the number of attributes are bounded, so one customer can
// never grow without limit.
import Wire

public struct AttributeSchema: Sendable {
    public enum ValueType: String, Sendable {
        case text, integer, number, date, boolean
    }

    public static let maxNameBytes = 64
    public static let maxValueBytes = 1024
    public static let maxAttributes = 256

    /// Typed attributes every deployment shares. Consent is per channel: "opt_out.<channel>".
    public static let standard: [String: ValueType] = {
        var types: [String: ValueType] = [
            "first_name": .text, "last_name": .text, "birth_date": .date, "gender": .text, "postcode": .text,
            "country": .text, "language": .text, "email": .text, "income": .number, "household_size": .integer,
            "segment_override": .text, "employee": .boolean, "vip": .boolean,
        ]
        for channel in ChannelName.all { types["opt_out.\(channel)"] = .boolean }
        types["opt_out.email"] = .boolean
        types["opt_out.all"] = .boolean
        return types
    }()

    public var types: [String: ValueType]

    public init(types: [String: ValueType] = AttributeSchema.standard) {
        self.types = types
    }

    /// Checks one attribute; the value comes back in canonical form ("TRUE" → "true").
    public func validate(name: String, value: String) throws(ProfileError) -> String {
        try Self.validateName(name)
        guard value.utf8.count <= Self.maxValueBytes else {
            throw .tooLarge("attribute '\(name)' is \(value.utf8.count) bytes; the limit is \(Self.maxValueBytes)")
        }
        guard let type = types[name] else { return value }
        func wrong(_ expected: String) -> ProfileError {
            .invalidArgument("attribute '\(name)' is \(type.rawValue): expected \(expected), got '\(value.prefix(40))'")
        }
        switch type {
        case .text:
            return value
        case .integer:
            guard Int64(value) != nil else { throw wrong("an integer") }
            return value
        case .number:
            guard let number = Double(value), number.isFinite else { throw wrong("a number") }
            return value
        case .boolean:
            switch value.lowercased() {
            case "true", "1", "yes": return "true"
            case "false", "0", "no": return "false"
            default: throw wrong("true or false")
            }
        case .date:
            guard CivilDate(value) != nil else { throw wrong("a date YYYY-MM-DD") }
            return value
        }
    }

    public static func validateName(_ name: String) throws(ProfileError) {
        guard !name.isEmpty, name.utf8.count <= maxNameBytes,
              name.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 46 || $0 == 45 })
        else {
            throw .invalidArgument("attribute name '\(name.prefix(80))' must be 1 to \(maxNameBytes) characters of a-z, 0-9, '_', '.', '-'")
        }
    }
}

/// A calendar date in the proleptic Gregorian calendar, as days since 1970-01-01.
public struct CivilDate: Sendable, Hashable {
    public let daysSinceEpoch: Int

    /// Parses YYYY-MM-DD exactly.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == 45, bytes[7] == 45 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var n = 0
            for i in range {
                guard bytes[i] >= 48 && bytes[i] <= 57 else { return nil }
                n = n * 10 + Int(bytes[i] - 48)
            }
            return n
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10),
              (1...12).contains(m), d >= 1, d <= Self.daysIn(month: m, year: y) else { return nil }
        daysSinceEpoch = Self.days(year: y, month: m, day: d)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Howard Hinnant's days_from_civil.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
