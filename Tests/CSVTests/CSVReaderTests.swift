// CSV records with their line numbers: quotes, embedded newlines, CRLF, blank lines, errors.
import Testing
@testable import CSV

func records(_ text: String) throws -> [(Int, [String])] {
    var reader = CSVReader(file: "t.csv", bytes: Array(text.utf8))
    var out: [(Int, [String])] = []
    while let record = try reader.next() { out.append((record.line, record.fields)) }
    return out
}

@Suite struct CSVReaderTests {
    @Test func quotedFieldsMayHoldCommasQuotesAndNewlines() throws {
        let got = try records("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\n\"multi\nline\",z\nlast,\n")
        #expect(got.map(\.0) == [1, 2, 4, 6])
        #expect(got.map(\.1) == [["a", "b"], ["x, y", "say \"hi\""], ["multi\nline", "z"], ["last", ""]])
    }

    @Test func theLastLineNeedsNoNewlineAndABOMIsIgnored() throws {
        let got = try records("\u{FEFF}id,n\n1,2")
        #expect(got.map(\.1) == [["id", "n"], ["1", "2"]])
    }

    @Test func anUnclosedQuoteNamesTheLineItStartsOn() {
        #expect(throws: CSVError(file: "t.csv", line: 2, "a quoted field is not closed")) { _ = try records("a\n\"open,\nmore\n") }
    }

    @Test func invalidUTF8IsAnError() {
        var reader = CSVReader(file: "t.csv", bytes: [0x61, 0x0A, 0xFF, 0x0A])
        #expect(throws: CSVError(file: "t.csv", line: 2, "not valid UTF-8")) {
            while try reader.next() != nil {}
        }
    }

    @Test func theHeaderMustNameEveryRequiredColumnOnce() throws {
        var good = CSVReader(file: "t.csv", bytes: Array(" Customer_ID ,amount,extra\n".utf8))
        #expect(try good.header(required: ["customer_id", "amount"]) == ["customer_id": 0, "amount": 1, "extra": 2])
        var twice = CSVReader(file: "t.csv", bytes: Array("a,a\n".utf8))
        #expect(throws: CSVError(file: "t.csv", line: 1, "column 'a' appears twice in the header")) { _ = try twice.header(required: ["a"]) }
        var empty = CSVReader(file: "t.csv", bytes: [])
        #expect(throws: CSVError.self) { _ = try empty.header(required: ["a"]) }
    }

    /// FIPS 180-4's examples (one block, two blocks) and a message over many blocks.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (String(repeating: "a", count: 1000), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
    ])
    func aFileIsKnownByItsSHA256(_ text: String, _ expected: String) {
        #expect(CSVReader(file: "t.csv", bytes: Array(text.utf8)).sha256 == expected)
    }
}
