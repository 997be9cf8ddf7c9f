// The echo service's one method in process, through ServiceTesting: the data and the answering
// worker back, a delay over the limit refused naming it, and the worker's layers around it.
import Foundation
import ServiceTesting
import Testing
import Transport
import Wire
@testable import Echo

@Suite struct EchoServiceTests {
    let clock = ManualClock()
    var tester: ServiceTester { ServiceTester(service: "echo", methods: EchoCommand.methods(maxDelayMs: 50), clock: clock) }

    @Test func theDataComesBackWithTheWorkerThatAnswered() throws {
        let reply: EchoReply = try tester.call("echo", EchoRequest.with { $0.data = Data("hello".utf8); $0.delayMs = 1 })
        #expect(reply.data == Data("hello".utf8))
        #expect(reply.worker == "echo-tester")
    }

    @Test func aDelayOverTheLimitIsRefusedNamingTheLimit() {
        #expect(throws: ServiceError(.invalidArgument, "delay_ms 51 is over the limit of 50")) {
            let _: EchoReply = try tester.call("echo", EchoRequest.with { $0.delayMs = 51 })
        }
    }

    @Test func aRequestWhoseTimeIsGoneReachesNoHandler() {
        // Sent 20 ms ago with 10 ms allowed: the deadline layer answers, the delay is never slept.
        #expect(throws: ServiceError(.deadlineExceeded, "deadline passed before a worker of 'echo' could start")) {
            let _: EchoReply = try tester.call("echo", EchoRequest.with { $0.delayMs = 50 }, deadlineMs: 10, elapsedMs: 20)
        }
    }

    @Test func anUnknownMethodIsNamedWithTheMethodsThereAre() {
        #expect(throws: ServiceError(.unknownMethod, "service 'echo' has no method 'ehco' (it has: ping, echo)")) {
            let _: EchoReply = try tester.call("ehco", EchoRequest())
        }
    }
}
