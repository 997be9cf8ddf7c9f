// Every error the gateway answers is RFC 9457 problem details (`application/problem+json`) that
// carry the wire's ErrorCode, so an HTTP touchpoint handles the same typed errors a ZeroMQ one does.
// The ErrorCode → HTTP status table is here, once; docs/PROTOCOL.md prints it and the gateway's
// tests call every code through it.
import Foundation
import HTTPTypes
import Hummingbird
import Wire

struct Problem: HTTPResponseError {
    let error: ServiceError
    /// For a method the path does not take: the methods it does (405 and its Allow header).
    var allow: String?

    init(_ error: ServiceError) { self.error = error }
    init(_ code: ErrorCode, _ message: String, allow: String? = nil) {
        error = ServiceError(code, message)
        self.allow = allow
    }

    var status: HTTPResponse.Status { allow == nil ? Self.status(for: error.code) : .methodNotAllowed }

    /// One HTTP status per wire code.
    static func status(for code: ErrorCode) -> HTTPResponse.Status {
        switch code {
        case .malformed, .unsupportedVersion: .badRequest                        // 400
        case .unauthorized: .unauthorized                                        // 401
        case .notFound: .notFound                                                // 404
        case .alreadyExists: .conflict                                           // 409
        case .outOfWindow, .outOfRange: .gone                                    // 410
        case .tooLarge: .contentTooLarge                                         // 413
        case .invalidArgument: .unprocessableContent                             // 422
        case .overloaded: .tooManyRequests                                       // 429
        case .internal, .unspecified, .UNRECOGNIZED: .internalServerError        // 500
        case .unknownMethod: .notImplemented                                     // 501
        case .noWorkers, .unavailable, .shuttingDown: .serviceUnavailable        // 503
        case .deadlineExceeded: .gatewayTimeout                                  // 504
        }
    }

    /// Codes a client may send again (after `Retry-After` seconds): the cluster is busy or a worker was lost.
    static func retryable(_ code: ErrorCode) -> Bool {
        [.overloaded, .noWorkers, .unavailable, .shuttingDown].contains(code)
    }

    /// The wire code as proto3 JSON names it (as in a batch's per-outcome errors).
    var code: String { error.code == .unspecified ? "ERROR_CODE_UNSPECIFIED" : error.code.name }

    /// The problem's JSON: type, title, status, detail, and the wire code.
    var body: Data {
        let fields: [String: Any] = ["type": "urn:offerloop:error:\(code)", "title": code, "status": Int(status.code),
                                     "detail": error.message, "code": code]
        return (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    func response(from request: Request, context: some Hummingbird.RequestContext) throws -> Response { response }

    var response: Response {
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if Self.retryable(error.code) { headers[.retryAfter] = "1" }
        if error.code == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"offerloop\"" }
        if let allow { headers[.allow] = allow }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Errors from Hummingbird itself (no such route, a body over the limit, a wrong method) come
/// out as problems too, with the nearest wire code.
struct ProblemMiddleware<Context: Hummingbird.RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as Problem {
            throw error
        } catch let error as any HTTPResponseError {
            // A documented path asked with another method: 405 with the methods it has.
            if error.status == .notFound, let methods = OpenAPIDocument.methods(forPath: request.uri.path)?.joined(separator: ", ") {
                throw Problem(.unknownMethod, "\(request.uri.path) takes \(methods), not \(request.method)", allow: methods)
            }
            let code: ErrorCode = switch error.status {
            case .notFound: .notFound
            case .contentTooLarge: .tooLarge
            case .unauthorized, .forbidden: .unauthorized
            case .methodNotAllowed, .notImplemented: .unknownMethod
            case .badRequest: .malformed
            default: error.status.code >= 500 ? .internal : .invalidArgument
            }
            let detail = switch error.status {
            case .notFound: "no route \(request.method) \(request.uri.path)"
            case .contentTooLarge: "the body is over the gateway's limit of \(context.maxUploadSize) bytes"
            default: (error as? HTTPError)?.body ?? error.status.reasonPhrase
            }
            throw Problem(code, detail)
        } catch let error as ServiceError {
            throw Problem(error)
        }
    }
}
