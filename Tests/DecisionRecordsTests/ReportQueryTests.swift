// What `offerloop report` reads from the decision store, on both stores: the decisions logged since
// a time, oldest first, and the outcomes of just those decisions in sequence order (as the
// outcome log stored them); a store the feedback service never ran on says so.
import DecisionRecords
import Store
import StoreBackends
import Testing
import Wire

@Suite struct ReportQueryTests {
    func decision(_ id: String, at time: Int64) -> DecisionRecord {
        DecisionRecord.with {
            $0.decisionID = id; $0.customerID = "c-\(id)"; $0.timeUnixMs = time; $0.channel = .web
            $0.offers = [.with { $0.offerID = "card" }]
        }
    }

    func outcome(of decision: String, _ type: OutcomeType) -> OutcomeEvent {
        OutcomeEvent.with { $0.outcome = .with { $0.eventID = "e-\(decision)-\(type)"; $0.decisionID = decision; $0.offerID = "card"; $0.type = type } }
    }

    @Test(arguments: Backend.all)
    func theReportReadsTheDecisionsSinceAndTheirOutcomes(_ backend: Backend) throws {
        let db = try backend.open()
        defer { db.close() }
        let log = try OutcomeLog(db: db)
        try DecisionLogTable.insert([decision("late", at: t0 + 2), decision("old", at: t0 - 1), decision("early", at: t0)], db)
        _ = try log.append([outcome(of: "old", .accept), outcome(of: "late", .impression), outcome(of: "early", .purchase), outcome(of: "late", .accept)])

        #expect(try DecisionLogTable.decisions(since: t0, db).map(\.decisionID) == ["early", "late"])
        let outcomes = try OutcomeTable.outcomes(ofDecisionsSince: t0, db)
        #expect(outcomes.map(\.sequence) == [2, 3, 4])
        #expect(outcomes.map(\.outcome.decisionID) == ["late", "early", "late"])
        #expect(try OutcomeTable.outcomes(ofDecisionsSince: t0 + 3, db).isEmpty)
    }

    @Test(arguments: Backend.all)
    func aStoreWithoutOutcomesSaysTheFeedbackServiceHasNotRunOnIt(_ backend: Backend) throws {
        let db = try backend.open()
        defer { db.close() }
        try DecisionLogTable.create(db)
        #expect(try DecisionLogTable.decisions(since: 0, db).isEmpty)
        do {
            _ = try OutcomeTable.outcomes(ofDecisionsSince: 0, db)
            Issue.record("read outcomes from a store without them")
        } catch let error as StoreError {
            #expect(error.message.hasPrefix("no outcomes to read (has the feedback service run on this store?): "), "\(error.message)")
        }
    }
}
