// The profile rules with no store: identity forms, attribute types, the merge rule, sessions.
import Testing
import Wire
@testable import ProfileCore

@Suite struct CustomerIdentityTests {
    @Test(arguments: [
        ("card", "4111 1111-1111 1111", "4111111111111111"),
        ("phone", "+44 (20) 7946-0958", "+442079460958"),
        ("account", "gb29 nwbk 6016 1331 9268 19", "GB29NWBK60161331926819"),
        ("login", "  Ada@Example.COM ", "ada@example.com"),
        ("loyalty", "loy-778", "LOY-778"),
        ("cookie", "ck_8f3a.9e", "ck_8f3a.9e"),
    ])
    func identitiesHaveOneCanonicalForm(kind: String, raw: String, canonical: String) throws {
        let identity = try CustomerIdentity(Identity.with { $0.kind = kind; $0.value = raw })
        #expect(identity.value == canonical)
    }

    @Test(arguments: [
        ("card", "4111111111111112", "fails the Luhn check"),
        ("card", "4111", "12 to 19 digits"),
        ("phone", "02079460958", "international"),
        ("login", "ada lovelace", "no spaces"),
        ("cookie", "ab", "4 or more characters"),
        ("cookie", "", "empty value"),
        ("ssn", "123", "unknown identity kind 'ssn'"),
    ])
    func malformedIdentitiesSayWhatIsWrong(kind: String, raw: String, reason: String) {
        #expect {
            _ = try CustomerIdentity(Identity.with { $0.kind = kind; $0.value = raw })
        } throws: { error in
            guard let error = error as? ProfileError, case .invalidArgument(let message) = error else { return false }
            return message.contains(reason)
        }
    }

    @Test func logsNeverShowAFullCardNumber() throws {
        let card = try CustomerIdentity(kind: .card, value: "4111111111111111")
        #expect(card.description == "card …1111")
    }
}

@Suite struct AttributeSchemaTests {
    @Test func knownAttributesAreTypedAndOthersAreText() throws {
        let schema = AttributeSchema()
        #expect(try schema.validate(name: "vip", value: "YES") == "true")
        #expect(try schema.validate(name: "opt_out.atm", value: "0") == "false")
        #expect(try schema.validate(name: "birth_date", value: "2000-02-29") == "2000-02-29")
        #expect(throws: ProfileError.invalidArgument("attribute 'birth_date' is date: expected a date YYYY-MM-DD, got '1999-02-29'")) {
            try schema.validate(name: "birth_date", value: "1999-02-29")
        }
        #expect(throws: ProfileError.invalidArgument("attribute 'household_size' is integer: expected an integer, got 'three'")) {
            try schema.validate(name: "household_size", value: "three")
        }
        #expect(try schema.validate(name: "favourite_branch", value: "Leeds") == "Leeds")
        #expect(throws: ProfileError.self) { try schema.validate(name: "Bad Name", value: "x") }
    }
}

@Suite struct AttributeMergeTests {
    @Test func theNewerValueWinsAndTheLoserIsReported() {
        let outcome = AttributeMerge.resolve(
            survivor: ["postcode": .init("A", updatedUnixMs: 10), "gender": .init("f", updatedUnixMs: 30), "same": .init("s", updatedUnixMs: 1)],
            merged: ["postcode": .init("B", updatedUnixMs: 20), "gender": .init("m", updatedUnixMs: 20), "country": .init("GB", updatedUnixMs: 5), "same": .init("s", updatedUnixMs: 9)])
        #expect(outcome.adopted == ["postcode": .init("B", updatedUnixMs: 20), "country": .init("GB", updatedUnixMs: 5)])
        #expect(outcome.overruled == ["postcode": "survivor: A", "gender": "merged: m"])
    }

    @Test func aTieGoesToTheSurvivor() {
        let outcome = AttributeMerge.resolve(survivor: ["x": .init("mine", updatedUnixMs: 7)], merged: ["x": .init("theirs", updatedUnixMs: 7)])
        #expect(outcome.adopted.isEmpty && outcome.overruled == ["x": "merged: theirs"])
    }
}

@Suite struct SessionContextTests {
    @Test func aStaleSessionStartsEmptyAndChangesRenewTheTTL() throws {
        let first = try SessionContext().updated(set: ["page": "loans"], clear: false, ttlMs: 1000, now: 0)
        #expect(first.isLive(now: 999) && !first.isLive(now: 1000))
        let renewed = try first.updated(set: ["step": "2"], clear: false, ttlMs: 1000, now: 500)
        #expect(renewed.values == ["page": "loans", "step": "2"] && renewed.expiresUnixMs == 1500)
        let stale = try first.updated(set: ["step": "3"], clear: false, ttlMs: 1000, now: 5000)
        #expect(stale.values == ["step": "3"])
        #expect(throws: ProfileError.self) {
            _ = try SessionContext().updated(set: Dictionary(uniqueKeysWithValues: (0..<65).map { ("k\($0)", "v") }), clear: false, ttlMs: 1, now: 0)
        }
    }
}
