// Options and output the load-test modes share.
import ArgumentParser
import Foundation
import ProcessShell

/// A measurement through a running cluster: where its broker is, how many round trips, the output.
struct MeasureOptions: ParsableArguments {
    @OptionGroup var client: ClientOptions

    @Option(help: "Round trips measured per kind.")
    var requests: Int = 50_000

    @Option(help: "Round trips made first and not measured.")
    var warmup: Int = 2_000

    @OptionGroup var output: OutputOptions

    var roundTrips: RoundTrips { RoundTrips(warmup: warmup, requests: requests, frontend: client.frontend) }

    var frontend: String { client.frontend }

    func report(_ result: some Encodable, table lines: () -> [String]) throws {
        try output.report(result, table: lines)
    }
}

/// How a result is shown: a table, or JSON (snake_case keys); and optionally kept as JSON in a file.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "Also write the result as JSON to this file (for plots and history).")
    var save: String?

    func report(_ result: some Encodable, table lines: () -> [String]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = try encoder.encode(result)
        if let save { try data.write(to: URL(fileURLWithPath: save)) }
        if json {
            print(String(decoding: data, as: UTF8.self))
        } else {
            lines().forEach { print($0) }
        }
    }
}
