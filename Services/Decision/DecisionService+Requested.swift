// What a decide request asks beyond a customer and a channel (Azure Personalizer's applications
// through the gateway send it; docs/PERSONALIZER.md): the offers it lets the decision show, its
// slots' ids, exclusions and baselines, apprentice mode, and its own decision id.
import DecisionCore
import Transport
import Wire

extension DecisionService {
    /// The strategy's request: the channel, the slots and the offers the caller lets it show,
    /// each named offer one the catalog has.
    static func restrictions(_ request: DecideRequest, channel: String, catalog: OfferCatalog, now: Int64) throws(ServiceError) -> DecisionRequest {
        var named = request.offerIds + request.excludedOfferIds
        for slot in request.slotOptions {
            named += slot.excludedOfferIds
            if !slot.baselineOfferID.isEmpty { named.append(slot.baselineOfferID) }
        }
        if let unknown = named.first(where: { catalog.offer($0) == nil }) {
            throw ServiceError(.invalidArgument, "unknown offer \(unknown.debugDescription): not in catalog \(catalog.version)")
        }
        if request.baseline, let slot = request.slotOptions.firstIndex(where: { $0.baselineOfferID.isEmpty }) ?? (request.slotOptions.isEmpty ? 0 : nil) {
            throw ServiceError(.invalidArgument, "baseline (apprentice mode) needs a baseline_offer_id for every slot; slot \(slot) has none")
        }
        var restricted = DecisionRequest(channel: channel, slots: request.slotOptions.isEmpty ? Int(max(request.slots, 1)) : request.slotOptions.count, now: now)
        if !request.offerIds.isEmpty { restricted.offerIDs = Set(request.offerIds) }
        restricted.excludedOfferIDs = Set(request.excludedOfferIds)
        restricted.slotOptions = request.slotOptions.map {
            DecisionRequest.SlotOptions(id: $0.id, excludedOfferIDs: Set($0.excludedOfferIds), baselineOfferID: $0.baselineOfferID)
        }
        restricted.baseline = request.baseline
        return restricted
    }

    static func taken(_ id: String) -> ServiceError {
        ServiceError(.alreadyExists, "decision id \(id.debugDescription) is taken: a decision was logged under it already (each decision needs a new id)")
    }
}
