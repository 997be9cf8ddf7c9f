// offerloop-profile: the one real-time view of every customer, over the broker.
import ArgumentParser
import Foundation
import Logging
import ProcessShell
import ProfileStore
import Store
import Transport
import Wire
import ZeroMQ

@main
struct ProfileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offerloop-profile",
        abstract: "Serves the customer view: identities, attributes, activity, value and churn risk.")

    @OptionGroup var options: WorkerOptions
    @OptionGroup var client: ClientOptions

    /// Outcomes on the stream become the contact history.
    @OptionGroup var stream: StreamSubscriberOptions
    /// Every acknowledged change goes out on the profile stream.
    @OptionGroup var publishing: StreamPublisherOptions
    @OptionGroup var store: ProfileStoreOptions

    @Option(help: "Milliseconds between the profile stream's heartbeats, which carry its head (env OFFERLOOP_PROFILE_HEARTBEAT_MS).")
    var streamHeartbeatMs: Int = Environment.int("OFFERLOOP_PROFILE_HEARTBEAT_MS", 10)

    @Option(help: "Hours the profile stream keeps its changes for followers to replay (env OFFERLOOP_PROFILE_CHANGE_RETENTION_HOURS).")
    var changeRetentionHours: Int = Environment.int("OFFERLOOP_PROFILE_CHANGE_RETENTION_HOURS", 24)

    @Option(help: "Seconds a session context lives after its last change (env OFFERLOOP_SESSION_TTL_SECONDS).")
    var sessionTTLSeconds: Int = Environment.int("OFFERLOOP_SESSION_TTL_SECONDS", 1800)

    @Option(help: "Days channel events are kept (env OFFERLOOP_EVENT_RETENTION_DAYS).")
    var eventRetentionDays: Int = Environment.int("OFFERLOOP_EVENT_RETENTION_DAYS", 730)

    @Option(help: "Customer views each worker keeps in memory (env OFFERLOOP_PROFILE_CACHE).")
    var cacheSize: Int = Environment.int("OFFERLOOP_PROFILE_CACHE", 100_000)

    @Option(help: "CLV horizon in months (env OFFERLOOP_CLV_HORIZON_MONTHS).")
    var clvHorizonMonths: Int = Environment.int("OFFERLOOP_CLV_HORIZON_MONTHS", 12)

    @Option(help: "Monthly discount rate for CLV (env OFFERLOOP_CLV_MONTHLY_DISCOUNT).")
    var clvMonthlyDiscount: Double = Environment.double("OFFERLOOP_CLV_MONTHLY_DISCOUNT", 0.01)

    @Option(help: "Value tiers as NAME:QUANTILE of CLV where the tier starts, lowest first (env OFFERLOOP_VALUE_TIERS).")
    var valueTiers: String = Environment.string("OFFERLOOP_VALUE_TIERS", "bronze,silver:0.5,gold:0.8,platinum:0.95")

    /// "bronze,silver:0.5,gold:0.8,platinum:0.95": the first tier starts at 0, each other at its quantile.
    func valuationSettings() throws -> ValuationSettings {
        var settings = ValuationSettings()
        settings.horizonMonths = clvHorizonMonths
        settings.monthlyDiscount = clvMonthlyDiscount
        let tiers = valueTiers.split(separator: ",").map { $0.split(separator: ":", maxSplits: 1).map(String.init) }
        guard let first = tiers.first, first.count == 1, tiers.dropFirst().allSatisfy({ $0.count == 2 && Double($0[1]) != nil }) else {
            throw ValidationError("value tiers '\(valueTiers)' must look like bronze,silver:0.5,gold:0.8 (the first without a quantile)")
        }
        settings.tierNames = tiers.map { $0[0] }
        settings.tierQuantiles = tiers.dropFirst().map { Double($0[1])! }
        guard settings.tierQuantiles == settings.tierQuantiles.sorted(), settings.tierQuantiles.allSatisfy({ $0 > 0 && $0 < 1 }) else {
            throw ValidationError("value tier quantiles must rise and lie between 0 and 1: '\(valueTiers)'")
        }
        return settings
    }

    func validate() throws {
        guard streamHeartbeatMs >= 1 else { throw ValidationError("--stream-heartbeat-ms must be at least 1") }
        guard changeRetentionHours >= 1 else { throw ValidationError("--change-retention-hours must be at least 1") }
    }

    func run() async throws {
        let logger = options.logging.bootstrap(service: "profile")
        let location = try store.location()
        let environment = ServiceEnvironment.live
        // Create the schema once before the workers start, so they do not race to do it.
        // A store from before the profile stream: its customers get their replica states (and changes) first.
        let backfilled = try location.open().closing {
            try ProfileRepository(db: $0, newCustomerID: ProfileService.newCustomerID(environment)).backfillReplicaStates(now: environment.wallMs())
        }
        logger.info("profile store ready", metadata: ["store": "\(location)", "replica_states_backfilled": "\(backfilled)"])

        let settings = ProfileService.Settings(
            sessionTTLMs: Int64(sessionTTLSeconds) * 1000, eventRetentionMs: Int64(eventRetentionDays) * 86_400_000, cacheSize: cacheSize,
            valuation: try valuationSettings(), changeRetentionMs: Int64(changeRetentionHours) * 3_600_000)
        let context = try ZMQContext()
        let streamIn = publishing.streamIn
        // Each thread that writes publishes on a socket it makes itself.
        let publisher: EventPublisherFactory = { try StreamPublisher(context: context, endpoint: streamIn, topic: StreamTopic.profile) }
        let retention = ThreadService(name: "profile-retention") { stop in
            try RetentionLoop(location: location, settings: settings, environment: environment, publisher: publisher, logger: logger).run(until: stop)
        }
        let revalue = ThreadService(name: "profile-revalue") { stop in
            try RevalueLoop(location: location, environment: environment, publisher: publisher, logger: logger).run(until: stop)
        }
        let heartbeat = ThreadService(name: "profile-heartbeat") { [streamHeartbeatMs] stop in
            try ProfileHeartbeat(location: location, publisher: publisher, intervalMs: streamHeartbeatMs, environment: environment, logger: logger).run(until: stop)
        }
        let follower = StreamFollower(following: .outcomes, settings: .init(stream: stream.stream, frontend: client.frontend), context: context, logger: logger)
        let contactHistory = ThreadService(name: "contact-history") { stop in
            let repository = try location.open().handedTo { try ProfileRepository(db: $0, newCustomerID: ProfileService.newCustomerID(environment)) }
            defer { repository.db.close() }
            // No fsync per commit: the history is rebuilt from the stream, and the position commits
            // with the events, so a commit lost in a power cut is applied again on restart.
            if repository.db.dialect == .sqlite { try repository.db.execute("PRAGMA synchronous = NORMAL") }
            let changes = try publisher()
            defer { changes.close() }
            try follower.run(ContactHistory(repository: repository, environment: environment, publisher: changes, logger: logger), until: stop)
        }
        try await ServiceRunner.run(service: "profile", options: options, logger: logger, context: context,
                                    extra: [retention, revalue, contactHistory, heartbeat]) { _ in
            let changes = try publisher()
            do {
                return try ProfileService(location: location, publisher: changes, refitPublisher: publisher, settings: settings, environment: environment, logger: logger).methods()
            } catch {
                changes.close()
                throw error
            }
        }
    }
}

/// The profile store as a consumer of the outcome stream: outcomes become the customers' contact
/// and response history, and their new states go out on the profile stream.
struct ContactHistory: StreamConsumer {
    let repository: ProfileRepository
    let environment: ServiceEnvironment
    let publisher: any EventPublisher
    let logger: Logger

    func position() throws -> UInt64 { try repository.outcomePosition() }

    func apply(_ events: [OutcomeEvent]) throws -> Bool {
        let applied = try repository.applyOutcomes(events, now: environment.wallMs())
        repository.publish(to: publisher, wallUs: environment.wallUs, logger: logger)
        return applied
    }
}
