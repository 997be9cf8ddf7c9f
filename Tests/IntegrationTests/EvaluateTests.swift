// `offerloop evaluate` as a process: a committed synthetic log (scripts/obp-fixtures) evaluated
// to obp's figures with intervals that come out the same for the same seed, its plot, and a
// file with bad lines answered line by line with exit status 2.
import Foundation
import Testing

struct EvaluateTests {
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/OffPolicyEvaluationTests/Fixtures")
    static let columns = ["--action-column", "offer", "--reward-column", "reward", "--propensity-column", "propensity",
                          "--target-column", "target", "--position-column", "position", "--context-columns", "segment"]

    static func evaluate(_ arguments: [String]) throws -> (status: Int32, output: String, json: [String: Any]?) {
        let (status, output) = try run("offerloop", ["evaluate"] + columns + arguments)
        let json = (try? JSONSerialization.jsonObject(with: Data(output.utf8))) as? [String: Any]
        return (status, output, json)
    }

    @Test func aLogIsEvaluatedToObpsFiguresWithTheSameIntervalsForTheSameSeed() throws {
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("obp_estimates.json"))) as? [String: Any])
        let plot = FileManager.default.temporaryDirectory.appendingPathComponent("evaluate-\(UUID().uuidString).svg")
        defer { try? FileManager.default.removeItem(at: plot) }
        let arguments = ["--logged", Self.fixtures.appendingPathComponent("obp_log.csv").path,
                         "--target-distribution", Self.fixtures.appendingPathComponent("obp_distribution.csv").path,
                         "--bootstrap", "300", "--seed", "5", "--json"]
        let first = try Self.evaluate(arguments + ["--plot", plot.path])
        let json = try #require(first.json, "\(first.output)")
        #expect(first.status == 0 && json["rounds"] as? Int == 3000 && json["rejected"] as? Int == 0, "\(first.output)")
        for name in ["ips", "snips", "dr"] {
            let estimate = try #require(json[name] as? [String: Double], "\(name): \(first.output)")
            let obp = try #require(expected[name] as? Double)
            #expect(abs(estimate["estimate"]! - obp) <= 1e-9 * obp, "\(name): \(estimate) against obp's \(obp)")
            #expect(estimate["low"]! < estimate["estimate"]! && estimate["estimate"]! < estimate["high"]!, "\(name): \(estimate)")
        }
        let again = try #require(try Self.evaluate(arguments).json)
        for name in ["ips", "snips", "dr"] {
            #expect(again[name] as? [String: Double] == json[name] as? [String: Double], "the same seed, other intervals for \(name)")
        }
        let svg = try String(contentsOf: plot, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains(">SNIPS</text>") && svg.contains("3000 rounds"), "\(svg.prefix(400))")
    }

    @Test func badLinesAreReportedSkippedAndCounted() throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("evaluate-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: log) }
        try "segment,offer,position,propensity,target,reward\na,x,0,0.5,0.5,1\na,x,0,0,0.5,1\na,y,1,0.5,1.2,0\nb,y,0,0.25,0.5,0\n"
            .write(to: log, atomically: true, encoding: .utf8)
        let result = try Self.evaluate(["--logged", log.path, "--json"])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains("\(log.path):3: column 'propensity': 0 is not a propensity in (0, 1]"), "\(result.output)")
        #expect(result.output.contains("\(log.path):4: column 'target': 1.2 is not a probability in [0, 1]"), "\(result.output)")
        // The two good rows are still evaluated: IPS = (1·1 + 2·0)/2; DR has no distribution.
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.output[result.output.firstIndex(of: "{")!...].utf8)) as? [String: Any])
        #expect(json["rounds"] as? Int == 2 && json["rejected"] as? Int == 2 && json["dr"] is NSNull, "\(json)")
        #expect((json["ips"] as? [String: Double])?["estimate"] == 0.5, "\(json)")
    }

    @Test func aMissingColumnNamesItAndTheFile() throws {
        let result = try Self.evaluate(["--logged", Self.fixtures.appendingPathComponent("obp_distribution.csv").path])
        #expect(result.status != 0 && result.output.contains("obp_distribution.csv:1: the header lacks 'reward', 'propensity', 'target', 'position'"),
                "\(result.output)")
    }
}
