// What a live model answers: the scores of a request's candidates (the scoring service's "score",
// and a decision replica's local propensities: one code, so both give the same numbers for the
// same request and model) and its status (the "model" method), with a digest of its bits.
import Crypto
import Foundation
import Random
import ScoringCore
import Wire

extension LiveModel {
    /// At most this many feature contributions per offer are explained.
    public static let maxExplain = 20

    /// Scores `request.candidates`. `now`: the request's time when it brings none (Unix ms);
    /// `seed`: the Thompson samples' generator seed when the request brings none.
    public func score(_ request: ScoreRequest, now: Int64, seed: @autoclosure () -> UInt64) throws(ServiceError) -> ScoreReply {
        let features = try Self.features(request, now: now)
        let candidates = request.candidates.map { CandidateOffer($0.offerID, prior: $0.priorPropensity) }
        let explain = Int(min(request.explain, UInt32(Self.maxExplain)))
        var random = SeededRandom(seed: request.seed != 0 ? request.seed : seed())
        let scored: Result<([ScoringCore.OfferScore], UInt64), ScoringError> = read { model in
            do throws(ScoringError) {
                return .success((try model.score(features, candidates, explain: explain, using: &random), model.sequence))
            } catch {
                return .failure(error)
            }
        }
        let (scores, sequence): ([ScoringCore.OfferScore], UInt64)
        switch scored {
        case .success(let value): (scores, sequence) = value
        case .failure(let error): throw ServiceError(.invalidArgument, error.description)
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

    /// The request's customer view and context as model features, by the request's feature plan
    /// (the standard one when it has none). Missing parts of the view are features of their own
    /// ("seg=none", "clv=unknown"), never an error: an anonymous visitor or a degraded decision
    /// still gets scores. A plan that is not valid is INVALID_ARGUMENT.
    public static func features(_ request: ScoreRequest, now: Int64) throws(ServiceError) -> FeatureVector {
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
        customer.attributes = view.attributes
        guard request.hasFeatures else { return FeatureBuilder.features(customer) }
        if let problem = request.features.problem { throw ServiceError(.invalidArgument, "features: \(problem)") }
        return FeatureBuilder.features(customer, plan: request.features)
    }

    /// What the model knows, as the "model" method answers it.
    public func status(_ follower: FollowerStatus) -> ModelReply {
        let model = copy
        let follower = follower.snapshot
        return ModelReply.with { reply in
            reply.sequence = model.sequence
            reply.modelVersion = model.version
            reply.snapshotSequence = follower.snapshotSequence
            reply.streamGaps = follower.gaps
            reply.hyperparameters = (try? String(decoding: JSONEncoder().encode(model.hyperparameters), as: UTF8.self)) ?? ""
            reply.modelDigest = Self.digest(model.snapshot())
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

    /// SHA-256 (hex) of a model's snapshot encoding: the encoding is canonical (offers sorted,
    /// every weight's bits), so equal digests mean the same model.
    public static func digest(_ snapshot: [UInt8]) -> String {
        SHA256.hash(data: snapshot).map { String(format: "%02x", $0) }.joined()
    }
}
