// The randomness the services pass into their cores: a seeded generator, so that a Thompson
// sample, an ε-greedy arbitration or a simulated world comes out the same for the same seed.

import Foundation

/// A small seeded generator (Steele, Lea & Flood's SplitMix64), so runs are repeatable.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    @usableFromInline var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// Inlinable: the bootstrap draws a billion times in a loop of another module.
    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A standard normal draw (Box–Muller, one per call).
    public mutating func standardNormal() -> Double {
        let u1 = 1 - unit()  // (0, 1]: log stays finite
        let u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
