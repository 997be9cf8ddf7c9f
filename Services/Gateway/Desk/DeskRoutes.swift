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

    /// The media type of each kind of file the page has.
    static let mediaTypes = ["html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"]

    static func register<Context: RequestContext>(on router: Router<Context>) {
        let page = asset("index.html")
        // The router matches /desk and /desk/ alike; the page's relative links need the slash.
        router.get("/desk") { request, _ in
            request.uri.path.hasSuffix("/") ? response(page) : Response.redirect(to: "desk/", type: .permanent)
        }
        for file in ["desk.js", "desk.css"] {
            let asset = asset(file)
            router.get("/desk/\(file)") { _, _ in response(asset) }
        }
    }

    /// A file of the resource bundle. The bundle is part of the build (next to the executable,
    /// compose/Dockerfile copies it too), so its absence is a packaging fault, not an input.
    static func asset(_ file: String) -> Asset {
        let ext = String(file.split(separator: ".").last ?? "")
        guard let url = Bundle.module.url(forResource: file, withExtension: nil), let data = try? Data(contentsOf: url),
              let contentType = mediaTypes[ext] else {
            fatalError("the gateway's resource bundle has no \(file): install OfferLoop_Gateway.resources next to the executable")
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
