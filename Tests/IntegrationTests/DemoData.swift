// The demo's data as the tests use it: scripts/gen-demo-data run once per test process, for
// today (UTC) like the demo, and imported into a profile store with `offerloop import`.
import Foundation
import Wire

enum DemoData {
    /// The last day of the data, YYYY-MM-DD: today, UTC, the day the services value customers on.
    static let today: String = {
        let format = DateFormatter()
        format.dateFormat = "yyyy-MM-dd"
        format.timeZone = TimeZone(identifier: "UTC")
        format.locale = Locale(identifier: "en_US_POSIX")
        return format.string(from: Date())
    }()

    /// The directory holding customers.csv, identities.csv, transactions.csv and holdings.csv.
    static let directory: Result<URL, any Error> = Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("offerloop-demo-data-\(UUID().uuidString.prefix(8))")
        let (status, output) = try run("/usr/bin/env", ["python3", repositoryRoot.appendingPathComponent("scripts/gen-demo-data").path,
                                                        "--out", directory.path, "--today", today])
        guard status == 0 else { throw ServiceError(.internal, "scripts/gen-demo-data: \(output)") }
        return directory
    }

    /// The path of one of the files: customers, identities, transactions or holdings.
    static func file(_ kind: String) throws -> String {
        try directory.get().appendingPathComponent("\(kind).csv").path
    }

    /// Imports every file into `store` (sqlite:PATH or postgres://…), customers first.
    static func importAll(into store: String) throws {
        for kind in ["customers", "identities", "transactions", "holdings"] {
            let (status, output) = try run("offerloop", ["import", kind, try file(kind), "--store", store])
            guard status == 0 else { throw ServiceError(.internal, "import \(kind): \(output)") }
        }
    }
}
