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

    public static let parameterNames = ["p", "q", "gamma"]

    /// Maximum-likelihood parameters from the customers with repeat purchases, with standard errors.
    /// `parallel`: the sums over customers on every core (the same result as on the calling thread alone).
    public static func fit(_ customers: some Sequence<CustomerSummary>, parallel: Bool = true) -> Fitted<GammaGamma> {
        fit(SpendGroups(customers), parallel: parallel)
    }

    public static func fit(_ groups: SpendGroups, parallel: Bool = true) -> Fitted<GammaGamma> {
        let n = Double(max(groups.customers, 1))
        return MaximumLikelihood.fit(names: parameterNames, customers: n, from: [0, 0, 0],
                                     model: { GammaGamma(p: $0[0], q: $0[1], gamma: $0[2]) }) { point in
            let (value, gradient) = logLikelihoodAndGradient(groups, logParameters: point, parallel: parallel)
            return (value / n, gradient.map { $0 / n })
        }
    }

    /// The log-likelihood of every customer in `groups` and its gradient in (ln p, ln q, ln γ):
    ///   ∂/∂p = x (ψ(px+q) − ψ(px) + ln m̄ + ln x − ln(γ + m̄x))
    ///   ∂/∂q = ψ(px+q) − ψ(q) + ln γ − ln(γ + m̄x)
    ///   ∂/∂γ = q/γ − (px+q)/(γ + m̄x)
    static func logLikelihoodAndGradient(_ groups: SpendGroups, logParameters: [Double], parallel: Bool = true) -> (Double, [Double]) {
        let (p, q, gamma) = (exp(logParameters[0]), exp(logParameters[1]), exp(logParameters[2]))
        let digamma = SpecialFunctions.digamma
        let (logGamma, digammaQ) = (log(gamma), digamma(q))
        let perX = groups.frequencies.map { x in
            (ll: lgamma(p * x + q) - lgamma(p * x) - lgamma(q) + q * logGamma + p * x * log(x),
             dp: x * (digamma(p * x + q) - digamma(p * x) + log(x)),
             dq: digamma(p * x + q) - digammaQ + logGamma)
        }
        let sums = MaximumLikelihood.chunkedSum(count: groups.count, width: 4, parallel: parallel) { range in
            var (ll, gp, gq, gg) = (0.0, 0.0, 0.0, 0.0)
            for i in range {
                let xi = Int(groups.frequencyIndex[i])
                let x = groups.frequencies[xi], terms = perX[xi], count = groups.counts[i]
                let (m, logM) = (groups.monetaryValues[i], groups.logMonetaryValues[i])
                let logTotal = log(gamma + m * x)
                ll += count * (terms.ll + (p * x - 1) * logM - (p * x + q) * logTotal)
                gp += count * (terms.dp + x * (logM - logTotal))
                gq += count * (terms.dq - logTotal)
                gg += count * (q / gamma - (p * x + q) / (gamma + m * x))
            }
            return [ll, gp, gq, gg]
        }
        return (sums[0], [p * sums[1], q * sums[2], gamma * sums[3]])
    }

    /// Expected mean spend per future transaction: the customer's own mean shrunk toward the
    /// population mean, more so the fewer purchases we have seen.
    public func expectedSpend(_ c: CustomerSummary) -> Double {
        let weight = p * c.frequency / (p * c.frequency + q - 1)
        return (1 - weight) * gamma * p / (q - 1) + weight * c.monetaryValue
    }
}
