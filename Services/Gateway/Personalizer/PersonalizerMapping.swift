// Personalizer's calls as decisions and outcomes, pure (no I/O): a rank is a decision whose id is
// the eventId, among the catalog offers the actions name; a reward is an ACCEPT (value > 0) or an
// IGNORED of the offer shown in the slot; an activation is the IMPRESSION of what was shown.
// docs/PERSONALIZER.md gives the mapping and what is not served.
import Foundation
import Wire

enum PersonalizerMapping {
    /// The context feature that names the OfferLoop customer ("login:ada"); without it a rank is
    /// for an anonymous visitor of its own (cookie "pz-EVENTID").
    static let identityFeature = "offerloopIdentity"
    /// Identity kinds a rank may create a customer for (anonymous visitors), as the profile's `record_event` does.
    static let anonymousKinds: Set<String> = ["cookie", "device"]
    /// Personalizer's limit on a rank's actions.
    static let maxActions = 50
    static let maxSlotIDLength = 48
    /// The decision service's limit on a decision's slots.
    static let maxSlots = 5

    enum LearningMode: String, CaseIterable, Sendable {
        /// The policy decides (explores within the catalog's exploration).
        case online = "Online"
        /// Each slot shows its baseline action, logged with probability 1, while the model learns from it.
        case apprentice = "Apprentice"
    }

    // MARK: rank

    /// The context features as DecideRequest.context: nested keys joined with ".", scalars as text,
    /// arrays of scalars joined with ","; the identity feature taken out.
    static func context(_ features: [JSONValue]?) throws(ServiceError) -> (context: [String: String], identity: Identity?) {
        var context: [String: String] = [:]
        for feature in features ?? [] {
            guard case .object(let object) = feature else {
                throw ServiceError(.invalidArgument, "contextFeatures holds objects (feature names and values), not \(describe(feature))")
            }
            flatten(object, prefix: "", into: &context)
        }
        guard let named = context.removeValue(forKey: identityFeature) else { return (context, nil) }
        let parts = named.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ServiceError(.invalidArgument, "\(identityFeature) names a customer as KIND:VALUE (e.g. login:ada), not \(named.debugDescription)")
        }
        return (context, Identity.with { $0.kind = parts[0]; $0.value = parts[1] })
    }

    private static func flatten(_ object: [String: JSONValue], prefix: String, into context: inout [String: String]) {
        for (key, value) in object {
            let name = prefix.isEmpty ? key : prefix + "." + key
            switch value {
            case .object(let nested): flatten(nested, prefix: name, into: &context)
            case .null: continue
            case .array(let items): context[name] = items.map(scalar).joined(separator: ",")
            default: context[name] = scalar(value)
            }
        }
    }

    private static func scalar(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .null: ""
        case .array, .object: describe(value)
        }
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .array: "an array"
        case .object: "an object"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }

    /// The action ids, each once, at most `maxActions`.
    static func actionIDs(_ actions: [RankableAction]) throws(ServiceError) -> [String] {
        guard !actions.isEmpty else { throw ServiceError(.invalidArgument, "actions is empty: a rank needs at least one action") }
        guard actions.count <= maxActions else { throw ServiceError(.invalidArgument, "at most \(maxActions) actions, not \(actions.count)") }
        var seen: Set<String> = []
        for action in actions where !seen.insert(action.id).inserted {
            throw ServiceError(.invalidArgument, "action \(action.id.debugDescription) is listed twice")
        }
        return actions.map(\.id)
    }

    /// The decide request of a single-slot rank. In apprentice mode its slot's baseline is the
    /// first action not excluded (as Personalizer's offline evaluations take it).
    static func decide(_ rank: RankRequest, eventID: String, identity: Identity, context: [String: String], channel: Channel,
                       mode: LearningMode) throws(ServiceError) -> DecideRequest {
        let ids = try actionIDs(rank.actions)
        let excluded = rank.excludedActions ?? []
        if let stranger = excluded.first(where: { !ids.contains($0) }) {
            throw ServiceError(.invalidArgument, "excluded action \(stranger.debugDescription) is not one of the actions")
        }
        var request = base(eventID: eventID, identity: identity, context: context, channel: channel, offerIDs: ids)
        request.excludedOfferIds = excluded
        if mode == .apprentice {
            guard let baseline = ids.first(where: { !excluded.contains($0) }) else {
                throw ServiceError(.invalidArgument, "every action is excluded: there is nothing to rank")
            }
            request.slotOptions = [DecideSlot.with { $0.baselineOfferID = baseline }]
            request.baseline = true
        }
        return request
    }

    /// The decide request of a multi-slot rank: a slot option per slot, with its exclusions and baseline.
    static func decide(_ rank: MultiSlotRankRequest, eventID: String, identity: Identity, context: [String: String], channel: Channel,
                       mode: LearningMode) throws(ServiceError) -> DecideRequest {
        let ids = try actionIDs(rank.actions)
        guard !rank.slots.isEmpty else { throw ServiceError(.invalidArgument, "slots is empty: a multi-slot rank needs at least one slot") }
        var seen: Set<String> = []
        for slot in rank.slots {
            guard !slot.id.isEmpty, slot.id.utf8.count <= maxSlotIDLength, !slot.id.hasPrefix("#"), seen.insert(slot.id).inserted else {
                throw ServiceError(.invalidArgument, "slot id \(slot.id.debugDescription) must be unique, 1-\(maxSlotIDLength) bytes, not starting with #")
            }
            guard ids.contains(slot.baselineAction) else {
                throw ServiceError(.invalidArgument, "slot \(slot.id)'s baselineAction \(slot.baselineAction.debugDescription) is not one of the actions")
            }
            let excluded = slot.excludedActions ?? []
            guard !excluded.contains(slot.baselineAction) else {
                throw ServiceError(.invalidArgument, "slot \(slot.id)'s baselineAction \(slot.baselineAction) is among its excludedActions")
            }
            if let stranger = excluded.first(where: { !ids.contains($0) }) {
                throw ServiceError(.invalidArgument, "slot \(slot.id)'s excluded action \(stranger.debugDescription) is not one of the actions")
            }
        }
        var request = base(eventID: eventID, identity: identity, context: context, channel: channel, offerIDs: ids)
        request.slotOptions = rank.slots.map { slot in
            DecideSlot.with {
                $0.id = slot.id
                $0.excludedOfferIds = slot.excludedActions ?? []
                $0.baselineOfferID = slot.baselineAction
            }
        }
        request.baseline = mode == .apprentice
        return request
    }

    private static func base(eventID: String, identity: Identity, context: [String: String], channel: Channel, offerIDs: [String]) -> DecideRequest {
        DecideRequest.with {
            $0.decisionID = eventID
            $0.identity = identity
            $0.channel = channel
            $0.context = context
            $0.offerIds = offerIDs
            $0.explain = true  // the candidates' probabilities make the ranking
        }
    }

    /// The ranking: the shown action first (rewardActionId), then the others by the chance the
    /// policy gave them for the slot, then those it could not show (probability 0), in request order.
    static func rankResponse(_ reply: DecideReply, actions: [String], eventID: String) -> RankResponse {
        let shown = reply.offers.first
        var chance: [String: Double] = [:]
        for candidate in reply.candidates where candidate.kept { chance[candidate.offerID] = candidate.firstSlotProbability }
        if let shown { chance[shown.offerID] = shown.probability }
        let order = Dictionary(uniqueKeysWithValues: actions.enumerated().map { ($1, $0) })
        let ranking = actions.map { RankedAction(id: $0, probability: chance[$0] ?? 0) }.sorted { a, b in
            if (a.id == shown?.offerID) != (b.id == shown?.offerID) { return a.id == shown?.offerID }
            return a.probability != b.probability ? a.probability > b.probability : order[a.id]! < order[b.id]!
        }
        return RankResponse(ranking: ranking, eventId: eventID, rewardActionId: shown?.offerID)
    }

    static func multiSlotResponse(_ reply: DecideReply, slots: [SlotRequest], eventID: String) -> MultiSlotRankResponse {
        MultiSlotRankResponse(eventId: eventID, slots: slots.map { slot in
            SlotResponse(id: slot.id, rewardActionId: reply.offers.first { $0.slotID == slot.id }?.offerID)
        })
    }

    // MARK: outcomes

    /// The IMPRESSIONs of what a rank showed (when the caller did not defer its activation).
    static func impressions(_ reply: DecideReply, eventID: String) -> [Outcome] {
        reply.offers.indices.map { position in
            Outcome.with {
                $0.eventID = impressionEventID(eventID, position: position)
                $0.decisionID = eventID
                $0.offerID = reply.offers[position].offerID
                $0.type = .impression
            }
        }
    }

    /// An activation: the IMPRESSION of each offer the decision showed, by its position (the
    /// feedback service finds the offer; positions past those shown are refused and ignored).
    static func activation(eventID: String, slots: Int) -> [Outcome] {
        (0..<slots).map { position in
            Outcome.with {
                $0.eventID = impressionEventID(eventID, position: position)
                $0.decisionID = eventID
                $0.slotID = "#\(position)"
                $0.type = .impression
            }
        }
    }

    /// A reward for the offer shown in `slotID` ("": a single-slot rank's): above 0 an ACCEPT,
    /// else IGNORED. The first reward of a slot counts; later ones are duplicates (idempotent).
    static func reward(eventID: String, slotID: String, value: Double) throws(ServiceError) -> Outcome {
        guard value.isFinite, (-1...1).contains(value) else {
            throw ServiceError(.invalidArgument, "a reward value is between -1 and 1, not \(value)")
        }
        if !slotID.isEmpty, slotID.utf8.count > maxSlotIDLength || slotID.hasPrefix("#") {
            throw ServiceError(.invalidArgument, "slot id \(slotID.debugDescription) must be 1-\(maxSlotIDLength) bytes, not starting with #")
        }
        return Outcome.with {
            $0.eventID = "pz:\(eventID):r:\(slotID)"
            $0.decisionID = eventID
            $0.slotID = slotID
            $0.type = value > 0 ? .accept : .ignored
        }
    }

    static func impressionEventID(_ eventID: String, position: Int) -> String { "pz:\(eventID):i:\(position)" }

    // MARK: errors

    /// Personalizer's error code and the HTTP status for one of ours (its clients read both).
    static func error(_ error: ServiceError) -> (status: Int, code: String) {
        switch error.code {
        case .malformed, .invalidArgument, .unsupportedVersion, .tooLarge: (400, "BadRequest")
        case .unauthorized: (401, "PermissionDenied")
        case .notFound: (404, "ResourceNotFound")
        case .alreadyExists: (409, "Conflict")
        case .outOfWindow, .outOfRange: (400, "BadRequest")
        case .overloaded: (429, "TooManyRequests")
        case .unknownMethod: (404, "ResourceNotFound")
        case .noWorkers, .unavailable, .shuttingDown: (503, "ServiceUnavailable")
        case .deadlineExceeded: (504, "GatewayTimeout")
        case .internal, .unspecified, .UNRECOGNIZED: (500, "InternalServerError")
        }
    }
}
