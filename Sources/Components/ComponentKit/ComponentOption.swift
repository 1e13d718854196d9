/// One switch a component accepts (`-o name=value` on `surge serve`, `options:` in a scenario),
/// declared once with its type, default, accepted range and help. `surge serve` parses with it,
/// `surge list` prints it and `surge validate` checks scenarios against it.
package struct ComponentOption: Sendable {
    /// What values the option takes; each case parses and range-checks its text form.
    package enum Kind: Sendable {
        /// on|off (also true/false, yes/no, 1/0).
        case flag
        /// A whole number, `_` separators allowed.
        case integer(ClosedRange<Int>)
        /// Bytes, with an optional suffix B, KB, MB, GB, KiB, MiB, GiB.
        case size(ClosedRange<Int>)
        /// Seconds, with an optional suffix ns, us, ms, s, m, h (a bare number is seconds).
        case duration(ClosedRange<Double>)
        /// One of a fixed set of words (case-insensitive).
        case choice([String])
        /// Free text the component interprets; `isValid` rejects what it cannot use.
        case text(accepted: String, isValid: @Sendable (String) -> Bool)
    }

    package let name: String
    package let kind: Kind
    /// The value used when the option is not given.
    package let defaultValue: ComponentOptionValue
    /// The default as `surge list` shows it ("number of cores" where it depends on the machine).
    package let defaultText: String
    package let help: String

    /// The type column of `surge list`: `on|off`, `integer 1..1024`, `duration`, `immediate|batched|read`.
    package var typeText: String {
        switch kind {
        case .flag: return "on|off"
        case .integer(let r): return "integer \(r.lowerBound)..\(r.upperBound)"
        case .size: return "size"
        case .duration: return "duration"
        case .choice(let words): return words.joined(separator: "|")
        case .text: return "text"
        }
    }

    /// What a valid value looks like, for error messages.
    package var accepted: String {
        switch kind {
        case .flag: return "on or off"
        case .integer(let r): return "an integer in \(r.lowerBound)...\(r.upperBound)"
        case .size(let r): return "a size in bytes in \(r.lowerBound)...\(r.upperBound), like 8192, 16KiB or 8MiB"
        case .duration(let r):
            let low = OptionValueParser.show(seconds: r.lowerBound)
            let high = OptionValueParser.show(seconds: r.upperBound)
            return "a duration in \(low)...\(high), like 500ms, 10s or 2m"
        case .choice(let words):
            return words.count < 2 ? words.joined() : words.dropLast().joined(separator: ", ") + " or " + words.last!
        case .text(let accepted, _): return accepted
        }
    }

    /// Parses `text` as this option's value, or nil when it is not valid.
    package func parse(_ text: String) -> ComponentOptionValue? {
        switch kind {
        case .flag: return OptionValueParser.flag(text).map { .flag($0) }
        case .integer(let r): return OptionValueParser.integer(text).flatMap { r.contains($0) ? .integer($0) : nil }
        case .size(let r): return OptionValueParser.size(text).flatMap { r.contains($0) ? .integer($0) : nil }
        case .duration(let r): return OptionValueParser.seconds(text).flatMap { r.contains($0) ? .seconds($0) : nil }
        case .choice(let words):
            let lower = text.lowercased()
            return words.contains(lower) ? .text(lower) : nil
        case .text(_, let isValid): return isValid(text) ? .text(text) : nil
        }
    }
}

extension ComponentOption {
    package static func flag(_ name: String, default value: Bool, help: String) -> ComponentOption {
        ComponentOption(
            name: name, kind: .flag, defaultValue: .flag(value), defaultText: value ? "on" : "off", help: help)
    }

    package static func integer(
        _ name: String, default value: Int, in range: ClosedRange<Int>, help: String,
        shown: String? = nil
    ) -> ComponentOption {
        ComponentOption(
            name: name, kind: .integer(range), defaultValue: .integer(value), defaultText: shown ?? "\(value)",
            help: help)
    }

    package static func size(
        _ name: String, default value: Int, in range: ClosedRange<Int>, help: String,
        shown: String
    ) -> ComponentOption {
        ComponentOption(name: name, kind: .size(range), defaultValue: .integer(value), defaultText: shown, help: help)
    }

    /// `value` and `range` in seconds.
    package static func duration(
        _ name: String, default value: Double, in range: ClosedRange<Double>,
        help: String
    ) -> ComponentOption {
        ComponentOption(
            name: name, kind: .duration(range), defaultValue: .seconds(value),
            defaultText: OptionValueParser.show(seconds: value), help: help)
    }

    package static func choice(
        _ name: String, default value: String, among words: [String],
        help: String
    ) -> ComponentOption {
        ComponentOption(name: name, kind: .choice(words), defaultValue: .text(value), defaultText: value, help: help)
    }

    package static func text(
        _ name: String, default value: String, accepted: String, help: String,
        shown: String? = nil, isValid: @escaping @Sendable (String) -> Bool
    ) -> ComponentOption {
        ComponentOption(
            name: name, kind: .text(accepted: accepted, isValid: isValid), defaultValue: .text(value),
            defaultText: shown ?? value, help: help)
    }

    /// `handicap-ns`, which every built-in component takes: nanoseconds busy-waited per `unit` of work.
    package static func handicap(per unit: String) -> ComponentOption {
        .integer(
            "handicap-ns", default: 0, in: 0...1_000_000_000,
            help: "busy-wait this many ns per \(unit) (a canary for the regression gate; 0 = off)")
    }
}

/// A parsed option value.
package enum ComponentOptionValue: Sendable, Equatable {
    case flag(Bool)
    case integer(Int)
    case seconds(Double)
    case text(String)
}
