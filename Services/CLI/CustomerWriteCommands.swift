// `offerloop customer set | identity | event | holding | session`: the profile writes an operator
// or a support desk makes by hand, through the broker — the same methods touchpoints call, so the
// profile stream, the replicas and read-your-writes see them as any other write.
import ArgumentParser
import Foundation
import ProcessShell
import Transport
import Wire

extension CustomerCommand {
    /// KEY=VALUE pairs, e.g. opt_out.web=true.
    static func pairs(_ items: [String], _ what: String) throws -> [String: String] {
        var pairs: [String: String] = [:]
        for item in items {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw ValidationError("\(what) '\(item)' must be KEY=VALUE, e.g. opt_out.web=true")
            }
            pairs[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        return pairs
    }

    static func channel(_ name: String?) throws -> Channel {
        guard let name else { return .unspecified }
        guard let channel = ChannelName.channel(name) else {
            throw ValidationError("--channel takes \(ChannelName.all.joined(separator: ", ")); not '\(name)'")
        }
        return channel
    }

    /// "customer C: what (profile sequence S)", what every write prints.
    static func written(_ reply: CustomerReply, _ what: String) {
        print("customer \(reply.customerID): \(reply.duplicate ? "already " : "")\(what)" + (reply.created ? " (a new customer)" : "")
              + " (profile sequence \(reply.profileSequence))")
    }

    struct SetAttributes: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Set (or --remove) attributes of a customer, e.g. opt_out.web=true.")
        @Argument(help: "KIND:VALUE, e.g. login:ada") var identity: String
        @Argument(help: "ATTRIBUTE=VALUE pairs") var attributes: [String] = []
        @Option(help: "An attribute to remove (repeatable).") var remove: [String] = []
        @Flag(help: "Create a customer for an unknown identity.") var create = false
        @OptionGroup var client: ClientOptions

        func validate() throws {
            if attributes.isEmpty && remove.isEmpty { throw ValidationError("name at least one ATTRIBUTE=VALUE or --remove ATTRIBUTE") }
            _ = try CustomerCommand.pairs(attributes, "attribute")
        }

        func run() throws {
            let request = try UpsertCustomerRequest.with {
                $0.identity = try CustomerCommand.identity(identity)
                $0.attributes = try CustomerCommand.pairs(attributes, "attribute")
                $0.remove = remove
                $0.create = create
            }
            let reply: CustomerReply = try CustomerCommand.call(client, "upsert", request)
            CustomerCommand.written(reply, "attributes set " + (attributes + remove.map { "-" + $0 }).joined(separator: ", "))
        }
    }

    struct AddIdentity: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "identity", abstract: "Add an identity (card, login, phone, …) to a customer.")
        @Argument(help: "The customer, by an identity they have: KIND:VALUE") var identity: String
        @Argument(help: "The identity to add: KIND:VALUE") var new: String
        @OptionGroup var client: ClientOptions

        func run() throws {
            let request = try AddIdentityRequest.with {
                $0.identity = try CustomerCommand.identity(identity)
                $0.newIdentity = try CustomerCommand.identity(new)
            }
            let reply: CustomerReply = try CustomerCommand.call(client, "add_identity", request)
            CustomerCommand.written(reply, "identity \(new) added" + (reply.mergedCustomerID.isEmpty ? "" : ", merging customer \(reply.mergedCustomerID)"))
        }
    }

    struct Event: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record an event of a customer (a complaint, a call, a page view, …).")
        @Argument(help: "KIND:VALUE") var identity: String
        @Argument(help: "The event's type, e.g. complaint") var type: String
        @Argument(help: "KEY=VALUE data") var data: [String] = []
        @Option(help: "The channel it happened on.") var channel: String?
        @Option(help: "An idempotency key: the same event sent twice is stored once.") var eventID: String?
        @OptionGroup var client: ClientOptions

        func validate() throws {
            _ = try CustomerCommand.pairs(data, "data")
            _ = try CustomerCommand.channel(channel)
        }

        func run() throws {
            let request = try EventRecord.with {
                $0.identity = try CustomerCommand.identity(identity)
                $0.eventID = eventID ?? ""
                $0.event = try CustomerEvent.with {
                    $0.type = type
                    $0.channel = try CustomerCommand.channel(channel)
                    $0.timeUnixMs = ServiceEnvironment.live.wallMs()
                    $0.data = try CustomerCommand.pairs(data, "data")
                }
            }
            let reply: CustomerReply = try CustomerCommand.call(client, "record_event", request)
            CustomerCommand.written(reply, "event \(type) recorded")
        }
    }

    struct SetHolding: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "holding", abstract: "Record a product the customer holds, with its balance (or --closed).")
        @Argument(help: "KIND:VALUE") var identity: String
        @Argument(help: "The product, e.g. savings") var product: String
        @Option(help: "Its current balance.") var balance: Double = 0
        @Flag(help: "The product was closed.") var closed = false
        @OptionGroup var client: ClientOptions

        func validate() throws {
            guard balance.isFinite else { throw ValidationError("--balance must be a finite number") }
        }

        func run() throws {
            let now = ServiceEnvironment.live.wallMs()
            let request = try HoldingRecord.with {
                $0.identity = try CustomerCommand.identity(identity)
                $0.holding = Holding.with { $0.product = product; $0.balance = balance; $0.updatedUnixMs = now }
                $0.closed = closed
            }
            let reply: CustomerReply = try CustomerCommand.call(client, "set_holding", request)
            CustomerCommand.written(reply, closed ? "\(product) closed" : "holds \(product), balance \(balance)")
        }
    }

    struct Session: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the customer's current session, set KEY=VALUE in it, or --clear it.")
        @Argument(help: "KIND:VALUE") var identity: String
        @Argument(help: "KEY=VALUE pairs to set") var set: [String] = []
        @Option(help: "Seconds the session lives (0: the service's default).") var ttlSeconds: UInt32 = 0
        @Flag(help: "End the session.") var clear = false
        @OptionGroup var client: ClientOptions

        func validate() throws { _ = try CustomerCommand.pairs(set, "session value") }

        func run() throws {
            let request = try SessionRequest.with {
                $0.identity = try CustomerCommand.identity(identity)
                $0.set = try CustomerCommand.pairs(set, "session value")
                $0.ttlSeconds = ttlSeconds
                $0.clear = clear
            }
            let reply: SessionReply = try CustomerCommand.call(client, set.isEmpty && !clear ? "get_session" : "set_session", request)
            let values = reply.session.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            print("customer \(reply.customerID): session " + (values.isEmpty ? "empty" : values)
                  + (reply.expiresUnixMs > 0 ? " (expires at \(reply.expiresUnixMs) Unix ms)" : ""))
        }
    }
}
