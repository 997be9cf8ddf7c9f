// The feature names a request becomes: values cleaned so that none can forge a cross, names
// kept once in their first place, each with its FNV-1a hash (the model's slots follow from them).
import Testing
@testable import ScoringCore
import Wire

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
            "ch=web×seg=gold", "ch=web×churn=high", "ch=web×tod=evening", "seg=gold×churn=high", "ch=web×ctx:a_b=c", "ch=web×ctx:page=travel_deals",
            "holds=card", "holds=mortgage", "ctx:a_b=c", "ctx:page=travel_deals",
        ])
    }

    @Test func thePlansAttributesBecomeFeaturesBucketedAndCrossed() throws {
        var customer = CustomerFeatures(channel: "atm")
        customer.attributes = ["risk_band": "B", "churn_score": "0.45", "income": "n/a", "ignored": "x"]
        customer.context = ["page": "loans", "visit": "2"]
        let plan = FeaturePlan.with {
            $0.attributes = [("risk_band", []), ("churn_score", [0.2, 0.4, 0.6]), ("income", [1_000]), ("tenure", [1, 5])].map { attribute in
                AttributeFeature.with { $0.name = attribute.0; $0.bounds = attribute.1 }
            }
            $0.crosses = [("channel", "churn_score"), ("risk_band", "context.page")].map { cross in FeatureCross.with { $0.left = cross.0; $0.right = cross.1 } }
        }
        #expect(plan.problem == nil)
        #expect(FeatureBuilder.features(customer, plan: plan).names == [
            "bias", "ch=atm", "seg=none", "churn=unknown", "clv=unknown", "tod=unknown", "contact=never", "response=never",
            "attr:risk_band=b", "attr:churn_score=0.4-0.6", "attr:income=unknown", "attr:tenure=unknown",
            "ch=atm×attr:churn_score=0.4-0.6", "attr:risk_band=b×ctx:page=loans", "ctx:page=loans", "ctx:visit=2",
        ])
        #expect(FeatureBuilder.attributeBucket("0.1", bounds: [0.2, 0.4]) == "lt0.2" && FeatureBuilder.attributeBucket("0.4", bounds: [0.2, 0.4]) == "ge0.4")
    }

    @Test(arguments: [
        (["Risk"], [("channel", "segment")], "attribute 'Risk'"),
        (["churn"], [], "name of a standard feature group"),
        (["score"], [("channel", "scor")], "'scor' is not a feature group"),
        ([], [("context.", "channel")], "'context.' is not a feature group"),
        ([], [("channel", "channel")], "crossed with itself"),
    ])
    func aPlanThatCannotWorkIsNamed(attributes: [String], crosses: [(String, String)], problem: String) {
        let plan = FeaturePlan.with {
            $0.attributes = attributes.map { name in AttributeFeature.with { $0.name = name } }
            $0.crosses = crosses.map { cross in FeatureCross.with { $0.left = cross.0; $0.right = cross.1 } }
        }
        #expect(plan.problem?.contains(problem) == true, "\(plan.problem ?? "no problem")")
    }
}
