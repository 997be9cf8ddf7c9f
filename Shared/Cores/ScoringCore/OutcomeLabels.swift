// What an outcome on the stream teaches the propensity model. ACCEPT is a success; DECLINE and
// IGNORED (the feedback service's verdict on silence) are failures; IMPRESSION, CLICK and
// PURCHASE (which follows an accept already counted) teach nothing but still take a sequence.
import Wire

extension LearningExample {
    public init(_ event: OutcomeEvent) {
        let label: Bool? = switch event.outcome.type {
        case .accept: true
        case .decline, .ignored: false
        default: nil
        }
        self.init(offerID: event.outcome.offerID, features: event.features, label: label, prior: event.priorPropensity)
    }
}
