// Where a decision learns who the customer is: today the profile service through the broker; an
// in-memory one for the unit tests and the one-hop replica. The decision's breaker and its cache
// of recent views stand around whichever source it has (DecisionService.customerView).
import ServiceKit
import Wire

protocol CustomerViewSource {
    /// The view of the customer `request` names, within `budgetMicros`. A refusal of the request
    /// (NOT_FOUND, INVALID_ARGUMENT) is thrown like a failure; the caller tells them apart.
    func view(_ request: CustomerViewRequest, budgetMicros: UInt64) throws(ServiceError) -> CustomerView
}

/// `profile.view` through the broker; a call that is slow the first time is retried once.
struct BrokerViewSource: CustomerViewSource {
    let client: BrokerClient

    func view(_ request: CustomerViewRequest, budgetMicros: UInt64) throws(ServiceError) -> CustomerView {
        try client.call("profile", "view", request, timeoutMicros: budgetMicros, idempotent: true)
    }
}

/// Views held in memory, by identity ("kind:value"); an unknown identity is NOT_FOUND, as the
/// profile service answers. `failure`, when set, is what every call throws: the source is down.
final class InMemoryViewSource: CustomerViewSource {
    var views: [String: CustomerView]
    var failure: ServiceError?

    init(_ views: [String: CustomerView] = [:]) {
        self.views = views
    }

    static func key(_ identity: Identity) -> String { identity.kind + ":" + identity.value }

    func view(_ request: CustomerViewRequest, budgetMicros: UInt64) throws(ServiceError) -> CustomerView {
        if let failure { throw failure }
        guard let view = views[Self.key(request.identity)] else {
            throw ServiceError(.notFound, "no customer with \(Self.key(request.identity))")
        }
        return view
    }
}
