// The call-center agent's desktop at /desk/: three static files (index.html, desk.js, desk.css)
// bundled with the gateway as SwiftPM resources, read once at start and served from memory.
import Foundation
import Hummingbird

enum DeskRoutes {
    /// A file of the page, with its media type.
    struct Asset: Sendable {
        let body: ByteBuffer
        let contentType: String
    }

    /// The page loads nothing from elsewhere and runs no inline script: the policy says so, and
    /// the page talks to this gateway only.
    static let securityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static func register<Context: RequestContext>(on router: Router<Context>) {
        let page = asset("index", "html", "text/html; charset=utf-8")
        let script = asset("desk", "js", "text/javascript; charset=utf-8")
        let style = asset("desk", "css", "text/css; charset=utf-8")
        // The router matches /desk and /desk/ alike; the page's relative links need the slash.
        router.get("/desk") { request, _ in
            request.uri.path.hasSuffix("/") ? response(page) : Response.redirect(to: "desk/", type: .permanent)
        }
        router.get("/desk/desk.js") { _, _ in response(script) }
        router.get("/desk/desk.css") { _, _ in response(style) }
    }

    /// A file of the resource bundle. The bundle is part of the build (next to the executable,
    /// compose/Dockerfile copies it too), so its absence is a packaging fault, not an input.
    static func asset(_ name: String, _ ext: String, _ contentType: String) -> Asset {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext), let data = try? Data(contentsOf: url) else {
            fatalError("the gateway's resource bundle has no \(name).\(ext): install offerloop_Gateway.resources next to the executable")
        }
        return Asset(body: ByteBuffer(bytes: data), contentType: contentType)
    }

    static func response(_ asset: Asset) -> Response {
        Response(status: .ok, headers: [
            .contentType: asset.contentType,
            // A new gateway may serve a new page: browsers ask again rather than run a stale script.
            .cacheControl: "no-cache",
            .contentSecurityPolicy: securityPolicy,
            .xContentTypeOptions: "nosniff",
        ], body: .init(byteBuffer: asset.body))
    }
}
