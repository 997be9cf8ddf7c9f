// offerloop: the command touchpoint developers and operators run against a cluster.
import ArgumentParser

@main
struct OfferLoopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offerloop",
        abstract: "Talk to an OfferLoop cluster through its broker.",
        subcommands: [PingCommand.self, ServicesCommand.self, EchoCommand.self, CustomerCommand.self, ImportCommand.self, CLVCommand.self, ScoreCommand.self, DecideCommand.self, OutcomeCommand.self, ReportCommand.self, CatalogCommand.self, KeysCommand.self])
}
