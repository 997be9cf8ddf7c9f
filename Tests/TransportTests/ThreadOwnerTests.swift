// The debug check that a service object is used by the thread that made it: the predicate
// (the assertion itself stops the process, so it is not called from the wrong thread here).
import Foundation
import Synchronization
import Testing
import Wire
@testable import Transport

@Suite struct ThreadOwnerTests {
    /// Runs `body` on a new thread and waits for its answer.
    func onAnotherThread<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let answer = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            answer.withLock { $0 = body() }
            done.signal()
        }.start()
        done.wait()
        return answer.withLock { $0! }
    }

    @Test func anOwnerIsOwnedOnlyByTheThreadThatMadeIt() {
        let owner = ThreadOwner()
        #expect(owner.isOwnedByCurrentThread)
        owner.assertOwned()
        #expect(!onAnotherThread { owner.isOwnedByCurrentThread })
        let theirs = onAnotherThread { ThreadOwner() }
        #expect(!theirs.isOwnedByCurrentThread && theirs != owner)
    }

    /// The service classes make their methods with `Methods(ownedBy:)`: every handler then checks
    /// its thread, and answers as usual on the owner's.
    @Test func methodsMadeByAnOwnerCarryItToEveryHandler() {
        let owner = ThreadOwner()
        var methods = Methods(ownedBy: owner)
        methods.on("upper") { (request: EchoRequest, _) -> EchoReply in
            EchoReply.with { $0.data = Data(String(decoding: request.data, as: UTF8.self).uppercased().utf8) }
        }
        methods.onRaw("raw") { payload, _ in payload }
        #expect(methods.owner == owner)
        #expect(Methods().owner == nil)
        let layered = methods.layered([], service: "svc")
        #expect(layered.respond("upper", echo("abc"), context("upper")).map { try? EchoReply(wireBytes: $0).data } == .success(Data("ABC".utf8)))
        #expect(layered.respond("raw", [7], context("raw")) == .success([7]))
        // Made on a worker thread, they belong to it, not to the thread that started it.
        let made = onAnotherThread { Methods(ownedBy: ThreadOwner()) }
        #expect(made.owner?.isOwnedByCurrentThread == false)
    }
}
