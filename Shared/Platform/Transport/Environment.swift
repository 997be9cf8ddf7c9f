// Defaults for command-line options from OFFERLOOP_* environment variables, so the same
// setting can come from a flag (laptop) or the environment (compose files). Any of them may
// instead name a file holding the value, as NAME_FILE (Docker and Swarm secrets): e.g.
// OFFERLOOP_DECISION_STORE_FILE=/run/secrets/store_url.
import Foundation

public enum Environment {
    public static func string(_ name: String, _ fallback: String) -> String {
        value(name) ?? fallback
    }

    public static func double(_ name: String, _ fallback: Double) -> Double {
        value(name).flatMap { Double($0) } ?? fallback
    }

    public static func int(_ name: String, _ fallback: Int) -> Int {
        value(name).flatMap(Int.init) ?? fallback
    }

    /// The variable's value, or the contents of the file NAME_FILE names (trailing newline
    /// dropped); nil when neither is set or both are empty.
    static func value(_ name: String) -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let value = environment[name], !value.isEmpty { return value }
        guard let path = environment[name + "_FILE"], !path.isEmpty else { return nil }
        let contents: String
        do {
            contents = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            // A secret that cannot be read must not turn silently into the default.
            FileHandle.standardError.write(Data("\(name)_FILE: cannot read \(path): \(error.localizedDescription)\n".utf8))
            exit(78)  // EX_CONFIG
        }
        let value = contents.trimmingCharacters(in: .whitespacesAndNewlines)
        return value.isEmpty ? nil : value
    }
}
