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

    /// Maximum-likelihood parameters for these customers, with their log-likelihood.
    public static func fit(_ customers: [CustomerSummary]) -> (model: BGNBD, logLikelihood: Double) {
        let (point, value) = NelderMead.minimize({ p in
            -BGNBD(r: exp(p[0]), alpha: exp(p[1]), a: exp(p[2]), b: exp(p[3])).logLikelihood(customers)
        }, from: [0, 0, 0, 0])
        return (BGNBD(r: exp(point[0]), alpha: exp(point[1]), a: exp(point[2]), b: exp(point[3])), -value)
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
