// The what-if estimates: the response rate and the value (revenue) per decision of the first slot
// under a new policy, from the logged decisions it could be replayed on (IPS, SNIPS and DR, as in
// OffPolicy), next to the running policy's own on the same decisions; which decisions the log
// could not support and why; and each offer's first-slot share under both.
//
// The value's reward model (DR) is the logged propensity × the offer's value in the new catalog:
// any model keeps DR unbiased where the logged chances are right; a good one narrows it.
import Wire

public struct WhatIfEstimate: Sendable {
    public struct Row: Sendable {
        public var policy: String
        public var estimator: String
        public var response: PolicyEstimate
        public var value: PolicyEstimate
    }

    public struct OfferShare: Sendable {
        public var offerID: String
        /// Share of the evaluable decisions that put it first: as logged, and expected under the new policy.
        public var running: Double
        public var new: Double
    }

    /// Treated decisions with a logged first-slot choice.
    public var decisions = 0
    public var evaluable = 0
    /// Why the others could not be replayed, most frequent first.
    public var unsupported: [(reason: String, decisions: Int)] = []
    /// The running policy as logged on the evaluable decisions, then the new policy by each estimator.
    public var rows: [Row] = []
    public var offers: [OfferShare] = []

    /// `replay`: the new policy's first-slot chances of a record's first-slot candidates (in log
    /// order), or why the log cannot say; `value`: an offer's value in the new catalog.
    public init<Failure: Error & CustomStringConvertible>(decisions records: [DecisionRecord], outcomes: [OutcomeEvent], newPolicy: String,
                                                          value: (String) -> Double, replay: (DecisionRecord) -> Result<[Double], Failure>) {
        let facts = EffectivenessReport.facts(outcomes)
        var responses: [LoggedChoice] = [], values: [LoggedChoice] = [], targets: [[Double]] = []
        var reasons: [String: Int] = [:]
        var running: [String: Double] = [:], new: [String: Double] = [:]
        for record in records where !record.control {
            let offerFacts = facts[record.decisionID] ?? [:]
            guard let response = EffectivenessReport.choice(record, offerFacts) else { continue }
            decisions += 1
            switch replay(record) {
            case .failure(let failure):
                reasons[failure.description, default: 0] += 1
            case .success(let target):
                responses.append(response)
                var valued = response
                valued.reward = offerFacts[response.candidates[response.chosen].offerID]?.revenue ?? 0
                valued.candidates = response.candidates.map { candidate in
                    var copy = candidate
                    copy.modelPropensity = candidate.modelPropensity * value(candidate.offerID)
                    return copy
                }
                values.append(valued)
                targets.append(target)
                running[response.candidates[response.chosen].offerID, default: 0] += 1
                for (candidate, chance) in zip(response.candidates, target) where chance > 0 { new[candidate.offerID, default: 0] += chance }
            }
        }
        evaluable = responses.count
        unsupported = reasons.map { ($0.key, $0.value) }.sorted { ($1.1, $0.0) < ($0.1, $1.0) }
        guard let loggedResponse = OffPolicy.logged(responses), let loggedValue = OffPolicy.logged(values) else { return }
        rows.append(Row(policy: "running policy (as logged)", estimator: "mean", response: loggedResponse, value: loggedValue))
        for estimator in Estimator.allCases {
            if let response = OffPolicy.estimate(responses, targets: targets, estimator: estimator),
               let value = OffPolicy.estimate(values, targets: targets, estimator: estimator) {
                rows.append(Row(policy: newPolicy, estimator: estimator.rawValue, response: response, value: value))
            }
        }
        let n = Double(evaluable)
        offers = Set(running.keys).union(new.keys).sorted().map { OfferShare(offerID: $0, running: running[$0, default: 0] / n, new: new[$0, default: 0] / n) }
    }
}
