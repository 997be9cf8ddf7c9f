// The running catalog: loaded at start, replaced whole when the file changes (checked every
// second) or when an operator asks (`reload_catalog`). A catalog with errors is refused and the
// running one stays; requests in flight keep the engine they started with.
import Foundation
import DecisionCore
import Logging
import ServiceKit
import Synchronization

final class CatalogHolder: Sendable {
    let path: String
    let epsilon: Double
    let logger: Logger
    private let state: Mutex<(engine: DecisionEngine, modified: Date?)>

    init(path: String, epsilon: Double, logger: Logger) throws {
        self.path = path
        self.epsilon = epsilon
        self.logger = logger
        let (catalog, modified) = try Self.read(path)
        state = Mutex((DecisionEngine(catalog: catalog, epsilon: epsilon), modified))
    }

    var engine: DecisionEngine { state.withLock { $0.engine } }

    static func read(_ path: String) throws -> (OfferCatalog, Date?) {
        let modified = Self.modified(path)
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CatalogErrors(errors: [CatalogError(file: path, line: 1, column: 1, message: "cannot read the catalog: \(error.localizedDescription)")])
        }
        return (try CatalogLoader.load(yaml: text, file: path), modified)
    }

    /// Loads the file again; returns the errors if it was refused (the running catalog stays).
    @discardableResult
    func reload() -> [CatalogError] {
        do {
            let (catalog, modified) = try Self.read(path)
            let old = state.withLock { state in
                defer { state = (DecisionEngine(catalog: catalog, epsilon: epsilon), modified) }
                return state.engine.catalog.version
            }
            logger.info("catalog reloaded", metadata: ["from": "\(old)", "to": "\(catalog.version)", "offers": "\(catalog.offers.count)"])
            return []
        } catch let errors as CatalogErrors {
            state.withLock { $0.modified = Self.modified(path) }  // do not retry the same broken file every second
            logger.error("catalog refused; the running one stays", metadata: ["errors": "\(errors)"])
            return errors.errors
        } catch {
            return [CatalogError(file: path, line: 1, column: 1, message: "\(error)")]
        }
    }

    static func modified(_ path: String) -> Date? {
        try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
    }

    /// Reloads whenever the file's modification time changes.
    func watch(until stop: StopSignal) {
        while !stop.sleep(nanoseconds: 1_000_000_000) {
            let modified = Self.modified(path)
            if modified != nil, modified != state.withLock({ $0.modified }) { reload() }
        }
    }
}
