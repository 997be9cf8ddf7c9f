// The customer's contact history as the contact policy reads it: which offers were shown on
// which channel, and which were accepted or declined — on any channel, so a decline at the ATM
// suppresses the offer on the web too. The feedback service writes it to the profile.

public struct ContactRecord: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case shown, accepted, declined
    }

    public var offerID: String
    public var category: String
    public var channel: String
    public var timeMs: Int64
    public var kind: Kind

    public init(offerID: String, category: String, channel: String, timeMs: Int64, kind: Kind) {
        self.offerID = offerID
        self.category = category
        self.channel = channel
        self.timeMs = timeMs
        self.kind = kind
    }
}

extension ContactPolicy {
    static let dayMs: Int64 = 86_400_000

    /// Why this policy stops any offer on `channel` now (a cap is reached), or nil.
    public func capReached(channel: String, history: [ContactRecord], now: Int64) -> String? {
        let shown = history.filter { $0.kind == .shown }
        if let cap = perChannelPerDay[channel], shown.filter({ $0.channel == channel && now - $0.timeMs < Self.dayMs }).count >= cap {
            return "contact cap: \(cap) offer(s) a day on \(channel) already shown"
        }
        if let cap = allChannelsPerWeek, shown.filter({ now - $0.timeMs < 7 * Self.dayMs }).count >= cap {
            return "contact cap: \(cap) offer(s) a week across channels already shown"
        }
        return nil
    }

    /// Why this policy stops `offer` now (a recent decline of it, a recent acceptance in its category), or nil.
    public func suppression(of offer: Offer, history: [ContactRecord], now: Int64) -> String? {
        // The newest matching record, whatever order the history comes in: a replica keeps only the
        // newest decline of each offer and the newest acceptance in each category (ContactSummary),
        // and must answer exactly as the whole history does.
        if let decline = Self.newest(in: history, where: { $0.kind == .declined && $0.offerID == offer.id }),
           now - decline.timeMs < Int64(suppressDaysAfterDecline) * Self.dayMs {
            return "declined on \(decline.channel) \((now - decline.timeMs) / Self.dayMs) day(s) ago (suppressed for \(suppressDaysAfterDecline))"
        }
        if let accept = Self.newest(in: history, where: { $0.kind == .accepted && $0.category == offer.category }),
           now - accept.timeMs < Int64(cooldownDaysAfterAccept) * Self.dayMs {
            return "accepted \(accept.offerID) (\(offer.category)) \((now - accept.timeMs) / Self.dayMs) day(s) ago (cool-down \(cooldownDaysAfterAccept))"
        }
        return nil
    }

    /// The latest record matching `match` (the later of equal times by channel, so the answer does not depend on the order).
    static func newest(in history: [ContactRecord], where match: (ContactRecord) -> Bool) -> ContactRecord? {
        history.lazy.filter(match).max { ($0.timeMs, $0.channel) < ($1.timeMs, $1.channel) }
    }
}
