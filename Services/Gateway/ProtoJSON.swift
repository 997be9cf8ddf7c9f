// The gateway's bodies: our protobuf messages in proto3's JSON mapping (swift-protobuf's: field
// names in lowerCamelCase — snake_case also read — enums by name, 64-bit integers as strings,
// fields at their defaults left out). An unknown field or a wrong type is a MALFORMED problem
// that names it.
import Foundation
import HTTPTypes
import Hummingbird
import SwiftProtobuf
import Wire

enum ProtoJSON {
    /// The request body as a `T`; an empty body is `T`'s defaults.
    static func decode<T: Message>(_ type: T.Type, from request: Request, context: GatewayContext) async throws -> T {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        return try decode(type, bytes: body.readableBytesView)
    }

    static func decode<T: Message>(_ type: T.Type, bytes: some Collection<UInt8>) throws(Problem) -> T {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return T() }
        let message: T
        do {
            message = try T(jsonUTF8Bytes: Array(bytes))
        } catch {
            throw Problem(.malformed, "the body is not a \(T.protoMessageName.split(separator: ".").last!) as proto3 JSON: \(describe(error))")
        }
        if let numbers = (message as? EnumFields)?.enumNumbers, let wrong = numbers.first(where: { Int32(exactly: $0) == nil }) {
            throw Problem(.malformed, "the enum number \(wrong) is outside int32")
        }
        return message
    }

    /// A 200 (or `status`) answer with `message` as JSON.
    static func response(_ message: some Message, status: HTTPResponse.Status = .ok) throws -> Response {
        let bytes: [UInt8] = try message.jsonUTF8Bytes()
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// swift-protobuf's decoding errors in words a developer acts on.
    static func describe(_ error: any Error) -> String {
        switch error {
        case JSONDecodingError.unknownField(let name): "unknown field '\(name)'"
        case JSONDecodingError.unrecognizedEnumValue: "an enum value that is not one of its names"
        case JSONDecodingError.malformedNumber: "a number that is not one, or out of its field's range"
        case JSONDecodingError.malformedString: "a string that is not valid (bad escape or UTF-8)"
        case JSONDecodingError.malformedBool: "a value that should be true or false"
        case JSONDecodingError.truncated: "the JSON ends too early"
        case JSONDecodingError.trailingGarbage: "something after the JSON object"
        case JSONDecodingError.failure: "not a JSON object"
        default: "\(error)"
        }
    }
}

/// The gateway's request messages with enum fields. swift-protobuf's JSON decoder takes any
/// integer for an enum, even one outside int32, which its binary encoder then cannot write (an
/// assertion in a debug build, wrong bytes in a release one); ProtoJSON refuses such a number.
protocol EnumFields { var enumNumbers: [Int] { get } }
extension DecideRequest: EnumFields { var enumNumbers: [Int] { [channel.rawValue] } }
extension Outcome: EnumFields { var enumNumbers: [Int] { [type.rawValue, channel.rawValue] } }
extension OutcomeBatch: EnumFields { var enumNumbers: [Int] { outcomes.flatMap(\.enumNumbers) } }
extension EventRecord: EnumFields { var enumNumbers: [Int] { [event.channel.rawValue] } }
extension TransactionRecord: EnumFields { var enumNumbers: [Int] { [channel.rawValue] } }
