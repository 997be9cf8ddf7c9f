// A background thread lowers its own priority, and only its own: the threads beside it (the
// worker that answers requests) keep theirs.
import Foundation
import Synchronization
import Testing
@testable import ProcessShell

struct BackgroundPriorityTests {
    @Test func onlyTheCallingThreadBecomesBackground() {
        let before = BackgroundPriority.currentNice
        let seen = Mutex<(took: Bool, nice: Int32)?>(nil)
        let thread = Thread {
            let took = BackgroundPriority.enterOnCallingThread()
            seen.withLock { $0 = (took, BackgroundPriority.currentNice) }
        }
        thread.start()
        while seen.withLock({ $0 }) == nil { usleep(1_000) }
        let background = seen.withLock { $0 }!
        #expect(background.took)
        #expect(background.nice == max(before, BackgroundPriority.nice))
        #expect(BackgroundPriority.currentNice == before)
    }
}
