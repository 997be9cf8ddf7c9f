// The decision log, durable without slowing the answer: each decision is appended to this
// process's journal file (one write(2), a few microseconds) before the reply goes out, so it
// survives a crash of the service; a background thread fsyncs the journal and copies new records
// into the store's `decisions` table every `interval` (100 ms), so a machine crash loses at most
// that long, and the feedback service sees a decision within about that long.
//
// Journal files are data/decision-journal/journal-PID-MICROS.log: records as u32 big-endian length
// + DecisionRecord; the loader starts a new file each interval, so its fsync never stalls a write.
// At start, files left by processes that are gone are copied to the store and deleted (inserts
// ignore decision ids already there, so a file copied twice does no harm).
import DecisionRecords
import Foundation
import Transport
import Logging
import Store
import Synchronization
import Transport
import Wire

final class DecisionJournal: Sendable {
    let directory: URL
    /// The file being written and its descriptor. The loader swaps in a new file before it syncs
    /// and reads the old one: an fsync would otherwise stall the writes to the same file.
    private let current: Mutex<(file: URL, descriptor: Int32, written: Bool)>

    init(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.directory = directory
        current = Mutex(try Self.create(in: directory))
    }

    static func create(in directory: URL) throws -> (file: URL, descriptor: Int32, written: Bool) {
        let file = directory.appendingPathComponent("journal-\(getpid())-\(UInt64(Date().timeIntervalSince1970 * 1_000_000)).log")
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ServiceError(.internal, "cannot open the decision journal \(file.path): \(String(cString: strerror(errno)))") }
        return (file, descriptor, false)
    }

    var currentFile: URL { current.withLock { $0.file } }

    /// Appends one record, written by `encode` (a DecisionRecord's fields); returns once the bytes
    /// are in the file (the OS's page cache).
    func append(_ encode: (inout ProtoWriter) -> Void) throws {
        var record = ProtoWriter(reserving: 4, capacity: 8192)
        encode(&record)
        record.setPrefix(UInt32(record.bytes.count - 4))
        let bytes = record.bytes
        try current.withLock { current in
            let start = lseek(current.descriptor, 0, SEEK_END)
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { write(current.descriptor, $0.baseAddress, $0.count) }
                if written < 0 {
                    let reason = errno
                    if reason == EINTR { continue }
                    // A record written in part would make every later one unreadable: cut it off.
                    if offset > 0, start >= 0 { _ = ftruncate(current.descriptor, start) }
                    // A full disk or a failing device is retryable; the touchpoint hears so.
                    let full = [ENOSPC, EDQUOT, EIO].contains(reason)
                    throw ServiceError(full ? .unavailable : .internal, "decision journal write failed: \(String(cString: strerror(reason)))")
                }
                offset += written
            }
            current.written = true
        }
    }

    /// Starts a new file for the writers and returns the finished one, synced and closed; nil
    /// when nothing was written since the last rotation.
    func rotate() throws -> URL? {
        guard current.withLock({ $0.written }) else { return nil }
        let next = try Self.create(in: directory)
        let finished = current.withLock { current in
            defer { current = next }
            return current
        }
        fsync(finished.descriptor)
        close(finished.descriptor)
        return finished.file
    }

    /// At shutdown: removes the current file if nothing was written to it.
    func discardIfEmpty() {
        current.withLock { current in
            guard !current.written else { return }
            close(current.descriptor)
            unlink(current.file.path)
        }
    }

    /// Every complete record of a file, as the bytes of its DecisionRecord.
    static func read(_ file: URL) throws -> [[UInt8]] {
        let data = [UInt8](try Data(contentsOf: file))
        var records: [[UInt8]] = []
        var position = 0
        while data.count - position >= 4 {
            let length = data[position..<position + 4].reduce(0) { $0 << 8 | Int($1) }
            guard data.count - position - 4 >= length else { break }  // cut short by a crash mid-write
            records.append(Array(data[position + 4..<position + 4 + length]))
            position += 4 + length
        }
        return records
    }
}

/// Copies journals into the store: this process's, every interval; orphans, at start. Stores
/// the running catalog's text too, once per version.
struct DecisionLogLoader: Sendable {
    let journal: DecisionJournal
    let store: StoreLocation
    let interval: UInt64
    let logger: Logger
    /// The running catalog's version and text.
    let catalog: @Sendable () -> (version: String, text: String)

    /// Copies until `stop`, then once more. While the store is away (down, read-only), the
    /// journals wait on disk and are copied, in order, when it is back: a copy is idempotent.
    func run(until stop: StopSignal) throws {
        var waiting = try orphans()
        if !waiting.isEmpty {
            logger.info("copying the decision journals of stopped processes", metadata: ["files": "\(waiting.count)"])
        }
        var db: (any SQLDatabase)?
        defer { db?.close() }
        var failing = false
        var storedCatalog = ""
        while true {
            let stopping = stop.isRaised
            if let finished = try journal.rotate() { waiting.append(finished) }
            do {
                if db == nil {
                    db = try store.open().handedTo { opened in
                        try DecisionLogTable.create(opened)
                        return opened
                    }
                }
                let running = catalog()
                if running.version != storedCatalog {
                    try CatalogTable.record(version: running.version, text: running.text, nowMs: ServiceEnvironment.live.wallMs(), db!)
                    storedCatalog = running.version
                }
                while let file = waiting.first {
                    try DecisionLogTable.insert(try DecisionJournal.read(file), db!)
                    try FileManager.default.removeItem(at: file)
                    waiting.removeFirst()
                }
                if failing {
                    logger.notice("decision log copies resumed")
                    failing = false
                }
            } catch {
                if !failing {
                    logger.warning("cannot copy decisions into the store: they wait in their journals until it is back",
                                   metadata: ["error": "\(error)", "journals": "\(waiting.count)"])
                    failing = true
                }
            }
            if stopping { break }
            _ = stop.sleep(nanoseconds: interval)
        }
        journal.discardIfEmpty()
    }

    /// Journals whose writer process is gone. A file with this process's id that is not its
    /// current one was left by an earlier process with the same id (in a container the service
    /// is process 1 after every restart).
    func orphans() throws -> [URL] {
        let mine = journal.currentFile.lastPathComponent
        return try FileManager.default.contentsOfDirectory(at: journal.directory, includingPropertiesForKeys: nil).filter { url in
            let parts = url.lastPathComponent.split(separator: "-")
            guard parts.count == 3, parts[0] == "journal", let pid = Int32(parts[1]), url.lastPathComponent != mine else { return false }
            return pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH)
        }
    }
}
