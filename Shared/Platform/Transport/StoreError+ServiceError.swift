// A store failure in its wire form, mapped here at the service edge so that the store itself knows
// no wire type: a worker answers a method that throws a StoreError with this ServiceError.
import Store
import Wire

extension StoreError: ServiceErrorConvertible {
    /// An unavailable store is retryable (`UNAVAILABLE`); a refused write conflicts; the rest is a
    /// fault inside the service.
    public var serviceError: ServiceError {
        switch kind {
        case .unavailable: ServiceError(.unavailable, "store unavailable: \(message)")
        case .constraint: ServiceError(.alreadyExists, "the write conflicts with stored data: \(message)")
        case .failed: ServiceError(.internal, "store failure: \(message)")
        }
    }
}
