// `offerloop score`: what the scoring service thinks of some offers for one customer on one
// channel — the customer's view from the profile service, then the scores, as a person reads them.
import ArgumentParser
import Foundation
import ProcessShell
import Wire

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score", abstract: "Score candidate offers for a customer on a channel (profile + scoring services).")

    @Argument(help: "KIND:VALUE, e.g. login:ada; 'anonymous' scores without a customer view.") var identity: String
    @Option(help: "atm, kiosk, web or call_center.") var channel: String
    @Option(help: "Comma-separated offer ids, each optionally with its prior propensity: card,loan:0.1") var offers: String
    @Option(help: "Feature contributions to show per offer.") var explain: UInt32 = 3
    @Option(help: "The customer's local hour, 0-23.") var hour: Int32?
    @Option(help: "Seed of the Thompson samples (0: random).") var seed: UInt64 = 0
    @Flag(help: "Print the reply as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() throws {
        guard let wireChannel = ChannelName.channel(channel) else {
            throw ValidationError("unknown channel '\(channel)' (one of: \(ChannelName.all.joined(separator: ", ")))")
        }
        let candidates = try offers.split(separator: ",").map { item in
            let parts = item.split(separator: ":", maxSplits: 1)
            guard let prior = parts.count == 2 ? Double(parts[1]) : 0 else { throw ValidationError("offer '\(item)': the prior must be a number") }
            return Candidate.with { $0.offerID = String(parts[0]); $0.priorPropensity = prior }
        }
        var view = CustomerView()
        if identity != "anonymous" {
            view = try CustomerCommand.call(client, "view", try CustomerViewRequest.with { $0.identity = try CustomerCommand.identity(identity) })
        }
        let reply: ScoreReply = try CustomerCommand.call(client, service: "scoring", "score", ScoreRequest.with {
            $0.customer = view
            $0.channel = wireChannel
            $0.candidates = candidates
            $0.explain = explain
            $0.seed = seed
            if let hour { $0.localHour = hour }
        })
        if json { return try CustomerCommand.printJSON(reply) }
        print("\(identity) → customer \(view.customerID.isEmpty ? "-" : view.customerID) on \(channel), model \(reply.modelVersion)")
        print("  features: \(reply.features.joined(separator: " "))")
        print("  offer                     mean  sample  learned from   why (weight)")
        for score in reply.scores.sorted(by: { $0.mean > $1.mean }) {
            let why = score.contributions.map { String(format: "%@ %+.2f", $0.feature, $0.weight) }.joined(separator: ", ")
            print(String(format: "  %@ %6.3f  %6.3f  %8llu       %@", score.offerID.padding(toLength: 24, withPad: " ", startingAt: 0),
                         score.mean, score.sample, score.observations, score.observations == 0 ? "prior only" : why))
        }
    }
}
