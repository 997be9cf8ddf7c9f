// The gateway's contract without a socket: the ErrorCode → HTTP status table against the one
// docs/PROTOCOL.md prints, the problem bodies, the OpenAPI document against the router's routes,
// the proto3 JSON bodies, and the API keys file.
import Foundation
import Hummingbird
import SwiftProtobuf
import Testing
import Transport
import Wire
import ZeroMQ
@testable import Gateway

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

struct ProblemTests {
    /// The table under "HTTP (the gateway)" in docs/PROTOCOL.md: code name → status.
    static func documentedStatuses() throws -> [String: Int] {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/PROTOCOL.md"), encoding: .utf8)
        let section = try #require(text.range(of: "## HTTP (the gateway)")).upperBound
        var table: [String: Int] = [:]
        for line in text[section...].split(separator: "\n") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 2, cells[0].hasPrefix("`"), let status = Int(cells[1]) else { continue }
            table[cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = status
        }
        return table
    }

    @Test func everyErrorCodeHasTheStatusTheProtocolDocumentPrints() throws {
        let documented = try Self.documentedStatuses()
        #expect(documented.count == ErrorCode.allCases.count)
        for code in ErrorCode.allCases {
            let problem = Problem(code, "")
            #expect(documented[problem.code] == Int(problem.status.code), "\(problem.code)")
        }
    }

    @Test(arguments: ErrorCode.allCases)
    func aProblemCarriesItsCodeAndStatus(code: ErrorCode) throws {
        let problem = Problem(code, "what went wrong"), response = problem.response
        #expect(response.status == Problem.status(for: code))
        #expect(response.headers[.contentType] == "application/problem+json")
        let json = try #require(try JSONSerialization.jsonObject(with: problem.body) as? [String: Any])
        #expect(json["code"] as? String == problem.code && json["title"] as? String == problem.code)
        #expect(json["status"] as? Int == Int(response.status.code) && json["detail"] as? String == "what went wrong")
        #expect(json["type"] as? String == "urn:offerloop:error:\(problem.code)")
        // Only what a client should send again says when.
        #expect((response.headers[.retryAfter] != nil) == [.overloaded, .noWorkers, .unavailable, .shuttingDown].contains(code))
        #expect((response.headers[.wwwAuthenticate] != nil) == (code == .unauthorized))
    }

    @Test func aMethodThePathDoesNotTakeIs405WithAllow() {
        let response = Problem(.unknownMethod, "no", allow: "GET, PATCH").response
        #expect(response.status == .methodNotAllowed && response.headers[.allow] == "GET, PATCH")
    }
}

struct OpenAPITests {
    @Test func theDocumentListsExactlyTheRoutesTheGatewayServesUnderV1() throws {
        let router = GatewayCommand.makeRouter(broker: BrokerCaller(context: try ZMQContext(), endpoint: "tcp://127.0.0.1:1", threads: 1),
                                               keys: nil, deadlineMs: 1_000)
        let served = Set(router.routes.map { "\($0.method.rawValue) \($0.path)" }.filter { $0.contains(" /v1/") && !$0.hasSuffix("/openapi.json") })
        let documented = Set(OpenAPIDocument.operations.flatMap { operation in operation.methods.map { "\($0) \(operation.path)" } })
        #expect(served == documented)
        #expect(documented.count == 14)
    }

    @Test func aConcretePathFindsItsDocumentedMethods() {
        #expect(OpenAPIDocument.methods(forPath: "/v1/customers/login/ada/session") == ["DELETE", "GET", "PUT"])
        #expect(OpenAPIDocument.methods(forPath: "/v1/customers/login/ada") == ["GET", "PATCH"])
        #expect(OpenAPIDocument.methods(forPath: "/v1/decisions") == ["POST"])
        #expect(OpenAPIDocument.methods(forPath: "/v1/customers/login") == nil)
        #expect(OpenAPIDocument.methods(forPath: "/v2/decisions") == nil)
    }
}

struct ProtoJSONTests {
    @Test func aBodyIsReadInProto3JSONWithEitherFieldNameAndEnumsByNameOrNumber() throws {
        let camel = try ProtoJSON.decode(DecideRequest.self, bytes: Array(#"{"identity":{"kind":"login","value":"ada"},"channel":"WEB","slots":2,"minProfileSequence":"7"}"#.utf8))
        let snake = try ProtoJSON.decode(DecideRequest.self, bytes: Array(#"{"identity":{"kind":"login","value":"ada"},"channel":3,"slots":2,"min_profile_sequence":7}"#.utf8))
        #expect(camel == snake && camel.channel == .web && camel.minProfileSequence == 7)
        // null is the default, and an empty body is every field's default.
        #expect(try ProtoJSON.decode(Outcome.self, bytes: Array(#"{"eventId":null}"#.utf8)) == Outcome())
        #expect(try ProtoJSON.decode(Outcome.self, bytes: Array(" \n".utf8)) == Outcome())
    }

    @Test(arguments: [
        (#"{"chanel":"WEB"}"#, "unknown field 'chanel'"),
        (#"{"channel":"TV"}"#, "an enum value that is not one of its names"),
        (#"{"slots":-1}"#, "a number that is not one"),
        (#"{"identity":"#, "the JSON ends too early"),
        (#"{"channel":2147483648}"#, "the enum number 2147483648 is outside int32"),
    ])
    func aBadBodyIsMalformedAndSaysWhatIsWrong(body: String, says: String) {
        #expect {
            _ = try ProtoJSON.decode(DecideRequest.self, bytes: Array(body.utf8))
        } throws: { error in
            (error as? Problem).map { $0.error.code == .malformed && $0.error.message.contains(says) } ?? false
        }
    }

    @Test func enumNumbersOutsideInt32AreRefusedInEveryMessageThatHasThem() {
        for (type, body) in [(Outcome.self as any SwiftProtobuf.Message.Type, #"{"type":4294967296}"#),
                             (OutcomeBatch.self, #"{"outcomes":[{"channel":-2147483649}]}"#),
                             (EventRecord.self, #"{"event":{"channel":2147483648}}"#),
                             (TransactionRecord.self, #"{"channel":9999999999}"#)] {
            #expect(throws: Problem.self) { _ = try ProtoJSON.decode(type, bytes: Array(body.utf8)) }
        }
    }
}

struct APIKeysTests {
    static func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("api-keys-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aKeyIsKnownByItsDigestAndHeldByItsRoleAndName() throws {
        let agent = APIKeys.newKey(), ops = APIKeys.newKey()
        #expect(agent.hasPrefix("olk_") && agent.count == 68 && agent != ops)
        let path = try Self.file("# comment\n\(APIKeys.line(APIKey(role: .client, name: "agent-ada"), key: agent))\n\n\(APIKeys.line(APIKey(role: .admin, name: "ops"), key: ops))\n")
        let keys = try APIKeys(file: path)
        #expect(keys.count == 2)
        #expect(keys.holder(of: agent) == APIKey(role: .client, name: "agent-ada"))
        #expect(keys.holder(of: ops)?.userID == "admin/ops")
        #expect(keys.holder(of: APIKeys.newKey()) == nil)
        // The file holds no key, only digests.
        #expect(try !String(contentsOfFile: path, encoding: .utf8).contains(agent))
    }

    @Test(arguments: [
        ("clients tp", ":1: expected ROLE NAME SHA256-DIGEST, found 2 fields"),
        ("agents tp \(String(repeating: "a", count: 64))", ":1: unknown role 'agents'"),
        ("clients tp abc", ":1: the digest must be 64 hex digits"),
        ("clients a \(String(repeating: "b", count: 64))\nadmin b \(String(repeating: "B", count: 64))", ":2: the same key is listed twice"),
        ("# nothing\n", "lists no keys"),
    ])
    func aBadKeysFileIsRefusedWithItsLine(text: String, says: String) throws {
        let path = try Self.file(text)
        #expect {
            _ = try APIKeys(file: path)
        } throws: { error in
            (error as? ServiceError).map { $0.code == .invalidArgument && $0.message.contains(says) } ?? false
        }
    }
}
