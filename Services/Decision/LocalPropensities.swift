// Propensities from the scoring model this replica holds (ModelReplica: snapshot + outcome
// stream), scored in process by the scoring service's own code; scoring over the broker while the
// local model is not usable (at start, before it has caught up), with that path's degraded reasons.
import ModelReplica
import Transport
import Wire

struct LocalPropensities: PropensitySource {
    let replica: ModelReplica
    /// Scoring over the broker: the fallback.
    let remote: any PropensitySource
    let environment: ServiceEnvironment

    func scores(_ request: ScoreRequest, budgetMicros: UInt64) throws(ServiceError) -> ScoreReply {
        guard replica.isUsable else { return try remote.scores(request, budgetMicros: budgetMicros) }
        return try replica.model.score(request, now: environment.wallMs(), seed: environment.newSeed())
    }
}

extension Methods {
    /// The decision replica's "model": its copy's status and digest, as scoring's "model" answers
    /// (UNAVAILABLE while it has none): scoring and decision replicas at the same sequence report
    /// the same digest.
    mutating func onModel(_ replica: ModelReplica) {
        on("model") { (_: ModelRequest, _) throws -> ModelReply in try replica.modelStatus() }
    }
}
