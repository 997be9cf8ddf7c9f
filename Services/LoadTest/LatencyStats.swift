// Latency percentiles from an HdrHistogram, printed as a table or JSON.
import Foundation
import Histogram

struct LatencyStats: Codable {
    static let percentiles: [(label: String, value: Double)] = [("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9)]

    /// Percentiles of the full spectrum, for the latency plot: 0 … 99.999.
    static let spectrumPercentiles: [Double] = [0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96.875, 98, 99,
                                                99.5, 99.75, 99.9, 99.95, 99.99, 99.995, 99.999]

    let count: UInt64
    /// Microseconds, by percentile label, plus "max" and "mean".
    let micros: [String: Double]
    /// [percentile, microseconds] pairs across the whole distribution.
    let spectrum: [[Double]]

    init(_ histogram: Histogram<UInt64>) {
        count = histogram.totalCount
        var micros = [String: Double]()
        for (label, value) in Self.percentiles {
            micros[label] = Double(histogram.valueAtPercentile(value)) / 1000
        }
        micros["max"] = Double(histogram.max) / 1000
        micros["mean"] = histogram.mean / 1000
        self.micros = micros
        spectrum = Self.spectrumPercentiles.map { [$0, Double(histogram.valueAtPercentile($0)) / 1000] }
            + [[100, Double(histogram.max) / 1000]]
    }

    static var labels: [String] { percentiles.map(\.label) + ["max"] }

    func row(_ name: String) -> String {
        name.padding(toLength: 28, withPad: " ", startingAt: 0)
            + Self.labels.map { String(format: "%10.1f", micros[$0] ?? 0) }.joined()
    }

    /// This run's figures divided by a yardstick's, per percentile.
    func ratio(to yardstick: LatencyStats) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: Self.labels.map { ($0, (micros[$0] ?? 0) / max(yardstick.micros[$0] ?? 1, 0.001)) })
    }

    static func ratioRow(_ name: String, _ ratio: [String: Double]) -> String {
        name.padding(toLength: 28, withPad: " ", startingAt: 0) + labels.map { String(format: "%9.2fx", ratio[$0] ?? 0) }.joined()
    }

    static func header() -> String {
        "µs".padding(toLength: 28, withPad: " ", startingAt: 0) + labels.map { $0.leftAligned(10) }.joined()
    }

    /// The rows of the yardsticks every service benchmark shows beside its own figures.
    static func yardstickRows(raw: LatencyStats, broker: LatencyStats) -> [String] {
        [raw.row("raw ZeroMQ REQ/REP (tcp)"), broker.row("via broker (echo)")]
    }

    /// The rows of a call through the broker (`name`, e.g. "decide") after the yardsticks': its
    /// figures, then its ratios to the broker's echo and to the raw round trip.
    func rowsThroughBroker(_ name: String, raw: LatencyStats, broker: LatencyStats) -> [String] {
        Self.yardstickRows(raw: raw, broker: broker)
            + [row("\(name) via broker"), Self.ratioRow("\(name) / broker echo", ratio(to: broker)), Self.ratioRow("\(name) / raw", ratio(to: raw))]
    }
}

extension String {
    func leftAligned(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

func newHistogram() -> Histogram<UInt64> {
    // Nanoseconds from 1 ns to 60 s at 3 significant digits.
    Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
}
