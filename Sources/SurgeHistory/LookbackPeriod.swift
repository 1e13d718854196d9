import Foundation

/// A look-back period written like `30d`, `7d`, `12h`, `2w`: how far back `--since` reaches.
public enum LookbackPeriod {
    /// Seconds in the period, or nil when the text is not a number followed by `h`, `d` or `w`.
    public static func seconds(_ text: String) -> TimeInterval? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard let unit = t.last, let n = Double(t.dropLast()), n >= 0, n.isFinite else { return nil }
        switch unit {
        case "h": return n * 3600
        case "d": return n * 86400
        case "w": return n * 7 * 86400
        default: return nil
        }
    }

    /// The start of the period ending at `now`.
    public static func start(_ text: String, now: Date = Date()) -> Date? {
        seconds(text).map { now.addingTimeInterval(-$0) }
    }
}
