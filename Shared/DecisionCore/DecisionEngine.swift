// The strategy, as a pure function: given the catalog, the customer's view and contact history,
// the propensities from scoring (or none: then the catalog's priors) and the request, which
// offers to show, why each candidate was kept or dropped, and the probability with which this
// policy chose each shown offer (for off-policy evaluation). Time and randomness come in.
//
// Order of the strategy:
//   1. opted out of the channel → nothing; 2. global control group → the channel's default
//   offer (or nothing), logged as control; 3. contact caps reached → nothing;
//   4. per offer: channel, validity dates, per-offer holdout, eligibility rule, suppression after
//   a decline / cool-down after an acceptance — each drop has its reason;
//   5. priority = the catalog's formula (propensity × value × levers by default);
//   6. high-value customers at risk (the catalog's retention rule): retention offers rank first;
//   7. slots filled one by one, at most one offer per category, by ε-greedy exploration:
//      the best remaining offer with probability 1 − ε, a uniformly random remaining one with ε
//      (within the retention offers while any remain for a customer at risk). The logged
//      probability of a shown offer is (1 − ε)·[it was the best] + ε / (offers remaining), the
//      exact chance this policy picks it at its slot, given the slots before it.
//   8. nothing qualified → the channel's default offer, if it may be shown.

public struct DecisionRequest: Sendable {
    public var channel: String
    public var slots: Int
    public var context: [String: String]
    public var hour: Int?
    /// Unix milliseconds.
    public var now: Int64

    public init(channel: String, slots: Int = 1, context: [String: String] = [:], hour: Int? = nil, now: Int64) {
        self.channel = channel
        self.slots = slots
        self.context = context
        self.hour = hour
        self.now = now
    }
}

/// What scoring said of one offer.
public struct Propensity: Sendable {
    public var mean: Double

    public init(mean: Double) { self.mean = mean }
}

public struct Decision: Sendable {
    public struct Choice: Sendable {
        public var offer: Offer
        public var treatment: Treatment
        public var propensity: Double
        /// P(this policy shows this offer at this slot), given the slots before it.
        public var probability: Double
        public var priority: Double
        public var reason: String
    }

    public struct Candidate: Sendable {
        public var offerID: String
        public var kept: Bool
        public var reason: String
        public var propensity: Double?
        public var priority: Double?
        /// P(chosen for the first slot), for kept candidates; these sum to 1 when any was kept.
        public var firstSlotProbability: Double?
    }

    public var offers: [Choice] = []
    public var candidates: [Candidate] = []
    public var control = false
    public var retention = false
    public var explanation: [String] = []
}

public struct DecisionEngine: Sendable {
    public let catalog: OfferCatalog
    /// Exploration rate of the ε-greedy policy.
    public let epsilon: Double
    /// The prior when neither scoring nor the catalog gives one.
    public static let defaultPropensity = 0.05

    public init(catalog: OfferCatalog, epsilon: Double = 0.1) {
        self.catalog = catalog
        self.epsilon = min(max(epsilon, 0), 1)
    }

    public func decide<R: RandomNumberGenerator>(_ request: DecisionRequest, view: CustomerViewInput, history: [ContactRecord],
                                                 propensities: [String: Propensity]?, using random: inout R) -> Decision {
        var decision = Decision()
        let channel = request.channel
        if view.optedOut.contains(channel) {
            decision.explanation.append("customer opted out of \(channel): no offer")
            return decision
        }
        if !view.customerID.isEmpty, ControlGroup.contains(view.customerID, percent: catalog.controlPercent, salt: catalog.controlSalt) {
            decision.control = true
            decision.explanation.append("control group (\(catalog.controlPercent.formatted)%): the channel's default offer only")
            decision.candidates = catalog.offers.map { Decision.Candidate(offerID: $0.id, kept: false, reason: "control group") }
            if let offer = defaultOffer(channel, view: view, history: history, now: request.now) {
                decision.offers = [choice(offer, channel, propensity: prior(offer), probability: 1, priority: 0, reason: "control group: default offer")]
            }
            return decision
        }
        if let cap = catalog.contactPolicy.capReached(channel: channel, history: history, now: request.now) {
            decision.explanation.append(cap + ": no offer")
            return decision
        }

        let day = Int(request.now / 86_400_000)
        var kept: [(offer: Offer, propensity: Double, priority: Double)] = []
        for offer in catalog.offers {
            let reason: String? = if !offer.channels.contains(channel) { "not shown on \(channel)" }
                else if !offer.isValid(onDay: day) { "outside its validity dates" }
                else if offer.holdoutPercent > 0, ControlGroup.contains(view.customerID, percent: offer.holdoutPercent, salt: catalog.controlSalt + "/" + offer.id) {
                    "held out of this offer (\(offer.holdoutPercent.formatted)%)"
                } else if let rule = offer.eligibility, !rule.admits(view.rules) { "not eligible: \(rule.text)" }
                else { catalog.contactPolicy.suppression(of: offer, history: history, now: request.now) }
            if let reason {
                decision.candidates.append(Decision.Candidate(offerID: offer.id, kept: false, reason: reason))
                continue
            }
            let propensity = propensities?[offer.id]?.mean ?? prior(offer)
            kept.append((offer, propensity, priority(offer, propensity)))
        }

        decision.retention = catalog.retentionRule?.admits(view.rules) ?? false
        let retentionFirst = decision.retention && kept.contains { $0.offer.category == catalog.retentionCategory }
        if retentionFirst { decision.explanation.append("high-value customer at risk: retention offers first") }
        kept.sort { a, b in
            let ra = retentionFirst && a.offer.category == catalog.retentionCategory
            let rb = retentionFirst && b.offer.category == catalog.retentionCategory
            if ra != rb { return ra }
            return a.priority != b.priority ? a.priority > b.priority : a.offer.id < b.offer.id
        }

        var usedCategories: Set<String> = []
        var firstSlot: [String: Double] = [:]
        for slot in 0..<max(request.slots, 1) {
            var remaining = kept.filter { !usedCategories.contains($0.offer.category) }
            if retentionFirst, remaining.contains(where: { $0.offer.category == catalog.retentionCategory }) {
                remaining = remaining.filter { $0.offer.category == catalog.retentionCategory }
            }
            guard !remaining.isEmpty else { break }
            let explore = Double.random(in: 0..<1, using: &random) < epsilon
            let pick = explore ? Int.random(in: 0..<remaining.count, using: &random) : 0
            let share = epsilon / Double(remaining.count)
            if slot == 0 {
                for (index, item) in remaining.enumerated() { firstSlot[item.offer.id] = (index == 0 ? 1 - epsilon : 0) + share }
            }
            let chosen = remaining[pick]
            let probability = (pick == 0 ? 1 - epsilon : 0) + share
            var reason = (pick == 0 ? "highest priority " : "explored (ε = \(epsilon.formatted)); priority ") + formatted(chosen.priority)
            reason += " = \(catalog.priorityFormula.text) with propensity \(formatted(chosen.propensity)), value \(chosen.offer.value.formatted)"
            if retentionFirst, chosen.offer.category == catalog.retentionCategory { reason = "retention first; " + reason }
            decision.offers.append(choice(chosen.offer, channel, propensity: chosen.propensity, probability: probability, priority: chosen.priority, reason: reason))
            usedCategories.insert(chosen.offer.category)
        }
        for item in kept {
            let shown = decision.offers.contains { $0.offer.id == item.offer.id }
            let reason = shown ? "shown" : usedCategories.contains(item.offer.category) ? "another \(item.offer.category) offer was shown" : "lower priority"
            decision.candidates.append(Decision.Candidate(offerID: item.offer.id, kept: true, reason: reason, propensity: item.propensity,
                                                          priority: item.priority, firstSlotProbability: firstSlot[item.offer.id] ?? 0))
        }
        if decision.offers.isEmpty, let offer = defaultOffer(channel, view: view, history: history, now: request.now) {
            decision.offers = [choice(offer, channel, propensity: prior(offer), probability: 1, priority: 0, reason: "default offer: nothing else qualified")]
        }
        return decision
    }

    func prior(_ offer: Offer) -> Double { offer.priorPropensity > 0 ? offer.priorPropensity : Self.defaultPropensity }

    func priority(_ offer: Offer, _ propensity: Double) -> Double {
        catalog.priorityFormula.priority(catalog.priorityFormula.terms.map { term in
            switch term {
            case "propensity": propensity
            case "value": offer.value
            default: offer.levers[term] ?? 1
            }
        })
    }

    func defaultOffer(_ channel: String, view: CustomerViewInput, history: [ContactRecord], now: Int64) -> Offer? {
        guard let id = catalog.defaultOffers[channel], let offer = catalog.offer(id),
              catalog.contactPolicy.suppression(of: offer, history: history, now: now) == nil else { return nil }
        return offer
    }

    func choice(_ offer: Offer, _ channel: String, propensity: Double, probability: Double, priority: Double, reason: String) -> Decision.Choice {
        Decision.Choice(offer: offer, treatment: offer.treatments[channel]!, propensity: propensity, probability: probability, priority: priority, reason: reason)
    }

    func formatted(_ value: Double) -> String {
        let rounded = (value * 1000).rounded() / 1000
        return rounded.formatted
    }
}

/// The parts of the customer view the strategy reads, with the rule input built once.
public struct CustomerViewInput: Sendable {
    public var customerID: String
    public var optedOut: Set<String>
    public var rules: RuleInput

    public init(customerID: String, optedOut: Set<String>, rules: RuleInput) {
        self.customerID = customerID
        self.optedOut = optedOut
        self.rules = rules
    }
}
