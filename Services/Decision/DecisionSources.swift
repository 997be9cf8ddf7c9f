// Where a decision learns who the customer is and how likely each eligible offer is taken: today
// profile.view and scoring.score through the broker; in memory for the unit tests and the one-hop
// replica (InMemorySources.swift). The decision's breakers, its cache of recent views and its
// deadline budgeting stand around whichever sources it has (DecisionService).
import Transport
import Wire

protocol CustomerViewSource {
    /// The view of the customer `request` names, within `budgetMicros`. A refusal of the request
    /// (NOT_FOUND, INVALID_ARGUMENT) is thrown like a failure; the caller tells them apart.
    func view(_ request: CustomerViewRequest, budgetMicros: UInt64) throws(ServiceError) -> CustomerView
}

/// The decision service itself, reached by routing key: a replica holding a partition of the
/// customers hands a decide for another partition's customer to a replica of that partition.
protocol DecisionForwarder {
    /// The decision of a replica holding `customerID` (the routing key), within `budgetMicros`.
    func decide(_ request: DecideRequest, customerID: String, budgetMicros: UInt64) throws(ServiceError) -> DecideReply
}

protocol PropensitySource {
    /// The scores of `request.candidates`, within `budgetMicros`.
    func scores(_ request: ScoreRequest, budgetMicros: UInt64) throws(ServiceError) -> ScoreReply
}

/// The profile and scoring services (and the decision service, for a forward) through the broker,
/// on one client; a read that is slow the first time is retried once (both are idempotent).
struct BrokerSources: CustomerViewSource, PropensitySource, DecisionForwarder {
    let client: BrokerClient

    func view(_ request: CustomerViewRequest, budgetMicros: UInt64) throws(ServiceError) -> CustomerView {
        try client.call("profile", "view", request, timeoutMicros: budgetMicros, idempotent: true)
    }

    func scores(_ request: ScoreRequest, budgetMicros: UInt64) throws(ServiceError) -> ScoreReply {
        try client.call("scoring", "score", request, timeoutMicros: budgetMicros, idempotent: true)
    }

    /// Not retried: a decision is logged once it is answered, and a retry would log a second.
    func decide(_ request: DecideRequest, customerID: String, budgetMicros: UInt64) throws(ServiceError) -> DecideReply {
        try client.call("decision", "decide", request, timeoutMicros: budgetMicros, routingKey: Array(customerID.utf8))
    }
}
