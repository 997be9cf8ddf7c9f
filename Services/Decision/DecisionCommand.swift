// offerloop-decision: what touchpoints call — the offers to show this customer, here, now.
import ArgumentParser
import DecisionCore
import Foundation
import ModelReplica
import ProcessShell
import Store
import Transport
import Wire
import ZeroMQ

@main
struct DecisionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offerloop-decision",
        abstract: "Decides which offers a touchpoint shows: catalog, eligibility, contact policy, control groups, arbitration.")

    @OptionGroup var options: WorkerOptions
    @OptionGroup var client: ClientOptions

    @Option(help: "The offer catalog, YAML; reloaded when it changes (env OFFERLOOP_CATALOG).")
    var catalog: String = Environment.string("OFFERLOOP_CATALOG", "examples/catalog/retail-bank.yaml")

    @OptionGroup var store: DecisionStoreOptions

    @Option(help: "Directory of the decision journals (env OFFERLOOP_JOURNAL_DIR).")
    var journalDir: String = Environment.string("OFFERLOOP_JOURNAL_DIR", "data/decision-journal")

    @Option(help: "Milliseconds between journal syncs and copies into the store: the durability bound (env OFFERLOOP_JOURNAL_SYNC_MS).")
    var journalSyncMs: Int = Environment.int("OFFERLOOP_JOURNAL_SYNC_MS", 100)

    @OptionGroup var deadlines: ChannelDeadlineOptions

    @Option(help: "Longest wait for profile or scoring in one decision, ms; a healthy one answers in about 1 (env OFFERLOOP_CALL_TIMEOUT_MS).")
    var callTimeoutMs: Int = Environment.int("OFFERLOOP_CALL_TIMEOUT_MS", 25)

    @Option(help: "How old a view cached at a replica may be and still stand in when profile fails, s; older ones may not know of an opt-out (env OFFERLOOP_VIEW_CACHE_SECONDS).")
    var viewCacheSeconds: Int = Environment.int("OFFERLOOP_VIEW_CACHE_SECONDS", 60)

    @Option(help: "Where customer views come from: 'replica' (held in memory from the profile stream; the profile service when the replica cannot vouch for one) or 'profile' (always asked) (env OFFERLOOP_VIEWS).")
    var views: ViewsMode = ViewsMode(rawValue: Environment.string("OFFERLOOP_VIEWS", "replica")) ?? .replica

    @Option(help: "How far behind the profile stream's head a replica may be and still answer from memory, ms (env OFFERLOOP_REPLICA_MAX_LAG_MS).")
    var replicaMaxLagMs: Int = Environment.int("OFFERLOOP_REPLICA_MAX_LAG_MS", 50)

    @Option(help: "How long a replica waits to catch up with the profile stream before it registers anyway and asks the profile service until it has, s (env OFFERLOOP_REPLICA_READY_SECONDS).")
    var replicaReadySeconds: Int = Environment.int("OFFERLOOP_REPLICA_READY_SECONDS", 60)

    @Option(help: "Hold only partition K of N of the customers, K/N with 0 ≤ K < N (the broker sends this replica the decides whose routing key, a customer id, is of K; a decide naming another partition's customer by identity is forwarded there); empty: all (env OFFERLOOP_PARTITION).")
    var partition: String = Environment.string("OFFERLOOP_PARTITION", "")

    enum ViewsMode: String, ExpressibleByArgument {
        case replica, profile
    }

    @OptionGroup var model: ModelReplicaOptions

    @OptionGroup var stream: StreamSubscriberOptions

    func validate() throws {
        guard viewCacheSeconds >= 0 else { throw ValidationError("--view-cache-seconds must be 0 or more") }
        guard callTimeoutMs >= 1 else { throw ValidationError("--call-timeout-ms must be at least 1") }
        guard journalSyncMs >= 1 else { throw ValidationError("--journal-sync-ms must be at least 1") }
        guard replicaMaxLagMs >= 1, replicaReadySeconds >= 0 else {
            throw ValidationError("--replica-max-lag-ms must be at least 1 and --replica-ready-seconds 0 or more")
        }
        if let partition = try held() {
            guard views == .replica || partition.count == 1 else { throw ValidationError("--partition \(partition) holds customers in memory: it needs --views replica") }
        }
    }

    /// The partition of `--partition`, nil for all customers.
    func held() throws -> KeyPartition? {
        guard !partition.isEmpty else { return nil }
        do { return try KeyPartition(parsing: partition) } catch { throw ValidationError("--partition: \(error.message)") }
    }

    func run() async throws {
        let logger = options.logging.bootstrap(service: "decision")
        let holder: CatalogHolder
        do {
            holder = try CatalogHolder(path: catalog, logger: logger)
        } catch {
            logger.critical("the catalog cannot be used", metadata: ["errors": "\(error)"])
            throw ExitCode(1)
        }
        logger.info("catalog loaded", metadata: ["path": "\(catalog)", "version": "\(holder.engine.catalog.version)", "offers": "\(holder.engine.catalog.offers.count)"])
        let journal = try DecisionJournal(directory: URL(fileURLWithPath: journalDir))
        let loader = DecisionLogLoader(journal: journal, store: try store.location(), interval: UInt64(journalSyncMs) * 1_000_000, logger: logger,
                                       catalog: { holder.source })
        var configured = DecisionService.Settings()
        configured.channelDeadlinesMs = try deadlines.milliseconds()
        configured.maxCallMicros = UInt64(callTimeoutMs) * 1000
        configured.cacheMaxAgeMs = Int64(viewCacheSeconds) * 1000
        let settings = configured
        let context = try ZMQContext()
        let frontend = client.frontend
        let streamSettings = StreamFollowerSettings(stream: stream.stream, frontend: frontend)
        var extra = [
            ThreadService(name: "decision-log") { try loader.run(until: $0) },
            ThreadService(name: "catalog-watch") { holder.watch(until: $0) },
        ]
        var startGates: [StartGate] = []
        let partition = try held().flatMap { $0.count > 1 ? $0 : nil }
        // The customer views held here (unless --views profile).
        var views: ReplicaViews?
        if self.views == .replica {
            let held = ReplicaViews(ProfileReplica(partition: partition?.index ?? 0, partitions: partition?.count ?? 1),
                                    settings: ReplicaViews.Settings(maxLagNs: UInt64(replicaMaxLagMs) * 1_000_000))
            let follower = ReplicaFollower(views: held, stream: streamSettings, context: context, logger: logger,
                                           readyWaitNs: UInt64(replicaReadySeconds) * 1_000_000_000)
            extra.append(ThreadService(name: "profile-replica") { try follower.run(until: $0) })
            startGates.append(held.startGate)
            views = held
        }
        // The scoring model held here (unless --propensities remote).
        let model = model.replica(stream: streamSettings)
        if let (replica, settings) = model {
            extra.append(ThreadService(name: "model-follower") { try replica.run(settings, context: context, environment: .live, logger: logger, until: $0) })
            startGates.append(replica.startGate)
        }
        // The ids callers chose (Personalizer's eventIds), claimed by every worker of this process.
        let callerIDs = CallerDecisionIDs()
        let storeLocation = try store.location()
        if let partition { logger.notice("holding one partition of the customers", metadata: ["partition": "\(partition)"]) }
        try await ServiceRunner.run(service: "decision", options: options, logger: logger, context: context, extra: extra,
                                    partition: partition, startGates: startGates) { [views] _ in
            let broker = BrokerSources(client: try BrokerClient(context: context, endpoint: frontend))
            let propensities: any PropensitySource = model.map { LocalPropensities(replica: $0.0, remote: broker, environment: .live) } ?? broker
            let log = DecisionLogLookup(location: storeLocation)
            var methods = DecisionService(catalog: holder, journal: journal, settings: settings, views: broker, replica: views,
                                          propensities: propensities, forwarder: broker, environment: .live, logger: logger,
                                          callerIDs: callerIDs, logged: log.contains,
                                          closeSources: { broker.client.close(); log.close() }).methods()
            if let (replica, _) = model { methods.onModel(replica) }
            return methods
        }
    }
}
