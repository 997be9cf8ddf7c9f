// Column accessors convert between the storage classes both databases may return.
import Testing
@testable import Store

@Suite struct SQLRowTests {
    @Test func accessorsConvertBetweenStorageClasses() {
        let row = SQLRow([.integer(42), .real(2.5), .text("7"), .null, .blob([0, 255])])
        #expect(row.int(0) == 42 && row.double(0) == 42 && row.text(0) == "42")
        #expect(row.double(1) == 2.5 && row.int(1) == nil)
        #expect(row.int(2) == 7 && row.double(2) == 7)
        #expect(row.int(3) == nil && row.text(3) == nil && row.double(3) == nil)
        #expect(row.blob(4) == [0, 255] && row.text(4) == nil)
    }
}
