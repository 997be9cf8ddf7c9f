// A headless Chromium for page tests, driven through chromedriver's W3C WebDriver HTTP protocol
// (no Selenium): open a page, type, click, read what it shows, wait for a condition, screenshot.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Wire

final class Browser {
    /// Debian's chromium and chromium-driver (scripts/test installs both).
    static let driverPath = "/usr/bin/chromedriver"
    static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: driverPath) && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
    }

    private let driver: Process
    private let session: URL

    /// Starts chromedriver on `port` (its log in `cluster`'s log directory) and a browser session.
    init(_ cluster: Cluster, port: String, width: Int = 1280, height: Int = 1000) async throws {
        driver = Process()
        driver.executableURL = URL(fileURLWithPath: Self.driverPath)
        let log = cluster.logDirectory.appendingPathComponent("chromedriver.log")
        driver.arguments = ["--port=\(port)", "--log-path=\(log.path)"]
        driver.standardOutput = FileHandle.nullDevice
        driver.standardError = FileHandle.nullDevice
        try driver.run()
        let base = URL(string: "http://127.0.0.1:\(port)")!
        var ready = false
        for _ in 0..<100 where !ready {
            ready = ((try? await Self.send("GET", base.appendingPathComponent("status")))?["ready"] as? Bool) == true
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard ready else {
            driver.terminate()
            throw ServiceError(.unavailable, "chromedriver did not start on port \(port) within 10 s (log: \(log.path))")
        }
        // No sandbox: the tests may run as root (CI containers), where Chromium's sandbox refuses to start.
        let options: [String: Any] = ["args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=\(width),\(height)"]]
        do {
            let created = try await Self.send("POST", base.appendingPathComponent("session"),
                                              ["capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": options]]])
            guard let id = (created["value"] as? [String: Any])?["sessionId"] as? String else { throw ServiceError(.internal, "chromedriver made no session: \(created)") }
            session = base.appendingPathComponent("session").appendingPathComponent(id)
        } catch {
            driver.terminate()
            throw error
        }
    }

    /// Ends the session (the browser quits) and chromedriver.
    func close() async {
        _ = try? await Self.send("DELETE", session)
        driver.terminate()
        driver.waitUntilExit()
    }

    func open(_ url: String) async throws {
        _ = try await command("POST", "url", ["url": url])
    }

    /// The WebDriver id of the first element `css` selects.
    func element(_ css: String) async throws -> String {
        let found = try await command("POST", "element", ["using": "css selector", "value": css])
        guard let id = (found as? [String: Any])?.values.first as? String else { throw ServiceError(.notFound, "no element \(css)") }
        return id
    }

    func click(_ css: String) async throws {
        _ = try await command("POST", "element/\(try await element(css))/click", [:])
    }

    func type(_ css: String, _ text: String) async throws {
        let id = try await element(css)
        _ = try await command("POST", "element/\(id)/clear", [:])
        _ = try await command("POST", "element/\(id)/value", ["text": text])
    }

    /// Runs `script` (a function body; `arguments` are its `arguments`) in the page; its result.
    func run(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await command("POST", "execute/sync", ["script": script, "args": arguments])
    }

    /// Waits until `script` returns a value other than null, false or "", and returns it; else
    /// throws `what` and the page's message line.
    func wait(_ what: String, within seconds: Double = 15, for script: String, _ arguments: [Any] = []) async throws -> Any {
        let end = Date().addingTimeInterval(seconds)
        while true {
            let value = try await run(script, arguments)
            if let value, !(value is NSNull), (value as? Bool) != false, (value as? String) != "" { return value }
            guard Date() < end else {
                let message = try await run("return document.getElementById('message')?.textContent ?? ''") as? String ?? ""
                throw ServiceError(.deadlineExceeded, "\(what): not seen within \(seconds) s (the page says: \"\(message)\")")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// A PNG of the window.
    func screenshot() async throws -> Data {
        guard let encoded = try await command("GET", "screenshot") as? String, let png = Data(base64Encoded: encoded) else {
            throw ServiceError(.internal, "chromedriver gave no screenshot")
        }
        return png
    }

    private func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        try await Self.send(method, session.appendingPathComponent(path), body)["value"]
    }

    /// One WebDriver call: the reply's JSON object (for a command, the result is its "value").
    private static func send(_ method: String, _ url: URL, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = URLRequest(url: url, timeoutInterval: 60)
        request.httpMethod = method
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let reply = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        if let status = (response as? HTTPURLResponse)?.statusCode, status != 200 {
            let error = reply["value"] as? [String: Any]
            throw ServiceError(.internal, "WebDriver \(method) \(url.path): \(status) \(error?["error"] ?? "") \(error?["message"] ?? "")")
        }
        // /status answers {"value": {"ready": …}}; commands answer {"value": result}.
        return url.path.hasSuffix("/status") ? reply["value"] as? [String: Any] ?? [:] : reply
    }
}
