// A decide for another partition's customer: this replica indexes every customer's identities but
// holds the state of its partition only, so the replica that holds the customer decides — one
// forward through the broker, with the customer id as routing key — and its answer is relayed.
// The answer's customer_id lets the touchpoint send that routing key itself next time (no forward).
import Transport
import Wire

extension DecisionService {
    /// What the first step of a decide found.
    enum ViewOutcome {
        case view(CustomerView)
        /// The decision of the replica holding the customer, to answer as it is.
        case forwarded(DecideReply)
    }

    /// The decision of the replica holding `customerID`, within the time left; nil when there is
    /// none to relay (no forwarder, or it failed: the profile service is asked instead). Its
    /// refusal of the request (NOT_FOUND, INVALID_ARGUMENT) is the answer.
    func forward(_ request: DecideRequest, to customerID: String, deadline: UInt64) throws(ServiceError) -> DecideReply? {
        guard let forwarder else { return nil }
        do {
            let reply = try forwarder.decide(request, customerID: customerID, budgetMicros: budget(until: deadline, share: 1))
            forwarded.increment()
            return reply
        } catch where error.code == .notFound || error.code == .invalidArgument {
            throw error
        } catch {
            forwardFailed.increment()
            logger.warning("could not forward a decide to the customer's partition; asking the profile service",
                           metadata: ["error": "\(error.code.name)", "message": "\(error.message)"])
            return nil
        }
    }
}
