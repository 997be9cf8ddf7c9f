// The evaluation policy's probability of every action, in long form (action, [position],
// probability, and a key: the log's context columns, or `round`, the log's data row number, or
// none — then one distribution holds for every round), as the doubly robust estimator needs it.
import CSV
import Foundation

struct TargetDistribution {
    enum Key { case none, round, context }

    struct Group: Hashable {
        var key: Int32, position: Int32
    }

    let key: Key
    let byPosition: Bool
    private var groups: [Group: Int] = [:]
    private var memberLists: [[(action: Int32, probability: Double)]] = []

    var keyDescription: String {
        switch key {
        case .none: "the distribution has no key, but no row" + (byPosition ? " at this position" : "")
        case .round: "by its round number" + (byPosition ? " and position" : "")
        case .context: "by its context" + (byPosition ? " and position" : "")
        }
    }

    func members(_ group: Int) -> [(action: Int32, probability: Double)] { memberLists[group] }

    func probability(group: Int, action: Int32) -> Double {
        memberLists[group].first { $0.action == action }?.probability ?? 0
    }

    /// The group of a log row, by its data row number, position and context ids.
    func group(round: Int32, position: Int32, context: Int32) -> Int? {
        let keyValue: Int32 = switch key {
        case .none: 0
        case .round: round
        case .context: context
        }
        return groups[Group(key: keyValue, position: byPosition ? position : -1)]
    }

    static func read(_ reader: inout CSVReader, columns: LoggedFeedbackFile.Columns, actions: Interner, positions: inout Interner,
                     contexts: inout Interner, reject: (CSVError) -> Void) throws(CSVError) -> TargetDistribution {
        let header = try reader.header(required: [columns.action, "probability"],
                                       optional: (columns.position.map { [$0] } ?? []) + (columns.context.isEmpty ? ["round"] : columns.context + ["round"]))
        let presentContext = columns.context.filter { header[$0] != nil }
        if !presentContext.isEmpty && presentContext.count < columns.context.count {
            throw CSVError(file: reader.file, line: 1, "the header has some context columns but lacks "
                           + columns.context.filter { header[$0] == nil }.map { "'\($0)'" }.joined(separator: ", "))
        }
        let key: Key = header["round"] != nil ? .round : presentContext.isEmpty ? .none : .context
        let byPosition = columns.position.map { header[$0] != nil } ?? false
        var result = TargetDistribution(key: key, byPosition: byPosition)
        var sums: [(line: Int, total: Double, label: String)] = []
        while let record = try reader.next() {
            let fields = record.fields
            guard fields.count == header.count else {
                reject(CSVError(file: reader.file, line: record.line, "expected \(header.count) fields, found \(fields.count)"))
                continue
            }
            let actionName = fields[header[columns.action]!]
            guard let action = actions.ids[actionName] else {
                reject(CSVError(file: reader.file, line: record.line, "column '\(columns.action)': action '\(actionName)' does not appear in the log"))
                continue
            }
            let text = fields[header["probability"]!]
            guard let probability = Double(text.trimmingCharacters(in: .whitespaces)), (0...1).contains(probability) else {
                reject(CSVError(file: reader.file, line: record.line, "column 'probability': '\(text)' is not a probability in [0, 1]"))
                continue
            }
            var keyValue: Int32 = 0, label = ""
            switch key {
            case .none: break
            case .round:
                let round = fields[header["round"]!]
                guard let number = Int32(round.trimmingCharacters(in: .whitespaces)), number > 0 else {
                    reject(CSVError(file: reader.file, line: record.line, "column 'round': '\(round)' is not a data row number of the log (1, 2, …)"))
                    continue
                }
                keyValue = number
                label = "round \(number)"
            case .context:
                let values = columns.context.map { fields[header[$0]!] }
                keyValue = contexts.id(values.joined(separator: "\u{1F}"))
                label = "context (\(values.joined(separator: ", ")))"
            }
            var position: Int32 = -1
            if byPosition, let column = columns.position {
                position = positions.id(fields[header[column]!])
                label += (label.isEmpty ? "" : ", ") + "position \(fields[header[column]!])"
            }
            let group = Group(key: keyValue, position: position)
            let index = result.groups[group] ?? result.memberLists.count
            if index == result.memberLists.count {
                result.groups[group] = index
                result.memberLists.append([])
                sums.append((record.line, 0, label))
            }
            guard !result.memberLists[index].contains(where: { $0.action == action }) else {
                reject(CSVError(file: reader.file, line: record.line, "action '\(actionName)' appears twice" + (label.isEmpty ? "" : " for \(label)")))
                continue
            }
            result.memberLists[index].append((action, probability))
            sums[index].total += probability
        }
        // A distribution that does not sum to 1 is no distribution: its rows of the log are rejected.
        for (group, index) in result.groups where abs(sums[index].total - 1) > LoggedFeedbackFile.tolerance {
            reject(CSVError(file: reader.file, line: sums[index].line, "the probabilities" + (sums[index].label.isEmpty ? "" : " for \(sums[index].label)")
                            + " sum to \(sums[index].total), not 1"))
            result.groups[group] = nil
        }
        return result
    }
}
