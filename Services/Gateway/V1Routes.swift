// The gateway's /v1 API: each route decodes its JSON body as the method's request message, fills
// in what the path names (the customer's identity), checks the caller's role, asks the cluster
// through the broker within the request's deadline and answers the reply as JSON. The messages,
// their fields and their errors are the ZeroMQ protocol's own (docs/PROTOCOL.md).
import Foundation
import HTTPTypes
import Hummingbird
import SwiftProtobuf
import Transport
import Wire

struct V1Routes {
    let broker: BrokerCaller

    func register(on router: some RouterMethods<GatewayContext>) {
        router.post("decisions") { request, context in
            let decide = try await ProtoJSON.decode(DecideRequest.self, from: request, context: context)
            // A decide that names the customer id goes straight to the replica holding it (partitions).
            let key = decide.identity.kind == "customer" ? Array(decide.identity.value.utf8) : []
            return try await forward("decision", "decide", decide, as: DecideReply.self, context: context, idempotent: false, routingKey: key)
        }
        router.post("outcomes") { request, context in try await outcomes(request, context: context) }
        router.get("catalog") { _, context in
            try await forward("decision", "catalog", ReloadCatalogRequest(), as: CatalogReply.self, context: context, idempotent: true)
        }
        router.post("catalog/reload") { _, context in
            try await forward("decision", "reload_catalog", ReloadCatalogRequest(), as: CatalogReply.self, context: context, idempotent: false)
        }
        router.get("whoami") { _, context in WhoAmI(role: context.caller?.role.rawValue ?? "open", name: context.caller?.name) }

        let customer = router.group("customers/:kind/:value")
        customer.get { request, context in
            var view = CustomerViewRequest()
            view.identity = try identity(context)
            if let events = request.uri.queryParameters["events"] {
                guard let count = UInt32(events), count <= 1_000 else {
                    throw Problem(.invalidArgument, "events takes a count of recent events from 0 to 1000, not '\(events)'")
                }
                view.recentEvents = count
            }
            return try await forward("profile", "view", view, as: CustomerView.self, context: context, idempotent: true)
        }
        customer.patch { request, context in
            var upsert = try await body(UpsertCustomerRequest.self, request, context)
            upsert.identity = try identity(context)
            return try await forward("profile", "upsert", upsert, as: CustomerReply.self, context: context, idempotent: false)
        }
        customer.post("identities") { request, context in
            var add = AddIdentityRequest()
            add.newIdentity = try await ProtoJSON.decode(Identity.self, from: request, context: context)
            add.identity = try identity(context)
            return try await forward("profile", "add_identity", add, as: CustomerReply.self, context: context, idempotent: false)
        }
        customer.post("events") { request, context in
            var record = try await body(EventRecord.self, request, context)
            record.identity = try identity(context)
            return try await forward("profile", "record_event", record, as: CustomerReply.self, context: context, idempotent: !record.eventID.isEmpty)
        }
        customer.post("transactions") { request, context in
            var record = try await body(TransactionRecord.self, request, context)
            record.identity = try identity(context)
            return try await forward("profile", "record_transaction", record, as: CustomerReply.self, context: context,
                                     idempotent: !record.transactionID.isEmpty)
        }
        customer.put("holdings") { request, context in
            var record = try await body(HoldingRecord.self, request, context)
            record.identity = try identity(context)
            return try await forward("profile", "set_holding", record, as: CustomerReply.self, context: context, idempotent: false)
        }
        customer.get("session") { _, context in
            var session = SessionRequest()
            session.identity = try identity(context)
            return try await forward("profile", "get_session", session, as: SessionReply.self, context: context, idempotent: true)
        }
        customer.put("session") { request, context in
            var session = try await body(SessionRequest.self, request, context)
            session.identity = try identity(context)
            return try await forward("profile", "set_session", session, as: SessionReply.self, context: context, idempotent: false)
        }
        customer.delete("session") { _, context in
            var session = SessionRequest()
            session.identity = try identity(context)
            session.clear = true
            return try await forward("profile", "set_session", session, as: SessionReply.self, context: context, idempotent: true)
        }
    }

    /// One outcome (an Outcome) or a batch (`{"outcomes": [...]}`, an OutcomeBatch). Both are
    /// idempotent by event id: a retry after a lost answer is acknowledged as a duplicate.
    private func outcomes(_ request: Request, context: GatewayContext) async throws -> Response {
        let bytes = try await request.body.collect(upTo: context.maxUploadSize).readableBytesView
        let outcome: Outcome
        do {
            outcome = try ProtoJSON.decode(Outcome.self, bytes: bytes)
        } catch let problem {
            // Not one outcome: a batch, whose own errors then name what is wrong inside it.
            guard problem.error.message.contains("unknown field 'outcomes'") else { throw problem }
            let batch = try ProtoJSON.decode(OutcomeBatch.self, bytes: bytes)
            guard !batch.outcomes.isEmpty else { throw Problem(.invalidArgument, "a batch holds 1 to 1,000 outcomes; this one holds none") }
            return try await forward("feedback", "outcomes", batch, as: OutcomeBatchReply.self, context: context, idempotent: true)
        }
        return try await forward("feedback", "outcome", outcome, as: OutcomeAck.self, context: context, idempotent: true)
    }

    /// A body whose own identity must be absent: the path names the customer.
    private func body<T: Message & IdentifiedRequest>(_ type: T.Type, _ request: Request, _ context: GatewayContext) async throws -> T {
        let message = try await ProtoJSON.decode(type, from: request, context: context)
        guard !message.hasIdentity else {
            throw Problem(.invalidArgument, "the customer is named by the path (/v1/customers/{kind}/{value}); leave 'identity' out of the body")
        }
        return message
    }

    private func identity(_ context: GatewayContext) throws(Problem) -> Identity {
        // Path segments arrive percent-encoded (a phone's "+" as %2B).
        guard let kind = context.parameters.get("kind")?.removingPercentEncoding, let value = context.parameters.get("value")?.removingPercentEncoding,
              !kind.isEmpty, !value.isEmpty else {
            throw Problem(.invalidArgument, "the path names no customer (or not in valid percent-encoding): /v1/customers/{kind}/{value}")
        }
        return Identity.with {
            $0.kind = kind
            $0.value = value
        }
    }

    /// Asks `service`.`method` within the request's deadline, as the caller's role allows.
    private func forward<Reply: Message>(_ service: String, _ method: String, _ request: some Message, as: Reply.Type,
                                         context: GatewayContext, idempotent: Bool, routingKey: [UInt8] = []) async throws -> Response {
        let reply: Reply
        do {
            try context.authorize(service, method)
            reply = try await broker.call(service, method, request, as: Reply.self, timeoutMicros: try context.remainingMicros(), idempotent: idempotent,
                                          routingKey: routingKey)
        } catch {
            throw Problem(error)
        }
        return try ProtoJSON.response(reply)
    }
}

/// `GET /v1/whoami`: the role and name of the request's key ("open" without keys).
struct WhoAmI: ResponseEncodable {
    let role: String
    let name: String?
}

/// The profile writes whose customer the path names.
protocol IdentifiedRequest { var hasIdentity: Bool { get } }
extension UpsertCustomerRequest: IdentifiedRequest {}
extension EventRecord: IdentifiedRequest {}
extension TransactionRecord: IdentifiedRequest {}
extension HoldingRecord: IdentifiedRequest {}
extension SessionRequest: IdentifiedRequest {}
