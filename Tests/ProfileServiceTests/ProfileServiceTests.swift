// The profile service's methods through the tester, on a real SQLite file in a temporary
// directory: new customers get ids from the environment, bad requests typed errors, sessions and
// retention run on the injected clock (also through the worker's view cache); the outcome
// stream's consumer turns outcomes into contacts.
import Foundation
import Logging
import ProfileStore
import Transport
import ServiceTesting
import Store
import Testing
import Wire
@testable import Profile

final class ProfileFixture {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("profile-service-\(UUID().uuidString)")
    let clock = ManualClock()
    let location: StoreLocation
    let settings = ProfileService.Settings(sessionTTLMs: 60_000, eventRetentionMs: 86_400_000, cacheSize: 100, valuation: ValuationSettings())
    let environment: ServiceEnvironment
    let tester: ServiceTester
    /// What the worker published on the profile stream.
    let published = PublishedChanges()
    /// What a value-model refit published from its own thread.
    let publishedByRefit = PublishedChanges()

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        location = .sqlite(path: directory.appendingPathComponent("profile.sqlite").path)
        environment = .manual(clock)
        let service = try ProfileService(location: location, publisher: published, refitPublisher: { [publishedByRefit] in publishedByRefit }, settings: settings, environment: environment, logger: Logger(label: "profile-test"))
        tester = ServiceTester(service: "profile", methods: service.methods(), clock: clock)
    }

    deinit {
        tester.close()
        try? FileManager.default.removeItem(at: directory)
    }

    static func login(_ value: String) -> Identity { .with { $0.kind = "login"; $0.value = value } }

    @discardableResult
    func create(_ login: String) throws -> CustomerReply {
        try tester.call("upsert", UpsertCustomerRequest.with { $0.identity = Self.login(login); $0.create = true })
    }

    func view(_ login: String, recentEvents: UInt32 = 0) throws(ServiceError) -> CustomerView {
        try tester.call("view", CustomerViewRequest.with { $0.identity = Self.login(login); $0.recentEvents = recentEvents })
    }

    func session(_ method: String, _ login: String, set: [String: String] = [:]) throws(ServiceError) -> SessionReply {
        try tester.call(method, SessionRequest.with { $0.identity = Self.login(login); $0.set = set })
    }
}

@Suite struct ProfileServiceTests {
    @Test func newCustomersGetIDsFromTheEnvironmentAndAreSeenAtOnce() throws {
        let fixture = try ProfileFixture()
        let ada = try fixture.create("ada")
        let grace = try fixture.create("grace")
        #expect(ada.created && ada.customerID == "c-00000000000000000001" && grace.customerID == "c-00000000000000000002")
        #expect(try fixture.view("ada").customerID == ada.customerID)
        // The same identity again is the same customer.
        let again = try fixture.create("ada")
        #expect(!again.created && again.customerID == ada.customerID)
    }

    @Test func badRequestsAreTypedErrorsNamingWhatIsWrong() throws {
        let fixture = try ProfileFixture()
        let unknown = #expect(throws: ServiceError.self) { try fixture.view("nobody") }
        #expect(unknown?.code == .notFound && unknown?.message.hasPrefix("no customer with") == true)
        let kinds = IdentityKindNames.all
        #expect(throws: ServiceError(.invalidArgument, "unknown identity kind 'email' (one of: \(kinds))")) {
            let _: CustomerView = try fixture.tester.call("view", CustomerViewRequest.with { $0.identity = .with { $0.kind = "email"; $0.value = "a@b" } })
        }
        #expect(throws: ServiceError(.invalidArgument, "identity has no kind (one of: \(kinds))")) {
            let _: CustomerReply = try fixture.tester.call("upsert", UpsertCustomerRequest.with { $0.identity = .with { $0.value = "ada" } })
        }
        // Without `create`, an unknown identity is not made a customer.
        let notCreated = #expect(throws: ServiceError.self) {
            let _: CustomerReply = try fixture.tester.call("upsert", UpsertCustomerRequest.with { $0.identity = ProfileFixture.login("ada") })
        }
        #expect(notCreated?.code == .notFound)
        try fixture.create("ada")
        #expect(throws: ServiceError(.invalidArgument, "get_session does not change the session: use set_session")) {
            try fixture.session("get_session", "ada", set: ["page": "cards"])
        }
        #expect(throws: ServiceError(.unknownMethod, "service 'profile' has no method 'veiw' (it has: \((["ping"] + fixture.tester.methods.names).joined(separator: ", ")))")) {
            let _: CustomerView = try fixture.tester.call("veiw", CustomerViewRequest())
        }
    }

    @Test func aSessionLivesItsTTLOnTheInjectedClockAlsoInTheCachedView() throws {
        let fixture = try ProfileFixture()
        try fixture.create("ada")
        let set = try fixture.session("set_session", "ada", set: ["page": "cards"])
        #expect(set.session == ["page": "cards"] && set.expiresUnixMs == fixture.clock.wallMs + 60_000)
        #expect(try fixture.view("ada").session == ["page": "cards"])  // now in this worker's view cache
        fixture.clock.advance(milliseconds: 59_999)
        #expect(try fixture.session("get_session", "ada").session == ["page": "cards"])
        fixture.clock.advance(milliseconds: 1)
        let expired = try fixture.session("get_session", "ada")
        #expect(expired.session.isEmpty && expired.expiresUnixMs == 0)
        let view = try fixture.view("ada")
        #expect(view.session.isEmpty && view.sessionExpiresUnixMs == 0)
    }

    @Test func retentionDeletesEventsOlderThanItsPeriodByTheInjectedClock() throws {
        let fixture = try ProfileFixture()
        try fixture.create("ada")
        let _: CustomerReply = try fixture.tester.call("record_event", EventRecord.with {
            $0.identity = ProfileFixture.login("ada")
            $0.event = .with { $0.type = "page_view"; $0.channel = .web }  // at the clock's now
        })
        let retention = RetentionLoop(location: fixture.location, settings: fixture.settings, environment: fixture.environment,
                                      publisher: { [published = fixture.published] in published }, logger: Logger(label: "retention-test"))
        let stop = StopSignal()
        stop.raise()  // one pass
        fixture.clock.advance(milliseconds: 86_400_000)
        try retention.run(until: stop)
        #expect(try fixture.view("ada", recentEvents: 10).recentEvents.count == 1, "an event exactly a retention period old is kept")
        fixture.clock.advance(milliseconds: 1)
        try retention.run(until: stop)
        // The same request as before the deletion: the view the worker cached then is not served.
        #expect(try fixture.view("ada", recentEvents: 10).recentEvents.isEmpty)
    }
}

@Suite struct ContactHistoryTests {
    @Test func outcomesOnTheStreamBecomeTheCustomersContactsOnceAndInOrder() throws {
        let fixture = try ProfileFixture()
        let ada = try fixture.create("ada")
        let before = try fixture.view("ada")  // cached by the worker: the outcome must reach past it
        let repository = try ProfileRepository(db: try fixture.location.open(), newCustomerID: ProfileService.newCustomerID(fixture.environment))
        defer { repository.db.close() }
        let history = ContactHistory(repository: repository, environment: fixture.environment, publisher: fixture.published, logger: Logger(label: "contact-test"))
        let accepted = OutcomeEvent.with {
            $0.sequence = 1
            $0.outcome = .with {
                $0.eventID = "e-1"
                $0.decisionID = "d-1"
                $0.offerID = "loan"
                $0.type = .accept
                $0.channel = .web
                $0.customerID = ada.customerID
                $0.timeUnixMs = fixture.clock.wallMs - 1_000
            }
            $0.category = "lending"
        }
        #expect(try history.apply([accepted]) && history.position() == 1)
        #expect(try !history.apply([OutcomeEvent.with { $0 = accepted; $0.sequence = 3 }]), "a gap is not applied")
        #expect(try history.apply([accepted]) && history.position() == 1, "an event applied again changes nothing")
        let after = try fixture.view("ada")
        #expect(before.contacts.isEmpty && after.contacts.map(\.offerID) == ["loan"] && after.contacts.map(\.kind) == ["accepted"])
        #expect(after.lastResponseUnixMs == fixture.clock.wallMs - 1_000)
    }
}

/// The profile changes a service published, kept in memory (the broker's stream is the integration tests' part).
final class PublishedChanges: EventPublisher, @unchecked Sendable {
    // @unchecked: used by the test's thread only.
    private(set) var payloads: [[UInt8]] = []
    func publish(_ payload: [UInt8]) throws { payloads.append(payload) }
    func close() {}

    func changes() throws -> [ProfileChange] { try payloads.map { try ProfileChange(serializedBytes: $0) } }
}

/// The identity kinds as the profile's errors list them.
enum IdentityKindNames {
    static let all = "customer, card, account, phone, login, loyalty, cookie, device"
}
