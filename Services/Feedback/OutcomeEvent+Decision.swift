// The stream event of an outcome: the outcome with what its decision knew of the offer, for the
// followers of the outcome stream (scoring learns from it, the profile's contact history counts it).
import Wire

extension OutcomeEvent {
    /// The stream event of an outcome of `offer`: with the features the decision scored the
    /// offer with, the offer's prior and its category (what scoring and the contact history need).
    init(_ outcome: Outcome, of offer: OfferChoice, features: [String], prior: Double) {
        self = OutcomeEvent.with {
            $0.outcome = outcome
            $0.features = features
            $0.priorPropensity = prior
            $0.category = offer.category
        }
    }
}
