// Minimises a smooth function of a few variables from its value and gradient: the BFGS
// quasi-Newton method (Nocedal & Wright, Numerical Optimization, algorithm 6.1) with a
// backtracking line search. The model fits run it on log-parameters; Nelder–Mead is the fallback.
import Foundation

enum BFGS {
    struct Result {
        var point: [Double]
        var value: Double
        var gradient: [Double]
        var iterations: Int
        var evaluations: Int
        var converged: Bool
    }

    /// `f` returns the value and gradient; a non-finite value counts as "too far" and shortens the step.
    static func minimize(_ f: ([Double]) -> (value: Double, gradient: [Double]), from start: [Double],
                         gradientTolerance: Double = 1e-10, maxIterations: Int = 500) -> Result {
        let n = start.count
        var x = start
        var (value, gradient) = f(x)
        var evaluations = 1
        var inverseHessian = identity(n)
        var converged = false
        var iteration = 0
        var stalled = 0
        while iteration < maxIterations {
            if norm(gradient) <= gradientTolerance * max(1, value.magnitude) { converged = true; break }
            var direction = multiply(inverseHessian, gradient).map { -$0 }
            var slope = dot(direction, gradient)
            if !(slope < 0) {  // not a descent direction: restart from steepest descent
                inverseHessian = identity(n)
                direction = gradient.map { -$0 }
                slope = dot(direction, gradient)
            }
            // A step in log-parameters beyond 2 (a factor e² ≈ 7.4) is never needed and can overflow.
            var step = min(1, 2 / max(direction.map(\.magnitude).max() ?? 0, 1e-300))
            var next: (x: [Double], value: Double, gradient: [Double])?
            for _ in 0..<60 {
                // A decrease this step could bring is below the value's rounding: the test below would
                // compare noise (at a million customers that cost ~40 evaluations of the fit's ~80).
                if -step * slope <= 1e-16 * max(1, value.magnitude) { break }
                let candidate = zip(x, direction).map { $0 + step * $1 }
                let trial = f(candidate)
                evaluations += 1
                if trial.value.isFinite, trial.value <= value + 1e-4 * step * slope, trial.gradient.allSatisfy(\.isFinite) {
                    next = (candidate, trial.value, trial.gradient)
                    break
                }
                step *= 0.5
            }
            guard let next else {
                // No decrease along a descent direction: at the optimum to rounding if the gradient
                // is small; otherwise a failure, and the caller falls back to Nelder–Mead.
                converged = norm(gradient) <= 1e-6 * max(1, value.magnitude)
                break
            }
            let s = zip(next.x, x).map { $0 - $1 }
            let y = zip(next.gradient, gradient).map { $0 - $1 }
            let improvement = value - next.value
            (x, value, gradient) = (next.x, next.value, next.gradient)
            iteration += 1
            let sy = dot(s, y)
            if sy > 1e-300 {
                if iteration == 1 {  // scale the first guess of the inverse Hessian (Nocedal & Wright 6.20)
                    inverseHessian = identity(n).map { $0.map { $0 * sy / dot(y, y) } }
                }
                update(&inverseHessian, s: s, y: y, sy: sy)
            }
            // Rounding floor: the value stops moving long before a tiny gradient tolerance is met
            // on a sum over a million customers.
            stalled = improvement <= 1e-15 * max(1, value.magnitude) ? stalled + 1 : 0
            if stalled >= 3 { converged = true; break }
        }
        return Result(point: x, value: value, gradient: gradient, iterations: iteration, evaluations: evaluations, converged: converged)
    }

    /// H ← (I − ρsyᵀ) H (I − ρysᵀ) + ρssᵀ, ρ = 1 / yᵀs.
    private static func update(_ h: inout [[Double]], s: [Double], y: [Double], sy: Double) {
        let n = s.count, rho = 1 / sy
        let hy = multiply(h, y)
        let yhy = dot(y, hy)
        for i in 0..<n {
            for j in 0..<n {
                h[i][j] += -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j]
            }
        }
    }

    static func identity(_ n: Int) -> [[Double]] {
        (0..<n).map { i in (0..<n).map { $0 == i ? 1 : 0 } }
    }

    static func multiply(_ m: [[Double]], _ v: [Double]) -> [Double] {
        m.map { dot($0, v) }
    }

    static func dot(_ u: [Double], _ v: [Double]) -> Double {
        zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }
    }

    static func norm(_ v: [Double]) -> Double {
        dot(v, v).squareRoot()
    }
}
