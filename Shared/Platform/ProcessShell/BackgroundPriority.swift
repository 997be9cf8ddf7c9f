// Background work inside a service (a value model's refit, revaluing every customer) gives the
// cores to the requests: its thread runs at nice 10, so requests competing with it get the much
// larger share (though under EEVDF a woken request may wait for the end of its slice). Not the
// idle class (SCHED_IDLE), which yields at once: under full load such a thread starves while it
// holds the store's write lock, and the writes that wait for it overrun their deadlines (measured:
// docs/PERFORMANCE.md); at nice 10 it still gets about a tenth of a busy core.
import Glibc

public enum BackgroundPriority {
    public static let nice: Int32 = 10

    /// Lowers the calling thread's priority to nice 10 (never raises it: a service started at a
    /// higher nice keeps that), only its own — on Linux nice is per thread, and `who` 0 is the
    /// calling thread — for the rest of its life: an unprivileged thread cannot raise it back.
    /// Whether it took.
    @discardableResult
    public static func enterOnCallingThread() -> Bool {
        setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, max(currentNice, nice)) == 0
    }

    /// The calling thread's nice value.
    public static var currentNice: Int32 { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }
}
