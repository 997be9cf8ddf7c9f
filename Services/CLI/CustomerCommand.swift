// `offerloop customer`: the profile service's view of one customer, and the operations an
// operator runs by hand (merge, unmerge, export, erase), through the broker. Export and erase
// reach the decision store too: the profile answers with the customer's ids (merged ones
// included), then the feedback service exports or pseudonymises their decisions and outcomes.
import ArgumentParser
import Foundation
import ProcessShell
import ProfileCore
import SwiftProtobuf
import Transport
import Wire

struct CustomerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customer", abstract: "Look up, write (attributes, identities, events, holdings, session), merge, unmerge, export or erase a customer (profile and feedback services).",
        subcommands: [View.self, SetAttributes.self, AddIdentity.self, Event.self, SetHolding.self, Session.self, Merge.self, Unmerge.self, Export.self, Erase.self])

    /// "kind:value", e.g. card:4111111111111111, login:ada, customer:c-42.
    static func identity(_ text: String) throws -> Identity {
        guard let colon = text.firstIndex(of: ":") else {
            throw ValidationError("identity '\(text)' must be KIND:VALUE, e.g. card:4111111111111111 or login:ada")
        }
        return Identity.with { $0.kind = String(text[..<colon]); $0.value = String(text[text.index(after: colon)...]) }
    }

    static func call<Response: SwiftProtobuf.Message>(_ client: ClientOptions, service: String = "profile", _ method: String,
                                                      _ request: some SwiftProtobuf.Message, timeoutMicros: UInt64 = 5_000_000,
                                                      failure: ((any Error) -> String)? = nil) throws -> Response {
        let broker = try client.connect()
        defer { broker.close() }
        do {
            return try broker.call(service, method, request, timeoutMicros: timeoutMicros)
        } catch {
            printError(error.code == .deadlineExceeded && !brokerAnswers(broker) ? noBroker(client.frontend) : failure?(error) ?? "\(service) \(method): \(error)")
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

    struct Unmerge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Undo the latest merge of a customer merged away (admin): what moved goes back; what was written to the survivor since stays.")
        @Argument(help: "The id of the customer merged away, e.g. c-42 (the merge printed it).") var mergedCustomerID: String
        @OptionGroup var client: ClientOptions

        func run() throws {
            let id = mergedCustomerID.hasPrefix("customer:") ? String(mergedCustomerID.dropFirst("customer:".count)) : mergedCustomerID
            let reply: UnmergeReply = try CustomerCommand.call(client, "unmerge", UnmergeRequest.with { $0.mergedCustomerID = id })
            print("restored customer \(reply.customerID) from \(reply.survivorID) (merged at \(reply.mergedUnixMs) by \(reply.mergedBy))")
            for line in reply.restored { print("  restored: \(line)") }
            for line in reply.kept { print("  kept with \(reply.survivorID): \(line)") }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print everything stored about a customer (right of access): profile, decisions and outcomes.")
        @Argument(help: "KIND:VALUE.") var identity: String
        @OptionGroup var client: ClientOptions

        func run() throws {
            let profile: ExportReply = try CustomerCommand.call(client, "export", try ExportRequest.with { $0.identity = try CustomerCommand.identity(identity) })
            let decisions: ExportReply = try CustomerCommand.call(client, service: "feedback", "export",
                                                                  CustomerRecordsRequest.with { $0.customerIds = profile.customerIds })
            guard var document = try JSONSerialization.jsonObject(with: profile.json) as? [String: Any],
                  let logged = try JSONSerialization.jsonObject(with: decisions.json) as? [String: Any] else {
                printError("export: the services answered something other than a JSON object")
                throw ExitCode(1)
            }
            document.merge(logged) { profile, _ in profile }
            document["customer_ids"] = profile.customerIds
            print(String(decoding: try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
            let count = { (key: String) in (logged[key] as? [Any])?.count ?? 0 }
            printError("exported customer \(profile.customerID) (\(profile.customerIds.count) ids): profile, \(count("decisions")) decisions, \(count("outcomes")) outcomes")
        }
    }

    struct Erase: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase a customer everywhere (right to erasure): profile data and history, decisions and outcomes.")
        @Argument(help: "KIND:VALUE.") var identity: String
        @Option(help: "Why, for the log.") var reason: String = "customer request"
        @OptionGroup var client: ClientOptions

        func run() throws {
            let reply: EraseReply = try CustomerCommand.call(client, "erase", try EraseRequest.with {
                $0.identity = try CustomerCommand.identity(identity)
                $0.reason = reason
            })
            print("erased customer \(reply.customerID) in the profile store: \(reply.rowsDeleted) rows deleted (ids: \(reply.customerIds.joined(separator: ", ")))")
            let erased: DecisionErasureReply = try CustomerCommand.call(
                client, service: "feedback", "erase", CustomerRecordsRequest.with { $0.customerIds = reply.customerIds }, timeoutMicros: 30_000_000
            ) { error in
                """
                the decision store was NOT erased (feedback erase: \(error)): the profile part is done, the decisions and outcomes remain.
                Run `offerloop customer erase customer:\(reply.customerID)` again: erasing again is safe and finishes it.
                """
            }
            print("pseudonymised in the decision store: \(erased.decisions) decisions, \(erased.outcomes) outcomes")
        }
    }
}
