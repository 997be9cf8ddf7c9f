// "fit_value_model" off the worker that answers: the refit (read every customer's summary, fit,
// store the model, revalue the first customers) runs on a thread of its own with its own store
// connection and stream publisher, while the worker parks the request (a waiting method) and goes
// on serving views and writes. Requests that arrive during a refit wait for the same one. The
// refit's thread is a background one (BackgroundPriority) and fits on itself alone, so the
// views and writes beside it keep their latency.
import Foundation
import Logging
import ProcessShell
import ProfileStore
import Store
import Synchronization
import Transport
import Wire

final class ValueModelRefit: Sendable {
    private let outcome = Mutex<Result<FitValueModelReply, ServiceError>?>(nil)

    /// The answer once the refit has finished; nil while it runs.
    var result: Result<FitValueModelReply, ServiceError>? { outcome.withLock { $0 } }

    struct Job: Sendable {
        let location: StoreLocation
        let valuation: ValuationSettings
        let environment: ServiceEnvironment
        let publisher: EventPublisherFactory
        let logger: Logger
        /// How long the refit revalues customers itself before leaving the rest to the revalue loop (ns).
        let revalueInlineNs: UInt64
    }

    /// Starts the refit on a new thread.
    init(_ job: Job) {
        Thread.detachNewThread { [self] in
            Thread.current.name = "profile-refit"
            BackgroundPriority.enterOnCallingThread()
            let result = Result { () throws(ServiceError) in try Self.run(job) }
            outcome.withLock { $0 = result }
        }
    }

    private static func run(_ job: Job) throws(ServiceError) -> FitValueModelReply {
        do {
            let repository = try job.location.open().handedTo { try ProfileRepository(db: $0, newCustomerID: { "" }) }
            defer { repository.db.close() }
            let publisher = try job.publisher()
            defer { publisher.close() }
            let now = job.environment.wallMs()
            let started = job.environment.monotonicNs()
            let summaries = try repository.valueSummaries(through: Int(now / 86_400_000))
            let read = job.environment.monotonicNs()
            let fitted = try repository.fitValueModel(summaries, settings: job.valuation, now: now, parallel: false)
            repository.publish(to: publisher, wallUs: job.environment.wallUs, logger: job.logger)
            var reply = fitted.reply
            reply.profileSequence = try repository.streamHead()
            job.logger.notice("value model fitted", metadata: [
                "customers": "\(fitted.customers)", "log_likelihood": "\(fitted.logLikelihood)",
                "summaries_seconds": "\(Double(read - started) / 1e9)", "fit_seconds": "\(Double(job.environment.monotonicNs() - read) / 1e9)"])
            // The customers' states valued with the new model, as many as fit in a couple of
            // seconds (all of a small store): the rest follow from the revalue loop.
            let revaluing = job.environment.monotonicNs()
            while job.environment.monotonicNs() - revaluing < job.revalueInlineNs {
                let step = try RevalueLoop.step(repository, publisher: publisher, now: now, wallUs: job.environment.wallUs, logger: job.logger)
                reply.profileSequence = max(reply.profileSequence, try repository.streamHead())
                if step.done { break }
            }
            return reply
        } catch {
            throw ServiceError.from(error) { "the value model refit failed: \($0)" }
        }
    }
}
