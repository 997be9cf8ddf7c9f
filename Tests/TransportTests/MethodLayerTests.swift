// The layers around a service's methods, called in process without a socket: the deadline check,
// error mapping, per-method metrics, and their composition (once, outermost first).
import Foundation
import Logging
import Store
import Synchronization
import ProcessShell
import Testing
import Wire
@testable import Transport

/// Counts calls, for a handler that must (not) be reached and a layer that must be applied once.
final class Calls: Sendable {
    let count = Atomic<Int>(0)
    let log = Mutex<[String]>([])
    func record(_ entry: String = "") {
        count.add(1, ordering: .relaxed)
        log.withLock { $0.append(entry) }
    }
    var value: Int { count.load(ordering: .relaxed) }
    var entries: [String] { log.withLock { $0 } }
}

/// A layer that notes when it is applied and when it runs, to see composition and order.
struct TracingLayer: MethodLayer {
    let name: String
    let applied: Calls
    let ran: Calls

    func wrap(_ method: String, _ next: @escaping Methods.RawHandler) -> Methods.RawHandler {
        applied.record("\(name) \(method)")
        return { [name, ran] payload, context in
            ran.record(name)
            return try next(payload, context)
        }
    }

    func wrap(_ method: String, group next: @escaping Methods.RawGroupHandler) -> Methods.RawGroupHandler {
        applied.record("\(name) \(method)")
        return { [name, ran] requests in
            ran.record(name)
            return next(requests)
        }
    }
}

func context(_ method: String, id: UInt64 = 1, budget: UInt64 = 1_000_000, received: UInt64 = MonotonicClock.now()) -> RequestContext {
    let now = MonotonicClock.now()
    return RequestContext(requestID: id, method: method, deadline: now + budget, sent: now, worker: "w", budget: budget, received: received)
}

func echo(_ text: String) -> [UInt8] { EchoRequest.with { $0.data = Data(text.utf8) }.wireBytes() }

@Suite struct MethodLayerTests {
    let logger = Logger(label: "test")

    @Test func theDeadlineLayerAnswersAnExpiredRequestWithoutCallingTheHandler() throws {
        let handler = Calls()
        let layered = DeadlineLayer(service: "svc").wrap("work") { _, _ in handler.record(); return [1] }
        #expect(throws: ServiceError(.deadlineExceeded, "deadline passed before a worker of 'svc' could start")) {
            try layered([], context("work", budget: 0))
        }
        #expect(handler.value == 0)
        #expect(try layered([], context("work", budget: 1)) == [1])
        #expect(handler.value == 1)
    }

    @Test func theDeadlineLayerPassesTheLiveRequestsOfAGroupTogether() {
        let sizes = Calls()
        let layered = DeadlineLayer(service: "svc").wrap("work", group: { requests in
            sizes.record("\(requests.count)")
            return requests.map { .success($0.payload) }
        })
        let results = layered([([1], context("work", budget: 5)), ([2], context("work", budget: 0)), ([3], context("work", budget: 5))])
        #expect(results.map { try? $0?.get() } == [[1], nil, [3]])
        #expect(results[1] == .failure(ServiceError(.deadlineExceeded, "deadline passed before a worker of 'svc' could start")))
        #expect(sizes.entries == ["2"])
        #expect(layered([([4], context("work", budget: 0))]).map { $0?.isSuccess } == [false])
        #expect(sizes.entries == ["2"], "a group of expired requests reaches no handler")
    }

    @Test func theErrorLayerMapsWhatAHandlerThrowsToItsWireForm() {
        let layer = ErrorLayer(service: "svc", logger: logger)
        func answer(_ error: any Error) -> ServiceError? {
            do {
                _ = try layer.wrap("work") { _, _ in throw error }([], context("work"))
                return nil
            } catch {
                return error as? ServiceError
            }
        }
        let crash = answer(CocoaError(.fileNoSuchFile))
        #expect(crash?.code == .internal)
        #expect(crash?.message.hasPrefix("svc.work failed: ") == true, "\(String(describing: crash))")
        #expect(answer(ServiceError(.notFound, "no such customer")) == ServiceError(.notFound, "no such customer"))
        #expect(answer(StoreError(.unavailable, "disk gone")) == ServiceError(.unavailable, "store unavailable: disk gone"))
    }

    @Test func theMetricsLayerCountsEachMethodAndItsErrorsByCode() throws {
        Telemetry.bootstrapMetrics()
        let method = "probe_\(UUID().uuidString.prefix(8).lowercased())"
        var methods = Methods()
        methods.on(method) { (request: EchoRequest, _) -> EchoReply in
            guard !request.data.isEmpty else { throw ServiceError(.invalidArgument, "empty") }
            return EchoReply.with { $0.data = request.data }
        }
        let layered = methods.layered(Methods.standardLayers(service: "svc", logger: logger), service: "svc")
        for text in ["a", "b", ""] { _ = layered.respond(method, echo(text), context(method)) }
        let metrics = MetricsText()
        #expect(metrics.value("offerloop_requests_total", ["method": method]) == 3)
        #expect(metrics.value("offerloop_request_duration_seconds_count", ["method": method]) == 3)
        #expect(metrics.value("offerloop_request_errors_total", ["method": method, "code": "INVALID_ARGUMENT"]) == 1)
    }

    /// Unknown method names do not become labels (a caller could grow the metrics without bound):
    /// they are counted as "other".
    @Test func requestsForUnknownMethodsAreCountedAsOther() throws {
        Telemetry.bootstrapMetrics()
        let layered = Methods().layered(Methods.standardLayers(service: "svc", logger: logger), service: "svc")
        let before = MetricsText().value("offerloop_requests_total", ["method": "other"]) ?? 0
        let unknown = "nope_\(UUID().uuidString.prefix(8).lowercased())"
        let answer = layered.respond(unknown, [], context(unknown))
        #expect(answer == .failure(ServiceError(.unknownMethod, "service 'svc' has no method '\(unknown)' (it has: )")))
        let metrics = MetricsText()
        #expect((metrics.value("offerloop_requests_total", ["method": "other"]) ?? 0) >= before + 1)
        #expect(!metrics.text.contains(unknown))
    }

    @Test func layersAreAppliedOnceEachOutermostFirst() {
        let applied = Calls(), ran = Calls()
        var methods = Methods()
        methods.onRaw("a") { payload, _ in payload }
        methods.onGroup("g") { (requests: [EchoRequest]) -> [Result<EchoReply, ServiceError>] in requests.map { _ in .success(EchoReply()) } }
        let layered = methods.layered([TracingLayer(name: "outer", applied: applied, ran: ran), TracingLayer(name: "inner", applied: applied, ran: ran)],
                                      service: "svc", builtIn: ["ping": { _, _ in [0] }])
        let composed = applied.value
        for id in 1...3 { #expect(layered.respond("a", [UInt8(id)], context("a", id: UInt64(id))) == .success([UInt8(id)])) }
        #expect(layered.respond("ping", [], context("ping")) == .success([0]))
        #expect(layered.respond(group: "g", [(echo("x"), context("g")), (echo("y"), context("g"))]).map { $0?.isSuccess } == [true, true])
        #expect(layered.respond("g", echo("z"), context("g")).isSuccess, "a group method answers a single request too")
        #expect(applied.value == composed, "no layer is applied per request")
        // Each of the two layers around a, g, ping, and the unknown and malformed paths.
        #expect(Set(applied.entries) == Set(["a", "g", "ping", "other"].flatMap { ["outer \($0)", "inner \($0)"] }))
        #expect(ran.entries == Array(repeating: ["outer", "inner"], count: 6).flatMap { $0 })
    }

    @Test func theBuiltInMethodsComeFirstInTheUnknownMethodAnswer() {
        var methods = Methods()
        methods.onRaw("b") { payload, _ in payload }
        methods.onRaw("a") { payload, _ in payload }
        let layered = methods.layered([], service: "svc", builtIn: ["ping": { _, _ in [] }])
        #expect(layered.respond("c", [], context("c")) == .failure(ServiceError(.unknownMethod, "service 'svc' has no method 'c' (it has: ping, a, b)")))
    }
}

extension Result {
    var isSuccess: Bool { if case .success = self { true } else { false } }
}

/// The process's metrics as Prometheus text, read by series.
struct MetricsText {
    let text = String(decoding: Telemetry(service: "test").metricsText(), as: UTF8.self)

    /// The value of the series `name` with these labels (in any order).
    func value(_ name: String, _ labels: [String: String]) -> Double? {
        text.split(separator: "\n").first { line in
            line.hasPrefix(name + "{") && labels.allSatisfy { line.contains("\($0.key)=\"\($0.value)\"") }
                && line.split(separator: ",").count == labels.count
        }.flatMap { line in line.split(separator: " ").last.flatMap { Double($0) } }
    }
}
