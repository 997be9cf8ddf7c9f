// The agent desk's files as the gateway bundles and serves them, without a socket: nothing is
// fetched from elsewhere (the page works offline), every file the page names is bundled, and each
// answer carries its media type and the content security policy.
import Foundation
import Testing
@testable import Gateway

struct DeskPageTests {
    static let files = [("index.html", "text/html"), ("desk.js", "text/javascript"), ("desk.css", "text/css")]

    static func text(_ asset: DeskRoutes.Asset) -> String { String(buffer: asset.body) }

    @Test func thePageLoadsNothingFromElsewhere() throws {
        for (file, _) in Self.files {
            let text = Self.text(DeskRoutes.asset(file))
            #expect(!text.isEmpty, "\(file)")
            // No absolute URL at all: a script, a style, a font or a call to another host.
            let external = try Regex(#"(https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}"#)
            let found = text.firstMatch(of: external).map { String(text[$0.range]) }
            #expect(found == nil, "\(file) names another host: \(found ?? "")")
        }
        // Every file index.html names is one the gateway serves.
        let page = Self.text(DeskRoutes.asset("index.html"))
        let named = page.matches(of: try Regex(#"(?:src|href)="([^"]+)""#)).compactMap { $0.output[1].substring.map(String.init) }
        #expect(Set(named) == ["desk.css", "desk.js"])
    }

    @Test func eachFileIsServedWithItsTypeAndThePolicy() {
        for (file, type) in Self.files {
            let response = DeskRoutes.response(DeskRoutes.asset(file))
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == type + "; charset=utf-8")
            #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            #expect(response.headers[.xContentTypeOptions] == "nosniff")
        }
    }
}
