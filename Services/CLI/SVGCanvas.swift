// The few SVG pieces the CLI's plots draw with (clv's calibration plot, evaluate's intervals),
// so that each plot is only its layout: files an analyst opens in any browser, no Python needed.
import Foundation

struct SVGCanvas {
    let width: Double, height: Double
    private var parts: [String]

    init(width: Double, height: Double, title: String) {
        self.width = width
        self.height = height
        parts = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">",
                 "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
                 "<text x=\"\(width / 2)\" y=\"24\" text-anchor=\"middle\" font-size=\"13\">\(Self.escaped(title))</text>"]
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 2, dash: String = "") {
        parts.append("<line x1=\"\(x1)\" y1=\"\(y1)\" x2=\"\(x2)\" y2=\"\(y2)\" stroke=\"\(stroke)\" stroke-width=\"\(width)\" stroke-dasharray=\"\(dash)\"/>")
    }

    mutating func text(_ x: Double, _ y: Double, _ content: String, anchor: String = "start", attributes: String = "") {
        parts.append("<text x=\"\(x)\" y=\"\(y)\" text-anchor=\"\(anchor)\"\(attributes.isEmpty ? "" : " " + attributes)>\(Self.escaped(content))</text>")
    }

    mutating func circle(_ x: Double, _ y: Double, radius: Double = 3, fill: String) {
        parts.append("<circle cx=\"\(x)\" cy=\"\(y)\" r=\"\(radius)\" fill=\"\(fill)\"/>")
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, dash: String = "") {
        let list = points.map { "\($0.0),\($0.1)" }.joined(separator: " ")
        parts.append("<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"2\" stroke-dasharray=\"\(dash)\"/>")
    }

    /// The finished document.
    var document: String { (parts + ["</svg>"]).joined(separator: "\n") + "\n" }

    /// Writes the document as SVG, or as PNG (by the extension) through rsvg-convert (Debian's librsvg2-bin).
    func write(to path: String) throws {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "svg":
            try document.write(toFile: path, atomically: true, encoding: .utf8)
        case "png":
            let convert = Process()
            convert.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            convert.arguments = ["rsvg-convert", "--format", "png", "--output", path]
            let input = Pipe()
            convert.standardInput = input
            do { try convert.run() } catch { throw PlotError("cannot run rsvg-convert for a PNG (apt-get install librsvg2-bin), or write FILE.svg") }
            input.fileHandleForWriting.write(Data(document.utf8))
            try input.fileHandleForWriting.close()
            convert.waitUntilExit()
            guard convert.terminationStatus == 0 else { throw PlotError("rsvg-convert could not write \(path) (is librsvg2-bin installed? apt-get install librsvg2-bin)") }
        default:
            throw PlotError("\(path): a plot is FILE.svg or FILE.png")
        }
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0 else { return 1 }
        let power = pow(10, floor(log10(raw)))
        return [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
    }

    static func format(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(format: "%g", v) }

    static func escaped(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

struct PlotError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
