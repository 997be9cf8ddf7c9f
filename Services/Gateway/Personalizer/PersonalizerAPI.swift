// The bodies of Azure Personalizer's REST API that the gateway serves (v1.0, v1.1-preview
// multi-slot, 2022-09-01-preview), as the published specification and Microsoft's Python clients
// name them. Only what docs/PERSONALIZER.md says is served is here.
import Foundation

/// Any JSON value: Personalizer's features are free-form objects.
enum JSONValue: Decodable, Sendable, Equatable {
    case string(String), number(Double), bool(Bool), object([String: JSONValue]), array([JSONValue]), null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }
}

struct RankableAction: Decodable, Sendable {
    var id: String
    var features: [JSONValue]?
}

/// POST /rank.
struct RankRequest: Decodable, Sendable {
    var contextFeatures: [JSONValue]?
    var actions: [RankableAction]
    var excludedActions: [String]?
    var eventId: String?
    var deferActivation: Bool?
}

struct RankedAction: Encodable, Sendable, Equatable {
    var id: String
    var probability: Double
}

struct RankResponse: Encodable, Sendable, Equatable {
    var ranking: [RankedAction]
    var eventId: String
    /// Absent when nothing may be shown (opted out, contact caps, every action refused).
    var rewardActionId: String?
}

/// A slot of POST /multislot/rank.
struct SlotRequest: Decodable, Sendable {
    var id: String
    var features: [JSONValue]?
    var excludedActions: [String]?
    var baselineAction: String
}

/// POST /multislot/rank.
struct MultiSlotRankRequest: Decodable, Sendable {
    var contextFeatures: [JSONValue]?
    var actions: [RankableAction]
    var slots: [SlotRequest]
    var eventId: String?
    var deferActivation: Bool?
}

struct SlotResponse: Encodable, Sendable, Equatable {
    var id: String
    var rewardActionId: String?
}

struct MultiSlotRankResponse: Encodable, Sendable, Equatable {
    var eventId: String
    var slots: [SlotResponse]
}

/// POST /events/{eventId}/reward.
struct RewardRequest: Decodable, Sendable {
    var value: Double
}

struct SlotReward: Decodable, Sendable {
    var slotId: String
    var value: Double
}

/// POST /multislot/events/{eventId}/reward.
struct MultiSlotRewardRequest: Decodable, Sendable {
    var reward: [SlotReward]
}

/// GET /configurations/service: the part of Personalizer's configuration this gateway has (docs/PERSONALIZER.md).
struct ServiceConfiguration: Encodable, Sendable {
    /// No reward within the response window: the offer is marked IGNORED, a reward of 0.
    var defaultReward: Double
    /// The first reward of a slot counts; a later one is a duplicate.
    var rewardAggregation: String
    var learningMode: String
}

/// Personalizer's error body, which its clients parse: `{"error": {"code": …, "message": …}}`.
struct PersonalizerErrorBody: Encodable, Sendable {
    struct Detail: Encodable, Sendable {
        var code: String
        var message: String
    }
    var error: Detail
}
