// Who may call the gateway: a request shows its API key (Transport's APIKeys: a role and a name)
// as `Authorization: Bearer KEY` or, as Personalizer's clients do, `Ocp-Apim-Subscription-Key: KEY`.
import Foundation
import HTTPTypes
import Hummingbird
import Transport
import Wire

extension APIKeys {
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
