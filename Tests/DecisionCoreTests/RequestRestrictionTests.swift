// A request that names the offers it lets the decision show (Personalizer's actions, exclusions,
// slots and baselines): what is shown, what is logged and why.
import DecisionCore
import Random
import Testing

struct RequestRestrictionTests {
    /// Priorities on the web for this customer (greedy): personal_loan 60, mortgage_refinance 27
    /// (both lending), home_insurance 12, credit_card_upgrade 11, savings_bonus 10.8, mobile_app 1.25.
    static let propensities = ["credit_card_upgrade": 0.05, "mortgage_refinance": 0.03, "personal_loan": 0.2, "home_insurance": 0.1,
                               "savings_bonus": 0.1, "mobile_app": 0.5]

    func decide(_ configure: (inout DecisionRequest) -> Void) throws -> Decision {
        let catalog = try sampleCatalog()
        let engine = DecisionEngine(catalog: catalog, exploration: .greedy)
        var request = DecisionRequest(channel: "web", now: DecisionEngineTests.now)
        configure(&request)
        var random = SeededRandom(seed: 1)
        let view = DecisionEngineTests.customer(id: DecisionEngineTests.idOutsideControl(catalog))
        return engine.decide(request, view: view, history: [], propensities: Self.propensities.mapValues { Propensity(mean: $0) }, using: &random)
    }

    func reason(_ decision: Decision, _ offer: String) -> String? {
        decision.candidates.first { $0.offerID == offer }?.why.code
    }

    @Test func onlyTheRequestedOffersLessTheExcludedAreCandidates() throws {
        let decision = try decide {
            $0.offerIDs = ["home_insurance", "savings_bonus", "personal_loan"]
            $0.excludedOfferIDs = ["personal_loan"]
            $0.slots = 3
        }
        #expect(decision.offers.map(\.offer.id) == ["home_insurance", "savings_bonus"])
        #expect(reason(decision, "personal_loan") == "excluded")
        #expect(reason(decision, "mortgage_refinance") == "not_requested" && reason(decision, "mobile_app") == "not_requested")
        #expect(decision.candidates.filter(\.kept).map(\.offerID).sorted() == ["home_insurance", "savings_bonus"])
        // The first slot's chances are among the requested offers only.
        #expect(decision.candidates.compactMap(\.firstSlotProbability).reduce(0, +) == 1)
    }

    @Test func theDefaultOfferIsShownOnlyWhenTheRequestLetsIt() throws {
        // mortgage_refinance alone, excluded: nothing qualifies; the web's default (mobile_app) is not among the offers named.
        let none = try decide { $0.offerIDs = ["mortgage_refinance"]; $0.excludedOfferIDs = ["mortgage_refinance"] }
        #expect(none.offers.isEmpty)
        let fallback = try decide { $0.offerIDs = ["mortgage_refinance", "mobile_app"]; $0.excludedOfferIDs = ["mortgage_refinance"] }
        #expect(fallback.offers.map(\.offer.id) == ["mobile_app"])
    }

    @Test func eachSlotHasItsIdAndItsOwnExclusions() throws {
        let decision = try decide {
            $0.slots = 3
            $0.slotOptions = [.init(id: "hero", excludedOfferIDs: ["personal_loan", "mortgage_refinance"]),
                              .init(id: "side"),
                              .init(id: "footer", excludedOfferIDs: Set(Self.propensities.keys))]
        }
        // hero may not show lending: home insurance; side: the best left, the loan; footer: nothing it may show.
        #expect(decision.offers.map(\.offer.id) == ["home_insurance", "personal_loan"])
        #expect(decision.offers.map(\.slotID) == ["hero", "side"])
        #expect(decision.offers.allSatisfy { $0.probability == 1 })
    }

    @Test func apprenticeModeShowsEachSlotsBaselineWithProbabilityOne() throws {
        let decision = try decide {
            $0.slots = 2
            $0.baseline = true
            $0.slotOptions = [.init(id: "a", baselineOfferID: "savings_bonus"), .init(id: "b", baselineOfferID: "credit_card_upgrade")]
        }
        // The lowest priorities, shown because they are the application's baselines.
        #expect(decision.offers.map(\.offer.id) == ["savings_bonus", "credit_card_upgrade"])
        #expect(decision.offers.allSatisfy { $0.probability == 1 && $0.reason.hasPrefix("baseline (apprentice mode)") })
        #expect(reason(decision, "personal_loan") == "lower_priority")
        // A baseline the customer may not be shown (not on this channel's offers for them) leaves its slot empty: no default offer either.
        let refused = try decide {
            $0.baseline = true
            $0.excludedOfferIDs = ["savings_bonus"]
            $0.slotOptions = [.init(id: "a", baselineOfferID: "savings_bonus")]
        }
        #expect(refused.offers.isEmpty)
    }
}
