// The calibration/holdout check on the CDNOW sample against `lifetimes`'
// calibration_and_holdout_data and its model predictions (Fixtures/lifetimes_cdnow.json).
import CivilCalendar
import CSV
import Foundation
import ProfileCore
import Testing
@testable import CustomerValue

@Suite struct CalibrationHoldoutTests {
    static let check: CalibrationHoldout = {
        let reference = LifetimesReference.cdnow
        return CalibrationHoldout(cdnowPurchases, calibrationEnd: CivilDate(reference.calibrationEnd)!.daysSinceEpoch,
                                  holdoutEnd: CivilDate(reference.holdoutEnd)!.daysSinceEpoch, periodDays: 7)
    }()

    @Test func everyCustomersRowMatchesLifetimes() throws {
        let reference = LifetimesReference.cdnow
        #expect(Self.check.customers.count == reference.customers.count)
        #expect(abs(Self.check.holdoutPeriods - reference.durationHoldout) <= 1e-4 * reference.durationHoldout)
        let ours = Dictionary(uniqueKeysWithValues: Self.check.customers.map { ($0.id, $0) })
        for row in reference.customers {
            let c = try #require(ours[row[0].id], "customer \(row[0].id)")
            let expected = row[1...].map(\.number)
            let actual = [c.calibration.frequency, c.calibration.recency, c.calibration.age, c.holdoutPurchases]
            for (a, e) in zip(actual, expected) {
                #expect(abs(a - e) <= 1e-4 * max(1, abs(e)), "customer \(c.id): \(actual) vs \(expected)")
            }
        }
    }

    @Test func predictedAndActualByFrequencyMatchLifetimes() {
        let groups = Self.check.byFrequency(BGNBD.fit(Self.check.customers.map(\.calibration)).model)
        let reference = LifetimesReference.cdnow.byFrequency
        #expect(groups.map(\.frequency) == reference.map(\.frequencyCal))
        for (ours, theirs) in zip(groups, reference) {
            #expect(ours.customers == theirs.customers, "\(ours.frequency)")
            #expect(abs(ours.actual - theirs.actual) <= 1e-4 * theirs.actual, "\(ours.frequency)")
            #expect(abs(ours.predicted - theirs.predicted) <= 1e-4 * theirs.predicted, "\(ours.frequency): \(ours.predicted) vs \(theirs.predicted)")
        }
        // The model's point (Fader, Hardie & Lee 2005, figure 4): the two curves stay close.
        #expect(groups.allSatisfy { abs($0.predicted - $0.actual) < 0.4 * $0.actual })
    }
}
