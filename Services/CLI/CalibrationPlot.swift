// The calibration/holdout plot of Fader, Hardie & Lee (2005, figure 4) as an SVG file an analyst
// opens in any browser: mean repeat purchases in the holdout period, actual and predicted, against
// the number of repeat purchases in the calibration period.
import CustomerValue
import Foundation

struct CalibrationPlot {
    let groups: [CalibrationHoldout.FrequencyGroup]
    let title: String

    func svg() -> String {
        var canvas = SVGCanvas(width: 640, height: 420, title: title)
        let (width, height) = (canvas.width, canvas.height)
        let (left, right, top, bottom) = (64.0, 32.0, 48.0, 56.0)
        let highest = groups.flatMap { [$0.actual, $0.predicted] }.max() ?? 1
        let step = SVGCanvas.niceStep(highest / 5)
        let yMax = (highest / step).rounded(.up) * step
        let slots = Double(max(groups.count - 1, 1))
        func x(_ i: Int) -> Double { left + Double(i) / slots * (width - left - right) }
        func y(_ v: Double) -> Double { height - bottom - v / yMax * (height - top - bottom) }
        for tick in stride(from: 0.0, through: yMax + step / 2, by: step) {
            canvas.line(left, y(tick), width - right, y(tick), stroke: "#ddd", width: 1)
            canvas.text(left - 8, y(tick) + 4, SVGCanvas.format(tick), anchor: "end")
        }
        for (i, group) in groups.enumerated() {
            canvas.text(x(i), height - bottom + 18, "\(group.frequency)", anchor: "middle")
        }
        canvas.line(left, height - bottom, width - right, height - bottom, stroke: "#333")
        canvas.line(left, top, left, height - bottom, stroke: "#333")
        canvas.text((left + width - right) / 2, height - 16, "repeat purchases in the calibration period", anchor: "middle")
        canvas.text(0, 0, "mean repeat purchases in the holdout period", anchor: "middle",
                    attributes: "transform=\"translate(18 \((top + height - bottom) / 2)) rotate(-90)\"")
        for (name, color, dash, values) in [("actual", "#1f77b4", "", groups.map(\.actual)), ("model (BG/NBD)", "#d62728", "6 4", groups.map(\.predicted))] {
            canvas.polyline(values.enumerated().map { (x($0.offset), y($0.element)) }, stroke: color, dash: dash)
            for (i, value) in values.enumerated() { canvas.circle(x(i), y(value), fill: color) }
            let legendY = top + 8 + (name == "actual" ? 0 : 18)
            canvas.line(left + 16, legendY, left + 44, legendY, stroke: color, dash: dash)
            canvas.text(left + 50, legendY + 4, name)
        }
        return canvas.document
    }
}
