// evaluate's plot: each estimator's estimate with its 95% interval on one axis, and the logged
// policy's mean reward as a dashed line for reference; the axis fits the intervals, so a narrow
// interval from a million rows and a wide one from a hundred both fill the width.
import Foundation

struct EvaluationPlot {
    let result: EvaluationResult
    let title: String

    func canvas() -> SVGCanvas {
        let rows = result.estimates
        let (left, right, top, bottom, rowHeight) = (70.0, 40.0, 56.0, 60.0, 44.0)
        var canvas = SVGCanvas(width: 640, height: top + bottom + rowHeight * Double(rows.count), title: title)
        let values = rows.compactMap(\.value).flatMap { [$0.low, $0.high, $0.estimate] } + [result.loggedMean]
        var (lowest, highest) = (values.min()!, values.max()!)
        if highest - lowest < 1e-12 { (lowest, highest) = (lowest - 0.5, highest + 0.5) }
        let step = SVGCanvas.niceStep((highest - lowest) / 5)
        let (axisLow, axisHigh) = ((lowest / step).rounded(.down) * step, (highest / step).rounded(.up) * step)
        let plotBottom = canvas.height - bottom
        func x(_ v: Double) -> Double { left + (v - axisLow) / (axisHigh - axisLow) * (canvas.width - left - right) }
        func y(_ row: Int) -> Double { top + rowHeight * (Double(row) + 0.5) }
        for tick in stride(from: axisLow, through: axisHigh + step / 2, by: step) {
            canvas.line(x(tick), top, x(tick), plotBottom, stroke: "#ddd", width: 1)
            canvas.text(x(tick), plotBottom + 18, SVGCanvas.format((tick / step).rounded() * step), anchor: "middle")
        }
        canvas.line(left, plotBottom, canvas.width - right, plotBottom, stroke: "#333")
        canvas.text((left + canvas.width - right) / 2, canvas.height - 16, "mean reward under the evaluation policy (95% bootstrap interval)", anchor: "middle")
        canvas.line(x(result.loggedMean), top - 8, x(result.loggedMean), plotBottom, stroke: "#888", dash: "6 4")
        let leftHalf = x(result.loggedMean) < canvas.width / 2  // the label reads away from the edge
        canvas.text(x(result.loggedMean) + (leftHalf ? 6 : -6), top - 12, String(format: "logged policy's mean %.4g", result.loggedMean),
                    anchor: leftHalf ? "start" : "end")
        for (row, (name, value)) in rows.enumerated() {
            canvas.text(left - 10, y(row) + 4, name, anchor: "end")
            guard let value else {
                canvas.text(left + 8, y(row) + 4, name == "DR" ? "no estimate (needs --target-distribution)" : "no estimate")
                continue
            }
            canvas.line(x(value.low), y(row), x(value.high), y(row), stroke: "#1f77b4")
            canvas.line(x(value.low), y(row) - 6, x(value.low), y(row) + 6, stroke: "#1f77b4")
            canvas.line(x(value.high), y(row) - 6, x(value.high), y(row) + 6, stroke: "#1f77b4")
            canvas.circle(x(value.estimate), y(row), radius: 4, fill: "#d62728")
            canvas.text(x(value.estimate), y(row) - 10, String(format: "%.4g [%.4g, %.4g]", value.estimate, value.low, value.high), anchor: "middle",
                        attributes: "font-size=\"11\"")
        }
        return canvas
    }
}
