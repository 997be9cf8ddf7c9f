// The scoring service's methods: "score" (propensities of candidate offers for a customer in a
// context, with Thompson samples and explanations), "model" (what the model knows) and "snapshot"
// (the model's bits, for a follower to start from). Scoring never changes the model; only the
// outcome stream does (OutcomeFollower). The score and status code is ModelReplica's, shared
// with the decision replicas that hold the model themselves.
import ModelReplica
import Transport
import Wire

struct ScoringService: Sendable {
    let model: LiveModel
    let follower: FollowerStatus
    let environment: ServiceEnvironment
    /// The snapshots being read page by page.
    let snapshots = ModelSnapshotPages()

    func methods() -> Methods {
        var methods = Methods()
        methods.on("score") { (request: ScoreRequest, _) throws -> ScoreReply in try score(request) }
        methods.on("model") { (_: ModelRequest, _) throws -> ModelReply in model.status(follower) }
        methods.on("snapshot") { (request: ModelSnapshotRequest, _) throws -> ModelSnapshotReply in try snapshots.page(request, of: model) }
        return methods
    }

    func score(_ request: ScoreRequest) throws(ServiceError) -> ScoreReply {
        try model.score(request, now: environment.wallMs(), seed: environment.newSeed())
    }
}
