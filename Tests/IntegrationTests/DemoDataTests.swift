// The demo's generated data is what it claims (BG/NBD with the CDNOW parameters, recovered by
// `offerloop clv fit`), and `offerloop import` loads a file once unless told to append it.
import Foundation
import Testing

@Suite struct DemoDataTests {
    /// Fader, Hardie & Lee (2005) on the CDNOW sample: the parameters scripts/gen-demo-data draws
    /// from, and how close the fit must come. Gamma-Gamma is fitted on the repeat customers only
    /// (about 1,600 of 4,000), and its gamma varies more from sample to sample (docs/CUSTOMER_VALUE.md).
    static let published = ["r": (0.243, 0.3), "alpha": (4.414, 0.3), "a": (0.793, 0.3), "b": (2.426, 0.3),
                            "p": (6.25, 0.4), "q": (3.74, 0.4), "gamma": (15.44, 0.4)]

    @Test func theValueModelFittedToTheDemoDataRecoversTheParametersItWasDrawnFrom() throws {
        let (status, output) = try run("offerloop", ["clv", "fit", "--transactions", try DemoData.file("transactions"),
                                                     "--calibration-end", DemoData.today, "--json"])
        try #require(status == 0, "\(output)")
        let json = try #require(output.firstIndex(of: "{").map { output[$0...] }, "\(output)")  // after the progress lines
        // The numbers at the top level (the parameters with their standard errors are a list besides).
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(json)")
        let fit = object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
        #expect(fit["customers", default: 0] >= 2_000)
        for (name, (value, tolerance)) in Self.published {
            let fitted = try #require(fit[name], "\(name) missing in \(json)")
            #expect(abs(fitted / value - 1) <= tolerance, "\(name) = \(fitted), published \(value)")
        }
    }

    /// Re-importing a file of transactions without ids used to add every one of them again.
    @Test func importingTheSameFileAgainIsANoOpUnlessAppended() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("offerloop-import-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("tx.csv").path
        try "customer_id,date,quantity,amount\n1001,2026-01-05,1,20\n1001,2026-01-06,1,22.5\n".write(toFile: file, atomically: true, encoding: .utf8)
        let database = directory.appendingPathComponent("profile.sqlite").path
        func importing(_ extra: [String] = []) throws -> String {
            let (status, output) = try run("offerloop", ["import", "transactions", file, "--store", "sqlite:" + database] + extra)
            #expect(status == 0, "\(output)")
            return output
        }
        func stored() throws -> String {
            let (_, output) = try run("/usr/bin/env", ["python3", "-c", "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*), SUM(amount) FROM transactions').fetchone())", database])
            return output.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        #expect(try importing().contains("2 records, 2 imported"))
        let again = try importing()
        #expect(again.contains("\(file): already imported at ") && again.contains("nothing imported; --append imports it again"), "\(again)")
        #expect(try stored() == "(2, 42.5)")
        #expect(try importing(["--json"]).contains("\"already_imported_unix_ms\""))

        #expect(try importing(["--append"]).contains("2 records, 2 imported"))
        #expect(try stored() == "(4, 85.0)")
    }
}
