// What a new catalog would have done: a logged decision replayed through the new catalog's
// strategy, from what the log holds — the candidates with their verdicts, propensities and logit
// variances, the customer id (strategy, holdouts), the channel, time and retention flag — and the
// texts of the catalogs that decided (stored beside the log). The result is the new policy's
// chance of putting each of the logged first-slot candidates first, for off-policy estimates.
//
// What the log cannot answer is said, per decision: an offer the log never judged (new, or
// dropped then before its eligibility was checked), a changed eligibility or retention rule or
// contact policy (the customer's view and history are not logged), a decision of a catalog
// version whose text is not stored, and an offer the new policy would put first that the running
// one could not have (no logged chance: no support), or no targeted offer at all.
import Wire

public struct WhatIf: Sendable {
    /// Why a decision cannot be replayed.
    public enum Unsupported: Error, Hashable, Sendable, CustomStringConvertible {
        case unknownCatalog(String), newOffer(String), unjudgedOffer(String), ruleChanged(String)
        case retentionRuleChanged, contactPolicyChanged, noLoggedChance(String)

        public var description: String {
            switch self {
            case .unknownCatalog(let version): "decided by catalog version \(version), whose text is not in the store"
            case .newOffer(let offer): "offer \(offer) is new: the log never judged it"
            case .unjudgedOffer(let offer): "offer \(offer) was dropped before its eligibility was checked"
            case .ruleChanged(let offer): "the eligibility rule of \(offer) changed: the log does not hold what rules read"
            case .retentionRuleChanged: "the retention rule changed: the log does not hold what rules read"
            case .contactPolicyChanged: "the contact policy changed: the log does not hold the contact history"
            case .noLoggedChance(let offer): "the new policy would put \(offer) first, which the running policy never could"
            }
        }
    }

    /// The logged reasons (Decision.Reason.code) of drops made after the eligibility rule was checked.
    static let notEligible = Decision.Reason.notEligible("").code, heldOut = Decision.Reason.heldOut(0).code
    static let suppressed = Decision.Reason.suppressed("").code
    /// Offers the request did not let the decision show: no policy could have, the new one neither.
    static let refusedByRequest = [Decision.Reason.notRequested.code, Decision.Reason.excluded.code]

    public let engine: DecisionEngine
    /// The catalogs that decided, by version.
    public let running: [String: OfferCatalog]

    public init(catalog: OfferCatalog, running: [String: OfferCatalog]) {
        engine = DecisionEngine(catalog: catalog)
        self.running = running
    }

    /// A logged candidate the running policy could have put first.
    public static func isFirstSlotCandidate(_ candidate: CandidateRecord) -> Bool { candidate.kept && candidate.firstSlotProbability > 0 }

    /// The new policy's first-slot chance of each of the record's first-slot candidates
    /// (`isFirstSlotCandidate`, in log order), or why the log cannot say.
    public func replay(_ record: DecisionRecord) -> Result<[Double], Unsupported> {
        guard let old = running[record.catalogVersion] else { return .failure(.unknownCatalog(record.catalogVersion)) }
        let new = engine.catalog
        if old.contactPolicy != new.contactPolicy { return .failure(.contactPolicyChanged) }
        if old.retentionRule?.text != new.retentionRule?.text { return .failure(.retentionRuleChanged) }
        let channel = ChannelName.name(record.channel) ?? ""
        let day = Int(record.timeUnixMs / 86_400_000)
        let strategyIndex = engine.strategy(of: record.customerID)
        let shows = engine.strategies[strategyIndex].shows
        var judged: [String: CandidateRecord] = [:]
        for candidate in record.candidates { judged[candidate.offerID] = candidate }

        var kept: [Int] = []
        var propensities: [String: Propensity] = [:]
        for (index, offer) in new.offers.enumerated() {
            // What the new catalog decides from the request and the customer id alone.
            guard offer.channels.contains(channel), offer.isValid(onDay: day), shows?[index] ?? true,
                  !(offer.holdoutPercent > 0 && ControlGroup.contains(record.customerID, percent: offer.holdoutPercent, salt: new.controlSalt + "/" + offer.id))
            else { continue }
            // The rest (eligibility, suppression) only as the log judged it, under the same rule.
            guard let logged = judged[offer.id], let before = old.offer(offer.id) else { return .failure(.newOffer(offer.id)) }
            if Self.refusedByRequest.contains(logged.reason) { continue }
            let eligibilityChecked = logged.kept || [Self.notEligible, Self.heldOut].contains(logged.reason) || logged.reason.hasPrefix(Self.suppressed)
            guard eligibilityChecked else { return .failure(.unjudgedOffer(offer.id)) }
            if before.eligibility?.text != offer.eligibility?.text { return .failure(.ruleChanged(offer.id)) }
            guard logged.kept || logged.reason == Self.heldOut else { continue }
            kept.append(index)
            if logged.kept { propensities[offer.id] = Propensity(mean: logged.propensity, logitVariance: logged.hasLogitVariance ? logged.logitVariance : nil) }
        }

        var screening = DecisionEngine.Screening()
        screening.eligible = kept
        screening.strategy = strategyIndex
        screening.decision.retention = record.retention
        var random = SystemRandomNumberGenerator()  // the draws do not matter: only the chances are read
        let replayed = engine.arbitrate(screening, DecisionRequest(channel: channel, slots: 1, now: record.timeUnixMs), history: [],
                                        propensities: propensities, using: &random)
        if kept.isEmpty { return .failure(.noLoggedChance("the channel's default offer")) }
        var chance: [String: Double] = [:]
        for candidate in replayed.candidates where candidate.kept {
            chance[candidate.offerID] = candidate.firstSlotProbability ?? 0
        }
        let loggedFirst = record.candidates.filter(Self.isFirstSlotCandidate)
        let supported = Set(loggedFirst.map(\.offerID))
        if let unsupported = chance.first(where: { $0.value > 0 && !supported.contains($0.key) }) {
            return .failure(.noLoggedChance(unsupported.key))
        }
        return .success(loggedFirst.map { chance[$0.offerID] ?? 0 })
    }
}
