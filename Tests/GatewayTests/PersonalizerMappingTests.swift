// Personalizer's calls as decisions and outcomes (PersonalizerMapping): the context flattened, the
// customer named or anonymous, actions and exclusions as offers, apprentice mode's baselines, the
// ranking from the decision's candidates, rewards and activations as outcomes, errors in its codes.
import Foundation
import Testing
import Wire
@testable import Gateway

@Suite struct PersonalizerMappingTests {
    static func json<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    static let ada = Identity.with { $0.kind = "login"; $0.value = "ada" }

    @Test func contextFeaturesAreFlattenedAndTheIdentityFeatureNamesTheCustomer() throws {
        let features = try Self.json([JSONValue].self, """
            [{"timeOfDay": "morning", "device": {"type": "mobile", "os": {"name": "ios"}}},
             {"visits": 3, "score": 0.25, "member": true, "tags": ["a", 2, false], "none": null},
             {"offerloopIdentity": "login:ada"}]
            """)
        let (context, identity) = try PersonalizerMapping.context(features)
        #expect(context == ["timeOfDay": "morning", "device.type": "mobile", "device.os.name": "ios", "visits": "3", "score": "0.25",
                            "member": "true", "tags": "a,2,false"])
        #expect(identity == Self.ada)
        #expect(try PersonalizerMapping.context(nil).identity == nil)
        #expect(throws: ServiceError(.invalidArgument, "offerloopIdentity names a customer as KIND:VALUE (e.g. login:ada), not \"ada\"")) {
            try PersonalizerMapping.context([.object(["offerloopIdentity": .string("ada")])])
        }
        #expect(throws: ServiceError(.invalidArgument, "contextFeatures holds objects (feature names and values), not a string")) {
            try PersonalizerMapping.context([.string("morning")])
        }
    }

    @Test func aRankIsADecisionAmongItsActionsWithTheEventIdAsItsId() throws {
        let rank = try Self.json(RankRequest.self, """
            {"actions": [{"id": "personal_loan", "features": [{"x": 1}]}, {"id": "home_insurance", "features": []}, {"id": "savings_bonus", "features": []}],
             "excludedActions": ["personal_loan"], "eventId": "evt-1"}
            """)
        let online = try PersonalizerMapping.decide(rank, eventID: "evt-1", identity: Self.ada, context: ["a": "b"], channel: .web, mode: .online)
        #expect(online.decisionID == "evt-1" && online.identity == Self.ada && online.channel == .web && online.context == ["a": "b"])
        #expect(online.offerIds == ["personal_loan", "home_insurance", "savings_bonus"] && online.excludedOfferIds == ["personal_loan"])
        #expect(online.explain && !online.baseline && online.slotOptions.isEmpty)
        // Apprentice mode: the baseline is the first action not excluded.
        let apprentice = try PersonalizerMapping.decide(rank, eventID: "evt-1", identity: Self.ada, context: [:], channel: .web, mode: .apprentice)
        #expect(apprentice.baseline && apprentice.slotOptions.map(\.baselineOfferID) == ["home_insurance"])
    }

    @Test(arguments: [
        (#"{"actions": []}"#, "actions is empty: a rank needs at least one action"),
        (#"{"actions": [{"id": "a"}, {"id": "a"}]}"#, "action \"a\" is listed twice"),
        (#"{"actions": [{"id": "a"}], "excludedActions": ["b"]}"#, "excluded action \"b\" is not one of the actions"),
    ])
    func aBadRankIsRefusedNamingWhatIsWrong(body: String, message: String) throws {
        let rank = try Self.json(RankRequest.self, body)
        #expect(throws: ServiceError(.invalidArgument, message)) {
            try PersonalizerMapping.decide(rank, eventID: "e", identity: Self.ada, context: [:], channel: .web, mode: .online)
        }
    }

    @Test func everyActionExcludedLeavesApprenticeModeNoBaseline() throws {
        let rank = try Self.json(RankRequest.self, #"{"actions": [{"id": "a"}], "excludedActions": ["a"]}"#)
        #expect(throws: ServiceError(.invalidArgument, "every action is excluded: there is nothing to rank")) {
            try PersonalizerMapping.decide(rank, eventID: "e", identity: Self.ada, context: [:], channel: .web, mode: .apprentice)
        }
        // Online, the decision says so itself: nothing shown.
        #expect(try PersonalizerMapping.decide(rank, eventID: "e", identity: Self.ada, context: [:], channel: .web, mode: .online).excludedOfferIds == ["a"])
    }

    static let multiSlot = """
        {"actions": [{"id": "personal_loan", "features": []}, {"id": "home_insurance", "features": []}, {"id": "savings_bonus", "features": []}],
         "slots": [{"id": "main", "baselineAction": "home_insurance", "excludedActions": ["savings_bonus"]},
                   {"id": "side", "baselineAction": "savings_bonus"}],
         "eventId": "evt-2", "deferActivation": true}
        """

    @Test func aMultiSlotRankHasASlotOptionPerSlot() throws {
        let rank = try Self.json(MultiSlotRankRequest.self, Self.multiSlot)
        let request = try PersonalizerMapping.decide(rank, eventID: "evt-2", identity: Self.ada, context: [:], channel: .web, mode: .apprentice)
        #expect(request.decisionID == "evt-2" && request.baseline && request.slots == 0)
        #expect(request.slotOptions.map(\.id) == ["main", "side"] && request.slotOptions.map(\.baselineOfferID) == ["home_insurance", "savings_bonus"])
        #expect(request.slotOptions.map(\.excludedOfferIds) == [["savings_bonus"], []])
        var bad = rank
        bad.slots[1].baselineAction = "gold_bar"
        #expect(throws: ServiceError(.invalidArgument, "slot side's baselineAction \"gold_bar\" is not one of the actions")) {
            try PersonalizerMapping.decide(bad, eventID: "e", identity: Self.ada, context: [:], channel: .web, mode: .online)
        }
        bad = rank
        bad.slots[0].excludedActions = ["home_insurance"]
        #expect(throws: ServiceError(.invalidArgument, "slot main's baselineAction home_insurance is among its excludedActions")) {
            try PersonalizerMapping.decide(bad, eventID: "e", identity: Self.ada, context: [:], channel: .web, mode: .online)
        }
        bad = rank
        bad.slots[1].id = "main"
        #expect(throws: ServiceError.self) { try PersonalizerMapping.decide(bad, eventID: "e", identity: Self.ada, context: [:], channel: .web, mode: .online) }
    }

    static func reply(shown: [(String, String, Double)], kept: [(String, Double)]) -> DecideReply {
        DecideReply.with { reply in
            reply.offers = shown.map { offer, slot, probability in OfferChoice.with { $0.offerID = offer; $0.slotID = slot; $0.probability = probability } }
            reply.candidates = kept.map { offer, chance in CandidateRecord.with { $0.offerID = offer; $0.kept = true; $0.firstSlotProbability = chance } }
        }
    }

    @Test func theRankingPutsTheShownActionFirstThenTheChancesThePolicyGaveTheOthers() {
        let actions = ["a", "b", "c", "d"]
        let reply = Self.reply(shown: [("c", "", 0.7)], kept: [("b", 0.1), ("c", 0.7), ("d", 0.2)])
        let response = PersonalizerMapping.rankResponse(reply, actions: actions, eventID: "e")
        #expect(response == RankResponse(ranking: [.init(id: "c", probability: 0.7), .init(id: "d", probability: 0.2), .init(id: "b", probability: 0.1),
                                                   .init(id: "a", probability: 0)], eventId: "e", rewardActionId: "c"))
        // Nothing shown (opted out, caps, every action refused): no rewardActionId, every action at 0 in request order.
        let none = PersonalizerMapping.rankResponse(DecideReply(), actions: actions, eventID: "e")
        #expect(none.rewardActionId == nil && none.ranking.map(\.id) == actions && none.ranking.allSatisfy { $0.probability == 0 })
    }

    @Test func eachSlotAnswersTheOfferShownInIt() throws {
        let rank = try Self.json(MultiSlotRankRequest.self, Self.multiSlot)
        let response = PersonalizerMapping.multiSlotResponse(Self.reply(shown: [("savings_bonus", "side", 1)], kept: []), slots: rank.slots, eventID: "evt-2")
        #expect(response == MultiSlotRankResponse(eventId: "evt-2", slots: [.init(id: "main", rewardActionId: nil), .init(id: "side", rewardActionId: "savings_bonus")]))
    }

    @Test func rewardsAreAcceptsOrIgnoresOfTheSlotsOfferAndActivationsImpressions() throws {
        let accept = try PersonalizerMapping.reward(eventID: "evt-1", slotID: "", value: 0.4)
        #expect(accept.eventID == "pz:evt-1:r:" && accept.decisionID == "evt-1" && accept.offerID.isEmpty && accept.slotID.isEmpty && accept.type == .accept)
        let ignored = try PersonalizerMapping.reward(eventID: "evt-2", slotID: "side", value: 0)
        #expect(ignored.eventID == "pz:evt-2:r:side" && ignored.slotID == "side" && ignored.type == .ignored)
        #expect(try PersonalizerMapping.reward(eventID: "e", slotID: "", value: -1).type == .ignored)
        #expect(throws: ServiceError(.invalidArgument, "a reward value is between -1 and 1, not 1.5")) {
            try PersonalizerMapping.reward(eventID: "e", slotID: "", value: 1.5)
        }
        #expect(throws: ServiceError.self) { try PersonalizerMapping.reward(eventID: "e", slotID: "#0", value: 1) }
        // The rank's own impressions and an activation's have the same event ids: both count once.
        let shown = Self.reply(shown: [("a", "main", 1), ("b", "side", 1)], kept: [])
        let impressions = PersonalizerMapping.impressions(shown, eventID: "evt-3")
        let activation = PersonalizerMapping.activation(eventID: "evt-3", slots: 2)
        #expect(impressions.map(\.eventID) == activation.map(\.eventID) && activation.map(\.eventID) == ["pz:evt-3:i:0", "pz:evt-3:i:1"])
        #expect(impressions.map(\.offerID) == ["a", "b"] && activation.map(\.slotID) == ["#0", "#1"])
        #expect((impressions + activation).allSatisfy { $0.type == .impression && $0.decisionID == "evt-3" })
    }

    @Test func everyErrorCodeHasPersonalizersStatusAndCode() {
        let table = ErrorCode.allCases.map { code in (code, PersonalizerMapping.error(ServiceError(code, "x"))) }
        #expect(table.allSatisfy { [400, 401, 404, 409, 429, 500, 503, 504].contains($0.1.status) && !$0.1.code.isEmpty })
        #expect(PersonalizerMapping.error(ServiceError(.invalidArgument, "x")) == (400, "BadRequest"))
        #expect(PersonalizerMapping.error(ServiceError(.notFound, "x")) == (404, "ResourceNotFound"))
        #expect(PersonalizerMapping.error(ServiceError(.alreadyExists, "x")) == (409, "Conflict"))
        #expect(PersonalizerMapping.error(ServiceError(.unauthorized, "x")) == (401, "PermissionDenied"))
    }
}
