import Foundation

/// The system C compiler (`$CC`, else the first of cc, gcc, clang in PATH), run to completion.
/// Used to build the preload library on first need (and by the probe tests for their fixtures).
package enum CCompiler {
    /// The compiler's path, or nil when there is none.
    package static var path: String? {
        let environment = ProcessInfo.processInfo.environment
        let searchPath = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        var names = ["cc", "gcc", "clang"]
        if let chosen = environment["CC"], !chosen.isEmpty { names.insert(chosen, at: 0) }
        for name in names {
            if name.contains("/") {
                if FileManager.default.isExecutableFile(atPath: name) { return name }
                continue
            }
            for directory in searchPath.split(separator: ":") where !directory.isEmpty {
                let candidate = "\(directory)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }

    /// Runs the compiler with `arguments`; throws with its diagnostics when it fails.
    package static func run(_ arguments: [String]) throws(ProbeError) {
        guard let compiler = path else {
            throw .unavailable(method: "cc", reason: "no C compiler (cc, gcc or clang) in PATH to build it")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: compiler)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        do {
            try process.run()
        } catch {
            throw .unavailable(method: "cc", reason: "cannot run \(compiler): \(error.localizedDescription)")
        }
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: output, as: UTF8.self).split(separator: "\n").prefix(4).joined(separator: " | ")
            throw .unavailable(method: "cc", reason: "\(compiler) \(arguments.joined(separator: " ")) failed: \(text)")
        }
    }
}
