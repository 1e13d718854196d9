import Foundation

/// The text forms option values take: flags, integers, sizes and durations. One set of rules for
/// every component, so `max-body=8MiB` and `idle-timeout=500ms` mean the same wherever they appear.
package enum OptionValueParser {
    package static func flag(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "on", "true", "yes", "1": return true
        case "off", "false", "no", "0": return false
        default: return nil
        }
    }

    /// A whole number; `_` may separate digits (`1_000_000`).
    package static func integer(_ text: String) -> Int? {
        guard !text.hasPrefix("_"), !text.hasSuffix("_") else { return nil }
        return Int(text.replacingOccurrences(of: "_", with: ""))
    }

    /// Bytes: `8192`, `16KiB`, `8MiB`, `1GB`. Nil on overflow or a negative number.
    package static func size(_ text: String) -> Int? {
        let units: [(String, Int)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
            ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1),
        ]
        var number = Substring(text)
        var scale = 1
        for (suffix, s) in units where text.hasSuffix(suffix) {
            number = text.dropLast(suffix.count)
            scale = s
            break
        }
        guard let v = integer(String(number)), v >= 0 else { return nil }
        let bytes = v.multipliedReportingOverflow(by: scale)
        return bytes.overflow ? nil : bytes.partialValue
    }

    /// Seconds from `1s`, `250ms`, `100us`, `5ns`, `2m`, `1h` or a bare number of seconds; nil when negative.
    package static func seconds(_ text: String) -> Double? {
        let s = text.trimmingCharacters(in: .whitespaces)
        for (suffix, scale) in [
            ("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("ns", 1e-9), ("s", 1.0), ("m", 60.0), ("h", 3600.0),
        ]
        where s.hasSuffix(suffix) {
            guard let v = Double(s.dropLast(suffix.count)), v >= 0, v.isFinite else { return nil }
            return v * scale
        }
        guard let v = Double(s), v >= 0, v.isFinite else { return nil }
        return v
    }

    /// `0`, `250ms`, `10s`, `2m`, `1h`: the shortest exact spelling of a duration.
    package static func show(seconds: Double) -> String {
        if seconds == 0 { return "0" }
        if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600))h" }
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
        if seconds >= 1, seconds == seconds.rounded() { return "\(Int(seconds))s" }
        let ms = seconds * 1e3
        if ms >= 1, abs(ms - ms.rounded()) < 1e-9 { return "\(Int(ms.rounded()))ms" }
        let us = seconds * 1e6
        if us >= 1, abs(us - us.rounded()) < 1e-6 { return "\(Int(us.rounded()))us" }
        return "\(Int((seconds * 1e9).rounded()))ns"
    }
}
