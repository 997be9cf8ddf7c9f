// Store and stream option groups several commands share, so each flag is declared once:
// the same name, environment variable, default and help wherever it is used.
import ArgumentParser
import Store
import Transport

/// The profile store (`--store`, env OFFERLOOP_PROFILE_STORE).
public struct ProfileStoreOptions: StoreOptionGroup {
    @Option(help: "The profile store: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE (env OFFERLOOP_PROFILE_STORE).")
    public var store: String = Environment.string("OFFERLOOP_PROFILE_STORE", "sqlite:data/profile.sqlite")

    public init() {}
}

/// The decision store: the decision log and the outcomes (`--store`, env OFFERLOOP_DECISION_STORE).
public struct DecisionStoreOptions: StoreOptionGroup {
    @Option(help: "The decision store (the decision log and the outcomes): sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE (env OFFERLOOP_DECISION_STORE).")
    public var store: String = Environment.string("OFFERLOOP_DECISION_STORE", "sqlite:data/decisions.sqlite")

    public init() {}
}

/// The broker's outcome stream for subscribers (`--stream`, env OFFERLOOP_STREAM_OUT).
public struct StreamSubscriberOptions: ParsableArguments {
    @Option(help: "The broker's stream endpoint for subscribers (env OFFERLOOP_STREAM_OUT).")
    public var stream: String = Environment.string("OFFERLOOP_STREAM_OUT", "tcp://127.0.0.1:5558")

    public init() {}
}

/// The broker's stream for publishers (`--stream-in`, env OFFERLOOP_STREAM_IN).
public struct StreamPublisherOptions: ParsableArguments {
    @Option(help: "The broker's stream endpoint for publishers (env OFFERLOOP_STREAM_IN).")
    public var streamIn: String = Environment.string("OFFERLOOP_STREAM_IN", "tcp://127.0.0.1:5557")

    public init() {}
}

/// A group whose `--store` is checked when the flags are parsed.
public protocol StoreOptionGroup: ParsableArguments {
    var store: String { get }
}

extension StoreOptionGroup {
    public func validate() throws { _ = try location() }

    /// The store's location; a string that is none is a usage error naming the flag (the
    /// store's message shows no password).
    public func location() throws -> StoreLocation {
        do {
            return try StoreLocation(store)
        } catch {
            throw ValidationError("--store: \(error.message)")
        }
    }
}
