// `offerloop-loadtest fuzz`: seeded mutation fuzzing of every decoder that reads network bytes
// (WireFuzzer's targets). Each input is written to --current before it is tried, so after a
// crash it is on disk (scripts/fuzz files it into the corpus); with --corpus, the first input of
// every distinct refusal of each target is kept there, which is the regression corpus the tests replay.
import ArgumentParser
import Foundation
import Random
import Wire
import WireFuzzing

struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz", abstract: "Mutation-fuzz the broker's frame decoding and every service's request decoding.")

    @Option(help: "Mutated inputs per target.")
    var iterations: Int = 100_000

    @Option(help: "Seed of the mutations (the same seed, the same inputs).")
    var seed: UInt64 = 1

    @Option(help: "Keep the first input of each distinct refusal per target in DIR/TARGET/ (the regression corpus).")
    var corpus: String?

    @Option(help: "Write each input here before trying it, so a crashing one survives the crash.")
    var current: String?

    func run() throws {
        var random = SeededRandom(seed: seed)
        let currentFile = current.map { FileManager.default.createFile(atPath: $0, contents: nil) ? FileHandle(forWritingAtPath: $0) : nil } ?? nil
        var executions = 0, kept = 0
        print("fuzzing \(WireFuzzer.targets.count) decoders, \(iterations) inputs each, seed \(seed)")
        for target in WireFuzzer.targets {
            var refusals: [String: Int] = [:]
            var decoded = 0
            for iteration in 0..<iterations {
                let base = target.seeds[iteration % target.seeds.count]
                let input = WireFuzzer.mutate(base, using: &random)
                if let currentFile {
                    currentFile.truncateFile(atOffset: 0)
                    currentFile.write(Data(WireFuzzer.encode(input)))
                }
                executions += 1
                guard let error = target.decode(input) else { decoded += 1; continue }
                // Distinct refusals: the code and the message without its numbers.
                let kind = "\(error.code.name): " + error.message.filter { !$0.isNumber }
                refusals[kind, default: 0] += 1
                if refusals[kind] == 1, let corpus {
                    let dir = URL(fileURLWithPath: corpus).appendingPathComponent(target.name)
                    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                    try Data(WireFuzzer.encode(input)).write(to: dir.appendingPathComponent(String(format: "%03d.frames", refusals.count)))
                    kept += 1
                }
            }
            print("\(target.name): \(iterations) inputs, \(decoded) decoded, \(iterations - decoded) refused with a typed error (\(refusals.count) distinct)")
        }
        print("\(executions) executions, 0 crashes\(corpus.map { ", \(kept) inputs kept in \($0)" } ?? "")")
    }
}
