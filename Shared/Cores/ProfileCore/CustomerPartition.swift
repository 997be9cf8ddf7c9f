// Which partition of the decision replicas a customer belongs to: the profile stream's snapshot
// filters by it and a replica started with `--partition K/N` holds exactly those customers, so
// both sides must compute it the same way, from the customer id alone (stable across processes,
// unlike Swift's seeded Hasher). It is the broker's rule for a routing key (Wire's KeyPartition)
// over the id's UTF-8, so a decide whose routing key is the customer id reaches the replica that
// holds the customer.
import Wire

public struct CustomerPartition: Sendable, Equatable, CustomStringConvertible {
    /// This partition's number, 0 ..< count.
    public let index: UInt32
    public let count: UInt32

    /// Every customer: one partition of one.
    public static let all = CustomerPartition(uncheckedIndex: 0, count: 1)

    public init(index: UInt32, count: UInt32) throws(ProfileError) {
        guard count >= 1, index < count else {
            throw .invalidArgument("partition \(index) of \(count) does not exist: partitions are 0 ..< N, N at least 1")
        }
        self.init(uncheckedIndex: index, count: count)
    }

    private init(uncheckedIndex index: UInt32, count: UInt32) {
        self.index = index
        self.count = count
    }

    public func contains(customerID: String) -> Bool {
        count <= 1 || Self.of(customerID, partitions: count) == index
    }

    public var description: String { "\(index)/\(count)" }

    /// The partition of `customerID` among `partitions`.
    public static func of(_ customerID: String, partitions: UInt32) -> UInt32 {
        KeyPartition.of(customerID.utf8, count: partitions)
    }

    /// FNV-1a, 64 bits, over the UTF-8 bytes (http://www.isthe.com/chongo/tech/comp/fnv/).
    public static func fnv1a64(_ text: String) -> UInt64 { KeyPartition.fnv1a64(text.utf8) }
}
