// `offerloop import customers|identities|transactions|holdings FILE.csv`: bulk loads into the profile
// store, with a progress bar, every rejected line as file:line: reason, and a summary.
import ArgumentParser
import CSV
import Foundation
import ProcessShell
import ProfileStore
import Store
import Transport

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load customers, identities, transactions or holdings from CSV into the profile store.",
        discussion: """
            customers:    customer_id,ATTRIBUTE,...   (one column per attribute; empty cells are not set)
            identities:   customer_id,kind,value      (kind: card, account, phone, login, loyalty, cookie, device)
            holdings:     customer_id,product,balance (products held now; customers must exist)
            transactions: customer_id,date,quantity,amount[,channel,product,transaction_id]   (date YYYY-MM-DD;
                          unknown customers are created)
            Bad lines are reported and skipped; everything else is imported. Exit status 2 when any line was rejected.
            The same file again (same SHA-256, same kind) is not imported twice: the summary says when it was
            imported; --append imports it again. Transactions with a transaction_id are never stored twice.
            """)

    @Argument(help: "What the file holds: customers, identities, transactions or holdings.")
    var kind: String

    @Argument(help: "The CSV file, with a header line.")
    var file: String

    @OptionGroup var store: ProfileStoreOptions

    @Option(help: "Records per transaction.")
    var batchSize: Int = 5000

    @Flag(help: "Import the file even if this very file (same SHA-256) was imported before: transactions without a transaction_id are then added again.")
    var append = false

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func run() throws {
        guard let kind = ProfileImporter.Kind(rawValue: kind) else {
            throw ValidationError("unknown kind '\(kind)': customers, identities or transactions")
        }
        var reader = try CSVReader(contentsOf: file)
        let db = try store.location().open()
        defer { db.close() }
        let repository = try ProfileRepository(db: db, newCustomerID: { UUID().uuidString })
        let importer = ProfileImporter(repository: repository, batchSize: max(batchSize, 1), now: ServiceEnvironment.live.wallMs())
        let bar = ProgressBar(label: "importing \(kind.rawValue)")
        let summary = try importer.run(kind, &reader, append: append) { done, total in bar.show(done, of: total) }
        bar.finish()
        for error in summary.errors { printError(error.description) }
        if summary.rejected > summary.errors.count { printError("… and \(summary.rejected - summary.errors.count) more rejected lines") }
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else if let before = summary.alreadyImportedUnixMs {
            let when = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(before) / 1000))
            print("\(file): already imported at \(when) (\(kind.rawValue), sha256 \(summary.sha256.prefix(12))…): nothing imported; --append imports it again")
        } else {
            let rate = summary.seconds > 0 ? Double(summary.records) / summary.seconds : 0
            print("\(file): \(summary.records) records, \(summary.imported) imported, \(summary.unchanged) already there, "
                  + "\(summary.customersCreated) customers created, \(summary.rejected) rejected, "
                  + String(format: "%.1f s (%.0f records/s)", summary.seconds, rate))
        }
        if summary.rejected > 0 { throw ExitCode(2) }
    }
}

/// A one-line progress bar on stderr, redrawn at most 10 times a second; into a log (not a
/// terminal) it writes a line every 10 %.
final class ProgressBar {
    let label: String
    private var lastDraw = Date.distantPast
    private var lastTenth = -1
    private let terminal = isatty(2) == 1

    init(label: String) {
        self.label = label
    }

    func show(_ done: Int, of total: Int) {
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        if !terminal {
            let tenth = Int(fraction * 10)
            guard tenth > lastTenth else { return }
            lastTenth = tenth
            FileHandle.standardError.write(Data(String(format: "%@: %3.0f%%\n", label, fraction * 100).utf8))
            return
        }
        guard Date().timeIntervalSince(lastDraw) >= 0.1 || done == total else { return }
        lastDraw = Date()
        let filled = Int(fraction * 30)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
        FileHandle.standardError.write(Data(String(format: "\r%@ [%@] %3.0f%%", label, bar, fraction * 100).utf8))
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
