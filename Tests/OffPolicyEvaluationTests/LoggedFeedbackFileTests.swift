// Logged feedback from CSV: obp's estimates of a committed synthetic log (scripts/obp-fixtures),
// and every kind of bad line reported as file:line with its column, then skipped.
import CSV
import Foundation
import OffPolicyEvaluation
import Testing

struct LoggedFeedbackFileTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let columns = LoggedFeedbackFile.Columns(action: "offer", reward: "reward", propensity: "propensity", target: "target",
                                                    position: "position", context: ["segment"])

    static func read(_ log: String, _ distribution: String?, columns: LoggedFeedbackFile.Columns = columns) throws(CSVError) -> LoggedFeedbackFile.Summary {
        var reader = CSVReader(file: "log.csv", bytes: Array(log.utf8))
        var targets = distribution.map { CSVReader(file: "target.csv", bytes: Array($0.utf8)) }
        return try LoggedFeedbackFile.read(&reader, columns: columns, distribution: &targets)
    }

    @Test func theEstimatesAreObpsOnTheSameLog() throws {
        struct Expected: Decodable { var rows: Int, ips: Double, snips: Double, dr: Double }
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("obp_estimates.json")))
        var reader = try CSVReader(contentsOf: Self.fixtures.appendingPathComponent("obp_log.csv").path)
        var targets: CSVReader? = try CSVReader(contentsOf: Self.fixtures.appendingPathComponent("obp_distribution.csv").path)
        let summary = try LoggedFeedbackFile.read(&reader, columns: Self.columns, distribution: &targets)
        #expect(summary.rounds == expected.rows && summary.rejected == 0, "\(summary.errors)")
        for (estimator, value) in [(OffPolicyEstimator.ips, expected.ips), (.snips, expected.snips), (.dr, expected.dr)] {
            let ours = try #require(estimator.estimate(summary.log))
            #expect(abs(ours - value) <= 1e-9 * abs(value), "\(estimator): \(ours) against obp's \(value)")
        }
    }

    @Test func badLinesAreReportedWithTheirLineAndColumnAndSkipped() throws {
        let log = """
            segment,offer,position,propensity,target,reward
            a,x,0,0.5,0.25,1
            a,y,0,0.5,0.75,zero
            a,y,0,0,0.75,1
            a,y,1,1.5,0.75,1
            a,x,1,0.5,-0.1,0
            a,x,1,0.5
            b,y,0,0.5,0.5,1
            a,x,0,0.5,0.3,0
            c,x,0,0.5,0.5,0
            a,y,1,0.5,0.75,0
            """
        let distribution = """
            segment,offer,probability
            a,x,0.25
            a,y,0.75
            b,x,0.5
            b,y,0.4
            c,z,1
            """
        let summary = try Self.read(log, distribution)
        let messages = summary.errors.map(\.description)
        #expect(messages == [
            "log.csv:3: column 'reward': 'zero' is not a number",
            "log.csv:4: column 'propensity': 0 is not a propensity in (0, 1]",
            "log.csv:5: column 'propensity': 1.5 is not a propensity in (0, 1]",
            "log.csv:6: column 'target': -0.1 is not a probability in [0, 1]",
            "log.csv:7: expected 6 fields, found 4",
            "log.csv:8: no target distribution for this row (by its context)",
            "log.csv:9: column 'target': 0.3 disagrees with the target distribution's 0.25 for action 'x'",
            "log.csv:10: no target distribution for this row (by its context)",
            "target.csv:4: the probabilities for context (b) sum to 0.9, not 1",
            "target.csv:6: column 'offer': action 'z' does not appear in the log",
        ], "\(messages)")
        #expect(summary.rounds == 2 && summary.lines == 10 && summary.rejected == 10)
        #expect(summary.log.hasRewardModel)
    }

    @Test func aMissingColumnIsNamed() {
        #expect(throws: CSVError(file: "log.csv", line: 1, "the header lacks 'position' (expected offer,reward,propensity,target,position,segment)")) {
            try Self.read("segment,offer,propensity,target,reward\na,x,0.5,0.5,1\n", nil)
        }
    }

    @Test func withoutADistributionThereIsNoDRAndWithoutAKeyOneDistributionServesEveryRow() throws {
        let log = "offer,propensity,target,reward\nx,0.5,0.2,1\ny,0.5,0.8,0\ny,0.5,0.8,1\n"
        let columns = LoggedFeedbackFile.Columns(action: "offer", reward: "reward", propensity: "propensity", target: "target")
        let bare = try Self.read(log, nil, columns: columns)
        #expect(bare.rounds == 3 && !bare.log.hasRewardModel && OffPolicyEstimator.dr.estimate(bare.log) == nil)
        let full = try Self.read(log, "offer,probability\nx,0.2\ny,0.8\n", columns: columns)
        // The model: overall mean 2/3; x: (1 + 10·2/3)/11 at both levels of shrinkage, y: (1 + 20/3)/12, then again.
        let overall = 2.0 / 3
        let x = (1 + 10 * ((1 + 10 * overall) / 11)) / 11, y = (1 + 10 * ((1 + 10 * overall) / 12)) / 12
        let direct = 0.2 * x + 0.8 * y
        let dr = (direct + 0.4 * (1 - x) + direct + 1.6 * (0 - y) + direct + 1.6 * (1 - y)) / 3
        #expect(abs(try #require(OffPolicyEstimator.dr.estimate(full.log)) - dr) < 1e-12)
    }
}
