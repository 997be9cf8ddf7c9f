// "fit_value_model" runs off the worker: the request waits parked while the refit runs on its own
// thread and store connection, the worker answers views and writes meanwhile, and the answer
// carries the model fitted from the store's transactions.
import Foundation
import ProfileStore
import ServiceTesting
import Testing
import Wire
@testable import Profile

@Suite struct RefitTests {
    @Test func theWorkerServesViewsAndWritesWhileARefitRuns() throws {
        let fixture = try ProfileFixture()
        let now = fixture.environment.wallMs()
        // 40 customers, each buying every 3 to 12 days over the last 100 days.
        for n in 0..<40 {
            for k in stride(from: 100 - n % 7, to: 0, by: -(3 + n % 10)) {
                let _: CustomerReply = try fixture.tester.call("record_transaction", TransactionRecord.with {
                    $0.identity = ProfileFixture.login("buyer\(n)")
                    $0.create = true
                    $0.timeUnixMs = now - Int64(k) * 86_400_000
                    $0.amount = Double(10 + n)
                })
            }
        }
        let ticket = fixture.tester.send("fit_value_model", [FitValueModelRequest()], as: FitValueModelReply.self, deadlineMs: 600_000)[0]
        #expect(fixture.tester.parked == 1, "the refit request waits parked, not on the worker")
        // The worker answers others meanwhile: a write and a read of it.
        try fixture.create("ada")
        #expect(try fixture.view("ada").customerID.hasPrefix("c-"))
        #expect(fixture.tester.answer(ticket) == nil)

        var answer: Result<FitValueModelReply, ServiceError>?
        let giveUp = Date().addingTimeInterval(60)
        while answer == nil, Date() < giveUp {
            Thread.sleep(forTimeInterval: 0.01)
            fixture.tester.recheck()
            answer = fixture.tester.answer(ticket)
        }
        let reply = try #require(try answer?.get())
        #expect(reply.customers == 40)
        #expect(reply.r > 0 && reply.alpha > 0 && reply.a > 0 && reply.b > 0 && reply.logLikelihood < 0)
        #expect(reply.tierThresholds.count == 3)
        // The refit published from its own thread: the model's change and the revalued states.
        #expect(try fixture.publishedByRefit.changes().contains { $0.valueModelVersion > 0 })
        // The worker picks up the new model at once.
        let view = try fixture.view("buyer3")
        #expect(view.pAlive > 0 && view.pAlive <= 1 && view.clv > 0)
    }
}
