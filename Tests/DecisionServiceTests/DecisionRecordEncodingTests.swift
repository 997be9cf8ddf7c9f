// The decision log's record is written by hand (DecisionService+Record.swift, ProtoWriter), not by
// swift-protobuf: its bytes must be exactly the ones swift-protobuf writes for the same record,
// and every field the proto declares must be written, so a field added later cannot be dropped.
import DecisionCore
import Foundation
import SwiftProtobuf
import Testing
import Wire
@testable import Decision

@Suite struct DecisionRecordEncodingTests {
    /// The journal's bytes of each decision, and the record swift-protobuf reads from them.
    func journaled(_ fixture: DecisionFixture) throws -> [(bytes: [UInt8], record: DecisionRecord)] {
        try DecisionJournal.read(fixture.journal.currentFile).map { ($0, try DecisionRecord(serializedBytes: $0)) }
    }

    /// What swift-protobuf writes for a record, its maps in key order as the journal writes them.
    static func swiftProtobufBytes(_ record: DecisionRecord) throws -> [UInt8] {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        return try record.serializedBytes(options: options)
    }

    /// Bob: platinum and likely to leave, so retention offers come first for him.
    static let bob = CustomerView.with {
        $0.customerID = "c-bob"
        $0.segment = "platinum"
        $0.clv = 40_000
        $0.churnRisk = 0.9
    }

    @Test func theBytesAreSwiftProtobufsAndHoldWhatTheAnswerSaid() throws {
        let fixture = try DecisionFixture()
        fixture.views.source.views["login:bob"] = Self.bob
        var request = DecisionFixture.request(.callCenter, slots: 3)
        request.context = ["page": "mortgages"]
        let ada = try fixture.decide(request)
        request.identity.value = "bob"
        let bob = try fixture.decide(request)
        fixture.propensities.source.failure = ServiceError(.unavailable, "scoring is down")
        request.context = ["page": "mortgages", "campaign": "spring", "ref": "email"]
        let degraded = try fixture.decide(request)

        let records = try journaled(fixture)
        try #require(records.count == 3)
        for (bytes, record) in records {
            #expect(bytes == (try Self.swiftProtobufBytes(record)))
        }
        for ((_, record), reply) in zip(records, [ada, bob, degraded]) {
            #expect(record.decisionID == reply.decisionID && record.customerID == reply.customerID)
            #expect(record.offers == reply.offers && !record.offers.isEmpty)
            #expect(record.channel == .callCenter && record.timeUnixMs == fixture.clock.wallMs)
            #expect(record.candidates.count == fixture.catalog.engine.catalog.offers.count)
            #expect(record.candidates.allSatisfy { !$0.category.isEmpty && $0.priorPropensity > 0 })
            #expect(record.degraded == reply.degraded && record.degradedReason == reply.degradedReason)
        }
        #expect(records[0].record.features == ["bias", "seg=silver"] && records[0].record.modelVersion == "seq-7")
        #expect(records[0].record.segment == "silver" && !records[0].record.retention)
        #expect(records[1].record.retention)
        #expect(records[1].record.offers.contains { !$0.treatment.talkingPoints.isEmpty })
        #expect(records[2].record.degraded && records[2].record.features.isEmpty)
        #expect(records[2].record.context == request.context)
    }

    @Test func aControlDecisionRecordsWhatWasHeldOut() throws {
        let fixture = try DecisionFixture()
        let inControl = (0...).lazy.map { "c\($0)" }.first { ControlGroup.contains($0, percent: 5, salt: "retail-bank-2026") }!
        fixture.views.source.views["login:carol"] = CustomerView.with { $0.customerID = inControl; $0.segment = "silver" }
        let reply = try fixture.decide(DecisionFixture.request(login: "carol"))
        let (bytes, record) = try #require(try journaled(fixture).first)
        #expect(reply.control && record.control && !record.heldOut.isEmpty && record.heldOut.allSatisfy { $0.hasTreatment })
        #expect(bytes == (try Self.swiftProtobufBytes(record)))
    }

    /// The field numbers DecisionService.writeRecord and ProtoWriter.offerChoice write, per message.
    static let written: [String: Set<Int>] = [
        "DecisionRecord": Set(1...17), "CandidateRecord": Set(1...9), "OfferChoice": Set(1...10), "Treatment": Set(1...3),
    ]

    /// The fields a message of offerloop.proto declares, as their "type name = number" lines.
    static func declared(_ message: String) throws -> [Int: String] {
        let proto = try String(contentsOf: DecisionFixture.repositoryRoot.appendingPathComponent("Shared/Platform/Wire/offerloop.proto"), encoding: .utf8)
        let body = try #require(proto.components(separatedBy: "message \(message) {").dropFirst().first?.components(separatedBy: "\n}").first,
                                "no message \(message) in offerloop.proto")
        var fields: [Int: String] = [:]
        for line in body.split(separator: "\n") {
            guard let field = line.split(separator: ";").first, let number = field.split(separator: "=").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) else { continue }
            fields[number] = field.split(separator: "=").first!.trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    @Test func everyFieldTheProtoDeclaresIsWritten() throws {
        for (message, numbers) in Self.written {
            let declared = Set(try Self.declared(message).keys)
            #expect(declared == numbers, "\(message) declares fields \(declared.sorted()); the hand-written encoder writes \(numbers.sorted())")
        }
    }

    @Test func aLoggedDecisionIsTheRecordWithoutItsCandidatesAndStrategy() throws {
        var record = try Self.declared("DecisionRecord")
        record[11] = nil
        record[17] = nil
        #expect(try Self.declared("LoggedDecision") == record)
    }
}
