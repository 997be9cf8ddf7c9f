// The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005, "Counting Your Customers the
// Easy Way"): while alive a customer buys at a Poisson rate λ ~ Gamma(r, α); after any purchase
// they drop out with probability p ~ Beta(a, b). Fitted by maximum likelihood.
import Foundation

public struct BGNBD: Sendable, Equatable, Codable {
    public var r: Double
    public var alpha: Double
    public var a: Double
    public var b: Double

    public init(r: Double, alpha: Double, a: Double, b: Double) {
        self.r = r
        self.alpha = alpha
        self.a = a
        self.b = b
    }

    /// Log-likelihood of one customer (equation 6 of the paper, in logs for stability).
    public func logLikelihood(_ c: CustomerSummary) -> Double {
        let x = c.frequency
        let a1 = lgamma(r + x) - lgamma(r) + r * log(alpha)
        let a2 = lgamma(a + b) + lgamma(b + x) - lgamma(b) - lgamma(a + b + x)
        let a3 = -(r + x) * log(alpha + c.age)
        guard x > 0 else { return a1 + a2 + a3 }
        let a4 = log(a) - log(b + x - 1) - (r + x) * log(alpha + c.recency)
        let top = max(a3, a4)
        return a1 + a2 + top + log(exp(a3 - top) + exp(a4 - top))
    }

    public func logLikelihood(_ customers: [CustomerSummary]) -> Double {
        customers.reduce(0) { $0 + logLikelihood($1) }
    }

    public static let parameterNames = ["r", "alpha", "a", "b"]

    /// Maximum-likelihood parameters for these customers, with standard errors. `parallel`: the
    /// sums over customers on every core (the same result as on the calling thread alone).
    public static func fit(_ customers: some Sequence<CustomerSummary>, parallel: Bool = true) -> Fitted<BGNBD> {
        fit(RepeatBuyingGroups(customers), parallel: parallel)
    }

    public static func fit(_ groups: RepeatBuyingGroups, parallel: Bool = true) -> Fitted<BGNBD> {
        let n = Double(max(groups.customers, 1))
        return MaximumLikelihood.fit(names: parameterNames, customers: n, from: [0, 0, 0, 0],
                                     model: { BGNBD(r: $0[0], alpha: $0[1], a: $0[2], b: $0[3]) }) { point in
            let (value, gradient) = logLikelihoodAndGradient(groups, logParameters: point, parallel: parallel)
            return (value / n, gradient.map { $0 / n })
        }
    }

    /// The log-likelihood of every customer in `groups` and its gradient in (ln r, ln α, ln a, ln b).
    /// Per customer, with wᵢ = e^Aᵢ / (e^A3 + e^A4) the weights of the two terms of the sum:
    ///   ∂/∂r = ψ(r+x) − ψ(r) + ln α − w3 ln(α+T) − w4 ln(α+t_x)
    ///   ∂/∂α = r/α − (r+x) (w3/(α+T) + w4/(α+t_x))
    ///   ∂/∂a = ψ(a+b) − ψ(a+b+x) + w4/a
    ///   ∂/∂b = ψ(a+b) + ψ(b+x) − ψ(b) − ψ(a+b+x) − w4/(b+x−1)
    static func logLikelihoodAndGradient(_ groups: RepeatBuyingGroups, logParameters: [Double], parallel: Bool = true) -> (Double, [Double]) {
        let (r, alpha, a, b) = (exp(logParameters[0]), exp(logParameters[1]), exp(logParameters[2]), exp(logParameters[3]))
        let digamma = SpecialFunctions.digamma
        let logAlpha = log(alpha)
        // Terms that depend on x alone.
        let perX = groups.frequencies.map { x in
            (a12: lgamma(r + x) - lgamma(r) + r * logAlpha + lgamma(a + b) + lgamma(b + x) - lgamma(b) - lgamma(a + b + x),
             dr: digamma(r + x) - digamma(r) + logAlpha,
             da: digamma(a + b) - digamma(a + b + x),
             db: digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x),
             logA4: x > 0 ? log(a) - log(b + x - 1) : -Double.infinity, inverseB: x > 0 ? 1 / (b + x - 1) : 0)
        }
        let logAge = groups.ages.map { log(alpha + $0) }, inverseAge = groups.ages.map { 1 / (alpha + $0) }
        let logRecency = groups.recencies.map { log(alpha + $0) }, inverseRecency = groups.recencies.map { 1 / (alpha + $0) }
        let sums = MaximumLikelihood.chunkedSum(count: groups.count, width: 5, parallel: parallel) { range in
            var (ll, gr, ga, gaa, gb) = (0.0, 0.0, 0.0, 0.0, 0.0)
            for i in range {
                let xi = Int(groups.frequencyIndex[i]), ti = Int(groups.recencyIndex[i]), ai = Int(groups.ageIndex[i])
                let x = groups.frequencies[xi], terms = perX[xi], count = groups.counts[i]
                let a3 = -(r + x) * logAge[ai]
                let a4 = terms.logA4 - (r + x) * logRecency[ti]
                let top = max(a3, a4)
                let (e3, e4) = (exp(a3 - top), exp(a4 - top))
                let sum = e3 + e4
                let (w3, w4) = (e3 / sum, e4 / sum)
                ll += count * (terms.a12 + top + log(sum))
                gr += count * (terms.dr - w3 * logAge[ai] - w4 * logRecency[ti])
                ga += count * (r / alpha - (r + x) * (w3 * inverseAge[ai] + w4 * inverseRecency[ti]))
                gaa += count * (terms.da + w4 / a)
                gb += count * (terms.db - w4 * terms.inverseB)
            }
            return [ll, gr, ga, gaa, gb]
        }
        // Chain rule to log-parameters: ∂/∂ln θ = θ ∂/∂θ.
        return (sums[0], [r * sums[1], alpha * sums[2], a * sums[3], b * sums[4]])
    }

    /// P(still alive) given the history (equation 13).
    public func probabilityAlive(_ c: CustomerSummary) -> Double {
        guard c.frequency > 0 else { return 1 }
        return 1 / (1 + dropoutOdds(c))
    }

    /// Expected purchases in the next `t` periods given the history (equation 10).
    public func expectedPurchases(in t: Double, _ c: CustomerSummary) -> Double {
        let x = c.frequency
        let z = t / (alpha + c.age + t)
        let hyper = Hypergeometric.f21(r + x, b + x, a + b + x - 1, z)
        let numerator = (a + b + x - 1) / (a - 1) * (1 - pow((alpha + c.age) / (alpha + c.age + t), r + x) * hyper)
        return numerator / (1 + (x > 0 ? dropoutOdds(c) : 0))
    }

    /// Expected purchases in `t` periods by a new customer (equation 7), for population curves.
    public func expectedPurchasesOfNewCustomer(in t: Double) -> Double {
        let z = t / (alpha + t)
        return (a + b - 1) / (a - 1) * (1 - pow(alpha / (alpha + t), r) * Hypergeometric.f21(r, b, a + b - 1, z))
    }

    private func dropoutOdds(_ c: CustomerSummary) -> Double {
        a / (b + c.frequency - 1) * pow((alpha + c.age) / (alpha + c.recency), r + c.frequency)
    }
}

/// The Gaussian hypergeometric function ₂F₁(a, b; c; z) for 0 ≤ z < 1, by its power series.
enum Hypergeometric {
    static func f21(_ a: Double, _ b: Double, _ c: Double, _ z: Double) -> Double {
        var term = 1.0
        var sum = 1.0
        for n in 0..<100_000 {
            let k = Double(n)
            term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
            sum += term
            if term.magnitude < 1e-15 * sum.magnitude { break }
        }
        return sum
    }
}
