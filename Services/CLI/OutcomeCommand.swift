// `offerloop outcome`: report what the customer did with an offer of a decision (feedback service).
import ArgumentParser
import Foundation
import ProcessShell
import Wire

struct OutcomeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outcome", abstract: "Report an outcome (impression, click, accept, decline, purchase, ignored) of a decision's offer.")

    @Option(help: "The decision id (from offerloop decide).") var decision: String
    @Option(help: "The offer the customer responded to.") var offer: String
    @Option(help: "impression, click, accept, decline, purchase or ignored.") var type: String
    @Option(help: "Idempotency key: the same id twice counts once (default: a new one).") var eventID: String?
    @Option(help: "Amount, for purchases.") var amount: Double = 0
    @OptionGroup var client: ClientOptions

    func run() throws {
        guard let outcomeType = OutcomeType.named[type] else {
            throw ValidationError("unknown type '\(type)' (one of: \(OutcomeType.named.keys.sorted().joined(separator: ", ")))")
        }
        let ack: OutcomeAck = try CustomerCommand.call(client, service: "feedback", "outcome", Outcome.with {
            $0.eventID = eventID ?? "cli-" + UUID().uuidString.lowercased()
            $0.decisionID = decision
            $0.offerID = offer
            $0.type = outcomeType
            $0.amount = amount
        })
        print("outcome \(ack.eventID): sequence \(ack.sequence)\(ack.duplicate ? " (already recorded)" : "")")
    }
}
