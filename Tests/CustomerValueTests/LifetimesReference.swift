// What `lifetimes` 0.11.3 says about the CDNOW sample, as scripts/lifetimes-fixtures wrote it
// to Fixtures/lifetimes_cdnow.json: parameter summaries and the calibration/holdout table.
import Foundation

struct LifetimesReference: Decodable {
    struct Estimate: Decodable {
        let value, standardError, lower95, upper95: Double
    }
    struct Parameters: Decodable {
        let parameters: [String: Estimate]
    }
    struct Group: Decodable {
        let frequencyCal: String
        let customers: Int
        let actual, predicted: Double
    }
    let calibrationEnd, holdoutEnd: String
    let bgnbd, gammaGamma: Parameters
    let durationHoldout: Double
    /// customer id, frequency_cal, recency_cal, T_cal, frequency_holdout (ids as strings; numbers as JSON numbers).
    let customers: [[CustomerCell]]
    let byFrequency: [Group]

    enum CustomerCell: Decodable {
        case id(String), number(Double)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .id(s) } else { self = .number(try c.decode(Double.self)) }
        }
        var number: Double { if case .number(let v) = self { v } else { .nan } }
        var id: String { if case .id(let s) = self { s } else { "" } }
    }

    static let cdnow: LifetimesReference = {
        let url = Bundle.module.url(forResource: "lifetimes_cdnow", withExtension: "json", subdirectory: "Fixtures")!
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try! decoder.decode(LifetimesReference.self, from: Data(contentsOf: url))
    }()
}
