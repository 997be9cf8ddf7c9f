// Minimises a function of a few variables without derivatives (Nelder & Mead 1965), with
// restarts from the best point so a collapsed simplex does not stop it early. The model fits
// run it on log-parameters, so every parameter stays positive.
import Foundation

enum NelderMead {
    static func minimize(_ f: ([Double]) -> Double, from start: [Double], step: Double = 0.5,
                         tolerance: Double = 1e-11, maxEvaluations: Int = 20_000, restarts: Int = 3) -> (point: [Double], value: Double) {
        var best = (point: start, value: f(start))
        for _ in 0...restarts {
            let next = run(f, from: best.point, step: step, tolerance: tolerance, maxEvaluations: maxEvaluations)
            let improved = best.value - next.value
            best = next.value < best.value ? next : best
            if improved.magnitude < tolerance { break }
        }
        return best
    }

    private static func run(_ f: ([Double]) -> Double, from start: [Double], step: Double, tolerance: Double,
                            maxEvaluations: Int) -> (point: [Double], value: Double) {
        let n = start.count
        var simplex = [start] + (0..<n).map { i in
            var p = start
            p[i] += step
            return p
        }
        var values = simplex.map { value(f, $0) }
        var evaluations = n + 1
        while evaluations < maxEvaluations {
            let order = values.indices.sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }
            values = order.map { values[$0] }
            if (values[n] - values[0]).magnitude <= tolerance * (values[0].magnitude + tolerance) { break }
            let centroid = (0..<n).map { j in simplex[0..<n].reduce(0) { $0 + $1[j] } / Double(n) }
            func toward(_ t: Double) -> [Double] { (0..<n).map { centroid[$0] + t * (simplex[n][$0] - centroid[$0]) } }
            let reflected = toward(-1)
            let fr = value(f, reflected)
            evaluations += 1
            if fr < values[0] {
                let expanded = toward(-2)
                let fe = value(f, expanded)
                evaluations += 1
                (simplex[n], values[n]) = fe < fr ? (expanded, fe) : (reflected, fr)
            } else if fr < values[n - 1] {
                (simplex[n], values[n]) = (reflected, fr)
            } else {
                let contracted = fr < values[n] ? toward(-0.5) : toward(0.5)
                let fc = value(f, contracted)
                evaluations += 1
                if fc < min(fr, values[n]) {
                    (simplex[n], values[n]) = (contracted, fc)
                } else {
                    for i in 1...n {
                        simplex[i] = (0..<n).map { simplex[0][$0] + 0.5 * (simplex[i][$0] - simplex[0][$0]) }
                        values[i] = value(f, simplex[i])
                    }
                    evaluations += n
                }
            }
        }
        let i = values.indices.min { values[$0] < values[$1] }!
        return (simplex[i], values[i])
    }

    /// Non-finite values (overflow far from the optimum) count as +infinity.
    private static func value(_ f: ([Double]) -> Double, _ x: [Double]) -> Double {
        let v = f(x)
        return v.isFinite ? v : .infinity
    }
}
