// The call-center agent's desktop (/desk/) in headless Chromium, against the real cluster and the
// real gateway with API keys: an admin key refused, an agent signs in, looks a customer up,
// accepts an offer (stored, and held back on screen by the contact policy), declines another (the
// day's call-center cap reached); an opted-out customer gets no offer; an open gateway, no sign-in.
import Foundation
import Testing
import Wire

@Suite(.serialized) struct DeskIntegrationTests {
    @Test(.enabled(if: Browser.isInstalled, "needs Debian's chromium and chromium-driver (scripts/test installs them)"))
    func anAgentRecordsOutcomesAndTheDeskShowsTheContactPolicyApplied() throws {
        let stack = try DecisionIntegrationTests.Stack()
        let gateway = try TestGateway.start(on: stack.cluster)
        let browser = try Browser(stack.cluster, port: try freePort(stack.cluster.context), height: 1150)
        defer { browser.close() }
        let (agentKey, adminKey) = (gateway.keys["agent-ada"]!, gateway.keys["ops"]!)
        try browser.open(gateway.url + "/desk/")
        _ = try browser.wait("the sign-in form", for: "return !document.getElementById('sign-in').hidden")

        // An operator's key is refused and not kept: a page never holds an admin or services key.
        try browser.type("#key", adminKey)
        try browser.click("#sign-in-form button")
        let refusal = try browser.wait("the refusal of an admin key", for: "return document.getElementById('message').textContent")
        #expect((refusal as? String)?.contains("administrator's key") == true, "\(refusal)")
        #expect(try browser.evaluate("return sessionStorage.getItem('offerloop.agentKey')") is NSNull)
        #expect(try browser.evaluate("return document.getElementById('desk').hidden") as? Bool == true)

        // The agent's own key: signed in by name, the key in this tab's sessionStorage only.
        try browser.type("#key", agentKey)
        try browser.click("#sign-in-form button")
        let name = try browser.wait("signed in", for: "return !document.getElementById('desk').hidden && document.getElementById('agent-name').textContent")
        #expect(name as? String == "agent-ada (clients)")
        #expect(try browser.evaluate("return sessionStorage.getItem('offerloop.agentKey')") as? String == agentKey)
        #expect(try browser.evaluate("return localStorage.length") as? Int == 0)

        // An unknown customer: the gateway's typed error in plain words.
        try browser.type("#value", "+447700999999")
        try browser.click("#find-form button")
        let missing = try browser.wait("the not-found message", for: "return document.getElementById('message').textContent")
        #expect((missing as? String)?.hasPrefix("Not found") == true, "\(missing)")

        // Dario (phone +447700900029): high value, lapsing; the retention script first.
        try browser.type("#value", "+447700900029")
        try browser.click("#find-form button")
        let shown = try browser.wait("Dario's offers", for: """
            const offer = document.querySelector('#offers li.offer');
            return offer && {offer: offer.dataset.offerId, category: offer.querySelector('.category').textContent, talkingPoints: offer.querySelectorAll('.talking-points li').length,
                             tier: document.getElementById('segment').textContent, holdings: document.querySelectorAll('#holdings tbody tr').length,
                             churnReasons: document.querySelectorAll('#churn-reasons li:not(.empty)').length};
            """) as? [String: Any] ?? [:]
        let offerID = shown["offer"] as? String ?? ""
        #expect(shown["category"] as? String == "retention", "\(shown)")
        #expect((shown["talkingPoints"] as? Int ?? 0) > 0 && shown["holdings"] as? Int == 3, "\(shown)")
        #expect(["gold", "platinum"].contains(shown["tier"] as? String ?? "") && (shown["churnReasons"] as? Int ?? 0) > 0, "\(shown)")

        // Accepted: the outcome is stored, the contact listed, and the contact policy holds the
        // offer back (its category's cool-down) in the decision the page asks for next.
        try browser.click("#offers li.offer[data-offer-id='\(offerID)'] button.accept")
        let held = try browser.wait("the accepted offer in the contacts and suppressed", within: 20, for: """
            const id = arguments[0];
            const contact = document.querySelector(`#contacts tr[data-offer-id='${id}'][data-kind='accepted']`);
            const suppressed = document.querySelector(`#suppressed li[data-offer-id='${id}']`);
            const offered = document.querySelector(`#offers li.offer[data-offer-id='${id}']`);
            return contact && suppressed && !offered && suppressed.textContent;
            """, [offerID])
        #expect((held as? String)?.contains("accepted \(offerID)") == true, "\(held)")
        #expect((try browser.evaluate("return document.getElementById('message').textContent") as? String)?.hasSuffix(": accepted, recorded.") == true)
        #expect(try stack.query("SELECT type FROM outcomes WHERE offer_id = '\(offerID)' ORDER BY sequence") == ["impression", "accept"])
        let customers = try stack.query("SELECT DISTINCT customer_id FROM outcomes WHERE offer_id = '\(offerID)'")
        #expect(customers.count == 1 && customers.first?.isEmpty == false, "\(customers)")

        let screenshot = try browser.screenshot()
        try screenshot.write(to: stack.cluster.logDirectory.appendingPathComponent("desk.png"))
        // Set to docs/plots/desk.png, it refreshes the documentation's picture (OPERATIONS.md).
        if let path = ProcessInfo.processInfo.environment["OFFERLOOP_DESK_SCREENSHOT"] { try screenshot.write(to: URL(fileURLWithPath: path)) }

        // Declined: the second offer presented today, which is the demo catalog's call-center cap,
        // so the next decision makes none and the desk says why.
        let declined = try browser.wait("a second offer", for: "return document.querySelector('#offers li.offer')?.dataset.offerId") as? String ?? ""
        try browser.click("#offers li.offer[data-offer-id='\(declined)'] button.decline")
        let capped = try browser.wait("the declined offer in the contacts and the cap reached", within: 20, for: """
            const note = document.getElementById('decision-note');
            return document.querySelector(`#contacts tr[data-offer-id='${arguments[0]}'][data-kind='declined']`) && !note.hidden && note.textContent;
            """, [declined])
        #expect(capped as? String == "No offer for this customer now: contact cap: 2 offer(s) a day on call_center already shown: no offer.")
        #expect(try stack.query("SELECT type FROM outcomes WHERE offer_id = '\(declined)' ORDER BY sequence") == ["impression", "decline"])

        // Chloe (phone +447700900002) opted out of call-center offers: the desk says no offer may be made.
        try browser.type("#value", "+447700900002")
        try browser.click("#find-form button")
        let optedOut = try browser.wait("Chloe's opt-out", for: """
            const note = document.getElementById('decision-note').textContent;
            return !document.getElementById('opted-out').hidden && note.includes('opted out') && note;
            """)
        #expect(optedOut as? String == "No offer may be made: the customer opted out of call-center offers.")
        #expect(try browser.evaluate("return document.querySelectorAll('#offers li.offer').length") as? Int == 0)

        // A gateway without keys (the local demo): the desk needs no sign-in there.
        let open = try TestGateway.start(on: stack.cluster, keys: false)
        try browser.open(open.url + "/desk/")
        let signedIn = try browser.wait("signed in to an open gateway", for: "return !document.getElementById('desk').hidden && document.getElementById('agent-name').textContent")
        #expect(signedIn as? String == "open gateway (no keys)")
    }
}
