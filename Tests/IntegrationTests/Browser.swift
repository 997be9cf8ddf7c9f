// A headless Chromium for page tests, driven through chromedriver's W3C WebDriver HTTP protocol
// (no Selenium): open a page, type, click, read what it shows, wait for a condition, screenshot.
// The calls go through curl: chromedriver writes its header lines without a space after the
// colon, which Foundation's URLSession on Linux refuses ("Failed writing header").
import Foundation
import Wire

final class Browser {
    /// Debian's chromium and chromium-driver (scripts/test installs both).
    static let driverPath = "/usr/bin/chromedriver"
    static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: driverPath) && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
    }

    private let driver: Process
    private let logDirectory: URL
    private let base: URL
    private let session: URL

    /// Starts chromedriver on `port` (its log in `cluster`'s log directory) and a browser session.
    init(_ cluster: Cluster, port: String, width: Int = 1280, height: Int = 1000) throws {
        driver = Process()
        logDirectory = cluster.logDirectory
        driver.executableURL = URL(fileURLWithPath: Self.driverPath)
        let log = cluster.logDirectory.appendingPathComponent("chromedriver.log")
        driver.arguments = ["--port=\(port)", "--log-path=\(log.path)"]
        driver.standardOutput = FileHandle.nullDevice
        driver.standardError = FileHandle.nullDevice
        try driver.run()
        let base = URL(string: "http://127.0.0.1:\(port)")!
        self.base = base
        var ready = false
        for _ in 0..<100 where !ready {
            ready = ((try? Self.send("GET", base.appendingPathComponent("status")))?["value"] as? [String: Any])?["ready"] as? Bool == true
            if !ready { Thread.sleep(forTimeInterval: 0.1) }
        }
        guard ready else {
            Self.stop(driver, base)
            throw ServiceError(.unavailable, "chromedriver did not start on port \(port) within 10 s (log: \(log.path))")
        }
        // No sandbox: the tests may run as root (CI containers), where Chromium's sandbox refuses to start.
        let options: [String: Any] = ["args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=\(width),\(height)"]]
        do {
            let created = try Self.send("POST", base.appendingPathComponent("session"),
                                        ["capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": options]]])
            guard let id = (created["value"] as? [String: Any])?["sessionId"] as? String else { throw ServiceError(.internal, "chromedriver made no session: \(created)") }
            session = base.appendingPathComponent("session").appendingPathComponent(id)
        } catch {
            Self.stop(driver, base)
            throw error
        }
    }

    /// Ends the session (the browser quits) and chromedriver.
    func close() {
        _ = try? Self.send("DELETE", session)
        Self.stop(driver, base)
    }

    /// chromedriver ignores SIGTERM: it is asked to shut down, and killed if it has not within 5 s.
    private static func stop(_ driver: Process, _ base: URL) {
        _ = try? run("/usr/bin/curl", ["-s", "--max-time", "5", base.appendingPathComponent("shutdown").absoluteString])
        for _ in 0..<50 where driver.isRunning { Thread.sleep(forTimeInterval: 0.1) }
        if driver.isRunning { kill(driver.processIdentifier, SIGKILL) }
        driver.waitUntilExit()
    }

    func open(_ url: String) throws {
        _ = try command("POST", "url", ["url": url])
    }

    /// The WebDriver id of the first element `css` selects.
    func element(_ css: String) throws -> String {
        let found = try command("POST", "element", ["using": "css selector", "value": css])
        guard let id = (found as? [String: Any])?.values.first as? String else { throw ServiceError(.notFound, "no element \(css)") }
        return id
    }

    func click(_ css: String) throws {
        _ = try command("POST", "element/\(try element(css))/click", [:])
    }

    func type(_ css: String, _ text: String) throws {
        let id = try element(css)
        _ = try command("POST", "element/\(id)/clear", [:])
        _ = try command("POST", "element/\(id)/value", ["text": text])
    }

    /// Runs `script` (a function body; `arguments` are its `arguments`) in the page; its result.
    func evaluate(_ script: String, _ arguments: [Any] = []) throws -> Any? {
        try command("POST", "execute/sync", ["script": script, "args": arguments])
    }

    /// Waits until `script` returns a value other than null, false or "", and returns it; else
    /// throws `what` and the page's message line, with a screenshot in the log directory.
    func wait(_ what: String, within seconds: Double = 15, for script: String, _ arguments: [Any] = []) throws -> Any {
        let end = Date().addingTimeInterval(seconds)
        while true {
            let value = try evaluate(script, arguments)
            if let value, !(value is NSNull), (value as? Bool) != false, (value as? String) != "" { return value }
            guard Date() < end else {
                let message = try evaluate("return document.getElementById('message')?.textContent ?? ''") as? String ?? ""
                let picture = logDirectory.appendingPathComponent("browser-failure.png")
                try? screenshot().write(to: picture)
                throw ServiceError(.deadlineExceeded, "\(what): not seen within \(seconds) s (the page says: \"\(message)\"; the window: \(picture.path))")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// A PNG of the window.
    func screenshot() throws -> Data {
        guard let encoded = try command("GET", "screenshot") as? String, let png = Data(base64Encoded: encoded) else {
            throw ServiceError(.internal, "chromedriver gave no screenshot")
        }
        return png
    }

    private func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> Any? {
        try Self.send(method, session.appendingPathComponent(path), body)["value"]
    }

    /// One WebDriver call: the reply's JSON object (its "value" is the result).
    private static func send(_ method: String, _ url: URL, _ body: [String: Any]? = nil) throws -> [String: Any] {
        var arguments = ["-s", "--max-time", "60", "-X", method, "-w", "\n%{http_code}", url.absoluteString]
        if let body {
            let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
            arguments += ["-H", "Content-Type: application/json", "--data-binary", json]
        }
        let (exit, output) = try run("/usr/bin/curl", arguments)
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        guard exit == 0, let status = lines.last.flatMap({ Int($0) }) else {
            throw ServiceError(.unavailable, "WebDriver \(method) \(url.path): curl exited \(exit): \(output.prefix(300))")
        }
        let reply = try JSONSerialization.jsonObject(with: Data(lines.dropLast().joined(separator: "\n").utf8)) as? [String: Any] ?? [:]
        guard status == 200 else {
            let error = reply["value"] as? [String: Any]
            throw ServiceError(.internal, "WebDriver \(method) \(url.path): \(status) \(error?["error"] ?? "") \(error?["message"] ?? "")")
        }
        return reply
    }
}
