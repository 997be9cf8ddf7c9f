// The scoring model as a follower: a snapshot read in pages is the model bit for bit (pages of one
// snapshot stay consistent while the model moves on), a damaged one is refused, and a replica
// started from a snapshot and following the stream holds the same bits as the model that applied
// every event — the convergence a decision replica relies on.
import Foundation
import Logging
import ModelReplica
import ScoringCore
import Testing
import Transport
import Wire

@Suite struct ModelReplicaTests {
    static let logger = Logger(label: "model-replica-test")

    /// Outcome `sequence` of the stream: offers, labels and features varied by the sequence.
    static func event(_ sequence: UInt64) -> OutcomeEvent {
        OutcomeEvent.with {
            $0.sequence = sequence
            let types: [OutcomeType] = [.accept, .decline, .impression, .ignored]
            $0.outcome = .with { $0.offerID = ["loan", "card", "savings"][Int(sequence % 3)]; $0.type = types[Int(sequence % 4)]; $0.eventID = "e\(sequence)" }
            $0.features = ["bias", "ch=web", "seg=" + ["gold", "silver"][Int(sequence % 2)], "ctx:page=p\(sequence % 7)"]
            $0.priorPropensity = 0.05
        }
    }

    static func model(through last: UInt64) -> LiveModel {
        let model = LiveModel(ScoringModel())
        #expect(ModelConsumer(model: model, logger: logger).apply((1...last).map(event)))
        return model
    }

    @Test func aSnapshotReadInPagesIsTheModelBitForBit() throws {
        let model = Self.model(through: 40)
        let pages = ModelSnapshotPages(pageBytes: 64)
        var calls = 0
        let read = try ModelSnapshotPages.read { request throws(ServiceError) in
            calls += 1
            return try pages.page(request, of: model)
        }
        #expect(read == model.copy && read.snapshot() == model.copy.snapshot())
        #expect(calls == (model.copy.snapshot().count + 63) / 64, "one call per page")
    }

    @Test func thePagesOfOneSnapshotStayConsistentWhileTheModelMovesOn() throws {
        let model = Self.model(through: 10)
        let before = model.copy
        let pages = ModelSnapshotPages(pageBytes: 100)
        var first = true
        let read = try ModelSnapshotPages.read { request throws(ServiceError) in
            let page = try pages.page(request, of: model)
            if first {
                first = false
                _ = ModelConsumer(model: model, logger: Self.logger).apply((11...20).map(Self.event))
            }
            return page
        }
        #expect(read == before && read.sequence == 10 && model.copy.sequence == 20)
    }

    @Test func aDamagedSnapshotOrABadPageIsATypedError() throws {
        let model = Self.model(through: 5)
        let pages = ModelSnapshotPages()
        do {
            _ = try ModelSnapshotPages.read { request throws(ServiceError) in
                var page = try pages.page(request, of: model)
                page.chunk[page.chunk.count - 1] ^= 1
                return page
            }
            Issue.record("a damaged snapshot was read")
        } catch {
            #expect(error.code == .internal && error.message.contains("do not match its digest"), "\(error)")
        }
        #expect(throws: ServiceError(.invalidArgument, "offset 100000 is past the snapshot's \(model.copy.snapshot().count) bytes")) {
            _ = try pages.page(.with { $0.sequence = 5; $0.offset = 100_000 }, of: model)
        }
    }

    @Test func aReplicaStartedFromASnapshotAndFollowingTheStreamHoldsTheSameBits() throws {
        let scoring = Self.model(through: 25)
        let replica = ModelReplica()
        #expect(!replica.isUsable && !replica.startGate.isOpen)
        #expect(throws: ServiceError.self) { _ = try replica.modelStatus() }
        replica.start(from: try ModelSnapshotPages.read { request throws(ServiceError) in try ModelSnapshotPages().page(request, of: scoring) })
        let follower = ModelConsumer(model: replica.model, logger: Self.logger)
        #expect(follower.position() == 25)
        // The stream goes on at both; the replica gets a replayed overlap, a gap, then the rest.
        #expect(ModelConsumer(model: scoring, logger: Self.logger).apply((26...60).map(Self.event)))
        #expect(follower.apply((20...40).map(Self.event)), "events already applied are skipped")
        #expect(!follower.apply((45...50).map(Self.event)), "a gap is refused")
        #expect(follower.position() == 40)
        #expect(follower.apply((41...60).map(Self.event)))
        replica.caughtUp()
        #expect(replica.isUsable && replica.startGate.isOpen)

        let status = try replica.modelStatus()
        #expect(replica.model.copy == scoring.copy)
        #expect(status.sequence == 60 && status.snapshotSequence == 25)
        #expect(status.modelDigest == scoring.status(FollowerStatus(snapshotSequence: 0)).modelDigest)
        // A different history: a different digest.
        let other = Self.model(through: 59)
        #expect(other.status(FollowerStatus(snapshotSequence: 0)).modelDigest != status.modelDigest)
    }
}

/// The bound on a snapshot's size: every weight slot of every offer moved.
@Suite struct ModelSnapshotSizeTests {
    /// A snapshot in ScoringCore's encoding (ModelSnapshot.swift) of `offers` offers at the default
    /// hyper-parameters, each with every slot away from its prior.
    /// In snapshot format 2, or 1 (before forgetting: no window, no forgotten-at sequence).
    static func everySlotMoved(offers: Int, format: UInt64 = 2) -> [UInt8] {
        var bytes = Array("OLSM".utf8)
        func put(_ value: UInt64, _ size: Int) { for byte in 0..<size { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * byte))) } }
        let hyper = ModelHyperparameters()
        put(format, 4)
        put(UInt64(hyper.hashBits), 4)
        for value in [hyper.featureVariance, hyper.biasVariance, hyper.defaultPropensity] { put(value.bitPattern, 8) }
        if format >= 2 { put(0, 8) }
        put(1_000_000, 8)
        put(UInt64(offers), 4)
        for offer in (0..<offers).map({ String(format: "offer-%03d", $0) }) {
            put(UInt64(offer.utf8.count), 4)
            bytes += Array(offer.utf8)
            put((0.05).bitPattern, 8)
            put(10_000, 8)
            put(500, 8)
            if format >= 2 { put(0, 8) }
            put(UInt64(hyper.slots), 4)
            for slot in 0..<hyper.slots {
                put(UInt64(slot), 4)
                put((0.001 * Double(slot % 97) + 0.5).bitPattern, 8)
                put((12.5 + Double(slot % 13)).bitPattern, 8)
            }
        }
        return bytes
    }

    @Test func aHundredOffersWithEverySlotMovedComeInPagesUnderTheBrokersLimit() throws {
        let bytes = Self.everySlotMoved(offers: 100)
        let model = LiveModel(try ScoringModel(snapshot: bytes))
        #expect(model.copy.snapshot() == bytes, "the encoding is canonical")
        #expect(try ScoringModel(snapshot: Self.everySlotMoved(offers: 100, format: 1)) == model.copy, "format 1 reads as the same model")
        let pages = ModelSnapshotPages()
        var sizes: [Int] = []
        let read = try ModelSnapshotPages.read { request throws(ServiceError) in
            let page = try pages.page(request, of: model)
            sizes.append(page.wireBytes().count)
            return page
        }
        #expect(read == model.copy)
        // 8.2 MB: within the broker's 16 MiB in one message, but paged at 4 MiB it leaves room.
        #expect(bytes.count == 56 + 100 * (4 + 9 + 8 + 8 + 8 + 8 + 4 + 4096 * 20))
        #expect(sizes.count == 2 && sizes.allSatisfy { $0 <= ModelSnapshotPages.defaultPageBytes + 100 }, "\(bytes.count) bytes in pages of \(sizes)")
    }
}
