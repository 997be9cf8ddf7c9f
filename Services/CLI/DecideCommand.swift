// `offerloop decide`: what a touchpoint would show this customer now — the offers, their
// treatment for the channel (the agent's script on the call center) and why.
import ArgumentParser
import Foundation
import ProcessShell
import Wire

struct DecideCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decide", abstract: "Ask the decision service for the offers to show a customer on a channel.")

    @Option(help: "The customer, KIND:VALUE, e.g. card:4111111111111111 or login:ada.") var customer: String
    @Option(help: "atm, kiosk, web or call_center.") var channel: String
    @Option(help: "How many offers.") var slots: UInt32 = 1
    @Option(help: "Context entries KEY=VALUE, comma-separated, e.g. page=travel.") var context: String = ""
    @Option(help: "The customer's local hour, 0-23.") var hour: Int32?
    @Option(help: "Deadline in ms.") var timeoutMs: UInt64 = 1000
    @Flag(help: "Show why every catalog offer was kept or dropped.") var explain = false
    @Flag(help: "Print the reply as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() throws {
        guard let wireChannel = ChannelName.channel(channel) else {
            throw ValidationError("unknown channel '\(channel)' (one of: \(ChannelName.all.joined(separator: ", ")))")
        }
        var entries: [String: String] = [:]
        for pair in context.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw ValidationError("context '\(pair)' must be KEY=VALUE") }
            entries[String(parts[0])] = String(parts[1])
        }
        let request = try DecideRequest.with {
            $0.identity = try CustomerCommand.identity(customer)
            $0.channel = wireChannel
            $0.slots = slots
            $0.context = entries
            $0.explain = explain
            if let hour { $0.localHour = hour }
        }
        let started = Date()
        let reply: DecideReply = try CustomerCommand.call(client, service: "decision", "decide", request, timeoutMicros: timeoutMs * 1000)
        let elapsed = Date().timeIntervalSince(started) * 1000
        if json { return try CustomerCommand.printJSON(reply) }
        var header = "\(customer) → customer \(reply.customerID.isEmpty ? "-" : reply.customerID) on \(channel): decision \(reply.decisionID)"
        header += String(format: " in %.1f ms (catalog %@, model %@)", elapsed, reply.catalogVersion, reply.modelVersion.isEmpty ? "-" : reply.modelVersion)
        print(header)
        if reply.control { print("  control group: the channel's default offer only") }
        if reply.degraded { print("  DEGRADED: \(reply.degradedReason)") }
        if reply.offers.isEmpty { print("  no offer") }
        for (slot, offer) in reply.offers.enumerated() {
            print(String(format: "  %d. %@ (%@) — propensity %.3f, shown with probability %.2f", slot + 1, offer.name, offer.offerID,
                         offer.propensity, offer.probability))
            print("     \(channel == "call_center" ? "script" : "screen"): \(offer.treatment.channelText)")
            for (key, value) in offer.treatment.fields.sorted(by: { $0.key < $1.key }) { print("     \(key): \(value)") }
            for point in offer.treatment.talkingPoints { print("     • \(point)") }
            print("     why: \(offer.reason)")
        }
        for line in reply.explanation { print("  - \(line)") }
    }
}
