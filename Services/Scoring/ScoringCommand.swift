// offerloop-scoring: offer propensities learned online from the outcome stream, over the broker.
import ArgumentParser
import Foundation
import ModelReplica
import ProcessShell
import ScoringCore
import Store
import Transport
import ZeroMQ

@main
struct ScoringCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offerloop-scoring",
        abstract: "Scores candidate offers (posterior mean and Thompson sample) and learns from the outcome stream.")

    @OptionGroup var options: WorkerOptions
    @OptionGroup var client: ClientOptions

    @OptionGroup var stream: StreamSubscriberOptions

    @Option(help: "Where model snapshots are kept: sqlite:PATH or postgres://… (env OFFERLOOP_SCORING_STORE).")
    var store: String = Environment.string("OFFERLOOP_SCORING_STORE", "sqlite:data/scoring.sqlite")

    @Option(help: "Seconds between model snapshots while outcomes arrive (env OFFERLOOP_SNAPSHOT_SECONDS).")
    var snapshotSeconds: Int = Environment.int("OFFERLOOP_SNAPSHOT_SECONDS", 60)

    @Option(help: "Outcomes after which a snapshot is written sooner (env OFFERLOOP_SNAPSHOT_EVENTS).")
    var snapshotEvents: Int = Environment.int("OFFERLOOP_SNAPSHOT_EVENTS", 100_000)

    @Option(help: "Milliseconds between replays that pick up events the stream dropped (env OFFERLOOP_CATCH_UP_MS).")
    var catchUpMs: Int = Environment.int("OFFERLOOP_CATCH_UP_MS", 2000)

    @Option(help: "Weight slots per offer, as a power of two (a new model only; env OFFERLOOP_HASH_BITS).")
    var hashBits: Int = Environment.int("OFFERLOOP_HASH_BITS", 12)

    @Option(help: "Prior variance of each feature weight (a new model only; env OFFERLOOP_FEATURE_VARIANCE).")
    var featureVariance: Double = Environment.double("OFFERLOOP_FEATURE_VARIANCE", 0.1)

    @Option(help: "Prior variance of an offer's base propensity, in logits (env OFFERLOOP_BIAS_VARIANCE).")
    var biasVariance: Double = Environment.double("OFFERLOOP_BIAS_VARIANCE", 1.0)

    @Option(help: "Prior propensity of an offer whose catalog declares none (env OFFERLOOP_DEFAULT_PROPENSITY).")
    var defaultPropensity: Double = Environment.double("OFFERLOOP_DEFAULT_PROPENSITY", 0.05)

    @Option(help: "Forgetting: each outcome event keeps 1 − 1/N of the evidence learned so far, so offers whose appeal changes are followed; 0: off (env OFFERLOOP_FORGETTING_WINDOW).")
    var forgettingWindow: Int = Environment.int("OFFERLOOP_FORGETTING_WINDOW", 0)

    func validate() throws {
        guard (4...20).contains(hashBits) else { throw ValidationError("--hash-bits must be 4…20") }
        guard featureVariance > 0, biasVariance > 0, featureVariance.isFinite, biasVariance.isFinite else {
            throw ValidationError("--feature-variance and --bias-variance must be positive")
        }
        guard defaultPropensity > 0, defaultPropensity < 1 else { throw ValidationError("--default-propensity must lie in (0, 1)") }
        guard forgettingWindow >= 0 else { throw ValidationError("--forgetting-window must be 0 (off) or a number of events") }
        guard snapshotSeconds >= 1, snapshotEvents >= 1, catchUpMs >= 10 else {
            throw ValidationError("--snapshot-seconds, --snapshot-events must be ≥ 1 and --catch-up-ms ≥ 10")
        }
    }

    var hyperparameters: ModelHyperparameters {
        var hyper = ModelHyperparameters()
        hyper.hashBits = hashBits
        hyper.featureVariance = featureVariance
        hyper.biasVariance = biasVariance
        hyper.defaultPropensity = defaultPropensity
        hyper.forgettingWindow = UInt64(forgettingWindow)
        return hyper
    }

    func run() async throws {
        let logger = options.logging.bootstrap(service: "scoring")
        let location = try StoreLocation(store)
        // The latest snapshot, if any; its hyper-parameters win over the flags, since the
        // learned weights only mean something under the ones they were learned with.
        let snapshot = try location.open().closing { db in
            try SnapshotStore(db: db).latest { sequence, error in
                logger.error("model snapshot unreadable, trying an older one", metadata: ["sequence": "\(sequence)", "error": "\(error)"])
            }
        }
        if let snapshot, snapshot.hyperparameters != hyperparameters {
            logger.warning("the snapshot's hyper-parameters differ from the flags; keeping the snapshot's",
                           metadata: ["snapshot": "\(snapshot.hyperparameters)"])
        }
        let start = snapshot ?? ScoringModel(hyperparameters: hyperparameters)
        logger.info("scoring model loaded", metadata: ["sequence": "\(start.sequence)", "offers": "\(start.offers.count)", "store": "\(location)"])

        let model = LiveModel(start)
        let status = FollowerStatus(snapshotSequence: start.sequence)
        let context = try ZMQContext()
        var settings = OutcomeFollower.Settings(stream: StreamFollowerSettings(stream: stream.stream, frontend: client.frontend), store: location)
        settings.stream.catchUpInterval = UInt64(catchUpMs) * 1_000_000
        settings.snapshotInterval = UInt64(snapshotSeconds) * 1_000_000_000
        settings.snapshotEvents = UInt64(snapshotEvents)
        let follower = OutcomeFollower(settings: settings, model: model, status: status, context: context, environment: .live, logger: logger)
        let service = ScoringService(model: model, follower: status, environment: .live)
        try await ServiceRunner.run(service: "scoring", methods: service.methods(), options: options, logger: logger, context: context,
                                    extra: [ThreadService(name: "outcome-follower") { try follower.run(until: $0) }])
    }
}
