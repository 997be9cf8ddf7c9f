// Deterministic assignment to the control group and to per-offer holdouts: a hash of a salt and
// the customer id, mapped to [0, 1). The same customer is in the same group on every replica,
// every channel and every day, until the catalog changes the salt; no state is kept.

public enum ControlGroup {
    /// Whether `customerID` falls in the first `percent` of the hash range for `salt`.
    public static func contains(_ customerID: String, percent: Double, salt: String) -> Bool {
        percent > 0 && position(salt + "\u{1F}" + customerID) < percent / 100
    }

    /// A uniform position in [0, 1): FNV-1a over the bytes, then SplitMix64's finalizer so that
    /// ids differing in one character land far apart.
    static func position(_ key: String) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        hash = (hash ^ (hash >> 30)) &* 0xBF58_476D_1CE4_E5B9
        hash = (hash ^ (hash >> 27)) &* 0x94D0_49BB_1331_11EB
        hash ^= hash >> 31
        return Double(hash >> 11) * 0x1p-53
    }
}
