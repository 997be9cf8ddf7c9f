// The wire channels by the names used in attributes, catalogs, CSV files and model features.

/// Channel names as used in attributes, catalogs and CSV files.
public enum ChannelName {
    public static let all = ["atm", "kiosk", "web", "call_center"]

    public static func name(_ channel: Channel) -> String? {
        switch channel {
        case .atm: "atm"
        case .kiosk: "kiosk"
        case .web: "web"
        case .callCenter: "call_center"
        default: nil
        }
    }

    public static func channel(_ name: String) -> Channel? {
        switch name {
        case "atm": .atm
        case "kiosk": .kiosk
        case "web": .web
        case "call_center": .callCenter
        default: nil
        }
    }
}
