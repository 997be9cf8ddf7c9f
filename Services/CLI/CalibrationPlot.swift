// The calibration/holdout plot of Fader, Hardie & Lee (2005, figure 4) as an SVG file an analyst
// opens in any browser: mean repeat purchases in the holdout period, actual and predicted, against
// the number of repeat purchases in the calibration period.
import CustomerValue
import Foundation

struct CalibrationPlot {
    let groups: [CalibrationHoldout.FrequencyGroup]
    let title: String

    func svg() -> String {
        let (width, height) = (640.0, 420.0)
        let (left, right, top, bottom) = (64.0, 32.0, 48.0, 56.0)
        let highest = groups.flatMap { [$0.actual, $0.predicted] }.max() ?? 1
        let step = niceStep(highest / 5)
        let yMax = (highest / step).rounded(.up) * step
        let slots = Double(max(groups.count - 1, 1))
        func x(_ i: Int) -> Double { left + Double(i) / slots * (width - left - right) }
        func y(_ v: Double) -> Double { height - bottom - v / yMax * (height - top - bottom) }
        var parts = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">",
                     "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
                     "<text x=\"\(width / 2)\" y=\"24\" text-anchor=\"middle\" font-size=\"13\">\(escaped(title))</text>"]
        for tick in stride(from: 0.0, through: yMax + step / 2, by: step) {
            parts.append(line(left, y(tick), width - right, y(tick), stroke: "#ddd"))
            parts.append("<text x=\"\(left - 8)\" y=\"\(y(tick) + 4)\" text-anchor=\"end\">\(format(tick))</text>")
        }
        for (i, group) in groups.enumerated() {
            parts.append("<text x=\"\(x(i))\" y=\"\(height - bottom + 18)\" text-anchor=\"middle\">\(group.frequency)</text>")
        }
        parts.append(line(left, height - bottom, width - right, height - bottom, stroke: "#333"))
        parts.append(line(left, top, left, height - bottom, stroke: "#333"))
        parts.append("<text x=\"\((left + width - right) / 2)\" y=\"\(height - 16)\" text-anchor=\"middle\">repeat purchases in the calibration period</text>")
        parts.append("<text transform=\"translate(18 \((top + height - bottom) / 2)) rotate(-90)\" text-anchor=\"middle\">mean repeat purchases in the holdout period</text>")
        for (name, color, dash, values) in [("actual", "#1f77b4", "", groups.map(\.actual)), ("model (BG/NBD)", "#d62728", "6 4", groups.map(\.predicted))] {
            let points = values.enumerated().map { "\(x($0.offset)),\(y($0.element))" }.joined(separator: " ")
            parts.append("<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" stroke-dasharray=\"\(dash)\"/>")
            parts += values.enumerated().map { "<circle cx=\"\(x($0.offset))\" cy=\"\(y($0.element))\" r=\"3\" fill=\"\(color)\"/>" }
            let legendY = top + 8 + (name == "actual" ? 0 : 18)
            parts.append(line(left + 16, legendY, left + 44, legendY, stroke: color, dash: dash))
            parts.append("<text x=\"\(left + 50)\" y=\"\(legendY + 4)\">\(name)</text>")
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n") + "\n"
    }

    private func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, dash: String = "") -> String {
        "<line x1=\"\(x1)\" y1=\"\(y1)\" x2=\"\(x2)\" y2=\"\(y2)\" stroke=\"\(stroke)\" stroke-width=\"\(stroke == "#ddd" ? 1 : 2)\" stroke-dasharray=\"\(dash)\"/>"
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    private func niceStep(_ raw: Double) -> Double {
        guard raw > 0 else { return 1 }
        let power = pow(10, floor(log10(raw)))
        return [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
    }

    private func format(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(format: "%g", v) }

    private func escaped(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
