// The contact history a decision replica keeps of a customer: only what the contact policy can
// still use (docs/DECISION.md), so a customer's state stays small however many offers it was shown.
// The caps count the offers shown in the last day and week; suppression looks at the newest
// decline of an offer and the newest acceptance in a category.
import Wire

public enum ContactSummary {
    /// How far back the caps look (a week across channels; a day per channel is inside it).
    public static let shownWindowMs: Int64 = 7 * 86_400_000

    /// `contacts` (newest first, as the view lists them) reduced to the offers shown in the week
    /// before `now`, the newest decline of each offer and the newest acceptance in each category;
    /// newest first.
    public static func reduce(_ contacts: [Contact], now: Int64) -> [Contact] {
        // Per offer (declines) and per category (acceptances): the records of the newest time, all of
        // them if several share it, so the policy's choice among them is the same as on the whole history.
        var newestDeclines: [String: [Contact]] = [:]
        var newestAccepts: [String: [Contact]] = [:]
        var kept: [Contact] = []
        for contact in contacts {
            switch contact.kind {
            case "shown":
                if now - contact.timeUnixMs < shownWindowMs { kept.append(contact) }
            case "declined":
                keepNewest(contact, in: &newestDeclines[contact.offerID, default: []])
            case "accepted":
                keepNewest(contact, in: &newestAccepts[contact.category, default: []])
            default:
                continue
            }
        }
        kept += newestDeclines.values.joined()
        kept += newestAccepts.values.joined()
        // Newest first; ties in a fixed order, so the same history always gives the same bytes.
        return kept.sorted { ($0.timeUnixMs, $0.kind, $0.offerID, $0.category, $0.channel.rawValue) > ($1.timeUnixMs, $1.kind, $1.offerID, $1.category, $1.channel.rawValue) }
    }

    private static func keepNewest(_ contact: Contact, in newest: inout [Contact]) {
        let time = newest.first?.timeUnixMs ?? .min
        if contact.timeUnixMs > time { newest = [contact] } else if contact.timeUnixMs == time { newest.append(contact) }
    }
}
