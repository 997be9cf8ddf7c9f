// The running catalog: loaded at start, replaced whole when the file changes (checked every
// second) or when an operator asks (`reload_catalog`). A catalog with errors is refused and the
// running one stays; requests in flight keep the engine they started with.
import DecisionCore
import Foundation
import Logging
import Metrics
import Synchronization
import Transport

final class CatalogHolder: Sendable {
    let path: String
    /// Overrides the catalog's exploration (tests that want the strategy greedy); nil: the catalog's.
    let exploration: Exploration?
    let logger: Logger
    private let state: Mutex<(engine: DecisionEngine, modified: FileStamp?, text: String)>

    init(path: String, exploration: Exploration? = nil, logger: Logger) throws {
        self.path = path
        self.exploration = exploration
        self.logger = logger
        let modified = Self.modified(path)
        let (catalog, text) = try Self.read(path)
        state = Mutex((DecisionEngine(catalog: catalog, exploration: exploration), modified, text))
        Self.report(catalog, replacing: nil)
    }

    /// The running catalog in the metrics: its version (a label, value 1; the replaced one 0) and offers.
    private static func report(_ catalog: OfferCatalog, replacing old: String?) {
        if let old { Gauge(label: "offerloop_catalog_info", dimensions: [("version", old)]).record(0) }
        Gauge(label: "offerloop_catalog_info", dimensions: [("version", catalog.version)]).record(1)
        Gauge(label: "offerloop_catalog_offers").record(catalog.offers.count)
    }

    var engine: DecisionEngine { state.withLock { $0.engine } }

    /// The running catalog's version and text (what the decision log stores beside the decisions).
    var source: (version: String, text: String) { state.withLock { ($0.engine.catalog.version, $0.text) } }

    static func read(_ path: String) throws -> (OfferCatalog, String) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CatalogErrors(errors: [CatalogError(file: path, line: 1, column: 1, message: "cannot read the catalog: \(error.localizedDescription)")])
        }
        return (try CatalogLoader.load(yaml: text, file: path), text)
    }

    /// Loads the file again; returns the errors if it was refused (the running catalog stays).
    @discardableResult
    func reload() -> [CatalogError] {
        // The time stamp from before the read: a change made while reading is seen next time.
        let seen = Self.modified(path)
        do {
            let (catalog, text) = try Self.read(path)
            let old = state.withLock { state in
                defer { state = (DecisionEngine(catalog: catalog, exploration: exploration), seen, text) }
                return state.engine.catalog.version
            }
            logger.info("catalog reloaded", metadata: ["from": "\(old)", "to": "\(catalog.version)", "offers": "\(catalog.offers.count)"])
            Self.report(catalog, replacing: old)
            Counter(label: "offerloop_catalog_reloads_total", dimensions: [("result", "applied")]).increment()
            return []
        } catch let errors as CatalogErrors {
            state.withLock { $0.modified = seen }  // do not retry the same broken file every second
            logger.error("catalog refused; the running one stays", metadata: ["errors": "\(errors)"])
            Counter(label: "offerloop_catalog_reloads_total", dimensions: [("result", "refused")]).increment()
            return errors.errors
        } catch {
            return [CatalogError(file: path, line: 1, column: 1, message: "\(error)")]
        }
    }

    /// What tells a changed file: its time stamp (coarse: two writes within a few ms may share
    /// it), its inode (an editor's or an atomic write makes a new one) and its size.
    struct FileStamp: Equatable {
        let modified: Date?
        let inode: Int?
        let size: Int?
    }

    static func modified(_ path: String) -> FileStamp? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        return FileStamp(modified: attributes[.modificationDate] as? Date, inode: (attributes[.systemFileNumber] as? NSNumber)?.intValue,
                         size: (attributes[.size] as? NSNumber)?.intValue)
    }

    /// Reloads whenever the file changes.
    func watch(until stop: StopSignal) {
        while !stop.sleep(nanoseconds: 1_000_000_000) {
            let modified = Self.modified(path)
            if modified != nil, modified != state.withLock({ $0.modified }) { reload() }
        }
    }
}
