// Identity resolution and merges, on both stores.
import Foundation
import ProfileCore
import ProfileStore
import Store
import StoreBackends
import Testing
import Wire

let t0: Int64 = 1_780_000_000_000

func id(_ kind: String, _ value: String) -> Identity { Identity.with { $0.kind = kind; $0.value = value } }

func expectError(_ code: ErrorCode, containing text: String, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        try body()
        Issue.record("expected \(code.name) but it succeeded", sourceLocation: sourceLocation)
    } catch let error as ProfileError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(text), "\(error.message)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected ProfileError \(code.name), got \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct IdentityTests {
    @Test(arguments: Backend.all)
    func anyFormOfAnIdentityFindsTheSameCustomer(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        let created = try repo.upsert(.with { $0.identity = id("card", "4111 1111 1111 1111"); $0.create = true; $0.attributes = ["first_name": "Ada"] }, now: t0)
        #expect(created.created && created.customerID == "c1")
        _ = try repo.addIdentity(.with { $0.identity = id("card", "4111-1111-1111-1111"); $0.newIdentity = id("phone", "+44 20 7946 0958") }, now: t0)
        for identity in [id("card", "4111111111111111"), id("phone", "+442079460958"), id("customer", "c1")] {
            #expect(try repo.resolve(CustomerIdentity(identity)).id == "c1")
        }
        expectError(.notFound, containing: "no customer with phone …0000") { _ = try repo.resolve(CustomerIdentity(id("phone", "+440000000000"))) }
    }

    @Test(arguments: Backend.all)
    func malformedIdentitiesAreRefusedWithTheReason(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        expectError(.invalidArgument, containing: "Luhn") { _ = try repo.upsert(.with { $0.identity = id("card", "4111111111111112"); $0.create = true }, now: t0) }
        expectError(.invalidArgument, containing: "unknown identity kind 'passport'") { _ = try repo.upsert(.with { $0.identity = id("passport", "X1"); $0.create = true }, now: t0) }
        expectError(.invalidArgument, containing: "international") { _ = try repo.upsert(.with { $0.identity = id("phone", "0207946"); $0.create = true }, now: t0) }
        expectError(.invalidArgument, containing: "has no kind") { _ = try repo.upsert(.with { $0.create = true }, now: t0) }
        #expect(try repo.db.row("SELECT COUNT(*) FROM customers", [])?.int(0) == 0, "nothing was created")
    }

    @Test(arguments: Backend.all)
    func anAnonymousVisitorIsMergedIntoTheCustomerWhoLogsIn(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        let cookie = id("cookie", "ck-8f3a9e")
        let visitor = try repo.recordEvent(.with { $0.identity = cookie; $0.create = true; $0.event = .with { $0.type = "page_view"; $0.channel = .web; $0.timeUnixMs = t0; $0.data = ["page": "mortgages"] } }, now: t0)
        _ = try repo.upsert(.with { $0.identity = cookie; $0.attributes = ["language": "fr"] }, now: t0)
        let known = try repo.upsert(.with { $0.identity = id("login", "Ada@Example.com"); $0.create = true }, now: t0 + 1)
        #expect(try repo.view(of: visitor.customerID, recentEvents: 0, valuation: nil, now: t0).anonymous)

        let login = try repo.addIdentity(.with { $0.identity = id("login", "ada@example.com"); $0.newIdentity = cookie }, now: t0 + 2)
        #expect(login.customerID == known.customerID && login.mergedCustomerID == visitor.customerID)
        #expect(try repo.resolve(CustomerIdentity(cookie)).id == known.customerID)
        #expect(try repo.resolve(CustomerIdentity(id("customer", visitor.customerID))).id == known.customerID, "the merged-away id still resolves")
        let view = try repo.view(of: known.customerID, recentEvents: 5, valuation: nil, now: t0 + 3)
        #expect(!view.anonymous)
        #expect(view.recentEvents.map(\.type) == ["page_view"] && view.recentEvents[0].data == ["page": "mortgages"])
        #expect(view.attributes["language"] == "fr")
        #expect(Set(view.identities.map(\.kind)) == ["login", "cookie"])
    }

    @Test(arguments: Backend.all)
    func anIdentityOfAnotherKnownCustomerIsNotTakenOver(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        _ = try repo.upsert(.with { $0.identity = id("login", "ada"); $0.create = true }, now: t0)
        _ = try repo.upsert(.with { $0.identity = id("login", "bob"); $0.create = true }, now: t0)
        _ = try repo.addIdentity(.with { $0.identity = id("login", "bob"); $0.newIdentity = id("loyalty", "LOY-1234") }, now: t0)
        expectError(.alreadyExists, containing: "belongs to another known customer") {
            _ = try repo.addIdentity(.with { $0.identity = id("login", "ada"); $0.newIdentity = id("loyalty", "loy-1234") }, now: t0)
        }
        #expect(try repo.resolve(CustomerIdentity(id("loyalty", "LOY-1234"))).id == "c2")
        let again = try repo.addIdentity(.with { $0.identity = id("login", "bob"); $0.newIdentity = id("loyalty", "LOY-1234") }, now: t0)
        #expect(again.duplicate)
    }

    @Test(arguments: Backend.all)
    func mergeChainsResolveToTheLastSurvivor(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        for name in ["a", "b", "c"] {
            _ = try repo.upsert(.with { $0.identity = id("login", name); $0.create = true }, now: t0)
            _ = try repo.recordTransaction(.with { $0.identity = id("login", name); $0.timeUnixMs = t0; $0.amount = 10 }, now: t0)
        }
        _ = try repo.merge(.with { $0.survivor = id("login", "b"); $0.merged = id("login", "a"); $0.reason = "same person" }, now: t0 + 1)
        _ = try repo.merge(.with { $0.survivor = id("login", "c"); $0.merged = id("customer", "c2") }, now: t0 + 2)
        for identity in [id("login", "a"), id("login", "b"), id("customer", "c1"), id("customer", "c2"), id("customer", "c3")] {
            #expect(try repo.resolve(CustomerIdentity(identity)).id == "c3", "\(identity)")
        }
        #expect(try repo.view(of: "c3", recentEvents: 0, valuation: nil, now: t0).transactions == 3, "history moved with each merge")
        expectError(.invalidArgument, containing: "cannot be merged into itself") {
            _ = try repo.merge(.with { $0.survivor = id("login", "c"); $0.merged = id("customer", "c1") }, now: t0)
        }
        expectError(.notFound, containing: "no customer with login nobody") {
            _ = try repo.merge(.with { $0.survivor = id("login", "c"); $0.merged = id("login", "nobody") }, now: t0)
        }
    }

    @Test(arguments: Backend.all)
    func onConflictTheNewerAttributeWinsAndTheLoserIsRecorded(_ backend: Backend) throws {
        let repo = try repository(backend)
        defer { repo.db.close() }
        _ = try repo.upsert(.with { $0.identity = id("login", "a"); $0.create = true; $0.attributes = ["postcode": "OLD 1", "gender": "f"] }, now: t0)
        _ = try repo.upsert(.with { $0.identity = id("login", "b"); $0.create = true; $0.attributes = ["postcode": "NEW 2", "country": "GB"] }, now: t0 + 1000)
        _ = try repo.upsert(.with { $0.identity = id("login", "a"); $0.attributes = ["gender": "x"] }, now: t0 + 2000)
        _ = try repo.merge(.with { $0.survivor = id("login", "a"); $0.merged = id("login", "b") }, now: t0 + 3000)
        let view = try repo.view(of: "c1", recentEvents: 0, valuation: nil, now: t0)
        #expect(view.attributes == ["postcode": "NEW 2", "gender": "x", "country": "GB"])
        let export = try repo.export(.with { $0.identity = id("login", "a") }, now: t0)
        let json = try #require(try JSONSerialization.jsonObject(with: export.json) as? [String: Any])
        let merges = try #require(json["merged_customers"] as? [[String: Any]])
        #expect(merges.count == 1 && (merges[0]["overruled"] as? String) == "postcode=survivor: OLD 1")
    }
}
