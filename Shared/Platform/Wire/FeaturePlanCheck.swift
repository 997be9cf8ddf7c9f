// The vocabulary of a FeaturePlan (which feature groups exist) and its check, in one place for
// the catalog that writes a plan and the scoring model that reads one.

extension FeaturePlan {
    /// The groups every request has; "context.KEY" and the plan's attributes are groups too.
    public static let groups = ["channel", "segment", "churn", "clv", "time", "contact", "response", "holdings", "context"]
    /// The plan of a request without one: no attribute features; an offer can do well on one
    /// channel with one kind of customer, or one kind of visit.
    public static let standard = FeaturePlan.with {
        $0.crosses = [("channel", "segment"), ("channel", "churn"), ("channel", "time"), ("segment", "churn"), ("channel", "context")]
            .map { cross in FeatureCross.with { $0.left = cross.0; $0.right = cross.1 } }
    }
    public static let maxAttributes = 32
    public static let maxCrosses = 32

    /// A name a feature can carry as it is: 1–64 of lower-case ASCII letters, digits, '_', '-', '.'.
    public static func isPlainName(_ name: Substring) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5f || $0 == 0x2d || $0 == 0x2e }
    }

    /// What is wrong with the plan, if anything: too long, an attribute name that is not usable,
    /// bounds not ascending, a cross of a group no request has.
    public var problem: String? {
        guard attributes.count <= Self.maxAttributes, crosses.count <= Self.maxCrosses else {
            return "a feature plan takes at most \(Self.maxAttributes) attributes and \(Self.maxCrosses) crosses"
        }
        var names: Set<String> = []
        for attribute in attributes {
            let name = attribute.name
            if !Self.isPlainName(name[...]) { return "attribute '\(name)': its name must be 1–64 lower-case letters, digits, '_', '-' or '.'" }
            if Self.groups.contains(name) { return "attribute '\(name)' has the name of a standard feature group" }
            if !names.insert(name).inserted { return "attribute '\(name)' is listed twice" }
            if !attribute.bounds.allSatisfy(\.isFinite) || zip(attribute.bounds, attribute.bounds.dropFirst()).contains(where: { $0 >= $1 }) {
                return "attribute '\(name)': bucket bounds must be finite and ascending"
            }
        }
        for cross in crosses {
            for group in [cross.left, cross.right] where !Self.isGroup(group, attributes: names) {
                let known = (Self.groups + ["context.KEY"] + names.sorted()).joined(separator: ", ")
                return "cross \(cross.left) × \(cross.right): '\(group)' is not a feature group (\(known))"
            }
            if cross.left == cross.right { return "cross \(cross.left) × \(cross.right): a group crossed with itself" }
        }
        return nil
    }

    static func isGroup(_ group: String, attributes: Set<String>) -> Bool {
        if groups.contains(group) || attributes.contains(group) { return true }
        return group.hasPrefix("context.") && isPlainName(group.dropFirst("context.".count))
    }
}
