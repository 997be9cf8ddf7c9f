// The frames a client sends to the broker's frontend (ROUTER), after the ROUTER's identity
// frame: ["", envelope]. The empty delimiter is what a REQ socket adds by itself, so both REQ
// and DEALER clients can talk to the broker; replies come back as ["", reply].
public struct ClientRequest: Sendable {
    public let envelope: Envelope
    /// The envelope exactly as received, forwarded to the worker without re-encoding.
    public let envelopeBytes: [UInt8]

    /// The request id to answer with when the frames cannot be decoded far enough to find one.
    public static let unknownRequestID: UInt64 = 0

    /// Decodes the frames after the identity frame. Errors carry the request id when it was readable.
    public init(frames: ArraySlice<[UInt8]>, maxBytes: Int) throws(ClientRequestError) {
        guard frames.count == 2, frames.first!.isEmpty else {
            throw ClientRequestError(
                requestID: Self.unknownRequestID,
                ServiceError(.malformed, "a request is 2 frames (empty delimiter, envelope), got \(frames.count)\(frames.first?.isEmpty == false ? " with a non-empty first frame" : "")"))
        }
        let bytes = frames.last!
        if bytes.count > maxBytes {
            throw ClientRequestError(
                requestID: Self.unknownRequestID,
                ServiceError(.tooLarge, "request of \(bytes.count) bytes is over the limit of \(maxBytes) bytes"))
        }
        let envelope: Envelope
        do {
            envelope = try Envelope(serializedBytes: bytes)
        } catch {
            throw ClientRequestError(requestID: Self.unknownRequestID, ServiceError(.malformed, "envelope is not a valid offerloop.v1.Envelope: \(error)"))
        }
        guard envelope.protocolVersion == WireProtocol.version else {
            throw ClientRequestError(
                requestID: envelope.requestID,
                ServiceError(.unsupportedVersion, "protocol_version \(envelope.protocolVersion) is not supported; this broker speaks \(WireProtocol.version)"))
        }
        guard !envelope.service.isEmpty else {
            throw ClientRequestError(requestID: envelope.requestID, ServiceError(.malformed, "envelope names no service"))
        }
        self.envelope = envelope
        self.envelopeBytes = bytes
    }
}

/// A request the broker refuses, with the id to answer it under.
public struct ClientRequestError: Error, Sendable {
    public let requestID: UInt64
    public let error: ServiceError

    public init(requestID: UInt64, _ error: ServiceError) {
        self.requestID = requestID
        self.error = error
    }
}
