// Which partition of the customers a customer id belongs to: the profile service filters its
// snapshot pages with it and a decision replica started with `--partition K/N` holds only its
// own. FNV-1a (64 bits) over the id's UTF-8: stable across processes, machines and versions.
public enum CustomerPartition {
    public static func of(_ customerID: String, partitions: UInt32) -> UInt32 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in customerID.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return UInt32(hash % UInt64(max(partitions, 1)))
    }
}
