// Reads an offer catalog from YAML (through Yams' node tree, which keeps every value's line and
// column) and checks all of it, collecting every problem before giving up. The format, by example,
// is examples/catalog/retail-bank.yaml; docs/DECISION.md lists every key.
import CivilCalendar
import Wire
import Yams

public enum CatalogLoader {
    public static func load(yaml: String, file: String) throws(CatalogErrors) -> OfferCatalog {
        var reader = CatalogReader(file: file)
        let catalog = reader.catalog(yaml)
        guard reader.errors.isEmpty, let catalog else {
            throw CatalogErrors(errors: reader.errors.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
        }
        return catalog
    }
}

struct CatalogReader {
    let file: String
    var errors: [CatalogError] = []

    static let topKeys = ["version", "offers", "control_group", "contact_policy", "default_offers", "retention", "priority", "exploration", "features", "strategies"]
    static let offerKeys = ["id", "name", "category", "value", "valid_from", "valid_to", "levers", "prior_propensity",
                            "channels", "treatments", "eligibility", "holdout_percent"]

    mutating func fail(_ node: Node?, _ message: String) {
        errors.append(CatalogError(file: file, line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1, message: message))
    }

    mutating func catalog(_ yaml: String) -> OfferCatalog? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            errors.append(Self.yamlError(error, file: file))
            return nil
        } catch {
            fail(nil, "not YAML: \(error)")
            return nil
        }
        guard let root, let top = mapping(root, "the catalog") else {
            if errors.isEmpty { fail(root, "the catalog must be a mapping with at least 'version' and 'offers'") }
            return nil
        }
        checkKeys(top, Self.topKeys, "catalog")
        let version = top["version"].flatMap { string($0, "version") } ?? {
            fail(root, "missing 'version'")
            return ""
        }()

        var offers: [Offer] = []
        var ids: Set<String> = []
        if let list = top["offers"] {
            if let items = list.sequence, !items.isEmpty {
                for item in items {
                    guard let offer = offer(item) else { continue }
                    if !ids.insert(offer.id).inserted { fail(item["id"] ?? item, "offer id '\(offer.id)' is used twice") }
                    offers.append(offer)
                }
            } else {
                fail(list, "'offers' must be a non-empty list of offers")
            }
        } else {
            fail(root, "missing 'offers'")
        }

        var controlPercent = 0.0, controlSalt = "offerloop"
        if let node = top["control_group"], let control = mapping(node, "control_group") {
            checkKeys(control, ["percent", "salt"], "control_group")
            controlPercent = control["percent"].flatMap { number($0, "control_group.percent", 0...100) } ?? 0
            controlSalt = control["salt"].flatMap { string($0, "control_group.salt") } ?? controlSalt
        }

        let policy = top["contact_policy"].map { contactPolicy($0) } ?? ContactPolicy()

        var defaults: [String: String] = [:]
        if let node = top["default_offers"], let map = mapping(node, "default_offers") {
            for (key, value) in map {
                guard let channel = channelName(key), let id = string(value, "default offer") else { continue }
                guard let offer = offers.first(where: { $0.id == id }) else { fail(value, "default offer '\(id)' is not in the catalog"); continue }
                if !offer.channels.contains(channel) { fail(value, "default offer '\(id)' is not shown on \(channel)") }
                defaults[channel] = id
            }
        }

        var retentionRule: EligibilityRule?, retentionCategory = "retention"
        if let node = top["retention"], let map = mapping(node, "retention") {
            checkKeys(map, ["when", "category"], "retention")
            retentionRule = map["when"].flatMap { rule($0) }
            retentionCategory = map["category"].flatMap { string($0, "retention.category") } ?? retentionCategory
            if !offers.contains(where: { $0.category == retentionCategory }) {
                fail(node, "no offer has the retention category '\(retentionCategory)'")
            }
        }

        let levers = Set(offers.flatMap(\.levers.keys))
        let formulaNode = top["priority"]
        let formulaText = formulaNode.flatMap { string($0, "priority") } ?? "propensity * value * priority"
        var formula: PriorityFormula?
        do {
            formula = try PriorityFormula(formulaText, levers: levers.union(["priority"]))
        } catch {
            fail(formulaNode, "priority formula: \(error.message)", offset: error.offset)
        }
        let exploration = top["exploration"].map { explorationSection($0) } ?? .standard
        let features = top["features"].flatMap { featuresSection($0) }
        guard let formula else { return nil }
        let strategies = top["strategies"].map { strategiesSection($0, offers: offers, levers: levers, formula: formula, exploration: exploration) } ?? []
        return OfferCatalog(
            version: version, offers: offers, controlPercent: controlPercent, controlSalt: controlSalt, contactPolicy: policy,
            defaultOffers: defaults, retentionRule: retentionRule, retentionCategory: retentionCategory, priorityFormula: formula,
            exploration: exploration, features: features, strategies: strategies)
    }

    /// `strategies:` — a list of {name, share, and optionally priority, exploration, offers}; the
    /// shares sum to 100, and what a strategy leaves out is the catalog's.
    mutating func strategiesSection(_ node: Node, offers: [Offer], levers: Set<String>, formula: PriorityFormula, exploration: Exploration) -> [Strategy] {
        guard let items = node.sequence, !items.isEmpty else {
            fail(node, "'strategies' must be a list of {name, share, priority, exploration, offers}")
            return []
        }
        var strategies: [Strategy] = []
        var total = 0.0
        for item in items {
            guard let map = mapping(item, "a strategy") else { continue }
            checkKeys(map, ["name", "share", "priority", "exploration", "offers"], "strategy")
            guard let nameNode = map["name"], let name = string(nameNode, "strategy name"), let share = map["share"].flatMap({ number($0, "strategy share", 0...100) }) else {
                if map["name"] == nil || map["share"] == nil { fail(item, "a strategy needs a 'name' and a 'share' (percent of the customers)") }
                continue
            }
            if !FeaturePlan.isPlainName(name[...]) { fail(nameNode, "strategy name '\(name.prefix(40))' must be 1–64 lower-case letters, digits, '_', '-' or '.'") }
            if strategies.contains(where: { $0.name == name }) { fail(nameNode, "strategy '\(name)' is named twice") }
            total += share
            var strategyFormula = formula
            if let node = map["priority"], let text = string(node, "priority") {
                do {
                    strategyFormula = try PriorityFormula(text, levers: levers.union(["priority"]))
                } catch {
                    fail(node, "priority formula: \(error.message)", offset: error.offset)
                }
            }
            var offerSet: Set<String>?
            if let node = map["offers"] {
                let ids = (node.sequence ?? []).compactMap { string($0, "offer id") }
                if ids.isEmpty { fail(node, "a strategy's 'offers' must be a non-empty list of offer ids") }
                for (index, id) in ids.enumerated() where !offers.contains(where: { $0.id == id }) {
                    fail(node.sequence?[index], "strategy '\(name)' lists offer '\(id)', which is not in the catalog")
                }
                offerSet = Set(ids)
            }
            strategies.append(Strategy(name: name, share: share, priorityFormula: strategyFormula,
                                       exploration: map["exploration"].map { explorationSection($0) } ?? exploration, offers: offerSet))
        }
        if !strategies.isEmpty, abs(total - 100) > 1e-9 {
            fail(node, "the strategies' shares sum to \(total.formatted), not 100")
        }
        return strategies
    }

    mutating func explorationSection(_ node: Node) -> Exploration {
        guard let map = mapping(node, "exploration") else { return .standard }
        checkKeys(map, ["method", "gamma", "floor", "epsilon"], "exploration")
        let method = map["method"].flatMap { string($0, "exploration.method") } ?? "uncertainty"
        switch method {
        case "uncertainty":
            if let epsilon = map["epsilon"] { fail(epsilon, "exploration.epsilon is a setting of method epsilon_greedy, not of uncertainty") }
            guard case .uncertainty(let gamma, let floor) = Exploration.standard else { return .standard }
            return .uncertainty(gamma: map["gamma"].flatMap { number($0, "exploration.gamma", 0...1e6) } ?? gamma,
                                floor: map["floor"].flatMap { number($0, "exploration.floor", 0...1) } ?? floor)
        case "epsilon_greedy":
            for key in ["gamma", "floor"] {
                if let node = map[key] { fail(node, "exploration.\(key) is a setting of method uncertainty, not of epsilon_greedy") }
            }
            return .epsilonGreedy(map["epsilon"].flatMap { number($0, "exploration.epsilon", 0...1) } ?? 0.1)
        default:
            fail(map["method"], "exploration.method must be uncertainty or epsilon_greedy, not '\(method.prefix(40))'")
            return .standard
        }
    }

    /// `features:` — `attributes:` (name: category, or name: [ascending bucket bounds]) and
    /// `crosses:` (a list of [group, group]; absent: the standard crosses).
    mutating func featuresSection(_ node: Node) -> FeaturePlan? {
        guard let map = mapping(node, "features") else { return nil }
        checkKeys(map, ["attributes", "crosses"], "features")
        var plan = FeaturePlan.standard
        if let node = map["attributes"], let attributes = mapping(node, "features.attributes") {
            for (key, value) in attributes {
                guard let name = string(key, "attribute name") else { continue }
                var bounds: [Double] = []
                if let items = value.sequence, !items.isEmpty {
                    bounds = items.compactMap { number($0, "a bucket bound of '\(name)'", -1e15...1e15) }
                } else if value.scalar?.string != "category" {
                    fail(value, "attribute '\(name)' must be 'category' or a list of bucket bounds, e.g. [0.2, 0.4, 0.6]")
                }
                plan.attributes.append(AttributeFeature.with { $0.name = name; $0.bounds = bounds })
            }
        }
        if let node = map["crosses"] {
            plan.crosses = []
            for item in node.sequence ?? [] {
                guard let pair = item.sequence, pair.count == 2, let left = string(pair[0], "a crossed group"), let right = string(pair[1], "a crossed group") else {
                    fail(item, "a cross is a pair of feature groups, e.g. [channel, segment]")
                    continue
                }
                plan.crosses.append(FeatureCross.with { $0.left = left; $0.right = right })
            }
            if node.sequence == nil { fail(node, "'crosses' must be a list of pairs, e.g. [[channel, segment]]; [] for none") }
        }
        if let problem = plan.problem { fail(node, "features: \(problem)") }
        return plan
    }

    mutating func offer(_ node: Node) -> Offer? {
        guard let map = mapping(node, "an offer") else { return nil }
        checkKeys(map, Self.offerKeys, "offer")
        guard let idNode = map["id"], let id = string(idNode, "id") else {
            fail(node, "offer without an 'id'")
            return nil
        }
        if id.isEmpty || id.utf8.count > 64 || !id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }) {
            fail(idNode, "offer id '\(id)' must be 1–64 letters, digits, '_', '-' or '.'")
        }
        let errorsBefore = errors.count
        func required(_ key: String) -> Node? {
            if let value = map[key] { return value }
            fail(node, "offer '\(id)' has no '\(key)'")
            return nil
        }
        let name = required("name").flatMap { string($0, "name") } ?? ""
        let category = required("category").flatMap { string($0, "category") } ?? ""
        let value = required("value").flatMap { number($0, "value", 0...1e12) } ?? 0
        let validFrom = map["valid_from"].flatMap { date($0) }
        let validTo = map["valid_to"].flatMap { date($0) }
        if let validFrom, let validTo, validTo < validFrom { fail(map["valid_to"], "valid_to is before valid_from") }
        var levers: [String: Double] = ["priority": 1]
        if let node = map["levers"], let leverMap = mapping(node, "levers") {
            for (key, value) in leverMap {
                guard let name = string(key, "lever name") else { continue }
                if PriorityFormula.fixedTerms.contains(name) { fail(key, "'\(name)' is not a lever: it comes from the offer or the model") }
                if let number = number(value, "lever '\(name)'", -1e9...1e9) { levers[name] = number }
            }
        }
        let prior = map["prior_propensity"].flatMap { number($0, "prior_propensity", 0...1) } ?? 0
        let holdout = map["holdout_percent"].flatMap { number($0, "holdout_percent", 0...100) } ?? 0
        var channels: [String] = []
        var channelNodes: [String: Node] = [:]
        if let node = required("channels") {
            if let items = node.sequence, !items.isEmpty {
                for item in items {
                    guard let channel = channelName(item) else { continue }
                    channels.append(channel)
                    channelNodes[channel] = item
                }
            } else {
                fail(node, "'channels' must be a non-empty list of: \(ChannelName.all.joined(separator: ", "))")
            }
        }
        var treatments: [String: Treatment] = [:]
        if let node = required("treatments"), let map = mapping(node, "treatments") {
            for (key, value) in map {
                guard let channel = channelName(key) else { continue }
                if !channels.contains(channel) { fail(key, "a treatment for \(channel), which is not among the offer's channels") }
                if let treatment = treatment(value, channel) { treatments[channel] = treatment }
            }
            for channel in channels where map[channel] == nil {
                fail(channelNodes[channel], "offer '\(id)' is shown on \(channel) but has no treatment for it")
            }
        }
        let eligibility = map["eligibility"].flatMap { rule($0) }
        guard errors.count == errorsBefore else { return nil }
        return Offer(id: id, name: name, category: category, value: value, validFrom: validFrom, validTo: validTo, levers: levers,
                     priorPropensity: prior, channels: channels, treatments: treatments, eligibility: eligibility, holdoutPercent: holdout)
    }

    mutating func treatment(_ node: Node, _ channel: String) -> Treatment? {
        guard let map = mapping(node, "a \(channel) treatment"), let layout = Treatment.layout[channel] else { return nil }
        checkKeys(map, [layout.main] + layout.others.keys.sorted() + (channel == "call_center" ? ["talking_points"] : []), "\(channel) treatment")
        guard let mainNode = map[layout.main], let text = string(mainNode, layout.main) else {
            fail(node, "a \(channel) treatment needs '\(layout.main)'")
            return nil
        }
        if text.count > layout.limit { fail(mainNode, "\(channel) \(layout.main) has \(text.count) characters; the screen takes \(layout.limit)") }
        var fields: [String: String] = [:]
        for (name, limit) in layout.others {
            guard let valueNode = map[name], let value = string(valueNode, name) else { continue }
            if value.count > limit { fail(valueNode, "\(channel) \(name) has \(value.count) characters, more than \(limit)") }
            fields[name] = value
        }
        var points: [String] = []
        if let node = map["talking_points"] {
            if let items = node.sequence { points = items.compactMap { string($0, "talking point") } } else { fail(node, "'talking_points' must be a list") }
        }
        return Treatment(text: text, fields: fields, talkingPoints: points)
    }

    mutating func contactPolicy(_ node: Node) -> ContactPolicy {
        var policy = ContactPolicy()
        guard let map = mapping(node, "contact_policy") else { return policy }
        checkKeys(map, ["per_channel_per_day", "all_channels_per_week", "suppress_days_after_decline", "cooldown_days_after_accept"], "contact_policy")
        if let node = map["per_channel_per_day"], let caps = mapping(node, "per_channel_per_day") {
            for (key, value) in caps {
                if let channel = channelName(key), let cap = integer(value, "cap") { policy.perChannelPerDay[channel] = cap }
            }
        }
        policy.allChannelsPerWeek = map["all_channels_per_week"].flatMap { integer($0, "all_channels_per_week") }
        policy.suppressDaysAfterDecline = map["suppress_days_after_decline"].flatMap { integer($0, "suppress_days_after_decline") } ?? policy.suppressDaysAfterDecline
        policy.cooldownDaysAfterAccept = map["cooldown_days_after_accept"].flatMap { integer($0, "cooldown_days_after_accept") } ?? policy.cooldownDaysAfterAccept
        return policy
    }

    // MARK: Values

    mutating func mapping(_ node: Node, _ what: String) -> Node.Mapping? {
        guard let map = node.mapping else {
            fail(node, "\(what) must be a mapping (key: value lines)")
            return nil
        }
        return map
    }

    mutating func checkKeys(_ map: Node.Mapping, _ known: [String], _ what: String) {
        for key in map.keys {
            guard let name = key.string, !known.contains(name) else { continue }
            let hint = RuleCompiler.closest(to: name, in: known).map { " (did you mean '\($0)'?)" } ?? " (known: \(known.joined(separator: ", ")))"
            fail(key, "unknown \(what) key '\(name)'\(hint)")
        }
    }

    mutating func string(_ node: Node, _ what: String) -> String? {
        guard let scalar = node.scalar else {
            fail(node, "\(what) must be a single value")
            return nil
        }
        return scalar.string
    }

    mutating func number(_ node: Node, _ what: String, _ range: ClosedRange<Double>) -> Double? {
        guard let text = string(node, what) else { return nil }
        guard let value = Double(text), value.isFinite else {
            fail(node, "\(what) must be a number, not '\(text.prefix(40))'")
            return nil
        }
        guard range.contains(value) else {
            fail(node, "\(what) \(text) is out of range \(range.lowerBound.formatted)…\(range.upperBound.formatted)")
            return nil
        }
        return value
    }

    mutating func integer(_ node: Node, _ what: String) -> Int? {
        guard let text = string(node, what) else { return nil }
        guard let value = Int(text), value >= 0 else {
            fail(node, "\(what) must be a whole number ≥ 0, not '\(text.prefix(40))'")
            return nil
        }
        return value
    }

    mutating func date(_ node: Node) -> Int? {
        guard let text = string(node, "date") else { return nil }
        guard let date = CivilDate(text) else {
            fail(node, "'\(text.prefix(40))' is not a date (YYYY-MM-DD)")
            return nil
        }
        return date.daysSinceEpoch
    }

    mutating func channelName(_ node: Node) -> String? {
        guard let name = string(node, "channel") else { return nil }
        guard ChannelName.all.contains(name) else {
            let hint = RuleCompiler.closest(to: name, in: ChannelName.all).map { " (did you mean '\($0)'?)" } ?? ""
            fail(node, "unknown channel '\(name)'\(hint); channels: \(ChannelName.all.joined(separator: ", "))")
            return nil
        }
        return name
    }

    /// A rule, its errors placed at their column inside the YAML value (plain or quoted on one line).
    mutating func rule(_ node: Node) -> EligibilityRule? {
        guard let text = string(node, "rule") else { return nil }
        do {
            return try EligibilityRule(text)
        } catch {
            fail(node, error.message, offset: error.offset)
            return nil
        }
    }

    mutating func fail(_ node: Node?, _ message: String, offset: Int) {
        let quoted = node?.scalar.map { $0.style == .singleQuoted || $0.style == .doubleQuoted } ?? false
        errors.append(CatalogError(file: file, line: node?.mark?.line ?? 1, column: (node?.mark?.column ?? 1) + offset + (quoted ? 1 : 0),
                                   message: message))
    }

    static func yamlError(_ error: YamlError, file: String) -> CatalogError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return CatalogError(file: file, line: mark.line, column: mark.column, message: "YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return CatalogError(file: file, line: context.mark.line, column: context.mark.column,
                                message: "YAML: the key \(duplicates.joined(separator: ", ")) appears twice")
        default:
            return CatalogError(file: file, line: 1, column: 1, message: "YAML: \(error)")
        }
    }
}

extension Double {
    var formatted: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}
