// An offerloop-gateway process in front of a test cluster, with an API key of each role, and curl
// to call it as any HTTP touchpoint does. Gateway, desktop and Personalizer tests start it.
import Foundation
import Testing
import Wire

struct TestGateway {
    /// http(s)://127.0.0.1:PORT
    let url: String
    /// An API key per holder: "tp" and "agent-ada" (clients), "svc" (services), "ops" (admin); none for an open gateway.
    let keys: [String: String]
    let process: Process

    static let holders = [("tp", "clients"), ("agent-ada", "clients"), ("svc", "services"), ("ops", "admin")]

    /// Starts a gateway on a free port, stopped with `cluster`; `keys` false: an open gateway.
    /// `scheme` https needs `--tls-certificate` and `--tls-key` in `arguments`.
    static func start(on cluster: Cluster, keys withKeys: Bool = true, arguments: [String] = [], scheme: String = "http",
                      curlOptions: [String] = []) throws -> TestGateway {
        var keys: [String: String] = [:]
        var keyArguments: [String] = []
        if withKeys {
            let file = cluster.logDirectory.appendingPathComponent("api-keys-\(UUID().uuidString.prefix(6))").path
            for (name, role) in holders {
                let (status, output) = try run("offerloop", ["keys", "api", name, "--role", role, "--file", file])
                try #require(status == 0, "\(output)")
                keys[name] = try #require(output.split(separator: "\n").last { $0.hasPrefix("olk_") }.map(String.init))
            }
            keyArguments = ["--api-keys", file]
        }
        let port = try freePort(cluster.context)
        let process = try cluster.launch("offerloop-gateway", ["--frontend", cluster.frontend, "--address", "127.0.0.1:\(port)"] + keyArguments + arguments,
                                         log: "gateway-\(port)")
        cluster.adopt(process)
        let gateway = TestGateway(url: "\(scheme)://127.0.0.1:\(port)", keys: keys, process: process, curlOptions: curlOptions)
        for _ in 0..<300 {
            if (try? gateway.call("GET", "/v1/openapi.json", key: nil).status) == 200 { return gateway }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw ServiceError(.unavailable, "the gateway did not answer within 30 s:\n\(cluster.logTails())")
    }

    /// curl's own options (e.g. --cacert).
    let curlOptions: [String]

    init(url: String, keys: [String: String], process: Process, curlOptions: [String] = []) {
        self.url = url
        self.keys = keys
        self.process = process
        self.curlOptions = curlOptions
    }

    struct Answer {
        let status: Int
        /// Header names in lower case.
        let headers: [String: String]
        let body: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:] }
        /// A problem's wire code.
        var code: String? { json["code"] as? String }
    }

    /// One request; `key` names a holder of `keys` (nil: no key).
    func call(_ method: String, _ path: String, _ body: String? = nil, key: String? = "tp", headers: [String: String] = [:]) throws -> Answer {
        var arguments = ["-s", "-i", "--max-time", "30", "-X", method] + curlOptions
        if let key { arguments += ["-H", "Authorization: Bearer \(keys[key] ?? key)"] }
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if let body {
            // A large body goes through a file: an argument list has its limit.
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-body-\(UUID().uuidString)")
            try Data(body.utf8).write(to: file)
            arguments += ["-H", "Content-Type: application/json", "--data-binary", "@" + file.path]
        }
        let (status, output) = try run("/usr/bin/curl", arguments + [url + path])
        guard status == 0, let split = output.range(of: "\r\n\r\n") else {
            throw ServiceError(.unavailable, "curl \(method) \(path) failed (\(status)): \(output)")
        }
        let head = output[..<split.lowerBound].split(separator: "\r\n")
        let code = head.first.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) } ?? 0
        var fields: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Answer(status: code, headers: fields, body: String(output[split.upperBound...]))
    }
}
