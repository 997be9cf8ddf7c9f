// The doubly robust estimator's reward model, fitted once on the log: the mean reward per
// (action, position, context), shrunk toward the mean per (action, position), itself shrunk
// toward the log's mean — a cell with few rounds leans on its parent, one with many speaks for itself.

public struct MeanRewardModel: Sendable {
    /// How many rounds of the parent's mean a cell's mean starts from (its prior weight).
    public static let priorRounds = 10.0
    public static let description = "mean reward per (action, position, context), shrunk toward the (action, position) mean "
        + "and that toward the overall mean with the weight of \(Int(priorRounds)) rounds; fitted once on the whole log"

    struct Cell: Hashable {
        var action: Int32, position: Int32, context: Int32
    }

    private var total = (sum: 0.0, rounds: 0.0)
    private var byActionPosition: [Cell: (sum: Double, rounds: Double)] = [:]
    private var byContext: [Cell: (sum: Double, rounds: Double)] = [:]

    public init() {}

    /// Fits on one more round; positions and contexts are ids (0 when the log has none).
    public mutating func add(action: Int32, position: Int32, context: Int32, reward: Double) {
        total.sum += reward
        total.rounds += 1
        byActionPosition[Cell(action: action, position: position, context: 0), default: (0, 0)].sum += reward
        byActionPosition[Cell(action: action, position: position, context: 0)]!.rounds += 1
        byContext[Cell(action: action, position: position, context: context), default: (0, 0)].sum += reward
        byContext[Cell(action: action, position: position, context: context)]!.rounds += 1
    }

    /// r̂(context, action) at a position.
    public func predict(action: Int32, position: Int32, context: Int32) -> Double {
        let overall = total.rounds > 0 ? total.sum / total.rounds : 0
        let parent = Self.shrunk(byActionPosition[Cell(action: action, position: position, context: 0)], toward: overall)
        return Self.shrunk(byContext[Cell(action: action, position: position, context: context)], toward: parent)
    }

    private static func shrunk(_ cell: (sum: Double, rounds: Double)?, toward prior: Double) -> Double {
        guard let cell else { return prior }
        return (cell.sum + priorRounds * prior) / (cell.rounds + priorRounds)
    }
}
