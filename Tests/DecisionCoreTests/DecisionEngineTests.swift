import DecisionCore
import Random
import Testing
import Wire

struct DecisionEngineTests {
    static let now: Int64 = 1_790_000_000_000
    static let day: Int64 = 86_400_000

    static func customer(id: String = "c-not-in-control", segment: String = "silver", churn: Double = 0.2, clv: Double = 2_500,
                         holdings: [String] = ["credit_card", "mortgage"], optedOut: Set<String> = [], channel: String = "web") -> CustomerViewInput {
        let view = CustomerView.with {
            $0.customerID = id
            $0.segment = segment
            $0.churnRisk = churn
            $0.clv = clv
            $0.holdings = holdings
        }
        return CustomerViewInput(customerID: id, optedOut: optedOut, rules: RuleInput(view: view, channel: channel, context: [:], hour: 10, now: now))
    }

    /// A customer id outside the sample catalog's 5% control group.
    static func idOutsideControl(_ catalog: OfferCatalog, _ n: Int = 0) -> String {
        (n...).lazy.map { "c\($0)" }.first { !ControlGroup.contains($0, percent: catalog.controlPercent, salt: catalog.controlSalt) }!
    }

    func decide(_ engine: DecisionEngine, _ view: CustomerViewInput, channel: String = "web", slots: Int = 1, history: [ContactRecord] = [],
                propensities: [String: Double]? = nil, seed: UInt64 = 1) -> Decision {
        var random = SeededRandom(seed: seed)
        return engine.decide(DecisionRequest(channel: channel, slots: slots, now: Self.now), view: view, history: history,
                             propensities: propensities?.mapValues { Propensity(mean: $0) }, using: &random)
    }

    @Test func theControlGroupIsStableAndItsConfiguredShare() throws {
        let catalog = try sampleCatalog()
        let members = (0..<100_000).filter { ControlGroup.contains("customer-\($0)", percent: 5, salt: catalog.controlSalt) }
        #expect(abs(Double(members.count) / 100_000 - 0.05) <= 0.005, "\(members.count) of 100,000")
        #expect(members.allSatisfy { ControlGroup.contains("customer-\($0)", percent: 5, salt: catalog.controlSalt) })
        // Another salt draws another group.
        let other = Set((0..<100_000).filter { ControlGroup.contains("customer-\($0)", percent: 5, salt: "other") })
        #expect(Set(members).intersection(other).count < 600)

        let engine = DecisionEngine(catalog: catalog)
        let member = "customer-\(members[0])"
        let decision = decide(engine, Self.customer(id: member), channel: "atm")
        #expect(decision.control)
        #expect(decision.offers.map(\.offer.id) == ["mobile_app"])
        #expect(decision.candidates.allSatisfy { !$0.kept && $0.reason == "control group" })
        // What the policy would have shown is logged (not shown), so control outcomes measure lift.
        let exploiting = DecisionEngine(catalog: catalog, exploration: .greedy)
        let held = decide(exploiting, Self.customer(id: member), slots: 2)
        let treated = decide(exploiting, Self.customer(id: Self.idOutsideControl(catalog)), slots: 2)
        #expect(held.control && held.offers.map(\.offer.id) == ["mobile_app"] && !treated.control)
        #expect(held.heldOut.count == 2 && held.heldOut.map(\.offer.id) == treated.offers.map(\.offer.id))
    }

    @Test func withoutAViewNothingIsTargetedNotEvenTheDefaultOffer() throws {
        let engine = DecisionEngine(catalog: try sampleCatalog())
        var random = SeededRandom(seed: 1)
        let request = DecisionRequest(channel: "atm", now: Self.now)
        let decision = engine.arbitrate(engine.screenWithoutView(), request, history: [], propensities: nil, using: &random)
        #expect(decision.offers.isEmpty && !decision.control && decision.candidates.isEmpty)
        #expect(decision.explanation == ["no view of the customer: their consent (opt-outs) and eligibility are unknown, so no offer"])
        // The same channel with a view does show its default offer to the control group: that path stays.
        #expect(engine.catalog.defaultOffers["atm"] == "mobile_app")
    }

    @Test func offersAreRankedByPriorityWithOnePerCategory() throws {
        let catalog = try sampleCatalog()
        let engine = DecisionEngine(catalog: catalog, exploration: .greedy)
        let view = Self.customer(id: Self.idOutsideControl(catalog))
        // Eligible on the web for this customer: credit_card_upgrade (cards), mortgage_refinance and
        // personal_loan (lending), home_insurance (insurance), savings_bonus (savings), mobile_app (service).
        let propensities = ["credit_card_upgrade": 0.05, "mortgage_refinance": 0.03, "personal_loan": 0.2, "home_insurance": 0.1,
                            "savings_bonus": 0.1, "mobile_app": 0.5]
        let decision = decide(engine, view, slots: 4, propensities: propensities)
        // Priorities: loan 0.2×300 = 60, refinance 0.03×900 = 27, home 0.1×120 = 12, card 0.05×220 = 11, savings 0.1×90×1.2 = 10.8, app 0.5×5×0.5 = 1.25.
        #expect(decision.offers.map(\.offer.id) == ["personal_loan", "home_insurance", "credit_card_upgrade", "savings_bonus"])
        #expect(decision.offers.allSatisfy { $0.probability == 1 })
        #expect(decision.offers[0].priority == 0.2 * 300)
        #expect(decision.candidates.first { $0.offerID == "mortgage_refinance" }?.reason == "an offer of the same category (lending) was shown")
        #expect(decision.candidates.first { $0.offerID == "new_credit_card" }?.reason == #"not eligible: not holds("credit_card") and known"#)
        #expect(decision.candidates.first { $0.offerID == "fee_waiver_retention" }?.kept == false)
        #expect(decision.offers[0].treatment.text == "Your pre-approved loan")
        #expect(!decision.retention)
    }

    @Test(arguments: ["atm", "kiosk", "web", "call_center"])
    func highValueCustomersAtRiskGetRetentionOffersFirstEverywhere(channel: String) throws {
        let catalog = try sampleCatalog()
        let engine = DecisionEngine(catalog: catalog)
        let view = Self.customer(id: Self.idOutsideControl(catalog), segment: "platinum", churn: 0.8, channel: channel)
        // The loan is far more attractive by priority; retention still comes first, even when exploring.
        for seed in 1...20 {
            let decision = decide(engine, view, channel: channel, slots: 2, propensities: ["personal_loan": 0.9], seed: UInt64(seed))
            #expect(decision.retention)
            #expect(decision.offers.first?.offer.category == "retention", "\(channel): \(decision.offers.map(\.offer.id))")
        }
        let agent = decide(engine, view, channel: "call_center")
        #expect(agent.offers[0].treatment.talkingPoints.count == 3 && agent.offers[0].treatment.text.hasPrefix("Before we finish"))
    }

    @Test func loggedProbabilitiesSumToOneAndMatchHowOftenEachOfferIsShown() throws {
        let catalog = try sampleCatalog()
        let engine = DecisionEngine(catalog: catalog, exploration: .epsilonGreedy(0.2))
        let view = Self.customer(id: Self.idOutsideControl(catalog))
        var shown: [String: Int] = [:]
        var logged: [String: Double] = [:]
        let rounds = 20_000
        for seed in 0..<rounds {
            let decision = decide(engine, view, seed: UInt64(seed))
            let kept = decision.candidates.filter(\.kept)
            #expect(abs(kept.compactMap(\.firstSlotProbability).reduce(0, +) - 1) < 1e-12)
            shown[decision.offers[0].offer.id, default: 0] += 1
            logged[decision.offers[0].offer.id] = decision.offers[0].probability
        }
        for (id, probability) in logged {
            #expect(abs(Double(shown[id]!) / Double(rounds) - probability) < 0.01, "\(id): shown \(shown[id]!), logged \(probability)")
        }
        #expect(logged.count == 6)  // every eligible offer gets explored
    }

    @Test func aDeclineOnOneChannelSuppressesTheOfferOnEveryChannel() throws {
        let catalog = try sampleCatalog()
        let engine = DecisionEngine(catalog: catalog, exploration: .greedy)
        let view = Self.customer(id: Self.idOutsideControl(catalog))
        let declined = [ContactRecord(offerID: "personal_loan", category: "lending", channel: "atm", timeMs: Self.now - 3 * Self.day, kind: .declined)]
        let decision = decide(engine, view, history: declined, propensities: ["personal_loan": 0.9])
        #expect(decision.offers[0].offer.id != "personal_loan")
        #expect(decision.candidates.first { $0.offerID == "personal_loan" }?.reason == "declined on atm 3 day(s) ago (suppressed for 30)")
        let later = [ContactRecord(offerID: "personal_loan", category: "lending", channel: "atm", timeMs: Self.now - 31 * Self.day, kind: .declined)]
        #expect(decide(engine, view, history: later, propensities: ["personal_loan": 0.9]).offers[0].offer.id == "personal_loan")
    }

    @Test func anAcceptanceCoolsDownItsCategory() throws {
        let catalog = try sampleCatalog()
        let engine = DecisionEngine(catalog: catalog, exploration: .greedy)
        let view = Self.customer(id: Self.idOutsideControl(catalog))
        let accepted = [ContactRecord(offerID: "mortgage_refinance", category: "lending", channel: "call_center", timeMs: Self.now - 10 * Self.day, kind: .accepted)]
        let decision = decide(engine, view, slots: 5, history: accepted, propensities: ["personal_loan": 0.9])
        #expect(!decision.offers.contains { $0.offer.category == "lending" })
        #expect(decision.candidates.first { $0.offerID == "personal_loan" }?.reason.hasPrefix("accepted mortgage_refinance (lending) 10 day(s) ago") == true)
    }

    @Test func theContactPolicySwitchesOffAsDocumented() throws {
        // DECISION.md: no caps where none are listed, 0 days of suppression and of cool-down.
        let path = repositoryRoot.appendingPathComponent("examples/catalog/retail-bank.yaml").path
        let policy = """
            contact_policy:
              per_channel_per_day: {atm: 1, kiosk: 2, web: 3, call_center: 2}
              all_channels_per_week: 6
              suppress_days_after_decline: 30
              cooldown_days_after_accept: 90
            """
        let sample = try String(contentsOfFile: path, encoding: .utf8)
        #expect(sample.contains(policy))
        let yaml = sample.replacingOccurrences(of: policy, with: "contact_policy:\n  suppress_days_after_decline: 0\n  cooldown_days_after_accept: 0")
        let catalog = try CatalogLoader.load(yaml: yaml, file: "no-policy.yaml")
        #expect(catalog.contactPolicy.perChannelPerDay.isEmpty && catalog.contactPolicy.allChannelsPerWeek == nil)
        let engine = DecisionEngine(catalog: catalog, exploration: .greedy)
        let view = Self.customer(id: Self.idOutsideControl(catalog))
        let history = (0..<20).map { ContactRecord(offerID: "mobile_app", category: "service", channel: "web", timeMs: Self.now - Int64($0) * 60_000, kind: .shown) }
            + [ContactRecord(offerID: "personal_loan", category: "lending", channel: "atm", timeMs: Self.now - Self.day, kind: .declined),
               ContactRecord(offerID: "mortgage_refinance", category: "lending", channel: "web", timeMs: Self.now - Self.day, kind: .accepted)]
        let decision = decide(engine, view, history: history, propensities: ["personal_loan": 0.9])
        #expect(decision.offers.map(\.offer.id) == ["personal_loan"], "\(decision.explanation) \(decision.candidates.map(\.reason))")
    }

    @Test func contactCapsStopOffersPerChannelAndAcrossChannels() throws {
        let catalog = try sampleCatalog()
        let engine = DecisionEngine(catalog: catalog)
        let view = Self.customer(id: Self.idOutsideControl(catalog))
        func shown(_ channel: String, hoursAgo: Int64) -> ContactRecord {
            ContactRecord(offerID: "mobile_app", category: "service", channel: channel, timeMs: Self.now - hoursAgo * 3_600_000, kind: .shown)
        }
        // ATM: one a day.
        let atm = decide(engine, view, channel: "atm", history: [shown("atm", hoursAgo: 2)])
        #expect(atm.offers.isEmpty && atm.explanation == ["contact cap: 1 offer(s) a day on atm already shown: no offer"])
        #expect(!decide(engine, view, channel: "atm", history: [shown("atm", hoursAgo: 25)]).offers.isEmpty)
        // Six a week across channels, whatever the channel now.
        let week = (1...6).map { shown(["web", "kiosk", "atm"][$0 % 3], hoursAgo: Int64($0) * 24 + 1) }
        #expect(decide(engine, view, channel: "web", history: week).offers.isEmpty)
        #expect(!decide(engine, view, channel: "web", history: Array(week.prefix(5))).offers.isEmpty)
    }

    @Test func optOutsAreRespectedAndTheDefaultOfferFillsIn() throws {
        let catalog = try sampleCatalog()
        let engine = DecisionEngine(catalog: catalog)
        let id = Self.idOutsideControl(catalog)
        let optedOut = decide(engine, Self.customer(id: id, optedOut: ["web"]))
        #expect(optedOut.offers.isEmpty && optedOut.explanation == ["customer opted out of web: no offer"])
        // A catalog whose default offer is only ever the fallback.
        let small = try CatalogLoader.load(yaml: """
            version: t
            default_offers: {web: app}
            offers:
              - {id: gold_card, name: Gold card, category: cards, value: 100, channels: [web], eligibility: segment == "gold",
                 treatments: {web: {headline: Gold}}}
              - {id: app, name: App, category: service, value: 1, channels: [web], eligibility: "false",
                 treatments: {web: {headline: Get the app}}}
            """, file: "small.yaml")
        let fallback = decide(DecisionEngine(catalog: small), Self.customer(id: "c1", segment: "silver"))
        #expect(fallback.offers.map(\.offer.id) == ["app"] && fallback.offers[0].reason == "default offer: nothing else qualified")
        #expect(fallback.offers[0].probability == 1)
        #expect(decide(DecisionEngine(catalog: small), Self.customer(id: "c1", segment: "gold")).offers.map(\.offer.id) == ["gold_card"])
    }
}
