// The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV";
// Fader & Hardie 2013): a customer's transaction values are Gamma(p, ν) with ν ~ Gamma(q, γ)
// across customers, independent of how often they buy. Fitted on customers with repeat
// purchases, from their number of repeat purchases and mean repeat spend.
import Foundation

public struct GammaGamma: Sendable, Equatable, Codable {
    public var p: Double
    public var q: Double
    public var gamma: Double

    public init(p: Double, q: Double, gamma: Double) {
        self.p = p
        self.q = q
        self.gamma = gamma
    }

    public func logLikelihood(_ c: CustomerSummary) -> Double {
        let x = c.frequency, m = c.monetaryValue
        return lgamma(p * x + q) - lgamma(p * x) - lgamma(q) + q * log(gamma) + (p * x - 1) * log(m) + p * x * log(x)
            - (p * x + q) * log(x * m + gamma)
    }

    public static func fit(_ customers: [CustomerSummary]) -> (model: GammaGamma, logLikelihood: Double) {
        let repeaters = customers.filter { $0.frequency > 0 && $0.monetaryValue > 0 }
        let (point, value) = NelderMead.minimize({ v in
            let model = GammaGamma(p: exp(v[0]), q: exp(v[1]), gamma: exp(v[2]))
            return -repeaters.reduce(0) { $0 + model.logLikelihood($1) }
        }, from: [0, 0, 0])
        return (GammaGamma(p: exp(point[0]), q: exp(point[1]), gamma: exp(point[2])), -value)
    }

    /// Expected mean spend per future transaction: the customer's own mean shrunk toward the
    /// population mean, more so the fewer purchases we have seen.
    public func expectedSpend(_ c: CustomerSummary) -> Double {
        let weight = p * c.frequency / (p * c.frequency + q - 1)
        return (1 - weight) * gamma * p / (q - 1) + weight * c.monetaryValue
    }
}
