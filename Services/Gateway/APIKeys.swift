// Who may call the gateway: API keys, each with one of the CURVE roles (clients, services, admin)
// and a name. The keys file holds SHA-256 digests only, one key a line: `ROLE NAME DIGEST`
// (`offerloop keys api NAME --role ROLE --file FILE` adds a line and prints the key once). A
// request shows its key as `Authorization: Bearer KEY` or, as Personalizer's clients do,
// `Ocp-Apim-Subscription-Key: KEY`.
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Transport
import Wire

/// The holder of a key.
struct APIKey: Sendable, Equatable {
    let role: KeyRole
    let name: String

    /// "ROLE/NAME", as the broker names a CURVE key's holder.
    var userID: String { "\(role.rawValue)/\(name)" }
}

struct APIKeys: Sendable {
    private let holders: [String: APIKey]

    var count: Int { holders.count }

    init(holders: [String: APIKey]) { self.holders = holders }

    /// Reads a keys file; every bad line is named (file:line: what is wrong).
    init(file: String) throws(ServiceError) {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ServiceError(.invalidArgument, "cannot read the API keys file \(file)")
        }
        var holders: [String: APIKey] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(whereSeparator: \.isWhitespace)
            if fields.isEmpty || fields[0].hasPrefix("#") { continue }
            let place = "\(file):\(number + 1)"
            guard fields.count == 3 else { throw ServiceError(.invalidArgument, "\(place): expected ROLE NAME SHA256-DIGEST, found \(fields.count) fields") }
            guard let role = KeyRole(rawValue: String(fields[0])) else {
                throw ServiceError(.invalidArgument, "\(place): unknown role '\(fields[0])' (clients, services or admin)")
            }
            let digest = fields[2].lowercased()
            guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
                throw ServiceError(.invalidArgument, "\(place): the digest must be 64 hex digits (SHA-256 of the key)")
            }
            guard holders[digest] == nil else { throw ServiceError(.invalidArgument, "\(place): the same key is listed twice") }
            holders[digest] = APIKey(role: role, name: String(fields[1]))
        }
        guard !holders.isEmpty else { throw ServiceError(.invalidArgument, "\(file) lists no keys: nobody could call the gateway") }
        self.holders = holders
    }

    /// The holder of `key`, if it is one of ours.
    func holder(of key: String) -> APIKey? { holders[Self.digest(key)] }

    static func digest(_ key: String) -> String {
        SHA256.hash(data: Data(key.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The key a request shows, if any.
    static func presented(in request: Request) -> String? {
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]).trimmingCharacters(in: .whitespaces) }
        }
        return request.headers[HTTPField.Name("Ocp-Apim-Subscription-Key")!]
    }
}

/// Requires a known key on the routes it guards and records its holder in the context; with no
/// keys configured the gateway is open (the local demo), which it says once in its log.
struct AuthenticationMiddleware: RouterMiddleware {
    let keys: APIKeys?

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        guard let keys else { return try await next(request, context) }
        guard let key = APIKeys.presented(in: request) else {
            throw Problem(.unauthorized, "this gateway needs an API key: send it as 'Authorization: Bearer KEY'")
        }
        guard let holder = keys.holder(of: key) else { throw Problem(.unauthorized, "the API key is not one this gateway knows") }
        var context = context
        context.caller = holder
        return try await next(request, context)
    }
}
