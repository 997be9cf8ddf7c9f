// The decoders that read network bytes against the committed regression corpus and a seeded
// mutation run: every input decodes or is refused with a typed error that says what is wrong.
import Foundation
import Testing
import WireFuzzing
@testable import Wire

struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz")

    /// Every corpus file with the target it belongs to (crashes/ replay against every target).
    static func files() throws -> [(target: WireFuzzer.Target, file: URL)] {
        let targets = Dictionary(uniqueKeysWithValues: WireFuzzer.targets.map { ($0.name, $0) })
        var found: [(WireFuzzer.Target, URL)] = []
        for directory in try FileManager.default.contentsOfDirectory(at: corpus, includingPropertiesForKeys: nil) {
            let applies = directory.lastPathComponent == "crashes" ? WireFuzzer.targets : [try #require(targets[directory.lastPathComponent], "\(directory.lastPathComponent) is no target")]
            for file in try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil) {
                found += applies.map { ($0, file) }
            }
        }
        return found
    }

    @Test func theRegressionCorpusReplaysClean() throws {
        let files = try Self.files()
        #expect(Set(files.map(\.target.name)).count == WireFuzzer.targets.count, "every decoder has corpus inputs")
        var refused = 0
        for (target, file) in files {
            let frames = try #require(WireFuzzer.decode(Array(try Data(contentsOf: file))), "\(file.path) is not a frames file")
            if let error = target.decode(frames) {
                refused += 1
                #expect(!error.message.isEmpty && error.code != .internal, "\(target.name) \(file.lastPathComponent): \(error)")
            }
        }
        #expect(refused > files.count / 2, "the corpus is made of inputs that were refused")
    }

    @Test(arguments: [1, 2] as [UInt64])
    func mutatedInputsDecodeOrAreRefusedWithATypedError(seed: UInt64) {
        var random = SplitMix(seed)
        for target in WireFuzzer.targets {
            var outcomes: Set<Bool> = []
            for iteration in 0..<2_000 {
                let input = WireFuzzer.mutate(target.seeds[iteration % target.seeds.count], using: &random)
                let error = target.decode(input)
                outcomes.insert(error == nil)
                if let error { #expect(!error.message.isEmpty && error.code != .internal, "\(target.name): \(error)") }
            }
            #expect(outcomes == [true, false], "\(target.name): mutations both keep and break the encoding")
        }
    }

    @Test func framesFilesRoundTrip() {
        let frames: [[UInt8]] = [[], [1, 2, 3], Array(repeating: 9, count: 300)]
        #expect(WireFuzzer.decode(WireFuzzer.encode(frames)) == frames)
        #expect(WireFuzzer.decode(Array(WireFuzzer.encode(frames).dropLast())) == nil, "a cut file is not read as frames")
    }
}

/// A small seeded generator, so a failing run can be repeated.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
