import Foundation

/// One chart as gnuplot commands plus its data, independent of the output format (SVG for HTML,
/// PNG for markdown). Data blocks are numeric only; every text that came from a scenario or a result
/// (titles, tick labels, series names) goes into the script through `ChartSpec.quote`, and gnuplot
/// runs with `noenhanced` text, so no value is interpreted as markup.
public struct ChartSpec: Sendable {
    /// File-name stem and HTML id: letters, digits and `-`.
    public var id: String
    public var title: String
    /// What a reader should know to read it (which interval the whiskers show, what was left out).
    public var caption: String
    public var width: Int
    public var height: Int
    /// gnuplot commands (`set …`, one `plot …`); `$DATA` stands for this chart's data file.
    public var commands: [String]
    /// The data file: blocks separated by two blank lines (gnuplot's `index`).
    public var data: String

    public init(id: String, title: String, caption: String = "", width: Int = 760, height: Int = 420, commands: [String], data: String) {
        self.id = id
        self.title = title
        self.caption = caption
        self.width = width
        self.height = height
        self.commands = commands
        self.data = data
    }

    /// A gnuplot single-quoted string (a quote is doubled; line breaks become spaces).
    public static func quote(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        return "'" + flat.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// A tic label, quoted: gnuplot reads tic labels as formats, so `%` is doubled.
    public static func ticLabel(_ text: String) -> String {
        quote(text.replacingOccurrences(of: "%", with: "%%"))
    }

    /// `set xtics ('a' 0, 'b' 1, …)`.
    public static func xtics(_ labels: [String], rotate: Bool = false) -> [String] {
        let tics = labels.enumerated().map { "\(ticLabel($0.element)) \($0.offset)" }.joined(separator: ", ")
        return [rotate ? "set xtics rotate by -35 left" : "set xtics norotate", "set xtics (\(tics))",
                "set xrange [-0.6:\(Double(labels.count) - 0.4)]"]
    }

    /// `set ytics (…)` for a log axis from `lo` to `hi`: 1, 2 and 5 of every decade, written as plain
    /// decimals (`0.2`, `50`, `1000`), never `1e+06`; only 1s of each decade when the range spans more than
    /// three decades. A range too narrow for three such ticks (420–650 ms holds only 500) gets 1…9 of each
    /// decade, and failing that evenly spaced ticks (450, 500, …, 650).
    public static func logTics(from lo: Double, to hi: Double) -> String {
        guard lo > 0, hi > lo else { return "set ytics auto" }
        let wide = log10(hi / lo) > 3
        var values = decadeMultiples(wide ? [1] : [1, 2, 5], from: lo, to: hi)
        if values.count < 3 { values = decadeMultiples([1, 2, 3, 4, 5, 6, 7, 8, 9], from: lo, to: hi) }
        var step: Double?
        if values.count < 3 {
            let raw = (hi - lo) / 3
            let magnitude = pow(10, floor(log10(raw)))
            let nice = ([5.0, 2, 1].first { $0 * magnitude <= raw } ?? 1) * magnitude
            let first = Int((lo / nice - 1e-9).rounded(.up)), last = Int((hi / nice + 1e-9).rounded(.down))
            values = first <= last ? (first...last).map { Double($0) * nice } : []
            step = nice
        }
        let tics = values.map { v -> String in
            let precision = max(0, Int(-floor(log10(step ?? v))))
            return "\(ticLabel(String(format: "%.*f", precision, v))) \(num(v))"
        }
        return tics.isEmpty ? "set ytics auto" : "set ytics (\(tics.joined(separator: ", ")))"
    }

    /// `m × 10^k` for every mantissa `m` and decade `k` that lands in `lo…hi`, ascending.
    private static func decadeMultiples(_ mantissas: [Double], from lo: Double, to hi: Double) -> [Double] {
        var values: [Double] = []
        var decade = pow(10, floor(log10(lo)))
        while decade <= hi {
            for m in mantissas where m * decade >= lo * (1 - 1e-9) && m * decade <= hi * (1 + 1e-9) {
                values.append(m * decade)
            }
            decade *= 10
        }
        return values
    }

    /// A safe id from any text.
    public static func slug(_ text: String) -> String {
        var out = ""
        for ch in text.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(ch) && ch.isASCII { out.unicodeScalars.append(ch) } else if !out.hasSuffix("-") { out += "-" }
        }
        return out.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
    }

    /// Numbers as gnuplot reads them.
    static func num(_ v: Double) -> String {
        v.isFinite ? String(format: "%.6g", v) : "NaN"
    }
}
