// The decision log's record of an answer (a DecisionRecord: what was offered, held out and why,
// with the features and priors an outcome is later learned from), written straight into the
// journal's bytes by ProtoWriter: swift-protobuf's encoder cost a third of a decision's
// instructions on the ~100 candidate records. DecisionRecordEncodingTests decodes these bytes
// with swift-protobuf and checks that every field of the proto is written.
import DecisionCore
import Wire

extension DecisionService {
    static func writeRecord(_ reply: DecideReply, _ decision: Decision, request: DecideRequest, view: CustomerView, features: [String],
                            catalog: OfferCatalog, now: Int64, into out: inout ProtoWriter) {
        out.string(1, reply.decisionID)
        out.int64(2, now)
        out.string(3, view.customerID)
        out.enumValue(4, request.channel.rawValue)
        out.bool(5, decision.control)
        out.bool(6, reply.degraded)
        out.string(7, reply.degradedReason)
        out.string(8, reply.catalogVersion)
        out.string(9, reply.modelVersion)
        for offer in reply.offers { out.message(10) { $0.offerChoice(offer) } }
        for candidate in decision.candidates {
            let offer = catalog.offers[candidate.offerIndex]
            out.message(11) {
                $0.string(1, candidate.offerID)
                $0.bool(2, candidate.kept)
                $0.string(3, candidate.why.code)
                $0.double(4, candidate.propensity ?? 0)
                $0.double(5, candidate.priority ?? 0)
                $0.double(6, candidate.firstSlotProbability ?? 0)
                $0.string(7, offer.category)
                $0.double(8, offer.priorPropensity)
                if let variance = candidate.logitVariance { $0.presentDouble(9, variance) }
            }
        }
        out.strings(12, features)
        out.stringMap(13, request.context)
        out.bool(14, decision.retention)
        out.string(15, view.segment)
        for choice in decision.heldOut { out.message(16) { $0.offerChoice(wire(choice)) } }
        out.string(17, decision.strategy)
    }
}

extension ProtoWriter {
    /// An OfferChoice's fields (with its Treatment), in field order.
    mutating func offerChoice(_ choice: OfferChoice) {
        string(1, choice.offerID)
        string(2, choice.name)
        string(3, choice.category)
        if choice.hasTreatment {
            message(4) {
                $0.string(1, choice.treatment.channelText)
                $0.stringMap(2, choice.treatment.fields)
                $0.strings(3, choice.treatment.talkingPoints)
            }
        }
        double(5, choice.propensity)
        double(6, choice.probability)
        double(7, choice.priority)
        string(8, choice.reason)
        if choice.hasPriorPropensity { presentDouble(9, choice.priorPropensity) }
        string(10, choice.slotID)
    }
}
