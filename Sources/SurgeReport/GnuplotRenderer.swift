import Foundation
import SurgeStats
import Synchronization

/// Draws `ChartSpec`s with gnuplot (Debian's gnuplot-nox) run as subprocesses, one per core: SVG
/// (inlined into HTML, and kept as files when asked) and/or PNG (linked from markdown).
///
/// When gnuplot is missing or fails, `render` returns no charts and a `reason` a report prints in
/// their place; the report is still written.
public struct GnuplotRenderer: Sendable {
    public enum Format: String, Sendable { case svg, png }

    /// The gnuplot program: a path, or a name looked up in `PATH`.
    public var executable: String
    public var timeoutSeconds: Double

    /// `SURGE_GNUPLOT` when set, else `gnuplot` from `PATH`.
    public static var defaultExecutable: String {
        ProcessInfo.processInfo.environment["SURGE_GNUPLOT"].flatMap { $0.isEmpty ? nil : $0 } ?? "gnuplot"
    }

    public init(executable: String = GnuplotRenderer.defaultExecutable, timeoutSeconds: Double = 60) {
        self.executable = executable
        self.timeoutSeconds = timeoutSeconds
    }

    public struct Output: Sendable {
        /// Chart id → SVG text (the `<svg>` element only, ready to inline).
        public var svg: [String: String] = [:]
        /// Chart id → PNG file path.
        public var png: [String: String] = [:]
        /// Chart id → SVG file path, when `render` was given an `svgDirectory`.
        public var svgFiles: [String: String] = [:]
        /// Why there are no charts (or fewer than asked for), for the reader.
        public var reason: String?
    }

    /// The resolved path of the program, or nil when it cannot be found or run.
    public func resolvedExecutable() -> String? {
        let fm = FileManager.default
        if executable.contains("/") { return fm.isExecutableFile(atPath: executable) ? executable : nil }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(executable)"
            if fm.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Renders every chart in `formats`; PNG files go to `pngDirectory` as `<id>.png`, and SVG files stay in
    /// `svgDirectory` as `<id>.svg` when one is given (the SVG text is returned for inlining either way).
    public func render(
        _ charts: [ChartSpec], formats: [Format], pngDirectory: String? = nil, svgDirectory: String? = nil
    ) -> Output {
        var output = Output()
        guard !charts.isEmpty else { return output }
        guard let program = resolvedExecutable() else {
            output.reason = "charts left out: gnuplot was not found (looked for '\(executable)'); install Debian's gnuplot-nox or set SURGE_GNUPLOT"
            return output
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("surge-charts-\(getpid())-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: work) }
        do {
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            for dir in [pngDirectory, svgDirectory].compactMap({ $0 }) {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            }
        } catch {
            output.reason = "charts left out: cannot create a working directory: \((error as NSError).localizedDescription)"
            return output
        }
        // The (chart, format) drawings are dealt round-robin to one gnuplot process per core, which run side
        // by side: a weekly page of 50-panel trend charts spends most of its time in gnuplot.
        let processes = max(1, min(charts.count * formats.count, ProcessInfo.processInfo.activeProcessorCount))
        var scripts = Array(repeating: "", count: processes)
        var drawing = 0
        let svgPath = { (chart: ChartSpec) in "\(svgDirectory ?? work.path)/\(chart.id).svg" }
        for chart in charts {
            let dataPath = work.appendingPathComponent("\(chart.id).dat").path
            do {
                try Data(chart.data.utf8).write(to: URL(fileURLWithPath: dataPath))
            } catch {
                output.reason = "charts left out: cannot write chart data: \((error as NSError).localizedDescription)"
                return output
            }
            let body = chart.commands.map { $0.replacingOccurrences(of: "$DATA", with: ChartSpec.quote(dataPath)) }.joined(separator: "\n")
            for format in formats {
                let out: String, terminal: String
                switch format {
                case .svg:
                    out = svgPath(chart)
                    terminal = "svg size \(chart.width),\(chart.height) dynamic noenhanced font 'sans,11'"
                case .png:
                    guard let pngDirectory else { continue }
                    out = "\(pngDirectory)/\(chart.id).png"
                    terminal = "pngcairo size \(chart.width),\(chart.height) noenhanced font 'sans,10'"
                }
                drawing += 1
                scripts[drawing % processes] += "set terminal \(terminal) background rgb 'white'\n"
                    + "set output \(ChartSpec.quote(out))\n\(Self.style)\n\(body)\nunset output\nreset\n"
            }
        }
        var scriptPaths: [String] = []
        for (index, script) in scripts.enumerated() where !script.isEmpty {
            let scriptPath = work.appendingPathComponent("charts-\(index).gp").path
            do {
                try Data(script.utf8).write(to: URL(fileURLWithPath: scriptPath))
            } catch {
                output.reason = "charts left out: cannot write the gnuplot script: \((error as NSError).localizedDescription)"
                return output
            }
            scriptPaths.append(scriptPath)
        }
        let result = run(program, scripts: scriptPaths)
        if let failure = result {
            output.reason = "charts left out: \(program) failed: \(failure)"
            return output
        }
        for chart in charts {
            if formats.contains(.svg), let text = try? String(contentsOfFile: svgPath(chart), encoding: .utf8) {
                output.svg[chart.id] = Self.inlineSVG(text, title: chart.title)
                if svgDirectory != nil { output.svgFiles[chart.id] = svgPath(chart) }
            }
            if formats.contains(.png), let pngDirectory, FileManager.default.fileExists(atPath: "\(pngDirectory)/\(chart.id).png") {
                output.png[chart.id] = "\(pngDirectory)/\(chart.id).png"
            }
        }
        return output
    }

    /// Common look: light grid, no top/right border, key outside on the right.
    static let style = """
        set border 3 lc rgb '#555555'
        set tics nomirror
        set grid ytics lc rgb '#e0e0e0' lt 1
        set key outside right top vertical Left reverse noautotitle samplen 2 spacing 1.1
        set linetype 1 lc rgb '#1f77b4' lw 2 pt 7 ps 0.6
        set linetype 2 lc rgb '#d62728' lw 2 pt 5 ps 0.6
        set linetype 3 lc rgb '#2ca02c' lw 2 pt 9 ps 0.6
        set linetype 4 lc rgb '#ff7f0e' lw 2 pt 11 ps 0.6
        set linetype 5 lc rgb '#9467bd' lw 2 pt 13 ps 0.6
        set linetype 6 lc rgb '#8c564b' lw 2 pt 7 ps 0.6
        set linetype 7 lc rgb '#e377c2' lw 2 pt 5 ps 0.6
        set linetype 8 lc rgb '#17becf' lw 2 pt 9 ps 0.6
        set linetype cycle 8
        """

    /// The `<svg>` element of gnuplot's output, without the XML prolog, titled for screen readers.
    /// Both are in the first few hundred bytes gnuplot writes, so only those are searched (as bytes: a
    /// 50-panel chart is megabytes, and Foundation's string search converts all of it to UTF-16).
    static func inlineSVG(_ text: String, title: String) -> String {
        let bytes = Array(text.utf8)
        let head = bytes.prefix(8192)
        let start = Self.find(Array("<svg".utf8), in: head) ?? 0
        let placeholder = Array("<title>Gnuplot</title>".utf8)
        let escaped = title.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        guard let at = Self.find(placeholder, in: head[start...]) else {
            return String(decoding: bytes[start...], as: UTF8.self)
        }
        var out = Array(bytes[start..<at])
        out.reserveCapacity(bytes.count - start + escaped.utf8.count)
        out += Array("<title>\(escaped)</title>".utf8)
        out += bytes[(at + placeholder.count)...]
        return String(decoding: out, as: UTF8.self)
    }

    private static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in haystack.startIndex...(haystack.endIndex - needle.count)
        where haystack[i] == needle[0] && haystack[i..<(i + needle.count)].elementsEqual(needle) {
            return i
        }
        return nil
    }

    /// Runs the program once per script, all at once; nil when every run succeeded, else what went wrong
    /// with the first that failed (exit status and its last error lines). Each process's standard error is
    /// read on a thread of its own while the processes run, so none blocks on a full pipe, and the deadline
    /// holds even for a program that never closes its standard error.
    private func run(_ program: String, scripts: [String]) -> String? {
        var started: [Process] = []
        let errors = ErrorOutput(count: scripts.count)
        for (index, script) in scripts.enumerated() {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = [script]
            let errPipe = Pipe()
            process.standardError = errPipe
            process.standardOutput = FileHandle.nullDevice
            do {
                try process.run()
            } catch {
                started.forEach { $0.terminate() }
                return "cannot start it: \((error as NSError).localizedDescription)"
            }
            started.append(process)
            errors.collect(index, from: errPipe.fileHandleForReading)
        }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        for process in started {
            while process.isRunning {
                if Date() > deadline {
                    started.forEach { $0.terminate() }
                    return "no answer after \(GoFloatFormat.shortest(timeoutSeconds))s"
                }
                usleep(10_000)
            }
        }
        errors.wait(until: deadline.addingTimeInterval(1))
        for (index, process) in started.enumerated() where process.terminationStatus != 0 {
            let lines = String(decoding: errors.data(index), as: UTF8.self).split(separator: "\n").suffix(4)
                .joined(separator: " | ")
            return "exit status \(process.terminationStatus): \(lines)"
        }
        return nil
    }
}

/// The standard error of each gnuplot process, read to its end on a thread of its own.
private final class ErrorOutput: Sendable {
    private let buffers: Mutex<[Data]>
    private let readers = DispatchGroup()

    init(count: Int) {
        buffers = Mutex(Array(repeating: Data(), count: count))
    }

    func collect(_ index: Int, from handle: FileHandle) {
        DispatchQueue.global().async(group: readers) { [self] in
            let data = handle.readDataToEndOfFile()
            buffers.withLock { $0[index] = data }
        }
    }

    /// Waits for every reader, at most until `deadline` (a process's child may keep the pipe open).
    func wait(until deadline: Date) {
        _ = readers.wait(timeout: .now() + max(deadline.timeIntervalSinceNow, 0))
    }

    func data(_ index: Int) -> Data { buffers.withLock { $0[index] } }
}
