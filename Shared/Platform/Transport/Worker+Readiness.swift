// Whether a service's workers can take requests: what the process's /ready endpoint reports.
extension Worker {
    /// Why the workers cannot take requests now, or nil: ready while every worker of at least one
    /// broker hears from it. Worker i has `settings[i]` and `pulses[i]`; each broker's workers are
    /// `perBroker` consecutive ones.
    public static func readinessProblem(of pulses: [Pulse], settings: [WorkerSettings], perBroker: Int, now: UInt64) -> String? {
        let problems = settings.indices.map { readinessProblem(of: pulses[$0], index: $0, settings: settings[$0], now: now) }
        let brokers = stride(from: 0, to: problems.count, by: perBroker).map { problems[$0..<$0 + perBroker].compactMap { $0 } }
        return brokers.contains { $0.isEmpty } ? nil : brokers.first?.first
    }
}
