// `offerloop customer`: the profile service's view of one customer, and the operations an
// operator runs by hand (merge, export, erase), through the broker.
import ArgumentParser
import Foundation
import ProfileCore
import ServiceKit
import SwiftProtobuf
import Wire
import ZeroMQ

struct CustomerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customer", abstract: "Look up, merge, export or erase a customer (profile service).",
        subcommands: [View.self, Merge.self, Export.self, Erase.self])

    /// "kind:value", e.g. card:4111111111111111, login:ada, customer:c-42.
    static func identity(_ text: String) throws -> Identity {
        guard let colon = text.firstIndex(of: ":") else {
            throw ValidationError("identity '\(text)' must be KIND:VALUE, e.g. card:4111111111111111 or login:ada")
        }
        return Identity.with { $0.kind = String(text[..<colon]); $0.value = String(text[text.index(after: colon)...]) }
    }

    static func call<Response: SwiftProtobuf.Message>(_ client: ClientOptions, service: String = "profile", _ method: String,
                                                      _ request: some SwiftProtobuf.Message, timeoutMicros: UInt64 = 5_000_000) throws -> Response {
        let context = try ZMQContext()
        let broker = try BrokerClient(context: context, endpoint: client.frontend)
        defer { broker.close() }
        do {
            return try broker.call(service, method, request, timeoutMicros: timeoutMicros)
        } catch {
            printError("\(service) \(method): \(error.code == .deadlineExceeded && !brokerAnswers(broker) ? noBroker(client.frontend) : "\(error)")")
            throw ExitCode(1)
        }
    }

    /// Whether a broker answers a ping at once: when a call timed out, tells a slow service from no cluster at all.
    static func brokerAnswers(_ broker: BrokerClient) -> Bool {
        (try? broker.call("broker", "ping", PingRequest(), as: PingReply.self, timeoutMicros: 500_000, idempotent: true)) != nil
    }

    static func noBroker(_ endpoint: String) -> String {
        "no broker answered at \(endpoint): start the local cluster with `scripts/cluster start`, or name a running broker with --frontend (env OFFERLOOP_FRONTEND)"
    }

    static func printJSON(_ message: some SwiftProtobuf.Message) throws {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        let compact = try message.jsonUTF8Data(options: options)
        let pretty = try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: compact), options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: pretty, as: UTF8.self))
    }

    struct View: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the customer view (JSON).")
        @Argument(help: "KIND:VALUE, e.g. card:4111111111111111") var identity: String
        @Option(help: "Latest events to include.") var events: UInt32 = 5
        @Flag(help: "A few lines for a person (an agent's screen) instead of JSON.") var brief = false
        @OptionGroup var client: ClientOptions

        func run() throws {
            let request = try CustomerViewRequest.with { $0.identity = try CustomerCommand.identity(identity); $0.recentEvents = events }
            let view: CustomerView = try CustomerCommand.call(client, "view", request)
            guard brief else { return try CustomerCommand.printJSON(view) }
            let name = [view.attributes["first_name"], view.attributes["last_name"]].compactMap { $0 }.joined(separator: " ")
            print("\(identity) → customer \(view.customerID)\(name.isEmpty ? "" : " (\(name))")\(view.anonymous ? ", anonymous" : "")")
            if view.clv.isNaN {
                print(String(format: "  value unknown (no value model fitted yet: offerloop clv refit); %d transactions, %.0f spent", view.transactions, view.totalSpend))
            } else {
                print(String(format: "  value tier %@, CLV %.0f, P(alive) %.2f, %.1f purchases expected in 52 weeks; %d transactions, %.0f spent",
                             view.segment.isEmpty ? "-" : view.segment, view.clv, view.pAlive, view.expectedPurchases, view.transactions, view.totalSpend))
            }
            print((view.churnRisk.isNaN ? "  churn risk unknown" : String(format: "  churn risk %.2f", view.churnRisk))
                  + (view.churnReasons.isEmpty ? "" : ": " + view.churnReasons.joined(separator: "; ")))
            if !view.optedOut.isEmpty { print("  opted out of: \(view.optedOut.map { ChannelName.name($0) ?? "\($0)" }.joined(separator: ", "))") }
        }
    }

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Merge a customer into another (the survivor keeps its id).")
        @Argument(help: "Survivor, KIND:VALUE.") var survivor: String
        @Argument(help: "Customer merged away, KIND:VALUE.") var merged: String
        @Option(help: "Why, for the merge record.") var reason: String = "merged by an operator"
        @OptionGroup var client: ClientOptions

        func run() throws {
            let request = try MergeRequest.with {
                $0.survivor = try CustomerCommand.identity(survivor)
                $0.merged = try CustomerCommand.identity(merged)
                $0.reason = reason
            }
            let reply: CustomerReply = try CustomerCommand.call(client, "merge", request)
            print("merged \(reply.mergedCustomerID) into \(reply.customerID)")
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print everything stored about a customer (right of access).")
        @Argument(help: "KIND:VALUE.") var identity: String
        @OptionGroup var client: ClientOptions

        func run() throws {
            let reply: ExportReply = try CustomerCommand.call(client, "export", try ExportRequest.with { $0.identity = try CustomerCommand.identity(identity) })
            print(String(decoding: reply.json, as: UTF8.self))
        }
    }

    struct Erase: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Erase a customer's personal data and history (right to erasure).")
        @Argument(help: "KIND:VALUE.") var identity: String
        @Option(help: "Why, for the log.") var reason: String = "customer request"
        @OptionGroup var client: ClientOptions

        func run() throws {
            let reply: EraseReply = try CustomerCommand.call(client, "erase", try EraseRequest.with {
                $0.identity = try CustomerCommand.identity(identity)
                $0.reason = reason
            })
            print("erased customer \(reply.customerID): \(reply.rowsDeleted) rows deleted")
        }
    }
}
