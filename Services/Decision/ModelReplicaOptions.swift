// How a decision replica gets its propensities: from the scoring model it holds (the default;
// remote scoring is its fallback) or only from the scoring service over the broker.
import ArgumentParser
import ModelReplica
import ProcessShell
import Transport

enum PropensityMode: String, ExpressibleByArgument, CaseIterable {
    /// The model held in this process, from a scoring snapshot and the outcome stream.
    case local
    /// The scoring service over the broker, for every decision.
    case remote
}

struct ModelReplicaOptions: ParsableArguments {
    @Option(help: "Where propensities come from: local (the scoring model held here, from a snapshot and the outcome stream; remote scoring is the fallback) or remote (env OFFERLOOP_PROPENSITIES).")
    var propensities: PropensityMode = PropensityMode(rawValue: Environment.string("OFFERLOOP_PROPENSITIES", "local")) ?? .local

    @Option(help: "Seconds the workers wait for the local model to catch up before registering anyway, scoring remotely until it has (env OFFERLOOP_MODEL_WAIT_SECONDS).")
    var modelWaitSeconds: Int = Environment.int("OFFERLOOP_MODEL_WAIT_SECONDS", 10)

    func validate() throws {
        let fromEnvironment = Environment.string("OFFERLOOP_PROPENSITIES", "local")
        guard PropensityMode(rawValue: fromEnvironment) != nil else {
            throw ValidationError("OFFERLOOP_PROPENSITIES is '\(fromEnvironment)': it must be local or remote")
        }
        guard modelWaitSeconds >= 0 else { throw ValidationError("--model-wait-seconds must be 0 or more") }
    }

    /// The replica to keep, or nil when propensities are remote only.
    func replica(stream: StreamFollowerSettings) -> (ModelReplica, ModelReplica.Settings)? {
        guard propensities == .local else { return nil }
        var settings = ModelReplica.Settings(stream: stream)
        settings.startWait = UInt64(modelWaitSeconds) * 1_000_000_000
        return (ModelReplica(), settings)
    }
}
