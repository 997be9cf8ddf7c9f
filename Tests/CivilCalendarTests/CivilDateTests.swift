// Calendar dates: exact YYYY-MM-DD parsing and the day count from 1970-01-01.
import CivilCalendar
import Testing

@Suite struct CivilDateTests {
    @Test func civilDatesCountDaysFromTheEpoch() {
        #expect(CivilDate("1970-01-01")?.daysSinceEpoch == 0)
        #expect(CivilDate("1997-09-30")?.daysSinceEpoch == 10_134)
        #expect(CivilDate("2000-03-01")?.daysSinceEpoch == 11_017)
        #expect(CivilDate("1969-12-31")?.daysSinceEpoch == -1)
        #expect(CivilDate("2023-02-29") == nil && CivilDate("2023-1-01") == nil)
    }
}
