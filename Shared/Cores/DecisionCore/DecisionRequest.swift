// A decision request as the strategy reads it: the channel, the slots, the time, and what the
// caller lets it show (Azure Personalizer's actions, exclusions, slots and baselines through the
// gateway; docs/PERSONALIZER.md).

/// What the strategy needs of a request beyond the customer (whose rule input already holds the
/// request's context and hour).
public struct DecisionRequest: Sendable {
    public var channel: String
    public var slots: Int
    /// Unix milliseconds.
    public var now: Int64
    /// The offers the caller lets this decision show (Personalizer's actions); nil: any.
    public var offerIDs: Set<String>?
    /// The offers it may not show.
    public var excludedOfferIDs: Set<String> = []
    /// Per slot, in order: its id, what it may not show, its baseline.
    public var slotOptions: [SlotOptions] = []
    /// Apprentice mode: each slot shows its baseline (if it passes every check), with probability 1.
    public var baseline = false

    public struct SlotOptions: Sendable {
        public var id: String
        public var excludedOfferIDs: Set<String>
        public var baselineOfferID: String

        public init(id: String, excludedOfferIDs: Set<String> = [], baselineOfferID: String = "") {
            self.id = id
            self.excludedOfferIDs = excludedOfferIDs
            self.baselineOfferID = baselineOfferID
        }
    }

    /// Whether the request lets this offer be shown at all.
    func allows(_ offerID: String) -> Bool {
        (offerIDs?.contains(offerID) ?? true) && !excludedOfferIDs.contains(offerID)
    }

    /// The id of slot `slot`, when the request named its slots.
    func slotID(_ slot: Int) -> String { slot < slotOptions.count ? slotOptions[slot].id : "" }

    public init(channel: String, slots: Int = 1, now: Int64) {
        self.channel = channel
        self.slots = slots
        self.now = now
    }
}
