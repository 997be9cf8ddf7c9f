// Customer attributes: known names are typed and checked; other names are free text. Names
// are short snake_case; values and the number of attributes are bounded, so one customer can
// never grow without limit.
import CivilCalendar
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
