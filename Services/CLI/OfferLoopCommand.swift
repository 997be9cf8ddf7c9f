// offerloop: the command touchpoint developers and operators run against a cluster.
import ArgumentParser
import Foundation
import Transport

@main
struct OfferLoopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offerloop",
        abstract: "Talk to an OfferLoop cluster through its broker.",
        version: OfferLoopVersion.current,
        subcommands: [PingCommand.self, ServicesCommand.self, EchoCommand.self, CustomerCommand.self, ImportCommand.self, CLVCommand.self, ScoreCommand.self, DecideCommand.self, OutcomeCommand.self, ReportCommand.self, EvaluateCommand.self, CatalogCommand.self, KeysCommand.self])

    /// As ArgumentParser's own, but a usage mistake a subcommand finds while it runs shows that
    /// subcommand's usage, not the whole tool's; any other failure shows only its message.
    static func main() {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            try command.run()
        } catch let error as ValidationError {
            let usage = usageString(for: type(of: command))
            let path = usage.split(separator: " ").prefix { !"-[<".contains($0.first ?? "-") }.joined(separator: " ")
            printError("Error: \(error.message)\nUsage: \(usage)\n  See '\(path) --help' for more information.")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch {
            exit(withError: error)
        }
    }
}
