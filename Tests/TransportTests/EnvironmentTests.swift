// Settings from the environment, directly or from a file named by NAME_FILE (secrets).
import Foundation
import Testing
@testable import Transport

struct EnvironmentTests {
    @Test func aValueMayComeFromTheFileItsFileVariableNames() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)")
        try "postgres://u:p@db/offerloop\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(Environment.string("OFFERLOOP_TEST_SECRET", "fallback") == "fallback")
        setenv("OFFERLOOP_TEST_SECRET_FILE", file.path, 1)
        #expect(Environment.string("OFFERLOOP_TEST_SECRET", "fallback") == "postgres://u:p@db/offerloop")
        setenv("OFFERLOOP_TEST_SECRET", "direct", 1)
        #expect(Environment.string("OFFERLOOP_TEST_SECRET", "fallback") == "direct")
        unsetenv("OFFERLOOP_TEST_SECRET")
        unsetenv("OFFERLOOP_TEST_SECRET_FILE")
        setenv("OFFERLOOP_TEST_NUMBER", "42", 1)
        #expect(Environment.int("OFFERLOOP_TEST_NUMBER", 1) == 42 && Environment.double("OFFERLOOP_TEST_MISSING", 0.5) == 0.5)
        unsetenv("OFFERLOOP_TEST_NUMBER")
    }
}
