// Special functions the likelihood gradients need beyond what libm offers: the digamma function
// ψ = (ln Γ)′, by recurrence up to 10 and the asymptotic series from there (error below 1e-13).
import Foundation

enum SpecialFunctions {
    /// ψ(x) for x > 0.
    static func digamma(_ x: Double) -> Double {
        var x = x
        var shift = 0.0
        while x < 10 {
            shift -= 1 / x
            x += 1
        }
        let inverse = 1 / x, inverse2 = inverse * inverse
        let series = inverse2 * (1.0 / 12 - inverse2 * (1.0 / 120 - inverse2 * (1.0 / 252 - inverse2 * (1.0 / 240 - inverse2 * (1.0 / 132)))))
        return shift + log(x) - 0.5 * inverse - series
    }
}
