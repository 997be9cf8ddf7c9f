// The strategy, as a pure function: given the catalog, the customer's view and contact history,
// the propensities from scoring (or none: then the catalog's priors) and the request, which
// offers to show, why each candidate was kept or dropped, and the probability with which this
// policy chose each shown offer (for off-policy evaluation). Time and randomness come in.
//
// Order of the strategy:
//   1. opted out of the channel → nothing; then the customer's strategy (champion or a
//   challenger, by a hash of their id: its formula, exploration and offer set rule steps 4–7);
//   2. global control group → the channel's default offer (or nothing), logged as control;
//   3. contact caps reached → nothing;
//   4. per offer: channel, validity dates, the strategy's offer set, eligibility rule, suppression
//   after a decline / cool-down after an acceptance, per-offer holdout — each drop has its reason
//   (a held-out offer the policy would have shown is logged as held out, to measure its lift);
//   5. priority = the strategy's formula (propensity × value × levers by default);
//   6. high-value customers at risk (the catalog's retention rule): retention offers rank first;
//   7. slots filled one by one, at most one offer per category, each drawn among the remaining
//      offers (within the retention offers while any remain for a customer at risk) with the
//      chances the strategy's exploration gives them (Exploration: by default the best offer,
//      and the others as far as the model is unsure they are worse). The logged probability of
//      a shown offer is the exact chance this policy picked it at its slot, given the slots before it.
//   8. nothing qualified → the channel's default offer, if it may be shown.
// A request may name the offers it lets the decision show, per slot too (Personalizer's actions,
// exclusions and slots): the others are dropped as not requested or excluded. In apprentice mode
// (`baseline`) each slot shows its baseline offer if it passes every check, with probability 1,
// and there is no control group.

/// What scoring said of one offer.
public struct Propensity: Sendable {
    public var mean: Double
    /// The variance of the model's logit for this offer (how unsure it is); nil: unknown (a prior).
    public var logitVariance: Double?

    public init(mean: Double, logitVariance: Double? = nil) {
        self.mean = mean
        self.logitVariance = logitVariance
    }
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
        /// The id of the slot it fills, when the request named its slots.
        public var slotID = ""
    }

    /// Why a candidate was kept or dropped; rendered as text only when it is read.
    public enum Reason: Sendable, CustomStringConvertible {
        case controlGroup, outsideValidity, shown, lowerPriority, notRequested, excluded
        case notOnChannel(String), notInStrategy(String), heldOut(Double), notEligible(String), suppressed(String), categoryTaken(String)

        public var description: String {
            switch self {
            case .controlGroup: "control group"
            case .outsideValidity: "outside its validity dates"
            case .shown: "shown"
            case .lowerPriority: "lower priority"
            case .notRequested: "not among the request's offers"
            case .excluded: "excluded by the request"
            case .notOnChannel(let channel): "not shown on \(channel)"
            case .notInStrategy(let strategy): "not among strategy \(strategy)'s offers"
            case .heldOut(let percent): "held out of this offer (\(percent.formatted)%)"
            case .notEligible(let rule): "not eligible: \(rule)"
            case .suppressed(let why): why
            case .categoryTaken(let category): "an offer of the same category (\(category)) was shown"
            }
        }

        /// A short, stable form for the decision log: the rule's text is in the logged catalog version.
        public var code: String {
            switch self {
            case .controlGroup: "control_group"
            case .outsideValidity: "outside_validity"
            case .shown: "shown"
            case .lowerPriority: "lower_priority"
            case .notRequested: "not_requested"
            case .excluded: "excluded"
            case .notOnChannel: "not_on_channel"
            case .notInStrategy: "not_in_strategy"
            case .heldOut: "held_out"
            case .notEligible: "not_eligible"
            case .suppressed(let why): "suppressed: " + why
            case .categoryTaken: "category_taken"
            }
        }
    }

    /// One catalog offer as this decision judged it: kept or dropped, and why.
    public struct OfferVerdict: Sendable {
        public var offerID: String
        /// Where the offer is in the catalog's offers (its category and prior, without a lookup).
        public var offerIndex: Int
        public var kept: Bool
        public var why: Reason
        public var propensity: Double?
        public var priority: Double?
        /// P(chosen for the first slot), for kept candidates; these sum to 1 when any was kept.
        public var firstSlotProbability: Double?
        /// The variance of the model's logit, for kept candidates the model scored (what the
        /// exploration read: with the propensity, what a replay of the decision needs).
        public var logitVariance: Double?

        public var reason: String { why.description }
    }

    public var offers: [Choice] = []
    public var candidates: [OfferVerdict] = []
    /// The strategy that decided (empty: the catalog names none).
    public var strategy = ""
    public var control = false
    /// The offers the policy would have shown but did not, logged so that their outcomes measure
    /// lift: for the control group, all of them; otherwise those the customer is held out of.
    public var heldOut: [Choice] = []
    public var retention = false
    public var explanation: [String] = []
}

public struct DecisionEngine: Sendable {
    public let catalog: OfferCatalog
    /// The catalog's strategies, each with the upper end of its range of the hash and, when it
    /// names its offers, whether it may show each of the catalog's (by position).
    let strategies: [(strategy: Strategy, exploration: Exploration, upTo: Double, shows: [Bool]?)]
    /// The prior when neither scoring nor the catalog gives one.
    public static let defaultPropensity = 0.05

    /// Per offer (catalog order): its category as a small number, whether it is a retention
    /// offer, and its lever terms of the priority formula — so arbitration handles numbers, not strings.
    let categoryIndex: [Int]
    let isRetention: [Bool]
    let leverTerms: [[Double]]

    /// `exploration`: each strategy's own unless given.
    public init(catalog: OfferCatalog, exploration: Exploration? = nil) {
        self.catalog = catalog
        var upTo = 0.0
        strategies = catalog.strategies.map { strategy in
            upTo += strategy.share / 100
            return (strategy, exploration ?? strategy.exploration, upTo, strategy.offers.map { ids in catalog.offers.map { ids.contains($0.id) } })
        }
        let categories = Array(Set(catalog.offers.map(\.category))).sorted()
        categoryIndex = catalog.offers.map { categories.firstIndex(of: $0.category)! }
        isRetention = catalog.offers.map { $0.category == catalog.retentionCategory }
        let terms = catalog.priorityFormula.terms
        leverTerms = catalog.offers.map { offer in terms.dropFirst(2).map { offer.levers[$0] ?? 1 } }
    }

    /// The first half of a decision, before any propensity is known: who may be shown what.
    /// `eligible` are the offers scoring should score; the rest is settled already.
    public struct Screening: Sendable {
        public var decision = Decision()
        /// Offers that passed every check, as positions in the catalog; nil when the decision is
        /// already made (opted out, contact cap). For the control group, the offers the policy
        /// would have considered.
        public var eligible: [Int]?
        /// The customer's strategy, a position in `strategies`.
        public var strategy = 0
        /// Offers that passed every check but the customer's per-offer holdout.
        public var heldOut: [Int] = []
    }

    /// The customer's strategy: a hash of their id, like the control group's but with its own salt
    /// (so the split is the same inside and outside the control group); anonymous: the first.
    func strategy(of customerID: String) -> Int {
        guard strategies.count > 1, !customerID.isEmpty else { return 0 }
        let position = ControlGroup.position(catalog.controlSalt + "/strategies\u{1F}" + customerID)
        return strategies.firstIndex { position < $0.upTo } ?? strategies.count - 1
    }

    public func screen(_ request: DecisionRequest, view: CustomerViewInput, history: [ContactRecord]) -> Screening {
        var screening = Screening()
        let channel = request.channel
        if view.optedOut.contains(channel) {
            screening.decision.explanation.append("customer opted out of \(channel): no offer")
            return screening
        }
        screening.strategy = strategy(of: view.customerID)
        let (strategy, _, _, shows) = strategies[screening.strategy]
        screening.decision.strategy = strategy.name
        if strategies.count > 1 { screening.decision.explanation.append("strategy \(strategy.name) (\(strategy.share.formatted)% of customers)") }
        // Apprentice mode has no control group: every decision shows the application's own choice already.
        let control = !request.baseline && !view.customerID.isEmpty && ControlGroup.contains(view.customerID, percent: catalog.controlPercent, salt: catalog.controlSalt)
        if control {
            screening.decision.control = true
            screening.decision.explanation.append("control group (\(catalog.controlPercent.formatted)%): the channel's default offer only")
            if let offer = defaultOffer(request, history: history) {
                screening.decision.offers = [choice(offer, channel, propensity: prior(offer), probability: 1, priority: 0, reason: "control group: default offer",
                                                    slotID: request.slotID(0))]
            }
        }
        if let cap = catalog.contactPolicy.capReached(channel: channel, history: history, now: request.now) {
            screening.decision.explanation.append(cap + (control ? "" : ": no offer"))
            if control { screening.decision.candidates = controlCandidates }
            return screening
        }
        let day = Int(request.now / 86_400_000)
        var eligible: [Int] = []
        for (index, offer) in catalog.offers.enumerated() {
            // The holdout last: a held-out customer is one who could otherwise have been shown the offer.
            let why: Decision.Reason? = if !(request.offerIDs?.contains(offer.id) ?? true) { .notRequested }
                else if request.excludedOfferIDs.contains(offer.id) { .excluded }
                else if !offer.channels.contains(channel) { .notOnChannel(channel) }
                else if !offer.isValid(onDay: day) { .outsideValidity }
                else if let shows, !shows[index] { .notInStrategy(strategy.name) }
                else if let rule = offer.eligibility, !rule.admits(view.rules) { .notEligible(rule.text) }
                else if let suppressed = catalog.contactPolicy.suppression(of: offer, history: history, now: request.now) { .suppressed(suppressed) }
                else if offer.holdoutPercent > 0, ControlGroup.contains(view.customerID, percent: offer.holdoutPercent, salt: catalog.controlSalt + "/" + offer.id) {
                    .heldOut(offer.holdoutPercent)
                } else { nil }
            if case .heldOut = why { screening.heldOut.append(index) }
            if let why {
                screening.decision.candidates.append(Decision.OfferVerdict(offerID: offer.id, offerIndex: index, kept: false, why: why))
            } else {
                eligible.append(index)
            }
        }
        screening.eligible = eligible
        screening.decision.retention = catalog.retentionRule?.admits(view.rules) ?? false
        if control { screening.decision.candidates = controlCandidates }
        return screening
    }

    /// The screening when there is no view of the customer (the profile service down, nothing
    /// cached): their opt-outs and eligibility are unknown, so nothing may be targeted — no offer,
    /// and no control assignment without a customer id.
    public func screenWithoutView() -> Screening {
        var screening = Screening()
        screening.decision.explanation.append("no view of the customer: their consent (opt-outs) and eligibility are unknown, so no offer")
        return screening
    }

    /// A control decision's candidates: every offer, dropped as "control group".
    var controlCandidates: [Decision.OfferVerdict] { catalog.offers.indices.map { Decision.OfferVerdict(offerID: catalog.offers[$0].id, offerIndex: $0, kept: false, why: .controlGroup) } }

    /// The second half: ranks the eligible offers with their propensities (nil: the priors) and fills the slots.
    public func arbitrate<R: RandomNumberGenerator>(_ screening: Screening, _ request: DecisionRequest, history: [ContactRecord],
                                                    propensities: [String: Propensity]?, using random: inout R) -> Decision {
        var decision = screening.decision
        guard let eligible = screening.eligible else { return decision }
        if decision.control {
            decision.heldOut = wouldShow(screening, also: [], request, history: history, propensities: propensities, using: &random)
            return decision
        }
        if !screening.heldOut.isEmpty {
            // With the same draws, what the policy would have shown had the customer not been held out.
            var same = random
            let held = Set(screening.heldOut.map { catalog.offers[$0].id })
            decision.heldOut = wouldShow(screening, also: screening.heldOut, request, history: history, propensities: propensities, using: &same)
                .filter { held.contains($0.offer.id) }
            if !decision.heldOut.isEmpty {
                decision.explanation.append("held out of \(decision.heldOut.map(\.offer.id).joined(separator: ", ")), which the policy would have shown: logged to measure its lift")
            }
        }
        let channel = request.channel
        let offers = catalog.offers
        let (strategy, exploration, _, _) = strategies[screening.strategy]
        let formula = strategy.priorityFormula
        var terms = [Double](repeating: 1, count: formula.terms.count)
        var kept: [(index: Int, propensity: Double, priority: Double, spread: Double, variance: Double?)] = []
        kept.reserveCapacity(eligible.count)
        let spreads = if case .uncertainty = exploration { true } else { false }
        for index in eligible {
            let scored = propensities?[offers[index].id]
            let propensity = scored?.mean ?? prior(offers[index])
            terms[0] = propensity
            terms[1] = offers[index].value
            for (k, lever) in leverTerms[index].enumerated() { terms[k + 2] = lever }
            let priority = formula.priority(terms)
            var spread = 0.0
            if spreads {
                // The priority's spread: the propensity's, times how the formula moves with it.
                let step = 1e-6
                terms[0] = propensity + step
                let slope = (formula.priority(terms) - priority) / step
                spread = abs(slope) * Exploration.spread(mean: propensity, logitVariance: scored?.logitVariance)
                if !spread.isFinite { spread = 0 }
            }
            kept.append((index, propensity, priority, spread, scored?.logitVariance))
        }
        let retentionFirst = decision.retention && kept.contains { isRetention[$0.index] }
        if retentionFirst { decision.explanation.append("high-value customer at risk: retention offers first") }
        kept.sort { a, b in
            let ra = retentionFirst && isRetention[a.index], rb = retentionFirst && isRetention[b.index]
            if ra != rb { return ra }
            return a.priority != b.priority ? a.priority > b.priority : offers[a.index].id < offers[b.index].id
        }

        var usedCategories: Set<Int> = []
        var shownAt: [Int: Int] = [:]  // kept position → slot
        var firstSlot = [Double](repeating: 0, count: kept.count)
        for slot in 0..<max(request.slots, 1) {
            var remaining = kept.indices.filter { !usedCategories.contains(categoryIndex[kept[$0].index]) }
            if slot < request.slotOptions.count {
                let options = request.slotOptions[slot]
                remaining = remaining.filter { !options.excludedOfferIDs.contains(offers[kept[$0].index].id) }
                // Apprentice mode: the slot's baseline is its only candidate, so it is drawn with probability 1.
                if request.baseline { remaining = remaining.filter { offers[kept[$0].index].id == options.baselineOfferID } }
            }
            if retentionFirst, !request.baseline, remaining.contains(where: { isRetention[kept[$0].index] }) {
                remaining = remaining.filter { isRetention[kept[$0].index] }
            }
            // A slot whose own exclusions leave nothing stays empty; the next may still be filled.
            guard !remaining.isEmpty else { continue }
            let chances = exploration.probabilities(priorities: remaining.map { kept[$0].priority }, spreads: remaining.map { kept[$0].spread })
            let pick = Exploration.draw(chances, unit: Double.random(in: 0..<1, using: &random))
            if slot == 0 {
                for (rank, position) in remaining.enumerated() { firstSlot[position] = chances[rank] }
            }
            let chosen = kept[remaining[pick]]
            let offer = offers[chosen.index]
            let probability = chances[pick]
            var reason = (pick == 0 ? "highest priority " : "explored (\(exploration), chance \(formatted(probability))); priority ") + formatted(chosen.priority)
            reason += " = \(formula.text) with propensity \(formatted(chosen.propensity)), value \(offer.value.formatted)"
            if retentionFirst, isRetention[chosen.index] { reason = "retention first; " + reason }
            if request.baseline { reason = "baseline (apprentice mode): the application's own choice, shown while the model learns from it" }
            decision.offers.append(choice(offer, channel, propensity: chosen.propensity, probability: probability, priority: chosen.priority, reason: reason,
                                          slotID: request.slotID(slot)))
            usedCategories.insert(categoryIndex[chosen.index])
            shownAt[remaining[pick]] = slot
        }
        for (position, item) in kept.enumerated() {
            let offer = offers[item.index]
            let why: Decision.Reason = shownAt[position] != nil ? .shown
                : usedCategories.contains(categoryIndex[item.index]) ? .categoryTaken(offer.category) : .lowerPriority
            decision.candidates.append(Decision.OfferVerdict(offerID: offer.id, offerIndex: item.index, kept: true, why: why, propensity: item.propensity,
                                                          priority: item.priority, firstSlotProbability: firstSlot[position], logitVariance: item.variance))
        }
        if decision.offers.isEmpty, !request.baseline, let offer = defaultOffer(request, history: history) {
            decision.offers = [choice(offer, channel, propensity: prior(offer), probability: 1, priority: 0, reason: "default offer: nothing else qualified",
                                      slotID: request.slotID(0))]
        }
        return decision
    }

    /// The offers the policy would have shown with `also` eligible too (its default offer, shown
    /// when nothing qualified, is no treatment).
    func wouldShow<R: RandomNumberGenerator>(_ screening: Screening, also: [Int], _ request: DecisionRequest, history: [ContactRecord],
                                             propensities: [String: Propensity]?, using random: inout R) -> [Decision.Choice] {
        var policy = screening
        policy.decision = Decision()
        policy.decision.retention = screening.decision.retention
        policy.eligible = (screening.eligible ?? []) + also
        policy.heldOut = []
        let would = arbitrate(policy, request, history: history, propensities: propensities, using: &random)
        return would.candidates.contains { $0.kept } ? would.offers : []
    }

    /// Both halves at once.
    public func decide<R: RandomNumberGenerator>(_ request: DecisionRequest, view: CustomerViewInput, history: [ContactRecord],
                                                 propensities: [String: Propensity]?, using random: inout R) -> Decision {
        arbitrate(screen(request, view: view, history: history), request, history: history, propensities: propensities, using: &random)
    }

    func prior(_ offer: Offer) -> Double { offer.priorPropensity > 0 ? offer.priorPropensity : Self.defaultPropensity }

    /// The channel's default offer, unless it is suppressed or the request does not let it be shown.
    func defaultOffer(_ request: DecisionRequest, history: [ContactRecord]) -> Offer? {
        guard let id = catalog.defaultOffers[request.channel], request.allows(id), let offer = catalog.offer(id),
              catalog.contactPolicy.suppression(of: offer, history: history, now: request.now) == nil else { return nil }
        return offer
    }

    func choice(_ offer: Offer, _ channel: String, propensity: Double, probability: Double, priority: Double, reason: String, slotID: String = "") -> Decision.Choice {
        Decision.Choice(offer: offer, treatment: offer.treatments[channel]!, propensity: propensity, probability: probability, priority: priority, reason: reason,
                        slotID: slotID)
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
