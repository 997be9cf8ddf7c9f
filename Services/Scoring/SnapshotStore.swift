// Model snapshots in the store: the newest few, keyed by the stream sequence they reflect.
// Replicas at the same sequence hold the same bytes, so a second write of a sequence is a no-op.
import Foundation
import ScoringCore
import Store

struct SnapshotStore {
    let db: any SQLDatabase
    /// Snapshots kept; older ones are deleted after each write.
    static let kept = 3

    init(db: any SQLDatabase) throws {
        self.db = db
        try db.createSchema(["CREATE TABLE IF NOT EXISTS scoring_snapshots (sequence BIGINT PRIMARY KEY, created_ms BIGINT NOT NULL, model \(db.dialect.blobType) NOT NULL)"])
    }

    /// `now`: when it is written (Unix ms).
    func save(_ model: ScoringModel, now: Int64) throws {
        let bytes = model.snapshot()
        try db.transaction {
            try db.execute("INSERT INTO scoring_snapshots (sequence, created_ms, model) VALUES ($1, $2, $3) ON CONFLICT (sequence) DO NOTHING",
                           [.integer(Int64(model.sequence)), .integer(now), .blob(bytes)])
            try db.execute("""
                DELETE FROM scoring_snapshots WHERE sequence NOT IN
                (SELECT sequence FROM scoring_snapshots ORDER BY sequence DESC LIMIT \(Self.kept))
                """)
        }
    }

    /// The newest snapshot that reads back; a damaged one is reported through `skipped` and the
    /// next older one is tried.
    func latest(skipped: (Int64, ScoringError) -> Void) throws -> ScoringModel? {
        for row in try db.query("SELECT sequence, model FROM scoring_snapshots ORDER BY sequence DESC", []) {
            do {
                return try ScoringModel(snapshot: row.blob(1) ?? [])
            } catch {
                skipped(row.int(0) ?? -1, error)
            }
        }
        return nil
    }
}
