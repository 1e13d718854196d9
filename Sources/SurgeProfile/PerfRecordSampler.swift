import Foundation
import Glibc

/// The fallback for CPU profiles when the BPF sampler cannot attach: `perf record -g` on the tree's
/// processes at the same frequency, folded from `perf script` output (as stackcollapse-perf.pl does).
final class PerfRecordSampler {
    private let process = Process()
    private let dataFile: String
    let frequency: Int

    init(pids: [Int32], frequency: Int) throws(ProfileError) {
        self.frequency = frequency
        dataFile = NSTemporaryDirectory() + "surge-perf-\(getpid())-\(pids[0])-\(UInt32.random(in: 0...UInt32.max)).data"
        guard let perf = Self.which("perf") else {
            throw .probe(.unavailable(method: "perf record", reason: "perf is not installed"))
        }
        process.executableURL = URL(fileURLWithPath: perf)
        process.arguments = ["record", "-q", "-F", "\(frequency)", "-g", "-o", dataFile,
                             "-p", pids.map(String.init).joined(separator: ",")]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw .probe(.unavailable(method: "perf record", reason: "cannot start \(perf): \(error.localizedDescription)"))
        }
        usleep(200_000)
        guard process.isRunning else {
            throw .probe(.unavailable(method: "perf record", reason: "perf record exited at once (status \(process.terminationStatus))"))
        }
    }

    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }

    /// Stops perf and folds what it recorded.
    func finish() throws(ProfileError) -> FoldedStacks {
        if process.isRunning {
            kill(process.processIdentifier, SIGINT)
            process.waitUntilExit()
        }
        defer { unlink(dataFile) }
        let script = Process()
        script.executableURL = process.executableURL
        script.arguments = ["script", "-i", dataFile, "-F", "comm,ip,sym,dso"]
        let output = Pipe()
        script.standardOutput = output
        script.standardError = FileHandle.nullDevice
        do { try script.run() } catch { throw .probe(.unavailable(method: "perf script", reason: error.localizedDescription)) }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        script.waitUntilExit()
        return Self.fold(String(decoding: data, as: UTF8.self))
    }

    /// Folds `perf script -F comm,ip,sym,dso` output.
    static func fold(_ text: String) -> FoldedStacks {
        var result = FoldedStacks()
        var comm: String?
        var frames: [String] = []
        func flush() {
            if let comm { result.values[([comm] + frames.reversed()).joined(separator: ";"), default: 0] += 1 }
            comm = nil
            frames = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { flush(); continue }
            if !line.hasPrefix(" ") && !line.hasPrefix("\t") {
                flush()
                comm = line.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ";", with: ":")
                continue
            }
            let words = line.split(separator: " ", maxSplits: 1)
            guard words.count == 2 else { continue }
            var symbol = String(words[1])
            var kernel = false
            if let open = symbol.range(of: " (", options: .backwards) {
                kernel = symbol[open.upperBound...].hasPrefix("[kernel")
                symbol = String(symbol[..<open.lowerBound])
            }
            if let plus = symbol.range(of: "+0x", options: .backwards) { symbol = String(symbol[..<plus.lowerBound]) }
            if symbol.isEmpty || symbol == "[unknown]" { symbol = Symbolizer.unknown }
            symbol = Symbolizer.demangle(symbol) ?? symbol.replacingOccurrences(of: ";", with: ":")
            frames.append(kernel ? symbol + "_[k]" : symbol)
        }
        flush()
        return result
    }
}
