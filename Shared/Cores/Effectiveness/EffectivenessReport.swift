// Which offers work: from the decision log and the outcomes, per offer × channel × segment (or
// any of those) and overall — decisions, impressions, responses (accept or purchase), response
// rate, revenue, and lift against the control group (control decisions log the offers the
// policy held back, and the outcomes reported for them, e.g. a purchase the customer made anyway,
// are the control's responses) — plus off-policy estimates of other policies' response rates,
// strategies against the champion and per-offer holdout lift (StrategyComparison.swift).
//
// The greedy policy and the doubly robust estimator use the model's propensities as logged with
// each decision, i.e. the model as it was when it decided. (The final model, rescoring decisions
// it has since learned from, would flatter the greedy policy: in the simulated world its 95%
// intervals covered the truth only 77–90% of the time, against 87–100% this way; docs/FEEDBACK.md.)
import Wire

public enum ReportDimension: String, CaseIterable, Sendable {
    case offer, channel, segment
}

public struct EffectivenessRow: Sendable {
    /// The group's value per dimension; empty for the overall row.
    public var key: [ReportDimension: String] = [:]
    /// Decisions that showed the offer(s) (not control).
    public var decisions = 0
    public var impressions = 0
    public var revenue = 0.0
    /// Treated: shown offers and their responses; control: held-back offers and theirs.
    public var lift = LiftEstimate(treated: 0, treatedResponses: 0, control: 0, controlResponses: 0)
    public var responses: Int { lift.treatedResponses }
    public var responseRate: Double { lift.treatedRate }
}

public struct EffectivenessReport: Sendable {
    public struct PolicyRow: Sendable {
        public var policy: String
        public var estimator: String
        public var estimate: PolicyEstimate
    }

    public var dimensions: [ReportDimension]
    public var rows: [EffectivenessRow]
    public var overall: EffectivenessRow
    /// The running policy as logged, then each target policy by each estimator.
    public var policies: [PolicyRow]
    /// Champion against challengers; nil when no decision names a strategy.
    public var strategies: StrategyComparison?
    /// Per offer with a holdout (held-out units logged), by offer id.
    public var holdouts: [OfferHoldoutRow]

    public static let responseTypes: Set<OutcomeType> = [.accept, .purchase]

    /// What came back for one offer of one decision.
    struct OfferFacts {
        var types: Set<OutcomeType> = []
        var revenue = 0.0
        var responded: Bool { !types.isDisjoint(with: EffectivenessReport.responseTypes) }
    }

    /// `champion`: the strategy the others are compared with (default: the one with the most decisions).
    public init(decisions: [DecisionRecord], outcomes: [OutcomeEvent], by dimensions: [ReportDimension], champion: String? = nil) {
        self.dimensions = dimensions
        let facts = Self.facts(outcomes)

        var groups: [[ReportDimension: String]: (row: EffectivenessRow, decisions: Set<String>)] = [:]
        var overall = (row: EffectivenessRow(), decisions: Set<String>())
        func count(_ record: DecisionRecord, _ offer: OfferChoice, control: Bool) {
            let fact = facts[record.decisionID]?[offer.offerID] ?? OfferFacts()
            let values: [ReportDimension: String] = [.offer: offer.offerID, .channel: ChannelName.name(record.channel) ?? "?",
                                               .segment: record.segment.isEmpty ? "unknown" : record.segment]
            let key = values.filter { dimensions.contains($0.key) }
            Self.add(&groups[key, default: (EffectivenessRow(key: key), [])], record, fact, control)
            Self.add(&overall, record, fact, control)
        }
        var choices: [LoggedChoice] = []
        var holdouts: [String: LiftEstimate] = [:]
        func tally(_ offer: OfferChoice, of record: DecisionRecord, heldOut: Bool) {
            let responded = facts[record.decisionID]?[offer.offerID]?.responded == true ? 1 : 0
            var lift = holdouts[offer.offerID] ?? LiftEstimate(treated: 0, treatedResponses: 0, control: 0, controlResponses: 0)
            if heldOut { (lift.control, lift.controlResponses) = (lift.control + 1, lift.controlResponses + responded) }
            else { (lift.treated, lift.treatedResponses) = (lift.treated + 1, lift.treatedResponses + responded) }
            holdouts[offer.offerID] = lift
        }
        for record in decisions {
            if record.control {
                for offer in record.heldOut { count(record, offer, control: true) }
                continue
            }
            for offer in record.offers {
                count(record, offer, control: false)
                tally(offer, of: record, heldOut: false)
            }
            for offer in record.heldOut { tally(offer, of: record, heldOut: true) }
            if let choice = Self.choice(record, facts[record.decisionID] ?? [:]) { choices.append(choice) }
        }
        for (key, group) in groups { groups[key]!.row.decisions = group.decisions.count }
        overall.row.decisions = overall.decisions.count
        rows = groups.values.map(\.row).sorted { a, b in
            dimensions.map { a.key[$0] ?? "" }.lexicographicallyPrecedes(dimensions.map { b.key[$0] ?? "" })
        }
        self.overall = overall.row

        self.holdouts = holdouts.filter { $0.value.control > 0 }.map { OfferHoldoutRow(offerID: $0.key, lift: $0.value) }.sorted { $0.offerID < $1.offerID }
        strategies = StrategyComparison(decisions, responded: { record, offer in
            let fact = facts[record.decisionID]?[offer.offerID]
            return (fact?.responded == true, fact?.revenue ?? 0)
        }, reference: champion)

        policies = OffPolicy.logged(choices).map { [PolicyRow(policy: "running policy (as logged)", estimator: "mean", estimate: $0)] } ?? []
        for policy in TargetPolicy.allCases {
            for estimator in Estimator.allCases {
                if let estimate = OffPolicy.estimate(choices, policy: policy, estimator: estimator) {
                    policies.append(PolicyRow(policy: policy.rawValue, estimator: estimator.rawValue, estimate: estimate))
                }
            }
        }
    }

    /// Decision id → offer id → what came back.
    static func facts(_ outcomes: [OutcomeEvent]) -> [String: [String: OfferFacts]] {
        var facts: [String: [String: OfferFacts]] = [:]
        for event in outcomes {
            let outcome = event.outcome
            facts[outcome.decisionID, default: [:]][outcome.offerID, default: OfferFacts()].types.insert(outcome.type)
            if outcome.type == .purchase { facts[outcome.decisionID]![outcome.offerID]!.revenue += outcome.amount }
        }
        return facts
    }

    static func add(_ group: inout (row: EffectivenessRow, decisions: Set<String>), _ record: DecisionRecord,
                    _ fact: OfferFacts, _ control: Bool) {
        if control {
            group.row.lift.control += 1
            if fact.responded { group.row.lift.controlResponses += 1 }
            return
        }
        group.decisions.insert(record.decisionID)
        group.row.lift.treated += 1
        if fact.responded { group.row.lift.treatedResponses += 1 }
        if fact.types.contains(.impression) { group.row.impressions += 1 }
        group.row.revenue += fact.revenue
    }

    /// The decision's first-slot choice among its kept candidates, with their logged probabilities
    /// and propensities.
    static func choice(_ record: DecisionRecord, _ facts: [String: OfferFacts]) -> LoggedChoice? {
        let kept = record.candidates.filter { $0.kept && $0.firstSlotProbability > 0 }
        guard let first = record.offers.first, let chosen = kept.firstIndex(where: { $0.offerID == first.offerID }) else { return nil }
        let candidates = kept.map {
            LoggedChoice.Alternative(offerID: $0.offerID, loggingProbability: $0.firstSlotProbability, modelPropensity: $0.propensity)
        }
        return LoggedChoice(candidates: candidates, chosen: chosen, reward: facts[first.offerID]?.responded == true ? 1 : 0)
    }
}
