import Foundation
import NIOCore

/// `command`: runs a team's own benchmark command once per repetition (an argv, never a shell) and
/// takes its output as the cell's sample: Go benchmark format (`go test -bench . -benchmem`) or
/// Surge's JSON lines (`{"name":"parse","metric":"ns/op","value":812.5}`; see `CommandOutputIngest`).
/// A scenario with only `command` workloads needs no `target:`; the sample also carries the CPU
/// time of the command's process tree (`cmd-cpu-ns`) and its wall time (`cmd-wall-ns`), and, with
/// probes (the runner's executor), their figures over the whole run of that tree (`cmd-syscalls`…).
public struct CommandWorkload: Workload {
    public static let kind = "command"
    public static let summary =
        "runs your own benchmark command per repetition (go test -bench, npm run bench) and ingests its output"
    public static let keyMetrics: [KeyMetric] = [KeyMetric("ns/op", threshold: 0.05)]
    public static let parameters: [ParameterSpec] = [
        ParameterSpec("command", .string, "the program and its arguments as a list, run without a shell"),
        ParameterSpec("directory", .string, "working directory of the command (default: Surge's own)"),
        ParameterSpec("env", .string, "extra environment variables, a mapping NAME: value (or a list of NAME=value)"),
        ParameterSpec(
            "format", .string,
            "go (Go benchmark lines), json-lines ({\"name\",\"metric\",\"value\"} per line) or auto (both)",
            default: "auto"),
        ParameterSpec(
            "benchmark", .string,
            "the benchmark to take when the output holds several (its name, with or without Benchmark and -N)"),
        ParameterSpec("timeout", .duration, "longest one run of the command may take", default: "5m"),
    ]

    public let argv: [String]
    public let directory: String?
    public let environment: [String: String]
    public let format: CommandOutputIngest.Format
    public let benchmark: String?
    public let timeout: Double
    /// Runs the command; the runner replaces it with one that attaches the scenario's probes.
    public var executor: any CommandExecutor = ChildProcessCommandExecutor()

    public init(parameters p: WorkloadParameters) throws {
        switch p.values["command"] {
        case .list(let items) where !items.isEmpty: argv = items
        case .scalar(let s) where !s.isEmpty: argv = [s]
        default:
            throw WorkloadParameterError(
                key: "command", "missing; give the program and its arguments as a list, e.g. [\"go\", \"test\", \"-bench\", \".\"]")
        }
        directory = try p.string("directory")
        var env: [String: String] = [:]
        let entries: [String]
        switch p.values["env"] {
        case nil: entries = []
        case .scalar(let s): entries = [s]
        case .list(let l): entries = l
        }
        for entry in entries {
            guard let eq = entry.firstIndex(of: "="), eq != entry.startIndex else {
                throw WorkloadParameterError(key: "env", "'\(entry)' is not NAME=value")
            }
            env[String(entry[..<eq])] = String(entry[entry.index(after: eq)...])
        }
        environment = env
        let formatText = try p.string("format", default: "auto")
        guard let f = CommandOutputIngest.Format(rawValue: formatText) else {
            throw WorkloadParameterError(key: "format", "expected go, json-lines or auto, found '\(formatText)'")
        }
        format = f
        benchmark = try p.string("benchmark")
        timeout = try p.duration("timeout") ?? 300
        if timeout <= 0 { throw WorkloadParameterError(key: "timeout", "must be positive") }
    }

    public func makeSession(endpoints: [Endpoint], group: any EventLoopGroup) async throws -> any WorkloadSession {
        CommandSession(workload: self)
    }
}
