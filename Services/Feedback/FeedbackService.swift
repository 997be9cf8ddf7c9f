// The feedback service's methods for one worker thread: "outcome" and "outcomes" (validate
// against the decision log and the response window, store once — whatever waits at the worker
// together in one commit —, publish on the outcome stream, acknowledge; an outcome whose decision
// is not logged yet waits for it, parked) and "replay" (the stream from a sequence on). Each
// worker owns its store connection and its stream publisher. The profile's contact history and
// the scoring models follow the stream.
import DecisionRecords
import Foundation
import Logging
import Metrics
import Store
import Synchronization
import Transport
import Wire
import ZeroMQ

struct FeedbackSettings: Sendable {
    /// How long after a decision its outcomes are taken, per channel (ms); after that the
    /// decision's unanswered offers become "ignored".
    var responseWindowsMs: [String: Int64] = ["atm": 600_000, "kiosk": 1_800_000, "web": 604_800_000, "call_center": 604_800_000]
    static let defaultWindowMs: Int64 = 86_400_000
    /// How far a touchpoint's clock may be off ours.
    static let clockSkewMs: Int64 = 300_000

    /// How long an outcome whose decision is not in the log yet waits for it (ms): the decision
    /// service copies its journals to the log every 100 ms. 0: refused at once.
    var decisionWaitMs: Int64 = 200

    func window(_ channel: String) -> Int64 { responseWindowsMs[channel] ?? Self.defaultWindowMs }
    func window(_ channel: Channel) -> Int64 { window(ChannelName.name(channel) ?? "") }
}

final class FeedbackService: @unchecked Sendable {
    // @unchecked: made by a worker thread and used only by that thread.
    /// That thread: every handler checks it in a debug build.
    let owner = ThreadOwner()
    let log: OutcomeLog
    let publisher: any EventPublisher
    let settings: FeedbackSettings
    let environment: ServiceEnvironment
    let logger: Logger
    /// Decisions recently looked up: a decision usually gets several outcomes, and records never change.
    var decisions = DecisionCache(capacity: 10_000)
    let ingested = Dictionary(uniqueKeysWithValues: ["stored", "duplicate", "refused"].map {
        ($0, Counter(label: "offerloop_outcomes_ingested_total", dimensions: [("result", $0)]))
    })
    /// The newest sequence this process stored (its worker threads store concurrently).
    static let head = Mutex<(sequence: UInt64, gauge: Gauge)>((0, Gauge(label: "offerloop_stream_head_sequence")))
    static let maxReplay = 5_000
    static let maxBatch = 1_000
    static let maxIDBytes = 128
    /// The largest purchase amount taken as real.
    static let maxAmount = 1e9

    init(store: StoreLocation, publisher: any EventPublisher, settings: FeedbackSettings, environment: ServiceEnvironment, logger: Logger) throws {
        log = try store.open().handedTo { try OutcomeLog(db: $0) }
        do {
            // SQLite: no checkpoint after a commit, on the acknowledgement's path; the checkpointer
            // thread does them (WALCheckpointer).
            if log.db.dialect == .sqlite { _ = try log.db.query("PRAGMA wal_autocheckpoint = 0", []) }
        } catch {
            log.db.close()
            throw error
        }
        self.publisher = publisher
        self.settings = settings
        self.environment = environment
        self.logger = logger
    }

    /// Publishing on the broker's outcome stream, on a socket of this worker thread's own.
    convenience init(store: StoreLocation, context: ZMQContext, streamIn: String, settings: FeedbackSettings, environment: ServiceEnvironment,
                     logger: Logger) throws {
        let publisher = try StreamPublisher(context: context, endpoint: streamIn, topic: StreamTopic.outcomes)
        do {
            try self.init(store: store, publisher: publisher, settings: settings, environment: environment, logger: logger)
        } catch {
            publisher.close()
            throw error
        }
    }

    func methods() -> Methods {
        var methods = Methods(ownedBy: owner)
        methods.onClose { [self] in publisher.close(); log.db.close() }
        // Group commit: the outcomes and batches waiting at this worker together are stored in one
        // transaction. One whose decision is not in the log yet is parked by the worker — which
        // answers the others meanwhile — and tried again until the decision is there or its wait is over.
        let wait = UInt64(settings.decisionWaitMs) * 1_000_000
        methods.onGroup("outcome", waitingUpTo: wait) { [self] (outcomes: [(request: Outcome, mayWait: Bool)]) throws -> [Result<OutcomeAck, ServiceError>?] in
            try record(outcomes.map { ([$0.request], $0.mayWait) }).map { $0?[0] }
        }
        methods.onGroup("outcomes", waitingUpTo: wait) { [self] (batches: [(request: OutcomeBatch, mayWait: Bool)]) throws -> [Result<OutcomeBatchReply, ServiceError>?] in
            let recorded = try record(batches.map { $0.request.outcomes.count <= Self.maxBatch ? ($0.request.outcomes, $0.mayWait) : ([], false) })
            return zip(batches, recorded).map { batch, results in
                guard batch.request.outcomes.count <= Self.maxBatch else {
                    return .failure(ServiceError(.invalidArgument, "a batch holds at most \(Self.maxBatch) outcomes, not \(batch.request.outcomes.count)"))
                }
                return results.map { results in
                    .success(OutcomeBatchReply.with {
                        $0.results = results.map { result in
                            OutcomeResult.with {
                                switch result {
                                case .success(let ack): $0.ack = ack
                                case .failure(let error): $0.error = .with { $0.code = error.code; $0.message = error.message }
                                }
                            }
                        }
                    })
                }
            }
        }
        methods.on("replay") { [self] (request: ReplayRequest, _) throws -> ReplayReply in
            let limit = request.maxEvents == 0 ? Self.maxReplay : min(Int(request.maxEvents), Self.maxReplay)
            return try log.replay(from: request.fromSequence, limit: limit)
        }
        // The decision store's part of the right to erasure and of access (admin, through `offerloop customer`).
        methods.on("erase") { [self] (request: CustomerRecordsRequest, context) throws -> DecisionErasureReply in
            let ids = try Self.customerIDs(request)
            let erased = try DecisionStoreErasure.erase(ids, now: environment.wallMs(), log.db)
            logger.notice("decisions and outcomes pseudonymised", metadata: [
                "customers": "\(ids.count)", "decisions": "\(erased.decisions)", "outcomes": "\(erased.outcomes)", "caller": "\(context.callerName)"])
            return DecisionErasureReply.with { $0.decisions = UInt64(erased.decisions); $0.outcomes = UInt64(erased.outcomes) }
        }
        methods.on("export") { [self] (request: CustomerRecordsRequest, _) throws -> ExportReply in
            let ids = try Self.customerIDs(request)
            return try ExportReply.with { $0.json = try DecisionStoreErasure.export(ids, log.db); $0.customerIds = ids }
        }
        return methods
    }

    /// The customer ids of an erase or export: at least one, each a customer id's size.
    static func customerIDs(_ request: CustomerRecordsRequest) throws(ServiceError) -> [String] {
        guard !request.customerIds.isEmpty, request.customerIds.count <= maxBatch else {
            throw ServiceError(.invalidArgument, "customer_ids needs 1–\(maxBatch) customer ids (the profile service's erase or export reply lists them)")
        }
        for id in request.customerIds where id.isEmpty || id.utf8.count > maxIDBytes {
            throw ServiceError(.invalidArgument, "customer id '\(id.prefix(maxIDBytes))' must be 1–\(maxIDBytes) bytes")
        }
        return request.customerIds
    }

    /// Checks every outcome of each request (one outcome, or a batch), stores the valid ones of all
    /// in one transaction, publishes the new ones and acknowledges each; a refused outcome is its
    /// own typed error and stores nothing. A request that may wait and names a decision not in the
    /// log yet stores nothing and gets nil ("not yet"): a batch waits whole, so it is answered once.
    func record(_ requests: [(outcomes: [Outcome], mayWait: Bool)]) throws -> [[Result<OutcomeAck, ServiceError>]?] {
        let now = environment.wallMs()
        var answers: [[Result<OutcomeAck, ServiceError>]?] = []
        var valid: [(request: Int, item: Int, event: OutcomeEvent)] = []
        var refused = 0
        for (index, request) in requests.enumerated() {
            let checked = request.outcomes.map { outcome in Result { () throws(ServiceError) in try validate(outcome, now: now) } }
            if request.mayWait, checked.contains(where: { if case .failure(let error) = $0 { error.code == .notFound } else { false } }) {
                answers.append(nil)
                continue
            }
            answers.append(checked.enumerated().map { item, check in
                check.map { event in
                    valid.append((index, item, event))
                    return OutcomeAck()  // replaced once stored, below
                }
            })
            refused += checked.count(where: { if case .failure = $0 { true } else { false } })
        }
        let stored = try log.append(valid.map(\.event))
        var new = 0, newest: UInt64 = 0
        for ((request, item, _), (event, bytes, duplicate)) in zip(valid, stored) {
            if !duplicate {
                try publisher.publish(bytes)
                new += 1
                newest = max(newest, event.sequence)
            }
            answers[request]![item] = .success(OutcomeAck.with { $0.eventID = event.outcome.eventID; $0.sequence = event.sequence; $0.duplicate = duplicate })
        }
        Self.head.withLock { head in
            if newest > head.sequence { head.sequence = newest; head.gauge.record(Int64(newest)) }
        }
        ingested["stored"]!.increment(by: new)
        ingested["duplicate"]!.increment(by: stored.count - new)
        ingested["refused"]!.increment(by: refused)
        return answers
    }

    /// The outcome as a stream event, completed from its decision; or why it is refused.
    func validate(_ request: Outcome, now: Int64) throws(ServiceError) -> OutcomeEvent {
        var outcome = request
        for (name, value) in [("event_id", outcome.eventID), ("decision_id", outcome.decisionID), ("offer_id", outcome.offerID), ("slot_id", outcome.slotID)] {
            // Without an offer_id the outcome is about the offer the decision showed (in the slot named, or first).
            guard !value.isEmpty || name == "offer_id" || name == "slot_id" else { throw ServiceError(.invalidArgument, "\(name) is required") }
            guard value.utf8.count <= Self.maxIDBytes else {
                throw ServiceError(.invalidArgument, "\(name) is too long: \(value.utf8.count) bytes, at most \(Self.maxIDBytes)")
            }
        }
        guard !outcome.type.name.isEmpty else {
            throw ServiceError(.invalidArgument, "type is required: IMPRESSION, CLICK, ACCEPT, DECLINE, PURCHASE or IGNORED")
        }
        guard outcome.amount.isFinite, outcome.amount >= 0, outcome.amount <= Self.maxAmount else {
            throw ServiceError(.invalidArgument, "amount \(outcome.amount) is not between 0 and \(Int(Self.maxAmount))")
        }
        do {
            guard let decision = try decisions.find(outcome.decisionID, log.db) else {
                // NOT_FOUND is what a waiting request waits on (record): only this refusal may be one.
                throw ServiceError(.notFound, "unknown decision \(outcome.decisionID): not in the decision log (an outcome waits up to \(settings.decisionWaitMs) ms for its decision)")
            }
            if outcome.offerID.isEmpty {
                let position = outcome.slotID.hasPrefix("#") ? Int(outcome.slotID.dropFirst()) : nil
                let shown = if let position { position >= 0 && position < decision.offers.count ? decision.offers[position] : nil }
                    else { decision.offers.first { outcome.slotID.isEmpty || $0.slotID == outcome.slotID } }
                guard let shown else {
                    throw ServiceError(.invalidArgument, outcome.slotID.isEmpty ? "decision \(outcome.decisionID) showed no offer: offer_id is required"
                        : "decision \(outcome.decisionID) showed no offer in slot \(outcome.slotID.debugDescription)")
                }
                outcome.offerID = shown.offerID
            }
            // The offers shown; for a control decision also those the policy would have shown.
            let offers = decision.offers + decision.heldOut
            guard let offer = offers.first(where: { $0.offerID == outcome.offerID }) else {
                throw ServiceError(.invalidArgument, "offer \(outcome.offerID) was not shown in decision \(outcome.decisionID) (shown: \(decision.offers.map(\.offerID).joined(separator: ", ")))")
            }
            // A held-out offer was never seen: the customer can only have bought it anyway (a learned
            // acceptance of an unseen offer would mislead the model).
            if outcome.type != .purchase, !decision.offers.contains(where: { $0.offerID == outcome.offerID }) {
                throw ServiceError(.invalidArgument, "offer \(outcome.offerID) was held out of decision \(outcome.decisionID), not shown: only a PURCHASE can be reported for it, not \("\(outcome.type)".uppercased())")
            }
            guard outcome.customerID.isEmpty || outcome.customerID == decision.customerID else {
                throw ServiceError(.invalidArgument, "decision \(outcome.decisionID) was for another customer, not \(outcome.customerID)")
            }
            outcome.customerID = decision.customerID
            if outcome.channel == .unspecified { outcome.channel = decision.channel }
            if outcome.timeUnixMs == 0 { outcome.timeUnixMs = now }
            guard outcome.timeUnixMs >= decision.timeUnixMs - FeedbackSettings.clockSkewMs, outcome.timeUnixMs <= now + FeedbackSettings.clockSkewMs else {
                throw ServiceError(.invalidArgument, "time \(outcome.timeUnixMs) is before decision \(outcome.decisionID) (\(decision.timeUnixMs)) or in the future")
            }
            // Judged on arrival: until then the sweep cannot have marked the offer ignored (it
            // waits a grace after the window). A retry of a stored outcome is acknowledged whenever it comes.
            let closes = decision.timeUnixMs + settings.window(decision.channel)
            if now > closes, try log.sequence(ofEvent: outcome.eventID) == nil {
                throw ServiceError(.outOfWindow, "the response window of decision \(decision.decisionID) closed at \(closes) (Unix ms; \(ChannelName.name(decision.channel) ?? "?") window \(settings.window(decision.channel) / 1000) s)")
            }
            return OutcomeEvent(outcome, of: offer, features: decision.features, prior: try DecisionLogTable.prior(of: offer, in: decision.decisionID, log.db))
        } catch {
            throw ServiceError.from(error) { "the decision log cannot be read: \($0)" }
        }
    }
}

/// Logged decisions by id, the most recent `capacity` lookups (first in, first out).
struct DecisionCache {
    let capacity: Int
    private var records: [String: LoggedDecision] = [:]
    private var order: [String] = []
    private var next = 0

    init(capacity: Int) { self.capacity = capacity }

    mutating func find(_ id: String, _ db: any SQLDatabase) throws -> LoggedDecision? {
        if let record = records[id] { return record }
        guard let record = try DecisionLogTable.findLogged(id, db) else { return nil }
        if order.count < capacity {
            order.append(id)
        } else {
            records[order[next]] = nil
            order[next] = id
            next = (next + 1) % capacity
        }
        records[id] = record
        return record
    }
}

/// Copies SQLite's write-ahead log into the database every `interval`, in the background, so
/// that no acknowledgement waits for a checkpoint; and starts the log over once it passes its
/// limit (`SQLiteDatabase.backgroundCheckpoint`). For SQLite stores only.
struct WALCheckpointer: Sendable {
    let path: String
    let interval: UInt64
    let logger: Logger

    func run(until stop: StopSignal) throws {
        let db = try SQLiteDatabase(path: path)
        defer { db.close() }
        // How long a RESTART may hold writers back waiting for readers before it gives up until
        // the next interval.
        db.busyTimeout(seconds: 0.02)
        var pending = 0
        repeat {
            do {
                switch try db.backgroundCheckpoint() {
                case .copied: break
                case .restarted:
                    logger.debug("WAL started over", metadata: ["tries": "\(pending + 1)"])
                    pending = 0
                case .restartPending:
                    pending += 1
                    if pending % 100 == 0 { logger.warning("WAL past its limit: readers or writers hold on", metadata: ["tries": "\(pending)"]) }
                }
            } catch {
                logger.warning("WAL checkpoint failed; will retry", metadata: ["error": "\(error)"])
            }
        } while !stop.sleep(nanoseconds: interval)
    }
}
