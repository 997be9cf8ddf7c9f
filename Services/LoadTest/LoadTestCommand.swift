// offerloop-loadtest: measures latency as touchpoints see it.
import ArgumentParser

@main
struct LoadTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offerloop-loadtest",
        abstract: "Measure OfferLoop latency and throughput against ZeroMQ's own round trip.",
        subcommands: [RoundTripCommand.self, ProfileLookupCommand.self, LearnCommand.self, ScoringBenchCommand.self, DecisionBenchCommand.self, FeedbackBenchCommand.self, OpenLoopCommand.self, FuzzCommand.self])
}
