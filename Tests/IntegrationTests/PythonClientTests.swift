// The Python client package (clients/python) as a touchpoint team gets it: pip-installed from its
// folder into a fresh directory (no index needed), then run against a real cluster.
import Foundation
import Testing

struct PythonClientTests {
    @Test func thePackageInstallsFromItsFolderAndDecidesAndReportsOutcomes() throws {
        let stack = try DecisionIntegrationTests.Stack()
        let target = stack.cluster.logDirectory.appendingPathComponent("python-site").path
        let package = repositoryRoot.appendingPathComponent("clients/python").path
        let (installed, log) = try run("/usr/bin/env", ["python3", "-m", "pip", "install", "--quiet", "--no-deps", "--target", target, package],
                                       environment: ["PIP_ROOT_USER_ACTION": "ignore", "PIP_DISABLE_PIP_VERSION_CHECK": "1"])
        try #require(installed == 0, "\(log)")
        #expect(FileManager.default.fileExists(atPath: target + "/offerloop-0.1.0.dist-info/METADATA"))
        // The installed copy on the path (the script's own folder holds no package).
        let script = repositoryRoot.appendingPathComponent("clients/python/tests/check_client.py").path
        let (status, output) = try run("/usr/bin/env", ["python3", script, "--frontend", stack.cluster.frontend, "--identity", "login:ada"],
                                       environment: ["PYTHONPATH": target])
        #expect(status == 0 && output.contains("python client ok"), "\(output)")
    }
}
