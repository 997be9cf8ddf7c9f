// The feature names a request becomes: values cleaned so that none can forge a cross, names
// kept once in their first place, each with its FNV-1a hash (the model's slots follow from them).
import Testing
@testable import ScoringCore

@Suite struct FeatureBuilderTests {
    @Test(arguments: [
        ("gold", "gold"), ("premium-plus.v2", "premium-plus.v2"), ("Gold", "gold"), ("a=b", "a_b"), ("x×y", "x_y"), ("k:v", "k_v"),
        ("two words", "two_words"), ("tab\there", "tab_here"), ("", "none"), ("Ünïcode", "ünïcode"),
        (String(repeating: "a", count: 100), String(repeating: "a", count: 64)),
    ])
    func aValueIsCleaned(value: String, cleaned: String) {
        #expect(FeatureBuilder.clean(value) == cleaned)
    }

    @Test func namesAreKeptOnceInTheirFirstPlaceWithTheirHashes() {
        let vector = FeatureVector(names: ["bias", "ch=web", "seg=gold", "ch=web", "bias", "holds=card"])
        #expect(vector.names == ["bias", "ch=web", "seg=gold", "holds=card"])
        #expect(vector.hashes == vector.names.map(FeatureVector.hash))
        // FNV-1a's published values: the offset basis for nothing, and "a".
        #expect(FeatureVector.hash("") == 0xcbf2_9ce4_8422_2325 && FeatureVector.hash("a") == 0xaf63_dc4c_8601_ec8c)
    }

    @Test func aCustomerBecomesItsFeatures() {
        var customer = CustomerFeatures(channel: "web")
        customer.segment = "Gold"
        customer.clv = 2_500
        customer.churnRisk = 0.7
        customer.holdings = ["mortgage", "card", "card"]
        customer.daysSinceContact = 3
        customer.hour = 20
        customer.context = ["page": "Travel Deals", "a=b": "c"]
        #expect(FeatureBuilder.features(customer).names == [
            "bias", "ch=web", "seg=gold", "churn=high", "clv=lt10k", "tod=evening", "contact=week", "response=never",
            "ch=web×seg=gold", "ch=web×churn=high", "ch=web×tod=evening", "seg=gold×churn=high",
            "holds=card", "holds=mortgage", "ctx:a_b=c", "ctx:page=travel_deals",
        ])
    }
}
