import Foundation

// A string map as one TEXT column: "key=value" lines with %, = and newline percent-escaped.
// Cheaper than JSON and the same in both stores.

enum KeyValueText {
    static func encode(_ map: [String: String]) -> String {
        map.sorted { $0.key < $1.key }.map { escape($0.key) + "=" + escape($0.value) }.joined(separator: "\n")
    }

    static func decode(_ text: String) -> [String: String] {
        var map: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let equals = line.firstIndex(of: "=") else { continue }
            map[unescape(line[..<equals])] = unescape(line[line.index(after: equals)...])
        }
        return map
    }

    private static func escape(_ text: String) -> String {
        guard text.contains(where: { $0 == "%" || $0 == "=" || $0 == "\n" }) else { return text }
        var out = ""
        for character in text {
            switch character {
            case "%": out += "%25"
            case "=": out += "%3D"
            case "\n": out += "%0A"
            default: out.append(character)
            }
        }
        return out
    }

    private static func unescape(_ text: Substring) -> String {
        guard text.contains("%") else { return String(text) }
        return text.replacingOccurrences(of: "%3D", with: "=").replacingOccurrences(of: "%0A", with: "\n")
            .replacingOccurrences(of: "%25", with: "%")
    }
}
