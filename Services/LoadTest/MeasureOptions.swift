// Options and output every load-test mode shares.
import ArgumentParser
import Foundation

struct MeasureOptions: ParsableArguments {
    @Option(help: "Round trips measured per kind.")
    var requests: Int = 50_000

    @Option(help: "Round trips made first and not measured.")
    var warmup: Int = 2_000

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    var roundTrips: RoundTrips { RoundTrips(warmup: warmup, requests: requests) }

    /// Prints the result as JSON (snake_case keys) when asked, else the table `lines` make.
    func report(_ result: some Encodable, table lines: () -> [String]) throws {
        try Self.report(result, json: json, table: lines)
    }

    static func report(_ result: some Encodable, json: Bool, table lines: () -> [String]) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            lines().forEach { print($0) }
        }
    }
}
