// A decision of the strategy as the decision service logs it (the DecisionRecord fields a report
// and a what-if replay read), for tests that log decisions without running the service.
import DecisionCore
import Wire

extension Decision {
    public func record(id: String, customerID: String, channel: Channel, timeUnixMs: Int64, catalogVersion: String) -> DecisionRecord {
        DecisionRecord.with { record in
            record.decisionID = id
            record.customerID = customerID
            record.channel = channel
            record.timeUnixMs = timeUnixMs
            record.catalogVersion = catalogVersion
            record.control = control
            record.retention = retention
            record.strategy = strategy
            record.offers = offers.map { choice in
                OfferChoice.with { $0.offerID = choice.offer.id; $0.propensity = choice.propensity; $0.probability = choice.probability; $0.priority = choice.priority }
            }
            record.heldOut = heldOut.map { choice in OfferChoice.with { $0.offerID = choice.offer.id } }
            record.candidates = candidates.map(\.record)
        }
    }
}
