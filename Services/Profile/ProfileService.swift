// The profile service's methods over one worker's repository and view cache. Each worker
// thread makes its own, so its database connection and its stream publisher stay on that thread.
// Every write's changes go out on the profile stream after its commit; "changes" and "snapshot"
// serve the followers (decision replicas) that start or catch up.
import Foundation
import Logging
import ProfileCore
import ProfileStore
import Store
import Transport
import Wire

final class ProfileService: @unchecked Sendable {
    // @unchecked: an instance is made by a worker thread and used only by that thread.
    /// That thread: every handler checks it in a debug build.
    let owner = ThreadOwner()
    struct Settings: Sendable {
        var sessionTTLMs: Int64
        var eventRetentionMs: Int64
        var cacheSize: Int
        var valuation: ValuationSettings
        /// How long the profile stream keeps its changes; a follower further behind starts from a snapshot.
        var changeRetentionMs: Int64 = 86_400_000
    }

    let repository: ProfileRepository
    let publisher: any EventPublisher
    let settings: Settings
    let environment: ServiceEnvironment
    let logger: Logger
    var cache: ViewCache
    /// The value model and when it was fitted; checked against the store every 10 s, so a
    /// refit by any replica reaches every replica.
    var valuation: StoredValueModel?
    var valuationVersion: Int64 = -1
    var valuationCheckedAt: Int64 = 0
    static let valuationCheckMs: Int64 = 10_000
    /// How long "fit_value_model" revalues customers itself before leaving the rest to the loop.
    static let revalueInlineNs: UInt64 = 2_000_000_000
    /// How long a "fit_value_model" request may wait for the refit (the CLI allows 600 s).
    static let refitWaitNs: UInt64 = 600_000_000_000
    /// Where a refit's thread gets its stream publisher, and the refit running, if any.
    let location: StoreLocation
    let refitPublisher: EventPublisherFactory
    var refit: ValueModelRefit?
    /// Changes per "changes" page and customers per "snapshot" page (also bounded in bytes by the store).
    static let maxReplay = 1_000
    static let snapshotPage = 1_000, maxSnapshotPage = 10_000

    init(location: StoreLocation, publisher: any EventPublisher, refitPublisher: @escaping EventPublisherFactory, settings: Settings,
         environment: ServiceEnvironment, logger: Logger) throws {
        self.location = location
        self.refitPublisher = refitPublisher
        repository = try location.open().handedTo { try ProfileRepository(db: $0, newCustomerID: Self.newCustomerID(environment)) }
        self.publisher = publisher
        self.settings = settings
        self.environment = environment
        self.logger = logger
        cache = ViewCache(capacity: settings.cacheSize, seed: environment.newSeed())
    }

    /// Customer ids the store gives new customers: "c-" and 20 hex digits from `environment`.
    static func newCustomerID(_ environment: ServiceEnvironment) -> @Sendable () -> String {
        { "c-" + environment.newID() }
    }

    func methods() -> Methods {
        var methods = Methods(ownedBy: owner)
        methods.onClose { [self] in publisher.close(); repository.db.close() }
        methods.on("view") { [self] (request: CustomerViewRequest, _) throws -> CustomerView in
            try view(request)
        }
        methods.on("upsert") { [self] (request: UpsertCustomerRequest, _) throws -> CustomerReply in
            try published(repository.upsert(request, now: environment.wallMs()))
        }
        methods.on("add_identity") { [self] (request: AddIdentityRequest, context) throws -> CustomerReply in
            try published(repository.addIdentity(request, caller: context.callerName, now: environment.wallMs()))
        }
        methods.on("merge") { [self] (request: MergeRequest, context) throws -> CustomerReply in
            let reply = try published(repository.merge(request, caller: context.callerName, now: environment.wallMs()))
            logger.info("customers merged", metadata: ["customer_id": "\(reply.customerID)", "merged_customer_id": "\(reply.mergedCustomerID)",
                                                      "caller": "\(context.callerName)"])
            return reply
        }
        methods.on("unmerge") { [self] (request: UnmergeRequest, context) throws -> UnmergeReply in
            let reply = try published(repository.unmerge(request, caller: context.callerName, now: environment.wallMs()))
            logger.notice("merge undone", metadata: ["customer_id": "\(reply.customerID)", "survivor_id": "\(reply.survivorID)",
                                                     "caller": "\(context.callerName)", "kept": "\(reply.kept.count)"])
            return reply
        }
        methods.on("record_transaction") { [self] (request: TransactionRecord, _) throws -> CustomerReply in
            try published(repository.recordTransaction(request, now: environment.wallMs()))
        }
        methods.on("record_event") { [self] (request: EventRecord, _) throws -> CustomerReply in
            try published(repository.recordEvent(request, now: environment.wallMs()))
        }
        methods.on("set_holding") { [self] (request: HoldingRecord, _) throws -> CustomerReply in
            try published(repository.setHolding(request, now: environment.wallMs()))
        }
        for name in ["set_session", "get_session"] {
            methods.on(name) { [self] (request: SessionRequest, context) throws -> SessionReply in
                if context.method == "get_session", !request.set.isEmpty || request.clear {
                    throw ServiceError(.invalidArgument, "get_session does not change the session: use set_session")
                }
                return try published(repository.session(request, defaultTTLMs: settings.sessionTTLMs, now: environment.wallMs()))
            }
        }
        methods.on("export") { [self] (request: ExportRequest, _) throws -> ExportReply in
            try repository.export(request, now: environment.wallMs())
        }
        // A refit takes seconds to minutes at bank scale: it runs on its own thread while the
        // request waits parked, so this worker keeps answering (ValueModelRefit).
        methods.onGroup("fit_value_model", waitingUpTo: Self.refitWaitNs) { [self] (requests: [(request: FitValueModelRequest, mayWait: Bool)]) throws -> [Result<FitValueModelReply, ServiceError>?] in
            let running = refit ?? ValueModelRefit(.init(location: location, valuation: settings.valuation, environment: environment,
                                                         publisher: refitPublisher, logger: logger, revalueInlineNs: Self.revalueInlineNs))
            refit = running
            guard let result = running.result else {
                return requests.map { $0.mayWait ? nil : .failure(ServiceError(.deadlineExceeded, "the value model refit is still running; ask again later")) }
            }
            refit = nil
            valuationCheckedAt = 0
            return requests.map { _ in result }
        }
        methods.on("erase") { [self] (request: EraseRequest, context) throws -> EraseReply in
            let reply = try published(repository.erase(request, now: environment.wallMs()))
            logger.notice("customer erased", metadata: ["customer_id": "\(reply.customerID)", "rows_deleted": "\(reply.rowsDeleted)",
                                                        "customers": "\(reply.customerIds.count)", "caller": "\(context.callerName)"])
            return reply
        }
        // The profile stream for its followers (services and admins: ConnectionSecurity).
        methods.on("changes") { [self] (request: ReplayRequest, _) throws -> ProfileChangesReply in
            let limit = request.maxEvents == 0 ? Self.maxReplay : min(Int(request.maxEvents), Self.maxReplay)
            return try repository.changes(from: request.fromSequence, limit: limit)
        }
        methods.on("snapshot") { [self] (request: ProfileSnapshotRequest, _) throws -> ProfileSnapshotReply in
            let partition = try CustomerPartition(index: request.partition, count: max(request.partitions, 1))
            guard request.afterCustomerID.utf8.count <= 128 else {
                throw ServiceError(.invalidArgument, "after_customer_id is \(request.afterCustomerID.utf8.count) bytes; a customer id has at most 128")
            }
            let limit = request.maxCustomers == 0 ? Self.snapshotPage : min(Int(request.maxCustomers), Self.maxSnapshotPage)
            return try repository.snapshot(after: request.afterCustomerID, limit: limit, partition: partition)
        }
        return methods
    }

    /// `result` of a write, once its changes are published on the profile stream (the write has
    /// committed). A change the relay drops is not lost: followers replay it from the store.
    func published<T>(_ result: T) -> T {
        repository.publish(to: publisher, wallUs: environment.wallUs, logger: logger)
        return result
    }

    /// The view from this worker's cache when the store says the customer has not changed
    /// since (one indexed read), else from the store. Any replica's write bumps the version,
    /// so a read after an acknowledged write always sees it.
    /// All its reads in one snapshot of the store.
    func view(_ request: CustomerViewRequest) throws -> CustomerView {
        let identity = try CustomerIdentity(request.identity)
        let now = environment.wallMs()
        try refreshValuation(now: now)
        return try repository.db.reading {
            let (id, version) = try repository.resolve(identity)
            let key = ViewCache.Key(version: version, valuationVersion: valuationVersion, recentEvents: Int(request.recentEvents))
            if let cached = cache.view(id: id, key: key, now: now) { return cached }
            let view = try repository.view(of: id, recentEvents: key.recentEvents, valuation: valuation, now: now)
            cache.store(view, id: id, key: key, now: now)
            return view
        }
    }

    func refreshValuation(now: Int64) throws {
        guard now - valuationCheckedAt >= Self.valuationCheckMs else { return }
        valuationCheckedAt = now
        let version = try repository.valueModelVersion()
        guard version != valuationVersion else { return }
        valuation = try repository.loadValueModel()
        valuationVersion = version
    }
}
