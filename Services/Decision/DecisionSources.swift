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

protocol PropensitySource {
    /// The scores of `request.candidates`, within `budgetMicros`.
    func scores(_ request: ScoreRequest, budgetMicros: UInt64) throws(ServiceError) -> ScoreReply
}

/// The profile and scoring services through the broker, on one client; a call that is slow the
/// first time is retried once (both reads are idempotent).
struct BrokerSources: CustomerViewSource, PropensitySource {
    let client: BrokerClient

    func view(_ request: CustomerViewRequest, budgetMicros: UInt64) throws(ServiceError) -> CustomerView {
        try client.call("profile", "view", request, timeoutMicros: budgetMicros, idempotent: true)
    }

    func scores(_ request: ScoreRequest, budgetMicros: UInt64) throws(ServiceError) -> ScoreReply {
        try client.call("scoring", "score", request, timeoutMicros: budgetMicros, idempotent: true)
    }
}
