// The thread an object belongs to, checked in debug builds as NIO's `preconditionInEventLoop`
// does: a service class that holds a socket or a database connection is made by a worker thread
// and may be used only by it (STYLE: a socket belongs to one thread for its whole life).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct ThreadOwner: Sendable, Equatable {
    /// The creating thread's pthread id.
    @usableFromInline let thread: UInt

    /// Owned by the calling thread.
    public init() { thread = Self.currentThread }

    @usableFromInline static var currentThread: UInt {
        #if canImport(Darwin)
        UInt(bitPattern: pthread_self())
        #else
        UInt(pthread_self())
        #endif
    }

    /// Whether the calling thread is the one that made this owner.
    @inlinable public var isOwnedByCurrentThread: Bool { thread == Self.currentThread }

    /// Stops a debug build when called from another thread than the owner's (a programmer
    /// error: the object is not thread-safe); does nothing, at no cost, in a release build.
    @inlinable public func assertOwned(_ what: @autoclosure () -> String = "this object", file: StaticString = #fileID, line: UInt = #line) {
        #if DEBUG
        precondition(isOwnedByCurrentThread, "\(what()) is used from a thread other than the one that made it", file: file, line: line)
        #endif
    }
}
