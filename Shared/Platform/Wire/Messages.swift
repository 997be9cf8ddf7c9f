// Helpers every peer uses on the generated protocol messages (short names: MessageNames.swift).
import SwiftProtobuf

public enum WireProtocol {
    /// The version in every Envelope and Reply.
    public static let version: UInt32 = 1
    /// The first frame of every message between a worker and the broker's backend.
    public static let workerHeader: [UInt8] = Array("OLW1".utf8)
}

/// A protocol-level failure: what went wrong, as a wire code and a message a person can act on.
/// Every module's error type converts to this to put it on the wire.
public struct ServiceError: Error, Equatable, CustomStringConvertible, Sendable {
    public let code: ErrorCode
    public let message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.name): \(message)" }
}

/// A module's error that knows its wire form: a worker answers a method that throws one with it
/// (anything else thrown is `INTERNAL`).
public protocol ServiceErrorConvertible: Error {
    var serviceError: ServiceError { get }
}

extension ServiceError {
    /// `error` in its wire form: itself, or a module error's `serviceError`; anything else is
    /// `INTERNAL`, with the message `internalMessage` makes of it.
    public static func from(_ error: any Error, internal internalMessage: (any Error) -> String) -> ServiceError {
        if let error = error as? ServiceError { return error }
        if let error = error as? ServiceErrorConvertible { return error.serviceError }
        return ServiceError(.internal, internalMessage(error))
    }
}

extension ErrorCode {
    /// The upper-case name used in docs and logs, e.g. "NO_WORKERS".
    public var name: String {
        switch self {
        case .unspecified: "UNSPECIFIED"
        case .malformed: "MALFORMED"
        case .unsupportedVersion: "UNSUPPORTED_VERSION"
        case .tooLarge: "TOO_LARGE"
        case .noWorkers: "NO_WORKERS"
        case .overloaded: "OVERLOADED"
        case .deadlineExceeded: "DEADLINE_EXCEEDED"
        case .unavailable: "UNAVAILABLE"
        case .unknownMethod: "UNKNOWN_METHOD"
        case .invalidArgument: "INVALID_ARGUMENT"
        case .notFound: "NOT_FOUND"
        case .alreadyExists: "ALREADY_EXISTS"
        case .unauthorized: "UNAUTHORIZED"
        case .internal: "INTERNAL"
        case .shuttingDown: "SHUTTING_DOWN"
        case .outOfWindow: "OUT_OF_WINDOW"
        case .outOfRange: "OUT_OF_RANGE"
        case .UNRECOGNIZED(let value): "UNRECOGNIZED(\(value))"
        }
    }
}

extension OutcomeType {
    /// The outcome types by their lower-case names, as the CLI, the store and reports spell them.
    public static let named: [String: OutcomeType] = [
        "impression": .impression, "click": .click, "accept": .accept, "decline": .decline, "purchase": .purchase, "ignored": .ignored,
    ]

    /// "impression", "accept", …; "" when unspecified or unknown.
    public var name: String { Self.named.first { $0.value == self }?.key ?? "" }
}

extension Reply {
    /// A reply carrying an error.
    public static func failure(requestID: UInt64, _ error: ServiceError, servedBy: String = "") -> Reply {
        var reply = Reply()
        reply.protocolVersion = WireProtocol.version
        reply.requestID = requestID
        reply.error = WireErrorMessage.with { $0.code = error.code; $0.message = error.message }
        reply.servedBy = servedBy
        return reply
    }

    /// A reply carrying a method's answer.
    public static func success(requestID: UInt64, payload: [UInt8], servedBy: String) -> Reply {
        var reply = Reply()
        reply.protocolVersion = WireProtocol.version
        reply.requestID = requestID
        reply.payload = Data(payload)
        reply.servedBy = servedBy
        return reply
    }
}

extension Message {
    /// The message's wire bytes. Encoding a generated message cannot fail (no required fields).
    public func wireBytes() -> [UInt8] {
        (try? serializedBytes()) ?? []
    }

    /// Decodes wire bytes, naming the message type when they are not a valid encoding.
    public init(wireBytes bytes: some Collection<UInt8>) throws(ServiceError) {
        do {
            try self.init(serializedBytes: Array(bytes))
        } catch {
            throw ServiceError(.malformed, "payload is not a valid \(Self.protoMessageName): \(error)")
        }
    }
}

import Foundation
