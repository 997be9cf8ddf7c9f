// Logged bandit feedback from CSV files, as `offerloop evaluate` reads it: the log (one row per
// logged action) and optionally the evaluation policy's full distribution, checked line by line —
// a bad line is reported as file:line and skipped, like the imports do — and reduced to a BanditLog.
import CSV
import Foundation

public struct LoggedFeedbackFile {
    /// Which columns of the log hold what (names as in the header, compared without case).
    public struct Columns: Sendable {
        public var action: String
        public var reward: String
        public var propensity: String
        public var target: String
        public var position: String?
        public var context: [String]

        public init(action: String, reward: String, propensity: String, target: String, position: String? = nil, context: [String] = []) {
            self.action = action.lowercased()
            self.reward = reward.lowercased()
            self.propensity = propensity.lowercased()
            self.target = target.lowercased()
            self.position = position?.lowercased()
            self.context = context.map { $0.lowercased() }
        }
    }

    public struct Summary: Sendable {
        public var log = BanditLog()
        /// Data lines read from the log, and of them rejected (with the first `maxErrorsKept` reasons).
        public var lines = 0
        public var rejected = 0
        public var errors: [CSVError] = []
        public var actions = 0
        public var rounds: Int { log.count }
    }

    public static let maxErrorsKept = 100
    /// How far a distribution's sum may be from 1, and the target column from the distribution.
    public static let tolerance = 1e-6

    /// The rows of the log that passed their checks, as ids and numbers.
    struct Rows {
        var line: [Int] = [], number: [Int32] = []
        var action: [Int32] = [], position: [Int32] = [], context: [Int32] = []
        var reward: [Double] = [], propensity: [Double] = [], target: [Double] = []
        var count: Int { line.count }
    }

    /// Reads the log (and the distribution), fits the reward model when there is a distribution,
    /// and returns the rounds that passed every check. `progress` gets (bytes done, bytes total) of the log.
    public static func read(_ reader: inout CSVReader, columns: Columns, distribution: inout CSVReader?,
                            progress: (Int, Int) -> Void = { _, _ in }) throws(CSVError) -> Summary {
        var summary = Summary()
        var actions = Interner(), positions = Interner(), contexts = Interner()
        var rows = Rows()
        let required = [columns.action, columns.reward, columns.propensity, columns.target] + (columns.position.map { [$0] } ?? []) + columns.context
        let header = try reader.header(required: required)
        let index = required.map { header[$0]! }
        func reject(_ error: CSVError) {
            summary.rejected += 1
            if summary.errors.count < maxErrorsKept { summary.errors.append(error) }
        }
        while let record = try reader.next() {
            summary.lines += 1
            if summary.lines % 65_536 == 0 { progress(reader.progress.done, reader.progress.total) }
            let fields = record.fields
            guard fields.count == header.count else {
                reject(CSVError(file: reader.file, line: record.line, "expected \(header.count) fields, found \(fields.count)"))
                continue
            }
            func number(_ column: Int, _ range: ClosedRange<Double>, _ what: String) -> Double? {
                let text = fields[index[column]]
                guard let value = Double(text) ?? Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                    reject(CSVError(file: reader.file, line: record.line, "column '\(required[column])': '\(text)' is not a number"))
                    return nil
                }
                guard range.contains(value), !(column == 2 && value == 0) else {
                    reject(CSVError(file: reader.file, line: record.line, "column '\(required[column])': \(text) is not \(what)"))
                    return nil
                }
                return value
            }
            guard let reward = number(1, -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude, "a number"),
                  let propensity = number(2, 0...1, "a propensity in (0, 1]"),
                  let target = number(3, 0...1, "a probability in [0, 1]") else { continue }
            let action = fields[index[0]]
            guard !action.isEmpty else {
                reject(CSVError(file: reader.file, line: record.line, "column '\(columns.action)' is empty"))
                continue
            }
            rows.line.append(record.line)
            rows.number.append(Int32(summary.lines))
            rows.action.append(actions.id(action))
            rows.position.append(columns.position == nil ? 0 : positions.id(fields[index[4]]))
            rows.context.append(columns.context.isEmpty ? 0 : contexts.id(columns.context.indices.map { fields[index[4 + (columns.position == nil ? 0 : 1) + $0]] }.joined(separator: "\u{1F}")))
            rows.reward.append(reward)
            rows.propensity.append(propensity)
            rows.target.append(target)
        }
        progress(reader.progress.done, reader.progress.total)
        summary.actions = actions.count

        var targets: TargetDistribution?
        if var file = distribution {
            targets = try TargetDistribution.read(&file, columns: columns, actions: actions, positions: &positions, contexts: &contexts, reject: reject)
            distribution = file
        }
        // A row the distribution cannot serve is rejected before the model is fitted, so all three
        // estimators and the model see the same rows.
        var group = [Int](repeating: -1, count: rows.count)
        var kept = [Bool](repeating: true, count: rows.count)
        if let targets {
            for i in 0..<rows.count {
                switch targets.group(round: rows.number[i], position: rows.position[i], context: rows.context[i]) {
                case .none:
                    reject(CSVError(file: reader.file, line: rows.line[i], "no target distribution for this row (\(targets.keyDescription))"))
                    kept[i] = false
                case .some(let g):
                    let probability = targets.probability(group: g, action: rows.action[i])
                    guard abs(probability - rows.target[i]) <= tolerance else {
                        reject(CSVError(file: reader.file, line: rows.line[i], "column '\(columns.target)': \(rows.target[i]) disagrees with "
                                        + "the target distribution's \(probability) for action '\(actions.names[Int(rows.action[i])])'"))
                        kept[i] = false
                        continue
                    }
                    group[i] = g
                }
            }
        }
        var model = MeanRewardModel()
        if targets != nil {
            for i in 0..<rows.count where kept[i] {
                model.add(action: rows.action[i], position: rows.position[i], context: rows.context[i], reward: rows.reward[i])
            }
        }
        summary.log.reserveCapacity(rows.count)
        struct Cell: Hashable { var group: Int, position: Int32, context: Int32 }
        var direct: [Cell: Double] = [:]  // memo of d_i, which depends on nothing else
        for i in 0..<rows.count where kept[i] {
            var parts: (direct: Double, logged: Double)?
            if let targets {
                let key = Cell(group: group[i], position: rows.position[i], context: rows.context[i])
                let d = direct[key] ?? targets.members(group[i]).reduce(0) {
                    $0 + $1.probability * model.predict(action: $1.action, position: rows.position[i], context: rows.context[i])
                }
                direct[key] = d
                parts = (d, model.predict(action: rows.action[i], position: rows.position[i], context: rows.context[i]))
            }
            summary.log.append(propensity: rows.propensity[i], targetProbability: rows.target[i], reward: rows.reward[i], model: parts)
        }
        summary.errors.sort { ($0.file, $0.line) < ($1.file, $1.line) }
        return summary
    }
}

/// Names to dense ids, in order of first appearance.
struct Interner {
    private(set) var ids: [String: Int32] = [:]
    private(set) var names: [String] = []
    var count: Int { names.count }

    mutating func id(_ name: String) -> Int32 {
        if let id = ids[name] { return id }
        let id = Int32(names.count)
        ids[name] = id
        names.append(name)
        return id
    }
}
