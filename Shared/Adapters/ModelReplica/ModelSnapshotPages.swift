// The model's bits for a follower to start from (the scoring method "snapshot"), in pages small
// enough for the broker (its limit is 16 MiB; a model of many offers with many learned features
// can pass it). The server keeps the few snapshots being read, so every page of one comes from the
// same encoding; the reader checks the whole against its digest before it decodes it.
import Foundation
import ScoringCore
import Synchronization
import Wire

public final class ModelSnapshotPages: Sendable {
    /// Bytes per page: well under the broker's message limit.
    public static let defaultPageBytes = 4 << 20
    /// Snapshots kept for readers still paging through them.
    static let kept = 2

    struct Encoded {
        let sequence: UInt64
        let bytes: [UInt8]
        let digest: String
    }

    let pageBytes: Int
    private let encoded = Mutex<[Encoded]>([])

    public init(pageBytes: Int = defaultPageBytes) {
        precondition(pageBytes > 0, "a page holds at least one byte")
        self.pageBytes = pageBytes
    }

    /// The page `request` asks for: of a new snapshot of `model` (sequence 0), or of the one
    /// being read (NOT_FOUND once it is no longer kept: the reader starts again).
    public func page(_ request: ModelSnapshotRequest, of model: LiveModel) throws(ServiceError) -> ModelSnapshotReply {
        let snapshot: Encoded
        if request.sequence == 0 {
            let current = model.copy
            let bytes = current.snapshot()
            snapshot = Encoded(sequence: current.sequence, bytes: bytes, digest: LiveModel.digest(bytes))
            encoded.withLock { kept in
                kept.removeAll { $0.sequence == snapshot.sequence }
                kept.append(snapshot)
                if kept.count > Self.kept { kept.removeFirst(kept.count - Self.kept) }
            }
        } else if let held = encoded.withLock({ $0.last { $0.sequence == request.sequence } }) {
            snapshot = held
        } else {
            throw ServiceError(.notFound, "model snapshot at sequence \(request.sequence) is no longer held; ask again from sequence 0")
        }
        guard request.offset <= UInt64(snapshot.bytes.count) else {
            throw ServiceError(.invalidArgument, "offset \(request.offset) is past the snapshot's \(snapshot.bytes.count) bytes")
        }
        let start = Int(request.offset)
        let end = min(start + pageBytes, snapshot.bytes.count)
        return ModelSnapshotReply.with {
            $0.sequence = snapshot.sequence
            $0.totalBytes = UInt64(snapshot.bytes.count)
            $0.offset = request.offset
            $0.chunk = Data(snapshot.bytes[start..<end])
            $0.modelDigest = snapshot.digest
        }
    }

    /// Reads a whole snapshot through `call` (the scoring service's "snapshot", over the broker
    /// or in process), checks its digest and decodes it. A page that does not follow, a digest
    /// that does not match or bytes that do not decode are INTERNAL; what `call` throws, as is.
    public static func read(_ call: (ModelSnapshotRequest) throws(ServiceError) -> ModelSnapshotReply) throws(ServiceError) -> ScoringModel {
        let first = try call(ModelSnapshotRequest())
        var bytes = [UInt8](first.chunk)
        bytes.reserveCapacity(Int(first.totalBytes))
        while bytes.count < first.totalBytes {
            let next = try call(.with { $0.sequence = first.sequence; $0.offset = UInt64(bytes.count) })
            guard next.sequence == first.sequence, next.offset == UInt64(bytes.count), next.totalBytes == first.totalBytes, !next.chunk.isEmpty else {
                throw ServiceError(.internal, "model snapshot page at \(bytes.count) of \(first.totalBytes) bytes does not follow the one before")
            }
            bytes += next.chunk
        }
        guard UInt64(bytes.count) == first.totalBytes, LiveModel.digest(bytes) == first.modelDigest else {
            throw ServiceError(.internal, "model snapshot at sequence \(first.sequence): its \(bytes.count) bytes do not match its digest")
        }
        let model: ScoringModel
        do {
            model = try ScoringModel(snapshot: bytes)
        } catch {
            throw ServiceError(.internal, error.description)
        }
        guard model.sequence == first.sequence else {
            throw ServiceError(.internal, "model snapshot says sequence \(first.sequence), its bytes \(model.sequence)")
        }
        return model
    }
}
