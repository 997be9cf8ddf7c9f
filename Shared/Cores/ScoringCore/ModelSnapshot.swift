// A model as bytes, for the store: little-endian, versioned, only the slots that moved away from
// their prior. Decoding checks every length, so a truncated or foreign blob is a typed error.
//
//   "OLSM" u32 format=2 | u32 hashBits f64 featureVariance f64 biasVariance f64 defaultPropensity
//   u64 forgettingWindow | u64 sequence | u32 offers | per offer (sorted by id): u32 idLength id
//   f64 prior u64 observations u64 accepted u64 forgottenAt u32 slots, then per slot: u32 index
//   f64 mean f64 precision. Format 1 (before forgetting) had neither forgettingWindow nor
//   forgottenAt, and is still read.
import Foundation

extension ScoringModel {
    static let magic = Array("OLSM".utf8)
    static let format: UInt32 = 2

    public func snapshot() -> [UInt8] {
        var out = Self.magic
        out.put(Self.format)
        out.put(UInt32(hyperparameters.hashBits))
        out.put(hyperparameters.featureVariance)
        out.put(hyperparameters.biasVariance)
        out.put(hyperparameters.defaultPropensity)
        out.put(hyperparameters.forgettingWindow)
        out.put(sequence)
        out.put(UInt32(offers.count))
        for id in offers.keys.sorted() {
            let model = offers[id]!
            let bytes = Array(id.utf8)
            out.put(UInt32(bytes.count))
            out += bytes
            out.put(model.prior)
            out.put(model.observations)
            out.put(model.accepted)
            out.put(model.forgottenAt)
            let moved = model.mean.isEmpty ? [] : (0..<model.mean.count).filter {
                model.mean[$0] != model.priorMean($0) || model.precision[$0] != model.priorPrecision($0)
            }
            out.put(UInt32(moved.count))
            for slot in moved {
                out.put(UInt32(slot))
                out.put(model.mean[slot])
                out.put(model.precision[slot])
            }
        }
        return out
    }

    public init(snapshot bytes: [UInt8]) throws(ScoringError) {
        var reader = ByteReader(bytes)
        guard reader.take(4) == Self.magic else { throw .corruptSnapshot("not a scoring model snapshot") }
        let format: UInt32 = try reader.read()
        guard format == 1 || format == Self.format else { throw .corruptSnapshot("format \(format), this build reads 1 and \(Self.format)") }
        var hyper = ModelHyperparameters()
        let bits: UInt32 = try reader.read()
        guard (1...24).contains(bits) else { throw .corruptSnapshot("hash bits \(bits) out of range") }
        hyper.hashBits = Int(bits)
        hyper.featureVariance = try reader.read()
        hyper.biasVariance = try reader.read()
        hyper.defaultPropensity = try reader.read()
        if format >= 2 { hyper.forgettingWindow = try reader.read() }
        let sequence: UInt64 = try reader.read()
        let count: UInt32 = try reader.read()
        var offers: [String: OfferModel] = [:]
        for _ in 0..<count {
            let length: UInt32 = try reader.read()
            guard let idBytes = reader.take(Int(length)), let id = String(bytes: idBytes, encoding: .utf8) else {
                throw .corruptSnapshot("truncated offer id")
            }
            let prior: Double = try reader.read()
            let observations: UInt64 = try reader.read()
            let accepted: UInt64 = try reader.read()
            let forgottenAt: UInt64 = format >= 2 ? try reader.read() : 0
            let moved: UInt32 = try reader.read()
            var model = OfferModel(offerID: id, prior: prior, observations: observations, accepted: accepted,
                                   mean: [], precision: [], forgottenAt: forgottenAt, hyperparameters: hyper)
            if observations > 0 || moved > 0 {
                var mean = (0..<hyper.slots).map(model.priorMean)
                var precision = (0..<hyper.slots).map(model.priorPrecision)
                for _ in 0..<moved {
                    let slot = Int(try reader.read() as UInt32)
                    guard slot < hyper.slots else { throw .corruptSnapshot("slot \(slot) of offer \(id) out of range") }
                    mean[slot] = try reader.read()
                    precision[slot] = try reader.read()
                    guard mean[slot].isFinite, precision[slot].isFinite, precision[slot] > 0 else {
                        throw .corruptSnapshot("offer \(id) slot \(slot) is not finite")
                    }
                }
                model = OfferModel(offerID: id, prior: prior, observations: observations, accepted: accepted,
                                   mean: mean, precision: precision, forgottenAt: forgottenAt, hyperparameters: hyper)
            }
            offers[id] = model
        }
        guard reader.atEnd else { throw .corruptSnapshot("\(reader.remaining) bytes after the last offer") }
        self.init(hyperparameters: hyper, offers: offers, sequence: sequence)
    }
}

private protocol LittleEndianField {
    var bitPattern64: UInt64 { get }
    init(bitPattern64: UInt64)
    static var byteCount: Int { get }
}

extension UInt32: LittleEndianField {
    var bitPattern64: UInt64 { UInt64(self) }
    init(bitPattern64: UInt64) { self.init(truncatingIfNeeded: bitPattern64) }
    static var byteCount: Int { 4 }
}

extension UInt64: LittleEndianField {
    var bitPattern64: UInt64 { self }
    init(bitPattern64: UInt64) { self = bitPattern64 }
    static var byteCount: Int { 8 }
}

extension Double: LittleEndianField {
    var bitPattern64: UInt64 { bitPattern }
    init(bitPattern64: UInt64) { self.init(bitPattern: bitPattern64) }
    static var byteCount: Int { 8 }
}

extension [UInt8] {
    fileprivate mutating func put<T: LittleEndianField>(_ value: T) {
        let bits = value.bitPattern64
        for byte in 0..<T.byteCount { append(UInt8(truncatingIfNeeded: bits >> (8 * byte))) }
    }
}

private struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }
    var atEnd: Bool { remaining == 0 }

    mutating func take(_ count: Int) -> [UInt8]? {
        guard count >= 0, count <= remaining else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func read<T: LittleEndianField>() throws(ScoringError) -> T {
        guard T.byteCount <= remaining else { throw .corruptSnapshot("truncated after \(offset) bytes") }
        var bits: UInt64 = 0
        for byte in 0..<T.byteCount { bits |= UInt64(bytes[offset + byte]) << (8 * byte) }
        offset += T.byteCount
        return T(bitPattern64: bits)
    }
}
