// The scoring service's methods: "score" (propensities of candidate offers for a customer in a
// context, with Thompson samples and explanations) and "model" (what the model knows). Scoring
// never changes the model; only the outcome stream does (OutcomeFollower).
import Foundation
import Random
import ScoringCore
import Transport
import Wire

struct ScoringService: Sendable {
    let model: LiveModel
    let follower: FollowerStatus
    let environment: ServiceEnvironment

    func methods() -> Methods {
        var methods = Methods()
        methods.on("score") { (request: ScoreRequest, _) throws -> ScoreReply in try score(request) }
        methods.on("model") { (_: ModelRequest, _) throws -> ModelReply in status() }
        return methods
    }

    static let maxExplain = 20

    func score(_ request: ScoreRequest) throws -> ScoreReply {
        let features = try Self.features(request, now: environment.wallMs())
        let candidates = request.candidates.map { CandidateOffer($0.offerID, prior: $0.priorPropensity) }
        let explain = Int(min(request.explain, UInt32(Self.maxExplain)))
        var random = SeededRandom(seed: request.seed != 0 ? request.seed : environment.newSeed())
        let (scores, sequence) = try model.read { model in
            do {
                return (try model.score(features, candidates, explain: explain, using: &random), model.sequence)
            } catch let error as ScoringError {
                throw ServiceError(.invalidArgument, error.description)
            }
        }
        return ScoreReply.with { reply in
            reply.sequence = sequence
            reply.modelVersion = "seq-\(sequence)"
            reply.features = features.names
            reply.scores = scores.map { score in
                Wire.OfferScore.with {
                    $0.offerID = score.offerID
                    $0.mean = score.mean
                    $0.sample = score.sample
                    $0.logitMean = score.logitMean
                    $0.logitVariance = score.logitVariance
                    $0.observations = score.observations
                    $0.contributions = score.contributions.map { c in FeatureContribution.with { $0.feature = c.name; $0.weight = c.weight } }
                }
            }
        }
    }

    /// The request's customer view and context as model features. Missing parts of the view are
    /// features of their own ("seg=none", "clv=unknown"), never an error: an anonymous visitor
    /// or a degraded decision still gets scores.
    static func features(_ request: ScoreRequest, now: Int64) throws(ServiceError) -> FeatureVector {
        guard let channel = ChannelName.name(request.channel) else {
            throw ServiceError(.invalidArgument, "channel is required (atm, kiosk, web or call_center)")
        }
        let view = request.customer
        var customer = CustomerFeatures(channel: channel)
        let known = !view.customerID.isEmpty
        customer.segment = view.segment
        customer.clv = known ? view.clv : .nan
        customer.churnRisk = known ? view.churnRisk : .nan
        customer.holdings = view.holdings
        let at = request.timeUnixMs > 0 ? request.timeUnixMs : now
        func days(_ ms: Int64) -> Double? { ms > 0 ? Double(at - ms) / 86_400_000 : nil }
        customer.daysSinceContact = days(view.lastContactUnixMs)
        customer.daysSinceResponse = days(view.lastResponseUnixMs)
        customer.hour = request.hasLocalHour ? Int(request.localHour) : nil
        customer.context = request.context
        return FeatureBuilder.features(customer)
    }

    func status() -> ModelReply {
        let model = model.copy
        let follower = follower.snapshot
        return ModelReply.with { reply in
            reply.sequence = model.sequence
            reply.modelVersion = model.version
            reply.snapshotSequence = follower.snapshotSequence
            reply.streamGaps = follower.gaps
            reply.hyperparameters = (try? String(decoding: JSONEncoder().encode(model.hyperparameters), as: UTF8.self)) ?? ""
            reply.offers = model.offers.keys.sorted().map { id in
                let offer = model.offers[id]!
                return OfferModelStatus.with {
                    $0.offerID = id
                    $0.priorPropensity = offer.prior
                    $0.observations = offer.observations
                    $0.accepted = offer.accepted
                    $0.basePropensity = offer.meanPropensity(SlotVector(FeatureVector(names: [FeatureBuilder.bias]), slots: model.hyperparameters.slots))
                }
            }
        }
    }
}
