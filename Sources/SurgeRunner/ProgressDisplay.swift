import Foundation
import SurgeResults
import SurgeStats

/// What a long run shows while it works, on standard error: on a terminal one line redrawn in
/// place (`[cell 3/12] BenchmarkSmoke/payload=16 · repetition 2/6 · 45%`), elsewhere (CI logs)
/// one line per cell. Notices (a fallback taken, a probe that could not attach) are printed once.
public final class ProgressDisplay: @unchecked Sendable {
    private let lock = NSLock()
    private let isTTY: Bool
    private let quiet: Bool
    private var cells = 0
    private var cell = 0
    private var name = ""
    private var phaseText = ""
    private var percent: Int?
    private var lastDraw = Date.distantPast
    private var lineShown = false
    private var noticesShown = Set<String>()

    public init(quiet: Bool = false) {
        self.quiet = quiet
        isTTY = isatty(2) == 1
    }

    func begin(scenario: String, cells: Int, repetitions: Int, resultPath: String) {
        self.cells = cells
        emit("surge: running \(scenario): \(cells) cell\(cells == 1 ? "" : "s") × \(repetitions) repetitions → \(resultPath)\n")
    }

    func cellStarted(_ index: Int, name: String) {
        lock.withLock {
            cell = index
            self.name = name
            phaseText = "starting target"
            percent = nil
        }
        redraw(force: true)
    }

    func phase(_ text: String) {
        lock.withLock {
            phaseText = text
            percent = nil
        }
        redraw(force: true)
    }

    func fraction(_ f: Double) {
        lock.withLock { percent = Int((f * 100).rounded()) }
        redraw(force: false)
    }

    func cellFinished(_ index: Int, name: String, status: CellStatus, reason: String?, samples: [Sample]) {
        // The speed pass's repetitions and their median as the final table computes it (benchstat's
        // median), so the two agree; the profile pass's repetitions are counted apart.
        let speed = samples.filter { $0.pass == "speed" }
        let profile = samples.count - speed.count
        let rates = speed.compactMap { $0.metrics["msgs/s"] ?? $0.metrics["req/s"] }
        let median = rates.isEmpty ? "" : " · median \(RunSummaryTable.number(Summary(rates).center))/s"
        let reps = "\(speed.count) rep\(speed.count == 1 ? "" : "s")" + (profile > 0 ? " + \(profile) profile" : "")
        let text: String
        switch status {
        case .ok: text = "ok     [\(index)/\(cells)] \(name) · \(reps)\(median)"
        case .failed: text = "FAILED [\(index)/\(cells)] \(name) · \(reason ?? "")"
        case .skipped: text = "skip   [\(index)/\(cells)] \(name)"
        }
        clearLine()
        emit(text + "\n")
    }

    func notice(_ text: String) {
        let fresh = lock.withLock { noticesShown.insert(text).inserted }
        guard fresh else { return }
        clearLine()
        emit("surge: note: \(text)\n")
    }

    func end() {
        clearLine()
    }

    private func redraw(force: Bool) {
        guard isTTY, !quiet else { return }
        let line: String? = lock.withLock {
            let now = Date()
            guard force || now.timeIntervalSince(lastDraw) > 0.2 else { return nil }
            lastDraw = now
            lineShown = true
            return "[cell \(cell)/\(cells)] \(name) · \(phaseText)" + (percent.map { " · \($0)%" } ?? "")
        }
        guard var line else { return }
        let width = Self.terminalWidth()
        if line.count > width - 1 { line = String(line.prefix(width - 2)) + "…" }
        emit("\r\u{1B}[2K" + line)
    }

    private func clearLine() {
        let shown = lock.withLock { () -> Bool in
            defer { lineShown = false }
            return lineShown
        }
        if shown && isTTY { emit("\r\u{1B}[2K") }
    }

    private func emit(_ s: String) {
        guard !quiet else { return }
        FileHandle.standardError.write(Data(s.utf8))
    }

    static func terminalWidth() -> Int {
        var ws = winsize()
        if ioctl(2, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 20 { return Int(ws.ws_col) }
        return 100
    }
}
