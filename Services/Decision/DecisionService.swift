// The decision service's methods for one worker thread: "decide" (the customer's view → scoring →
// strategy → decision log → answer, all within the request's deadline) and "reload_catalog" /
// "catalog". The view comes from this replica's memory (ReplicaViews, kept by the profile stream)
// when it is fresh enough, else from its source (the profile service). Each worker thread owns its
// sources (their broker client: a socket belongs to one thread) and its cache of recent views.
import DecisionCore
import Foundation
import Logging
import Metrics
import ProcessShell
import ProfileCore
import Random
import SwiftProtobuf
import Transport
import Wire
import ZeroMQ

final class DecisionService: @unchecked Sendable {
    // @unchecked: made by a worker thread and used only by that thread.
    /// That thread: every handler checks it in a debug build.
    let owner = ThreadOwner()
    struct Settings: Sendable {
        /// Deadline per channel, counted from the client's send, when the request's own is later (ms).
        var channelDeadlinesMs = ChannelDeadlineOptions.defaultMilliseconds
        /// Share of the time left that the profile call may take; scoring gets the rest but `reserve`.
        var profileShare = 0.4
        /// Time kept for the strategy, the log and encoding the reply (ns).
        var reserve: UInt64 = 2_000_000
        /// The longest a decision waits for one dependency (µs), whatever time is left: a worker
        /// thread serves its requests one after the other, so a long wait on a frozen service
        /// would make the requests queued behind it late.
        var maxCallMicros: UInt64 = 25_000
        /// The reply leaves the worker this long before the deadline, for its hop back to the
        /// client: a tenth of the time the client allowed, at least `minimumReturnReserve`.
        static let returnReserveShare = 0.1
        static let minimumReturnReserve: UInt64 = 5_000_000
        var cacheSize = 10_000
        /// How old a cached view may be and still stand in for the profile service (ms): an
        /// older one may not know of an opt-out since, so it is not used.
        var cacheMaxAgeMs: Int64 = 60_000
        static let maxSlots = 5
    }

    let catalog: CatalogHolder
    let journal: DecisionJournal
    let settings: Settings
    let views: any CustomerViewSource
    /// The customer views this replica holds, shared by its workers; nil: every view from `views`.
    let replica: ReplicaViews?
    let propensities: any PropensitySource
    /// The decision service again, by routing key: where a decide for another partition's customer goes.
    let forwarder: (any DecisionForwarder)?
    let environment: ServiceEnvironment
    let logger: Logger
    /// The ids callers chose for their decisions, claimed by this process's workers.
    let callerIDs: CallerDecisionIDs
    /// Whether the decision log in the store holds a decision id already.
    let logged: (String) throws(ServiceError) -> Bool
    /// Recent views by identity, with when they were read (Unix ms): the fallback when profile fails.
    var recentViews: [String: (view: CustomerView, readMs: Int64)] = [:]
    /// Profile and scoring, each behind its own breaker: a frozen one is skipped, not waited for.
    var breakers = ["profile": CircuitBreaker(), "scoring": CircuitBreaker()]
    let decisions = Dictionary(uniqueKeysWithValues: ChannelName.all.map { ($0, Counter(label: "offerloop_decisions_total", dimensions: [("channel", $0)])) })
    let controlDecisions = Counter(label: "offerloop_decisions_control_total")
    /// Views served from this replica's memory, and those it could not vouch for (asked of profile).
    let replicaViews = Counter(label: "offerloop_decision_views_total", dimensions: [("source", "replica")])
    let replicaStale = Counter(label: "offerloop_decision_views_total", dimensions: [("source", "replica_stale")])
    /// Decides of another partition's customer relayed from its replica, and forwards that failed.
    let forwarded = Counter(label: "offerloop_decision_views_total", dimensions: [("source", "forwarded")])
    let forwardFailed = Counter(label: "offerloop_decision_forwards_failed_total")

    /// Closes what the sources opened (their broker client), when the worker stops.
    let closeSources: () -> Void

    init(catalog: CatalogHolder, journal: DecisionJournal, settings: Settings, views: any CustomerViewSource, replica: ReplicaViews? = nil,
         propensities: any PropensitySource, forwarder: (any DecisionForwarder)? = nil, environment: ServiceEnvironment, logger: Logger,
         callerIDs: CallerDecisionIDs = CallerDecisionIDs(), logged: @escaping (String) throws(ServiceError) -> Bool = { _ in false },
         closeSources: @escaping () -> Void = {}) {
        self.closeSources = closeSources
        self.callerIDs = callerIDs
        self.logged = logged
        self.forwarder = forwarder
        self.replica = replica
        self.catalog = catalog
        self.journal = journal
        self.settings = settings
        self.views = views
        self.propensities = propensities
        self.environment = environment
        self.logger = logger
    }

    func methods() -> Methods {
        var methods = Methods(ownedBy: owner)
        methods.onClose { [self] in closeSources() }
        methods.on("decide") { [self] (request: DecideRequest, context) throws -> DecideReply in try decide(request, context) }
        methods.on("reload_catalog") { [self] (_: ReloadCatalogRequest, _) throws -> CatalogReply in
            let errors = catalog.reload()
            return status(errors)
        }
        methods.on("catalog") { [self] (_: ReloadCatalogRequest, _) throws -> CatalogReply in status([]) }
        return methods
    }

    func status(_ errors: [CatalogError]) -> CatalogReply {
        let running = catalog.engine.catalog
        return CatalogReply.with {
            $0.version = running.version
            $0.path = catalog.path
            $0.offers = UInt32(running.offers.count)
            $0.errors = errors.map(\.description)
            $0.reloaded = errors.isEmpty
        }
    }

    /// Validate, budget the time, the customer's view, screening, propensities, arbitration, the
    /// log, the answer.
    func decide(_ request: DecideRequest, _ context: RequestContext) throws -> DecideReply {
        let now = environment.wallMs()
        let channel = try Self.validate(request)
        let engine = catalog.engine
        let decisionRequest = try Self.restrictions(request, channel: channel, catalog: engine.catalog, now: now)
        if !request.decisionID.isEmpty, try logged(request.decisionID) { throw Self.taken(request.decisionID) }
        let deadline = Self.answerBy(context, channelDeadline: UInt64(settings.channelDeadlinesMs[channel] ?? 100) * 1_000_000)
        var degraded: [(reason: String, text: String)] = []

        // 1. Who is this? This replica's memory, or the profile service within its share of the time
        // left; a customer another partition's replica holds: that replica's decision, relayed.
        let view: CustomerView
        switch try customerView(request, forwardable: context.routingKey.isEmpty, deadline: deadline, now: now, degraded: &degraded) {
        case .view(let found): view = found
        case .forwarded(let reply): return reply
        }
        let known = !view.customerID.isEmpty

        // 2. Who may be shown what, before any propensity is known.
        let hour = request.hasLocalHour ? Int(request.localHour) : nil
        let input = CustomerViewInput(customerID: view.customerID, optedOut: Set(view.optedOut.compactMap(ChannelName.name)),
                                      rules: RuleInput(view: view, channel: channel, context: request.context, hour: hour, now: now))
        let history = Self.history(view)
        let screening = known ? engine.screen(decisionRequest, view: input, history: history) : engine.screenWithoutView()

        // 3. How likely is each eligible offer (and each the customer is held out of: what the
        // policy would have shown is judged with its propensity)? Scoring, with what time is left.
        var scores: ScoreReply?
        if let eligible = screening.eligible.map({ $0 + screening.heldOut }), !eligible.isEmpty {
            do {
                let scoreRequest = Self.scoreRequest(request, view: view, eligible: eligible, catalog: engine.catalog, hour: hour, now: now)
                scores = try guarded("scoring", budget: budget(until: deadline, share: 1)) { budget throws(ServiceError) in
                    try propensities.scores(scoreRequest, budgetMicros: budget)
                }
            } catch {
                degraded.append(("scoring_priors", "scoring: \(error.code.name); used the catalog's prior propensities"))
            }
        }
        let means = scores.map { scores in
            Dictionary(scores.scores.map { ($0.offerID, Propensity(mean: $0.mean, logitVariance: $0.logitVariance)) }, uniquingKeysWith: { a, _ in a })
        }

        // 4. Arbitration.
        var random = SeededRandom(seed: request.seed != 0 ? request.seed : environment.newSeed())
        let decision = engine.arbitrate(screening, decisionRequest, history: history, propensities: means, using: &random)

        // 5. The log, before the answer.
        let id = request.decisionID.isEmpty ? CallerDecisionID.servicePrefix + environment.newID() : request.decisionID
        if !request.decisionID.isEmpty, !callerIDs.claim(id) { throw Self.taken(id) }
        let reply = Self.reply(decision, id: id, request: request, view: view, catalogVersion: engine.catalog.version,
                               modelVersion: scores?.modelVersion ?? "", degraded: degraded)
        do {
            try journal.append {
                Self.writeRecord(reply, decision, request: request, view: view, features: scores?.features ?? [], catalog: engine.catalog, now: now, into: &$0)
            }
        } catch {
            if !request.decisionID.isEmpty { callerIDs.release(id) }
            throw error
        }
        decisions[channel]?.increment()
        if decision.control { controlDecisions.increment() }
        for item in degraded { Counter(label: "offerloop_decisions_degraded_total", dimensions: [("reason", item.reason)]).increment() }
        if !degraded.isEmpty {
            logger.warning("degraded decision", metadata: ["decision_id": "\(reply.decisionID)", "reason": "\(reply.degradedReason)"])
        }
        return reply
    }

    /// The request's channel, once the request is known to be one a decision can be made for.
    static func validate(_ request: DecideRequest) throws(ServiceError) -> String {
        guard let channel = ChannelName.name(request.channel) else {
            throw ServiceError(.invalidArgument, "channel is required (atm, kiosk, web or call_center)")
        }
        guard !request.identity.kind.isEmpty, !request.identity.value.isEmpty else {
            throw ServiceError(.invalidArgument, "identity is required: kind and value, e.g. card and its number")
        }
        guard request.slots <= Settings.maxSlots, request.slotOptions.count <= Settings.maxSlots else {
            throw ServiceError(.invalidArgument, "at most \(Settings.maxSlots) slots, not \(max(request.slots, UInt32(request.slotOptions.count)))")
        }
        guard request.slotOptions.isEmpty || request.slots == 0 || Int(request.slots) == request.slotOptions.count else {
            throw ServiceError(.invalidArgument, "slots is \(request.slots) but slot_options names \(request.slotOptions.count)")
        }
        if !request.decisionID.isEmpty { try CallerDecisionID.validate(request.decisionID) }
        if request.hasLocalHour, !(0..<24).contains(request.localHour) {
            throw ServiceError(.invalidArgument, "local_hour \(request.localHour) is not 0-23")
        }
        return channel
    }

    /// The customer's view: from this replica's memory when it is fresh (after waiting, within
    /// the profile's share of the time, for the request's read-your-writes floor); the decision of
    /// the replica holding the customer when it is another partition's and the request is
    /// `forwardable` (it came without a routing key: one forward at most); else from the source.
    /// When the source fails: the replica's view, marked, if it has one; else the view cached at
    /// this worker if it is recent enough; else none (consent unknown: no offer). The answer to a
    /// bad request (NOT_FOUND, INVALID_ARGUMENT) is the decision's answer.
    func customerView(_ request: DecideRequest, forwardable: Bool = false, deadline: UInt64, now: Int64,
                      degraded: inout [(reason: String, text: String)]) throws(ServiceError) -> ViewOutcome {
        let identity = request.identity
        var standIn: (view: CustomerView, why: String)?
        if let replica, replica.ready {
            let canonical: CustomerIdentity
            do { canonical = try CustomerIdentity(identity) } catch { throw error.serviceError }
            let waitUntil = environment.monotonicNs() + budget(until: deadline, share: settings.profileShare) * 1000
            switch replica.view(canonical, minSequence: request.minProfileSequence, waitUntilNs: waitUntil, nowMs: now) {
            case .fresh(let view):
                replicaViews.increment()
                return .view(view)
            case .unknown(let why):
                throw ServiceError(.notFound, why)
            case .elsewhere(let customerID):
                if forwardable, let reply = try forward(request, to: customerID, deadline: deadline) { return .forwarded(reply) }
                replicaStale.increment()
            case .stale(let view, let why):
                replicaStale.increment()
                standIn = view.map { ($0, why) }
            }
        }
        let identityKey = identity.kind + ":" + identity.value
        do {
            let view = try guarded("profile", budget: budget(until: deadline, share: settings.profileShare)) { budget throws(ServiceError) in
                try views.view(CustomerViewRequest.with { $0.identity = identity; $0.minProfileSequence = request.minProfileSequence }, budgetMicros: budget)
            }
            remember(identityKey, view, now: now)
            return .view(view)
        } catch where error.code == .notFound || error.code == .invalidArgument {
            throw error
        } catch {
            if let standIn {
                degraded.append(("profile_replica_view", "profile: \(error.code.name); used this replica's view, which \(standIn.why)"))
                return .view(standIn.view)
            }
            if let cached = recentViews[identityKey], now - cached.readMs <= settings.cacheMaxAgeMs {
                degraded.append(("profile_cached_view", "profile: \(error.code.name); used the view cached at this replica"))
                return .view(cached.view)
            }
            degraded.append(("profile_no_view", "profile: \(error.code.name); no view of the customer, so their consent is unknown: no offer"))
            return .view(CustomerView())
        }
    }

    /// Calls a dependency through its breaker (skipped, UNAVAILABLE, while it is open); its
    /// answer to a bad request (NOT_FOUND, INVALID_ARGUMENT) is an answer, not a failure.
    func guarded<Response>(_ service: String, budget: UInt64, _ call: (UInt64) throws(ServiceError) -> Response) throws(ServiceError) -> Response {
        guard let allowed = breakers[service]!.allow(budget, now: environment.monotonicNs()) else {
            throw ServiceError(.unavailable, "\(service) skipped: it failed \(CircuitBreaker.threshold) times in a row")
        }
        do {
            let response = try call(allowed)
            breakers[service]!.record(failed: false, now: environment.monotonicNs())
            return response
        } catch {
            breakers[service]!.record(failed: error.code != .notFound && error.code != .invalidArgument, now: environment.monotonicNs())
            throw error
        }
    }

    /// When the answer must leave this worker: the client's deadline or the channel's, both
    /// counted from the client's send, less the return reserve.
    static func answerBy(_ context: RequestContext, channelDeadline: UInt64) -> UInt64 {
        let allowed = min(context.deadline - context.sent, channelDeadline)
        let returnReserve = max(UInt64(Double(allowed) * Settings.returnReserveShare), Settings.minimumReturnReserve)
        return context.sent + allowed - min(returnReserve, allowed)
    }

    /// Microseconds for a call: `share` of the time left before the answer is due, less the reserve.
    func budget(until deadline: UInt64, share: Double) -> UInt64 {
        let now = environment.monotonicNs()
        let left = deadline > now + settings.reserve ? deadline - now - settings.reserve : 0
        return min(max(UInt64(Double(left) * share) / 1000, 1), settings.maxCallMicros)
    }

    func remember(_ key: String, _ view: CustomerView, now: Int64) {
        if recentViews.count >= settings.cacheSize, recentViews[key] == nil { recentViews.remove(at: recentViews.startIndex) }
        recentViews[key] = (view, now)
    }

    /// What scoring is asked: only what the model's features read, so the request stays small.
    static func scoreRequest(_ request: DecideRequest, view: CustomerView, eligible: [Int], catalog: OfferCatalog, hour: Int?, now: Int64) -> ScoreRequest {
        ScoreRequest.with {
            $0.customer = .with {
                $0.customerID = view.customerID
                $0.segment = view.segment
                $0.clv = view.clv
                $0.churnRisk = view.churnRisk
                $0.holdings = view.holdings
                $0.lastContactUnixMs = view.lastContactUnixMs
                $0.lastResponseUnixMs = view.lastResponseUnixMs
            }
            if let plan = catalog.features {
                $0.features = plan
                for attribute in plan.attributes {
                    if let value = view.attributes[attribute.name] { $0.customer.attributes[attribute.name] = value }
                }
            }
            $0.channel = request.channel
            $0.context = request.context
            $0.candidates = eligible.map { index in
                Wire.Candidate.with { $0.offerID = catalog.offers[index].id; $0.priorPropensity = catalog.offers[index].priorPropensity }
            }
            $0.timeUnixMs = now
            if let hour { $0.localHour = Int32(hour) }
            $0.seed = request.seed
        }
    }

    static func reply(_ decision: Decision, id: String, request: DecideRequest, view: CustomerView, catalogVersion: String,
                      modelVersion: String, degraded: [(reason: String, text: String)]) -> DecideReply {
        DecideReply.with {
            $0.decisionID = id
            $0.customerID = view.customerID
            $0.offers = decision.offers.map { wire($0) }
            $0.control = decision.control
            $0.degraded = !degraded.isEmpty
            $0.degradedReason = degraded.map(\.text).joined(separator: "; ")
            $0.catalogVersion = catalogVersion
            $0.modelVersion = modelVersion
            if request.explain {
                $0.explanation = decision.explanation + decision.candidates.map { "\($0.offerID): \($0.reason)" }
                $0.candidates = decision.candidates.map(\.record)
            }
        }
    }

    static func history(_ view: CustomerView) -> [ContactRecord] {
        view.contacts.compactMap { contact in
            guard let kind = ContactRecord.Kind(rawValue: contact.kind) else { return nil }
            return ContactRecord(offerID: contact.offerID, category: contact.category, channel: ChannelName.name(contact.channel) ?? "",
                                 timeMs: contact.timeUnixMs, kind: kind)
        }
    }

    static func wire(_ choice: Decision.Choice) -> OfferChoice {
        OfferChoice.with {
            $0.offerID = choice.offer.id
            $0.name = choice.offer.name
            $0.category = choice.offer.category
            $0.treatment = .with {
                $0.channelText = choice.treatment.text
                $0.fields = choice.treatment.fields
                $0.talkingPoints = choice.treatment.talkingPoints
            }
            $0.propensity = choice.propensity
            $0.probability = choice.probability
            $0.priority = choice.priority
            $0.reason = choice.reason
            $0.priorPropensity = choice.offer.priorPropensity
            $0.slotID = choice.slotID
        }
    }
}
