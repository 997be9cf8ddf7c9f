// Azure Personalizer's REST API on the gateway (docs/PERSONALIZER.md): rank, multi-slot rank,
// reward, activate and the service configuration, under /personalizer/v1.0, the v1.1 previews and
// /personalizer?api-version=… (the 2022-09-01-preview clients), mapped onto decisions and outcomes
// by PersonalizerMapping. Its errors are in Personalizer's shape, which its clients parse.
import ArgumentParser
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ProcessShell
import SwiftProtobuf
import Transport
import Wire

/// The gateway's options for Personalizer's applications.
struct PersonalizerOptions: ParsableArguments {
    @Option(help: "Personalizer's learning mode: Online (the policy decides) or Apprentice (each slot shows the application's baseline action, logged with probability 1) (env OFFERLOOP_PERSONALIZER_LEARNING_MODE).")
    var personalizerLearningMode: String = Environment.string("OFFERLOOP_PERSONALIZER_LEARNING_MODE", "Online")

    @Option(help: "The channel Personalizer's ranks are decided for: atm, kiosk, web or call_center (env OFFERLOOP_PERSONALIZER_CHANNEL).")
    var personalizerChannel: String = Environment.string("OFFERLOOP_PERSONALIZER_CHANNEL", "web")

    func validate() throws {
        guard PersonalizerMapping.LearningMode(rawValue: personalizerLearningMode) != nil else {
            throw ValidationError("--personalizer-learning-mode takes Online or Apprentice, not '\(personalizerLearningMode)'")
        }
        guard ChannelName.channel(personalizerChannel) != nil else {
            throw ValidationError("--personalizer-channel takes atm, kiosk, web or call_center, not '\(personalizerChannel)'")
        }
    }

    var mode: PersonalizerMapping.LearningMode { PersonalizerMapping.LearningMode(rawValue: personalizerLearningMode) ?? .online }
    var channel: Channel { ChannelName.channel(personalizerChannel) ?? .web }
}

struct PersonalizerRoutes {
    /// The API versions served: the v1.0 and v1.1-preview paths, and "" (the version in ?api-version=).
    static let versions = ["v1.0", "v1.1-preview.1", "v1.1-preview.2", "v1.1-preview.3", ""]
    /// How long the impressions of a rank may take, sent after its answer.
    static let impressionTimeoutMicros: UInt64 = 5_000_000
    /// How long a reward or an activation looks for its rank's decision (see `record`).
    static let decisionSearchNs: UInt64 = 1_000_000_000

    let broker: BrokerCaller
    let mode: PersonalizerMapping.LearningMode
    let channel: Channel
    let logger = Logger(label: "offerloop.gateway.personalizer")

    static func register(on router: Router<GatewayContext>, broker: BrokerCaller, keys: APIKeys?, deadlineMs: Int,
                         mode: PersonalizerMapping.LearningMode, channel: Channel) {
        let routes = PersonalizerRoutes(broker: broker, mode: mode, channel: channel)
        for version in versions {
            let group = router.group(RouterPath(version.isEmpty ? "personalizer" : "personalizer/\(version)"))
                .add(middleware: PersonalizerErrorMiddleware())
                .add(middleware: AuthenticationMiddleware(keys: keys))
                .add(middleware: DeadlineMiddleware(defaultMs: deadlineMs))
            routes.register(on: group)
        }
    }

    func register(on group: some RouterMethods<GatewayContext>) {
        group.post("rank") { request, context in
            let rank = try await decode(RankRequest.self, request, context)
            let (eventID, decide) = try await decideRequest(rank.eventId, rank.contextFeatures, context) { eventID, identity, features throws(ServiceError) in
                try PersonalizerMapping.decide(rank, eventID: eventID, identity: identity, context: features, channel: channel, mode: mode)
            }
            let reply = try await ranked(decide, deferred: rank.deferActivation ?? false, context)
            return try Self.json(PersonalizerMapping.rankResponse(reply, actions: rank.actions.map(\.id), eventID: eventID), status: .created)
        }
        group.post("multislot/rank") { request, context in
            let rank = try await decode(MultiSlotRankRequest.self, request, context)
            let (eventID, decide) = try await decideRequest(rank.eventId, rank.contextFeatures, context) { eventID, identity, features throws(ServiceError) in
                try PersonalizerMapping.decide(rank, eventID: eventID, identity: identity, context: features, channel: channel, mode: mode)
            }
            let reply = try await ranked(decide, deferred: rank.deferActivation ?? false, context)
            return try Self.json(PersonalizerMapping.multiSlotResponse(reply, slots: rank.slots, eventID: eventID), status: .created)
        }
        group.post("events/:eventId/reward") { request, context in
            let reward = try await decode(RewardRequest.self, request, context)
            let outcome = try PersonalizerMapping.reward(eventID: try eventID(context), slotID: "", value: reward.value)
            if let refused = try await record([outcome], context).first?.error, refused.code != .unspecified { throw ServiceError(refused.code, refused.message) }
            return Response(status: .noContent)
        }
        group.post("multislot/events/:eventId/reward") { request, context in
            let reward = try await decode(MultiSlotRewardRequest.self, request, context)
            let id = try eventID(context)
            var outcomes: [Outcome] = []
            for slot in reward.reward {
                guard !slot.slotId.isEmpty else { throw ServiceError(.invalidArgument, "a slot reward needs its slotId") }
                outcomes.append(try PersonalizerMapping.reward(eventID: id, slotID: slot.slotId, value: slot.value))
            }
            guard !outcomes.isEmpty else { throw ServiceError(.invalidArgument, "reward is empty: no slot's reward to record") }
            if let refused = try await record(outcomes, context).first(where: { $0.error.code != .unspecified }) {
                throw ServiceError(refused.error.code, refused.error.message)
            }
            return Response(status: .noContent)
        }
        group.post("events/:eventId/activate") { _, context in
            try await activate(try eventID(context), slots: 1, context)
        }
        group.post("multislot/events/:eventId/activate") { _, context in
            try await activate(try eventID(context), slots: PersonalizerMapping.maxSlots, context)
        }
        group.get("configurations/service") { _, _ in
            try Self.json(ServiceConfiguration(defaultReward: 0, rewardAggregation: "earliest", learningMode: mode.rawValue), status: .ok)
        }
    }

    /// The rank's event id (given, checked; or a new one), its customer and context, and its
    /// decide request, checked before the cluster is asked anything. An anonymous visitor (no
    /// identity feature, or a cookie or device one) is then recorded by the profile — created if
    /// new — and the decision waits for that write.
    private func decideRequest(_ given: String?, _ features: [JSONValue]?, _ context: GatewayContext,
                               _ make: (String, Identity, [String: String]) throws(ServiceError) -> DecideRequest) async throws -> (String, DecideRequest) {
        let eventID = given.flatMap { $0.isEmpty ? nil : $0 } ?? UUID().uuidString.lowercased()
        try CallerDecisionID.validate(eventID)
        let (features, named) = try PersonalizerMapping.context(features)
        let identity = named ?? Identity.with { $0.kind = "cookie"; $0.value = "pz-" + eventID }
        var decide = try make(eventID, identity, features)
        if PersonalizerMapping.anonymousKinds.contains(identity.kind) {
            let seen = EventRecord.with {
                $0.identity = identity
                $0.create = true
                $0.eventID = "pz:\(eventID):rank"
                $0.event = .with { $0.type = "personalizer_rank"; $0.channel = channel }
            }
            let written: CustomerReply = try await call("profile", "record_event", seen, context, idempotent: true)
            decide.minProfileSequence = written.profileSequence
        }
        return (eventID, decide)
    }

    /// The decision; then, unless the caller defers its activation, the IMPRESSIONs of what it
    /// showed, sent after the answer (the feedback service waits for the decision to reach its log).
    private func ranked(_ decide: DecideRequest, deferred: Bool, _ context: GatewayContext) async throws -> DecideReply {
        let reply: DecideReply = try await call("decision", "decide", decide, context, idempotent: false)
        let impressions = PersonalizerMapping.impressions(reply, eventID: decide.decisionID)
        if !deferred, !impressions.isEmpty {
            try context.authorize("feedback", "outcomes")
            Task { [broker, logger] in
                do {
                    let _: OutcomeBatchReply = try await broker.call("feedback", "outcomes", OutcomeBatch.with { $0.outcomes = impressions },
                                                                     timeoutMicros: Self.impressionTimeoutMicros, idempotent: true)
                } catch {
                    logger.warning("the impressions of a rank were not recorded", metadata: ["decision_id": "\(decide.decisionID)", "error": "\(error)"])
                }
            }
        }
        return reply
    }

    /// The IMPRESSION of each offer the decision showed (positions past those it showed are refused, and fine).
    private func activate(_ eventID: String, slots: Int, _ context: GatewayContext) async throws -> Response {
        if let first = try await record(PersonalizerMapping.activation(eventID: eventID, slots: slots), context).first?.error, first.code != .unspecified {
            throw ServiceError(first.code, first.message)
        }
        return Response(status: .noContent)
    }

    /// Records outcomes of a rank (idempotent by their event ids), each answered. The feedback
    /// service waits `--decision-wait-ms` (200) for a decision on its way to the log; under load
    /// the log's copy (every 100 ms) can take longer, so an outcome whose decision is not found is
    /// asked again for up to `decisionSearchNs`: a reward sent right after its rank is not lost.
    private func record(_ outcomes: [Outcome], _ context: GatewayContext) async throws -> [OutcomeResult] {
        let until = MonotonicClock.now() + Self.decisionSearchNs
        while true {
            let results: OutcomeBatchReply = try await call("feedback", "outcomes", OutcomeBatch.with { $0.outcomes = outcomes }, context, idempotent: true)
            guard results.results.contains(where: { $0.error.code == .notFound }), MonotonicClock.now() < until else { return results.results }
        }
    }

    private func eventID(_ context: GatewayContext) throws(ServiceError) -> String {
        let id = context.parameters.get("eventId") ?? ""
        try CallerDecisionID.validate(id)
        return id
    }

    private func call<Reply: SwiftProtobuf.Message>(_ service: String, _ method: String, _ request: some SwiftProtobuf.Message, _ context: GatewayContext,
                                                    idempotent: Bool) async throws(ServiceError) -> Reply {
        try context.authorize(service, method)
        return try await broker.call(service, method, request, as: Reply.self, timeoutMicros: try context.remainingMicros(), idempotent: idempotent)
    }

    private func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: GatewayContext) async throws -> T {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch let error as DecodingError {
            throw ServiceError(.invalidArgument, "the body is not a Personalizer \(T.self): \(Self.describe(error))")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String { context.codingPath.map(\.stringValue).joined(separator: ".") }
        return switch error {
        case .keyNotFound(let key, let context): "'\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))' is required"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): "'\(path(context))' has the wrong type: \(context.debugDescription)"
        case .dataCorrupted(let context): context.codingPath.isEmpty ? "not JSON" : "'\(path(context))': \(context.debugDescription)"
        @unknown default: "\(error)"
        }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}

/// Every error on Personalizer's routes in its shape, `{"error": {"code": …, "message": …}}`, with
/// the status its clients expect: our problems and typed errors mapped by PersonalizerMapping.error.
/// Answered here, not thrown on: the gateway's ProblemMiddleware would make a problem+json of it.
struct PersonalizerErrorMiddleware: RouterMiddleware {
    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return try Self.response(problem.error)
        } catch let error as ServiceError {
            return try Self.response(error)
        } catch let error as HTTPError {
            let code: ErrorCode = error.status == .contentTooLarge ? .tooLarge : error.status.code >= 500 ? .internal : .invalidArgument
            return try Self.response(ServiceError(code, error.body ?? error.status.reasonPhrase))
        }
    }

    static func response(_ error: ServiceError) throws -> Response {
        let (status, code) = PersonalizerMapping.error(error)
        var response = try PersonalizerRoutes.json(PersonalizerErrorBody(error: .init(code: code, message: error.message)), status: .init(code: status))
        if Problem.retryable(error.code) { response.headers[.retryAfter] = "1" }
        return response
    }
}
