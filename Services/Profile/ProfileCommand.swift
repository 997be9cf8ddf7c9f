// offerloop-profile: the one real-time view of every customer, over the broker.
import ArgumentParser
import Foundation
import ProfileStore
import ServiceKit
import Store
import Wire
import ZeroMQ

@main
struct ProfileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offerloop-profile",
        abstract: "Serves the customer view: identities, attributes, activity, value and churn risk.")

    @OptionGroup var options: WorkerOptions

    @Option(help: "The store: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE (env OFFERLOOP_PROFILE_STORE).")
    var store: String = Environment.string("OFFERLOOP_PROFILE_STORE", "sqlite:data/profile.sqlite")

    @Option(help: "Seconds a session context lives after its last change (env OFFERLOOP_SESSION_TTL_SECONDS).")
    var sessionTTLSeconds: Int = Environment.int("OFFERLOOP_SESSION_TTL_SECONDS", 1800)

    @Option(help: "Days channel events are kept (env OFFERLOOP_EVENT_RETENTION_DAYS).")
    var eventRetentionDays: Int = Environment.int("OFFERLOOP_EVENT_RETENTION_DAYS", 730)

    @Option(help: "Customer views each worker keeps in memory (env OFFERLOOP_PROFILE_CACHE).")
    var cacheSize: Int = Environment.int("OFFERLOOP_PROFILE_CACHE", 100_000)

    func run() async throws {
        let logger = options.logging.bootstrap(service: "profile")
        let location = try StoreLocation(store)
        // Create the schema once before the workers start, so they do not race to do it.
        let setup = try location.open()
        _ = try ProfileRepository(db: setup, newCustomerID: ProfileService.newCustomerID)
        setup.close()
        logger.info("profile store ready", metadata: ["store": "\(location)"])

        let settings = ProfileService.Settings(
            sessionTTLMs: Int64(sessionTTLSeconds) * 1000, eventRetentionMs: Int64(eventRetentionDays) * 86_400_000, cacheSize: cacheSize)
        let retention = ThreadService(name: "profile-retention") { stop in
            try RetentionLoop(location: location, settings: settings, logger: logger).run(until: stop)
        }
        try await ServiceRunner.run(service: "profile", options: options, logger: logger, context: try ZMQContext(), extra: [retention]) { _ in
            try ProfileService(location: location, settings: settings, logger: logger).methods()
        }
    }
}
