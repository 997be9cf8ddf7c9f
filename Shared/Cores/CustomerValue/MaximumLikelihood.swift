// Maximum-likelihood fitting shared by the value models: BFGS on log-parameters from the
// analytic gradient (Nelder–Mead only if BFGS fails), then standard errors from the Hessian —
// the observed information, by central differences of the analytic gradient — as `lifetimes`
// reports them (delta method: se(θ) = θ · √[H⁻¹]ᵢᵢ on log θ; 95 % interval θ ± 1.96 se).
import Foundation

/// One fitted parameter with its uncertainty. The standard error is nil when the Hessian at the
/// optimum is not positive definite (a flat or degenerate likelihood).
public struct ParameterEstimate: Sendable, Equatable, Codable {
    public var name: String
    public var value: Double
    public var standardError: Double?
    public var lower95: Double?
    public var upper95: Double?
}

/// A fitted model with its log-likelihood, its parameters' uncertainty and how it was found.
public struct Fitted<Model: Sendable>: Sendable {
    public var model: Model
    public var logLikelihood: Double
    public var parameters: [ParameterEstimate]
    /// "bfgs", or "nelder-mead" when the quasi-Newton method did not converge.
    public var method: String
    /// Evaluations of the likelihood and its gradient by BFGS and for the Hessian (Nelder–Mead's not counted).
    public var evaluations: Int
}

/// The value and gradient of a log-likelihood at log-parameters, per customer (mean), so the
/// optimiser sees numbers of order 1 whatever the number of customers.
typealias MeanLogLikelihood = ([Double]) -> (value: Double, gradient: [Double])

enum MaximumLikelihood {
    /// Maximises `customers` × `meanLogLikelihood` over log-parameters from `start`; `model` makes
    /// the model from the parameters (not their logs).
    static func fit<Model: Sendable>(names: [String], customers: Double, from start: [Double], model: ([Double]) -> Model,
                           _ meanLogLikelihood: @escaping MeanLogLikelihood) -> Fitted<Model> {
        let negative: MeanLogLikelihood = { point in
            let (value, gradient) = meanLogLikelihood(point)
            return (-value, gradient.map { -$0 })
        }
        var found = BFGS.minimize(negative, from: start)
        var method = "bfgs"
        var evaluations = found.evaluations
        if !found.converged || !found.value.isFinite {
            let (point, value) = NelderMead.minimize({ negative($0).value }, from: found.value.isFinite ? found.point : start)
            if value <= found.value || !found.value.isFinite {
                found.point = point
                found.value = value
                method = "nelder-mead"
            }
        }
        let hessian = hessian(of: negative, at: found.point).map { $0.map { $0 * customers } }
        evaluations += 2 * start.count
        let inverse = invert(hessian)
        let parameters = names.indices.map { i -> ParameterEstimate in
            let value = exp(found.point[i])
            guard let inverse, inverse[i][i] > 0 else { return ParameterEstimate(name: names[i], value: value) }
            let se = value * inverse[i][i].squareRoot()
            return ParameterEstimate(name: names[i], value: value, standardError: se, lower95: value - 1.96 * se, upper95: value + 1.96 * se)
        }
        return Fitted(model: model(found.point.map(exp)), logLikelihood: -found.value * customers, parameters: parameters,
                      method: method, evaluations: evaluations)
    }

    /// The Hessian by central differences of the analytic gradient, symmetrised.
    static func hessian(of f: MeanLogLikelihood, at point: [Double], step: Double = 1e-4) -> [[Double]] {
        let n = point.count
        var columns: [[Double]] = []
        for j in 0..<n {
            var up = point, down = point
            up[j] += step
            down[j] -= step
            let (gu, gd) = (f(up).gradient, f(down).gradient)
            columns.append((0..<n).map { (gu[$0] - gd[$0]) / (2 * step) })
        }
        return (0..<n).map { i in (0..<n).map { j in (columns[i][j] + columns[j][i]) / 2 } }
    }

    /// The inverse by Gauss–Jordan elimination with partial pivoting; nil if singular.
    static func invert(_ matrix: [[Double]]) -> [[Double]]? {
        let n = matrix.count
        var a = matrix.enumerated().map { i, row in row + (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        for column in 0..<n {
            guard let pivot = (column..<n).max(by: { a[$0][column].magnitude < a[$1][column].magnitude }),
                  a[pivot][column].magnitude > 1e-300, a[pivot][column].isFinite else { return nil }
            a.swapAt(column, pivot)
            let scale = a[column][column]
            a[column] = a[column].map { $0 / scale }
            for row in 0..<n where row != column {
                let factor = a[row][column]
                if factor != 0 { a[row] = zip(a[row], a[column]).map { $0 - factor * $1 } }
            }
        }
        return a.map { Array($0[n...]) }
    }

    /// Σ over `count` rows of `term(range)` partial sums, in fixed chunks summed in order: the
    /// same result whatever the number of threads, and on every core when there are enough rows
    /// (unless not `parallel`: then on the calling thread alone).
    static func chunkedSum(count: Int, width: Int, parallel: Bool = true, _ term: @Sendable (Range<Int>) -> [Double]) -> [Double] {
        let chunk = 32_768
        let chunks = (count + chunk - 1) / chunk
        guard chunks > 1 else { return term(0..<count) }
        let rows = { @Sendable (i: Int) in i * chunk..<min(count, (i + 1) * chunk) }
        let partials: [[Double]]
        if parallel {
            let slots = Partials(UnsafeMutableBufferPointer<[Double]>.allocate(capacity: chunks))
            slots.slots.initialize(repeating: [])
            defer {
                _ = slots.slots.deinitialize()
                slots.slots.deallocate()
            }
            DispatchQueue.concurrentPerform(iterations: chunks) { i in slots.slots[i] = term(rows(i)) }
            partials = Array(slots.slots)
        } else {
            partials = (0..<chunks).map { term(rows($0)) }
        }
        var total = [Double](repeating: 0, count: width)
        for partial in partials {
            for k in 0..<width { total[k] += partial[k] }
        }
        return total
    }

    /// One slot per chunk; each task writes only its own.
    private struct Partials: @unchecked Sendable {
        let slots: UnsafeMutableBufferPointer<[Double]>
        init(_ slots: UnsafeMutableBufferPointer<[Double]>) { self.slots = slots }
    }
}
