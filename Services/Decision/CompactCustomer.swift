// A customer's ReplicaCustomer as the decision replica stores it: a few hundred bytes instead of
// the protobuf's ~1.5 KB, because every name that repeats across customers (attribute names,
// products, offers, categories, contact kinds, identity kinds, segments, churn reasons, session
// keys) is a number into one table of strings the replica shares, numbers are varints, and the
// contacts' times are differences. A state with something this encoding does not know (a field
// added to the message later, recent events) is kept as its protobuf bytes: nothing is lost.
import Wire

/// The strings states refer to by number. Only the replica's writer adds to it (under its lock);
/// readers decode with a copy of `strings` (an array: copying it shares the storage).
struct StringTable {
    private(set) var strings: [String] = []
    private var numbers: [String: UInt32] = [:]
    /// Beyond this many strings the others are written out in full: the table stays small
    /// whatever the data, so that copying it (when a reader holds it while a string is added) is cheap.
    let capacity: Int

    init(capacity: Int = 65_536) {
        self.capacity = capacity
    }

    /// The string's number + 1, 0 when it is not in the table and the table is full. A `value`
    /// (of an attribute: many are shared — a country, a first name —, some are all different)
    /// gets a number only up to 16 bytes and while the table is less than half full, so that
    /// names always find room.
    mutating func number(_ string: String, value: Bool = false) -> UInt64 {
        if let number = numbers[string] { return UInt64(number) + 1 }
        guard strings.count < (value ? capacity / 2 : capacity), !value || string.utf8.count <= 16 else { return 0 }
        numbers[string] = UInt32(strings.count)
        strings.append(string)
        return UInt64(strings.count)
    }
}

enum CompactCustomer {
    enum Format: UInt8 {
        case protobuf = 0, compact = 1
    }

    struct DecodingError: Error {}

    /// The bytes of `customer`, adding the names it uses to `table`.
    static func encode(_ customer: ReplicaCustomer, table: inout StringTable) throws -> [UInt8] {
        guard customer.hasView, covered(customer) else { return [Format.protobuf.rawValue] + (try customer.serializedBytes()) }
        // The writer takes the table for the time of the encoding (moved, not copied: adding to a
        // table two hold would copy it).
        var writer = Writer(table: table)
        table = StringTable(capacity: 0)
        defer { table = writer.table }
        let view = customer.view
        writer.out.byte(Format.compact.rawValue)
        // The id and identities first: the replica's index reads them without decoding the rest.
        writer.out.raw(view.customerID)
        writer.out.varint(UInt64(view.identities.count))
        for identity in view.identities {
            writer.named(identity.kind)
            writer.out.raw(identity.value)
        }
        writer.out.signed(customer.valuedDay)
        writer.out.signed(customer.valueModelVersion)
        let doubles = [view.clv, view.pAlive, view.churnRisk, view.expectedPurchases, view.totalSpend]
        let times = [view.lastContactUnixMs, view.lastResponseUnixMs, view.lastTransactionUnixMs, view.sessionExpiresUnixMs]
        // Which of the scalars are set (a NaN is set): only those follow.
        var flags: UInt64 = view.anonymous ? 1 : 0
        for (bit, value) in doubles.enumerated() where value.bitPattern != 0 { flags |= 1 << (1 + bit) }
        for (bit, value) in times.enumerated() where value != 0 { flags |= 1 << (6 + bit) }
        if view.transactions != 0 { flags |= 1 << 10 }
        writer.out.varint(flags)
        for value in doubles where value.bitPattern != 0 { writer.out.double(value) }
        if view.transactions != 0 { writer.out.varint(UInt64(view.transactions)) }
        writer.named(view.segment)
        writer.map(view.attributes, values: true)
        writer.map(view.session, values: false)
        writer.out.varint(UInt64(view.holdings.count))
        view.holdings.forEach { writer.named($0) }
        writer.out.varint(UInt64(view.churnReasons.count))
        view.churnReasons.forEach { writer.named($0) }
        writer.out.varint(UInt64(view.optedOut.count))
        view.optedOut.forEach { writer.out.varint(UInt64(UInt32(truncatingIfNeeded: $0.rawValue))) }
        writer.out.varint(UInt64(view.holdingDetails.count))
        var opened: Int64 = 0
        for holding in view.holdingDetails {
            writer.named(holding.product)
            writer.out.double(holding.balance)
            writer.out.signed(holding.openedUnixMs &- opened)  // often opened together
            writer.out.signed(holding.updatedUnixMs &- holding.openedUnixMs)  // often the same
            opened = holding.openedUnixMs
        }
        writer.out.varint(UInt64(view.contacts.count))
        var time: Int64 = 0
        for contact in view.contacts {
            writer.named(contact.offerID)
            writer.named(contact.category)
            // The kind's number and the channel in one byte (a channel beyond 6 follows).
            let kind = writer.table.number(contact.kind)
            let channel = UInt32(truncatingIfNeeded: contact.channel.rawValue)
            writer.out.varint(kind << 3 | UInt64(min(channel, 7)))
            if kind == 0 { writer.out.raw(contact.kind) }
            if channel >= 7 { writer.out.varint(UInt64(channel)) }
            writer.out.signed(contact.timeUnixMs &- time)  // newest first: small steps back
            time = contact.timeUnixMs
        }
        // The last contact and response are those of contacts, mostly: a step from the newest.
        let newest = view.contacts.first?.timeUnixMs ?? 0
        for value in times where value != 0 { writer.out.signed(value &- newest) }
        return writer.out.bytes
    }

    /// The state `bytes` hold; `strings`: the table's strings when they were written (or after).
    static func decode<Bytes: RandomAccessCollection>(_ bytes: Bytes, strings: [String]) throws -> ReplicaCustomer
    where Bytes.Element == UInt8, Bytes.Index == Int {
        var input = ByteReader(bytes)
        guard let format = Format(rawValue: try input.byte()) else { throw DecodingError() }
        if format == .protobuf { return try ReplicaCustomer(serializedBytes: Array(bytes.dropFirst())) }
        var customer = ReplicaCustomer()
        var view = CustomerView()
        view.customerID = try input.raw()
        view.identities = try input.list { input in try Identity.with { $0.kind = try input.named(strings); $0.value = try input.raw() } }
        customer.valuedDay = try input.signed()
        customer.valueModelVersion = try input.signed()
        let flags = try input.varint()
        func double(_ bit: Int) throws -> Double { flags & (1 << bit) != 0 ? try input.double() : 0 }
        func channel(_ input: inout ByteReader<Bytes>) throws -> Channel { Channel(rawValue: Int(Int32(truncatingIfNeeded: try input.varint()))) ?? .unspecified }
        view.anonymous = flags & 1 != 0
        view.clv = try double(1)
        view.pAlive = try double(2)
        view.churnRisk = try double(3)
        view.expectedPurchases = try double(4)
        view.totalSpend = try double(5)
        view.transactions = flags & (1 << 10) != 0 ? UInt32(truncatingIfNeeded: try input.varint()) : 0
        view.segment = try input.named(strings)
        view.attributes = try input.map(strings, values: true)
        view.session = try input.map(strings, values: false)
        view.holdings = try input.list { try $0.named(strings) }
        view.churnReasons = try input.list { try $0.named(strings) }
        view.optedOut = try input.list(channel)
        var opened: Int64 = 0
        view.holdingDetails = try input.list { input in
            try Holding.with {
                $0.product = try input.named(strings)
                $0.balance = try input.double()
                opened = opened &+ (try input.signed())
                $0.openedUnixMs = opened
                $0.updatedUnixMs = opened &+ (try input.signed())
            }
        }
        var time: Int64 = 0
        view.contacts = try input.list { input in
            try Contact.with {
                $0.offerID = try input.named(strings)
                $0.category = try input.named(strings)
                let packed = try input.varint()
                let kind = packed >> 3
                guard kind <= strings.count else { throw DecodingError() }
                $0.kind = kind == 0 ? try input.raw() : strings[Int(kind - 1)]
                $0.channel = packed & 7 == 7 ? try channel(&input) : Channel(rawValue: Int(packed & 7)) ?? .unspecified
                time = time &+ (try input.signed())
                $0.timeUnixMs = time
            }
        }
        let newest = view.contacts.first?.timeUnixMs ?? 0
        func sinceNewest(_ bit: Int) throws -> Int64 { flags & (1 << bit) != 0 ? newest &+ (try input.signed()) : 0 }
        view.lastContactUnixMs = try sinceNewest(6)
        view.lastResponseUnixMs = try sinceNewest(7)
        view.lastTransactionUnixMs = try sinceNewest(8)
        view.sessionExpiresUnixMs = try sinceNewest(9)
        guard input.atEnd else { throw DecodingError() }
        customer.view = view
        return customer
    }

    /// Calls `body` with each identity the state lists (its kind, its value's bytes) until it
    /// returns true; whether one did. Reads only the start of a compact state.
    @discardableResult
    static func identities(_ bytes: ArraySlice<UInt8>, strings: [String], _ body: (String, ArraySlice<UInt8>) -> Bool) throws -> Bool {
        var input = ByteReader(bytes)
        guard let format = Format(rawValue: try input.byte()) else { throw DecodingError() }
        if format == .protobuf {
            return try decode(bytes, strings: strings).view.identities.contains { body($0.kind, ArraySlice($0.value.utf8)) }
        }
        _ = try input.rawRange()
        for _ in 0..<(try input.varint()) {
            let kind = try input.named(strings)
            if body(kind, bytes[try input.rawRange()]) { return true }
        }
        return false
    }

    /// Whether the state lists `key`, an identity as "kind:value".
    static func lists(_ key: [UInt8], in bytes: ArraySlice<UInt8>, strings: [String]) -> Bool {
        (try? identities(bytes, strings: strings) { kind, value in
            let kind = kind.utf8
            return key.count == kind.count + 1 + value.count && key.starts(with: kind) && key[kind.count] == UInt8(ascii: ":")
                && key[(kind.count + 1)...].elementsEqual(value)
        }) ?? false
    }

    /// Whether every field set in `customer` is one this encoding writes: the rest, cleared of
    /// them, is an empty message.
    static func covered(_ customer: ReplicaCustomer) -> Bool {
        var rest = customer
        rest.valuedDay = 0
        rest.valueModelVersion = 0
        var view = rest.view
        rest.clearView()
        guard rest == ReplicaCustomer() else { return false }
        view.customerID = ""
        view.attributes = [:]
        view.holdings = []
        view.segment = ""
        (view.clv, view.pAlive, view.churnRisk, view.expectedPurchases, view.totalSpend) = (0, 0, 0, 0, 0)
        (view.lastContactUnixMs, view.lastResponseUnixMs, view.lastTransactionUnixMs, view.sessionExpiresUnixMs) = (0, 0, 0, 0)
        view.session = [:]
        view.identities = view.identities.allSatisfy { $0.unknownFields.data.isEmpty } ? [] : view.identities
        view.churnReasons = []
        view.optedOut = []
        view.transactions = 0
        view.holdingDetails = view.holdingDetails.allSatisfy { $0.unknownFields.data.isEmpty } ? [] : view.holdingDetails
        view.anonymous = false
        view.contacts = view.contacts.allSatisfy { $0.unknownFields.data.isEmpty } ? [] : view.contacts
        return view == CustomerView()
    }

    /// A writer of states: ByteWriter, and the table the names go to.
    private struct Writer {
        var table: StringTable
        var out = ByteWriter(capacity: 512)

        /// A name: its number in the table + 1, or 0 and the string.
        mutating func named(_ string: String, value: Bool = false) {
            let number = table.number(string, value: value)
            out.varint(number)
            if number == 0 { out.raw(string) }
        }

        /// `values`: the values may be numbers in the table too (attributes; not the session's).
        mutating func map(_ map: [String: String], values: Bool) {
            out.varint(UInt64(map.count))
            for (key, value) in map {
                named(key)
                if values { named(value, value: true) } else { out.raw(value) }
            }
        }
    }
}

extension ByteReader {
    fileprivate mutating func named(_ strings: [String]) throws -> String {
        let number = try varint()
        if number == 0 { return try raw() }
        guard number <= strings.count else { throw CompactCustomer.DecodingError() }
        return strings[Int(number - 1)]
    }

    fileprivate mutating func map(_ strings: [String], values: Bool) throws -> [String: String] {
        let count = try varint()
        guard count <= UInt64(bytes.endIndex - at) else { throw Truncated() }
        var map: [String: String] = [:]
        map.reserveCapacity(Int(count))
        for _ in 0..<count { map[try named(strings)] = values ? try named(strings) : try raw() }
        return map
    }
}
