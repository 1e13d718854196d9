import ArgumentParser
import Foundation
import Glibc
import SurgeLoad
import SurgeScenario

/// `surge list`: what Surge can run — components, workloads and their parameters, scenarios.
///
/// Each option or parameter is one line of name, type and default, with its help wrapped under it
/// to the terminal's width (`COLUMNS`, else the terminal's, else 80), so nothing runs off an
/// 80-column screen.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the built-in components, workload kinds with their parameters, and the scenarios in Scenarios/."
    )

    @Option(help: "Directory of scenario files.")
    var scenarios = "Scenarios"

    func run() throws {
        let width = Self.width()
        var out: [String] = ["Components (surge serve <name>):"]
        for c in ComponentCatalog.all {
            out += Self.wrap(c.summary, lead: "  \(Self.pad(c.componentName, 12)) ", hanging: 15, width: width)
            for o in c.declaredOptions.options {
                // A long choice list breaks after a `|`.
                let type = o.typeText.split(separator: "|").map(String.init)
                let words = type.enumerated().map { $0.offset < type.count - 1 ? $0.element + "|" : $0.element }
                out += Self.wrap(
                    words: words + ["", "(default: \(o.defaultText))"], lead: "      \(Self.pad(o.name, 22)) ",
                    hanging: 29, width: width, glue: { $0.hasSuffix("|") ? "" : " " })
                out += Self.wrap(o.help, lead: "          ", hanging: 10, width: width)
            }
        }
        out += ["", "Workloads (workload.kind):"]
        for w in WorkloadRegistry.all {
            out += Self.wrap(w.summary, lead: "  \(Self.pad(w.kind, 14)) ", hanging: 17, width: width)
            for p in w.parameters {
                let def = p.defaultValue.map { ["", "(default: \($0))"] } ?? []
                out += Self.wrap(
                    words: [p.type.rawValue] + def, lead: "      \(Self.pad(p.name, 14)) ", hanging: 21, width: width
                ) { _ in " " }
                out += Self.wrap(p.help, lead: "          ", hanging: 10, width: width)
            }
        }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: scenarios)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        out += ["", "Scenarios (\(scenarios)/):"]
        if files.isEmpty { out.append("  none found") }
        for f in files {
            let path = (scenarios as NSString).appendingPathComponent(f)
            do {
                let s = try ScenarioLoader.load(path: path)
                let cells = s.cells().count
                out.append("  \(Self.pad(f, 28)) \(cells) cell\(cells == 1 ? "" : "s")")
                if let d = s.description, !d.isEmpty { out += Self.wrap(d, lead: "      ", hanging: 6, width: width) }
            } catch {
                out.append("  \(Self.pad(f, 28)) invalid: run `surge validate \(path)`")
            }
        }
        print(out.joined(separator: "\n"))
    }

    /// `COLUMNS`, else the width of the terminal on standard output, else 80; at least 40.
    static func width() -> Int {
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let n = Int(text), n > 0 { return max(40, n) }
        var ws = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0 { return max(40, Int(ws.ws_col)) }
        return 80
    }

    /// `text` broken at spaces into lines of at most `width` columns, the first starting with `lead`,
    /// the rest indented by `hanging`. A word longer than a line stays whole.
    static func wrap(_ text: String, lead: String, hanging: Int, width: Int) -> [String] {
        let words = text.split(separator: " ").map(String.init)
        return wrap(words: words, lead: lead, hanging: hanging, width: width) { _ in " " }
    }

    /// `words` in lines of at most `width` columns; `glue(previous)` is what goes between a word and
    /// the next on one line (an empty word keeps its place as an extra space).
    static func wrap(words: [String], lead: String, hanging: Int, width: Int, glue: (String) -> String) -> [String] {
        var lines: [String] = []
        var line = lead
        var previous: String?
        for word in words {
            if let p = previous, line.count + glue(p).count + word.count > width {
                while line.hasSuffix(" ") { line.removeLast() }
                lines.append(line)
                line = String(repeating: " ", count: hanging)
                previous = nil
            }
            if let p = previous { line += glue(p) }
            line += word
            previous = word
        }
        if previous != nil || lines.isEmpty { lines.append(line) }
        return lines
    }

    /// `text` padded with spaces to `width`, never cut.
    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
