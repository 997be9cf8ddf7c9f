// Customer views and propensities held in memory, behind the decision's source protocols: what
// the unit tests decide with, and what the one-hop replica (views and model kept current from the
// streams) builds on. Either can be made to fail, as a source that is down.
import Transport
import Wire

/// Views by identity ("kind:value"); an unknown identity is NOT_FOUND, as the profile service
/// answers. `failure`, when set, is what every call throws.
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

/// Fixed propensities by offer id; an offer without one scores its prior. `failure`, when set,
/// is what every call throws.
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
