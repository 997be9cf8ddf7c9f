// Where a decision learns how likely each eligible offer is taken: today the scoring service
// through the broker; fixed propensities in memory for the unit tests (and, with a model in
// process, the one-hop replica). The decision's breaker stands around whichever source it has.
import ServiceKit
import Wire

protocol PropensitySource {
    /// The scores of `request.candidates`, within `budgetMicros`.
    func scores(_ request: ScoreRequest, budgetMicros: UInt64) throws(ServiceError) -> ScoreReply
}

/// `scoring.score` through the broker; a call that is slow the first time is retried once.
struct BrokerPropensitySource: PropensitySource {
    let client: BrokerClient

    func scores(_ request: ScoreRequest, budgetMicros: UInt64) throws(ServiceError) -> ScoreReply {
        try client.call("scoring", "score", request, timeoutMicros: budgetMicros, idempotent: true)
    }
}

/// Fixed propensities by offer id; an offer without one scores its prior. `failure`, when set,
/// is what every call throws: the source is down.
final class FixedPropensities: PropensitySource {
    var means: [String: Double]
    var modelVersion: String
    var features: [String]
    var failure: ServiceError?

    init(_ means: [String: Double] = [:], modelVersion: String = "fixed", features: [String] = []) {
        self.means = means
        self.modelVersion = modelVersion
        self.features = features
    }

    func scores(_ request: ScoreRequest, budgetMicros: UInt64) throws(ServiceError) -> ScoreReply {
        if let failure { throw failure }
        return ScoreReply.with { reply in
            reply.modelVersion = modelVersion
            reply.features = features
            reply.scores = request.candidates.map { candidate in
                Wire.OfferScore.with {
                    $0.offerID = candidate.offerID
                    $0.mean = means[candidate.offerID] ?? candidate.priorPropensity
                    $0.sample = $0.mean
                }
            }
        }
    }
}
