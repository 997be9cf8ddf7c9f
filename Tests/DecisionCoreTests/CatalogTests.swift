import DecisionCore
import Foundation
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func sampleCatalog() throws -> OfferCatalog {
    let path = repositoryRoot.appendingPathComponent("examples/catalog/retail-bank.yaml").path
    return try CatalogLoader.load(yaml: try String(contentsOfFile: path, encoding: .utf8), file: "retail-bank.yaml")
}

/// A one-offer catalog with `section` added is refused, one of its errors starting with `expected`
/// ("file:line:column: message").
func expectRefused(section: String, file: String, expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let yaml = """
    version: "1"
    offers:
      - {id: a, name: A, category: x, value: 1, channels: [web], treatments: {web: {headline: A}}}

    \(section)
    """
    do {
        _ = try CatalogLoader.load(yaml: yaml, file: file)
        Issue.record("loaded with \(section)", sourceLocation: sourceLocation)
    } catch {
        let lines = error.errors.map(\.description)
        #expect(lines.contains { $0.hasPrefix(expected) }, "\(lines)", sourceLocation: sourceLocation)
    }
}

struct CatalogTests {
    @Test func theSampleCatalogLoads() throws {
        let catalog = try sampleCatalog()
        #expect(catalog.version == "2026-11-25.1")
        #expect(catalog.offers.count == 10)
        #expect(catalog.controlPercent == 5)
        #expect(catalog.defaultOffers["atm"] == "mobile_app")
        #expect(catalog.contactPolicy.perChannelPerDay["web"] == 3 && catalog.contactPolicy.allChannelsPerWeek == 6)
        let waiver = try #require(catalog.offer("fee_waiver_retention"))
        #expect(waiver.levers["priority"] == 1.5 && waiver.priorPropensity == 0.15)
        #expect(waiver.treatments["call_center"]?.talkingPoints.count == 3)
        #expect(waiver.eligibility != nil && catalog.retentionRule != nil)
        #expect(catalog.priorityFormula.priority([0.1, 200, 1.5]) == 0.1 * 200 * 1.5)
        // valid_to: 2027-06-30 (day 20,999) inclusive.
        #expect(catalog.offer("personal_loan")?.isValid(onDay: 20_999) == true)
        #expect(catalog.offer("personal_loan")?.isValid(onDay: 21_000) == false)
    }

    static let broken = """
    version: 1
    offers:
      - id: card
        name: Card
        category: cards
        value: lots
        channels: [atm, webb]
        eligibility: segmnt == "gold"
        treatments:
          atm: {text: "This text is far too long for an ATM screen, which shows eighty characters at most."}
      - id: card
        name: Card again
        category: cards
        value: 10
        channels: [web]
        treatments:
          kiosk: {headline: "x"}
    control_group: {percent: 140}
    priority: propensity * valeu
    defaults: {}
    """

    @Test func everyProblemOfABrokenCatalogIsNamedWithItsPosition() {
        do {
            _ = try CatalogLoader.load(yaml: Self.broken, file: "bad.yaml")
            Issue.record("a broken catalog loaded")
        } catch {
            let lines = error.errors.map(\.description)
            #expect(lines.contains("bad.yaml:6:12: value must be a number, not 'lots'"), "\(lines)")
            #expect(lines.contains("bad.yaml:7:21: unknown channel 'webb' (did you mean 'web'?); channels: atm, kiosk, web, call_center"), "\(lines)")
            #expect(lines.contains("bad.yaml:8:18: unknown name 'segmnt' (did you mean 'segment'?)"), "\(lines)")
            #expect(lines.contains { $0.hasPrefix("bad.yaml:10:19: atm text has 83 characters; the screen takes 80") }, "\(lines)")
            #expect(lines.contains("bad.yaml:17:7: a treatment for kiosk, which is not among the offer's channels"), "\(lines)")
            #expect(lines.contains("bad.yaml:15:16: offer 'card' is shown on web but has no treatment for it"), "\(lines)")
            #expect(lines.contains("bad.yaml:18:26: control_group.percent 140 is out of range 0…100"), "\(lines)")
            #expect(lines.contains { $0.hasPrefix("bad.yaml:19:24: priority formula: unknown term 'valeu' (did you mean 'value'?)") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("bad.yaml:20:1: unknown catalog key 'defaults'") }, "\(lines)")
            #expect(error.errors.map(\.line) == error.errors.map(\.line).sorted())
        }
    }

    @Test func notYAMLAtAllIsOneClearError() {
        #expect(throws: CatalogErrors.self) { try CatalogLoader.load(yaml: "offers: [\n  - id: x", file: "x.yaml") }
        do {
            _ = try CatalogLoader.load(yaml: "offers: [\n  - id: x", file: "x.yaml")
        } catch {
            #expect(error.errors.count == 1 && error.errors[0].description.hasPrefix("x.yaml:"), "\(error)")
        }
    }
}
