// A candidate's verdict as the wire carries it (CandidateRecord): in a decide reply's candidates
// and in the records tests log; the decision service's journal adds the offer's category and prior.
import Wire

extension Decision.OfferVerdict {
    public var record: CandidateRecord {
        CandidateRecord.with {
            $0.offerID = offerID
            $0.kept = kept
            $0.reason = why.code
            $0.propensity = propensity ?? 0
            $0.priority = priority ?? 0
            $0.firstSlotProbability = firstSlotProbability ?? 0
            if let logitVariance { $0.logitVariance = logitVariance }
        }
    }
}
