// Errors of the profile service, one case per wire ErrorCode, with messages a caller can act on.
import Wire

public enum ProfileError: Error, Equatable, Sendable, CustomStringConvertible, ServiceErrorConvertible {
    case notFound(String)
    case invalidArgument(String)
    case alreadyExists(String)
    case tooLarge(String)
    case unavailable(String)
    case internalFailure(String)
    /// A stream position no longer kept.
    case outOfRange(String)

    public var code: ErrorCode {
        switch self {
        case .notFound: .notFound
        case .invalidArgument: .invalidArgument
        case .alreadyExists: .alreadyExists
        case .tooLarge: .tooLarge
        case .unavailable: .unavailable
        case .internalFailure: .internal
        case .outOfRange: .outOfRange
        }
    }

    public var message: String {
        switch self {
        case .notFound(let m), .invalidArgument(let m), .alreadyExists(let m), .tooLarge(let m), .unavailable(let m), .internalFailure(let m), .outOfRange(let m): m
        }
    }

    public var description: String { "\(code.name): \(message)" }

    public var serviceError: ServiceError { ServiceError(code, message) }
}
