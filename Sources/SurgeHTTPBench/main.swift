// surge-http-bench: runs Surge's HTTP load driver (http.closed, or http.open with --rate) against
// host:port standalone and prints one JSON line of figures; or serves the built-in HTTP server
// (--serve), or starts nginx with Surge's generated configuration (--target nginx).
import Foundation
import HTTPServer
import NIOCore
import NIOPosix
import SurgeLoad

let usage = """
    usage:
      surge-http-bench [--host 127.0.0.1] --port P [--connections 64] [--duration 5s | --requests N]
                       [--pipeline 1] [--path /plaintext] [--rate R] [--warmup 1s] [--threads N]
      surge-http-bench --serve [--port 0] [--stats-port 0] [key=value ...]
      surge-http-bench --target surge|nginx --port P [--workers 1] [key=value ...]
      surge-http-bench --prepare-nginx --port P [--workers 1]
    """

struct Arguments {
    var flags: [String: String] = [:]
    var switches: Set<String> = []
    var options: [String: String] = [:]

    init(_ args: [String]) throws {
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--serve" || a == "--prepare-nginx" || a == "--help" {
                switches.insert(a)
            } else if a.hasPrefix("--") {
                guard i + 1 < args.count else { throw BenchError("\(a) needs a value\n\(usage)") }
                flags[String(a.dropFirst(2))] = args[i + 1]
                i += 1
            } else if let eq = a.firstIndex(of: "=") {
                options[String(a[..<eq])] = String(a[a.index(after: eq)...])
            } else {
                throw BenchError("unexpected argument '\(a)'\n\(usage)")
            }
            i += 1
        }
    }

    func int(_ key: String, _ defaultValue: Int) throws -> Int {
        guard let s = flags[key] else { return defaultValue }
        guard let v = Int(s) else { throw BenchError("--\(key) expects an integer, found '\(s)'") }
        return v
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

func json(_ pairs: [(String, String)]) -> String {
    "{" + pairs.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
}

func serve(port: Int, statsPort: Int, options: [String: String]) async throws -> Never {
    let server = HTTPServer(options: try HTTPServerOptions(options: options, port: port, statsPort: statsPort))
    let ports = try await server.start()
    print(json([("ready", "true"), ("port", "\(ports.port)"), ("stats_port", "\(ports.statsPort)")]))
    fflush(nil)
    while true { try await Task.sleep(nanoseconds: 3_600_000_000_000) }
}

func execNginx(port: Int, workers: Int) throws -> Never {
    let target = try NginxTarget.prepare(port: port, workers: workers)
    let cArgs = target.argv.map { strdup($0) } + [nil]
    execv(target.argv[0], cArgs)
    throw BenchError("execv \(target.argv[0]) failed: \(String(cString: strerror(errno)))")
}

func drive(_ args: Arguments) async throws {
    let port = try args.int("port", 0)
    guard port > 0 else { throw BenchError("--port is required\n\(usage)") }
    var values: [String: WorkloadParameters.Value] = [
        "connections": .scalar(args.flags["connections"] ?? "64"),
        "pipeline": .scalar(args.flags["pipeline"] ?? "1"),
        "path": .scalar(args.flags["path"] ?? "/plaintext"),
    ]
    if let n = args.flags["requests"] { values["requests"] = .scalar(n) } else { values["duration"] = .scalar(args.flags["duration"] ?? "5s") }
    if let r = args.flags["rate"] { values["rate"] = .scalar(r) }
    let parameters = WorkloadParameters(values)
    let workload: any Workload = args.flags["rate"] == nil
        ? try HTTPClosedLoopWorkload(parameters: parameters) : try HTTPOpenLoopWorkload(parameters: parameters)
    let group = MultiThreadedEventLoopGroup(numberOfThreads: try args.int("threads", 1))
    let endpoint = Endpoint(host: args.flags["host"] ?? "127.0.0.1", port: port)
    let session = try await workload.makeSession(endpoints: [endpoint], group: group)
    let warmup = WorkloadParameters.parseDuration(args.flags["warmup"] ?? "1s") ?? 1
    if warmup > 0 { _ = try await session.run(.warmup(seconds: warmup)) { _ in } }
    let outcome = try await session.run(.measure) { _ in }
    await session.close()
    try await group.shutdownGracefully()
    var pairs: [(String, String)] = [("requests", "\(outcome.operations)"), ("elapsed_s", String(format: "%.3f", outcome.elapsedSeconds))]
    for key in ["req/s", "p50-ns", "p90-ns", "p99-ns", "p99.9-ns", "max-ns", "errors"] {
        if let v = outcome.metrics[key] { pairs.append((key, String(format: "%.0f", v))) }
    }
    pairs.append(("failures", "[" + outcome.failures.map { "\"\($0.replacingOccurrences(of: "\"", with: "'"))\"" }.joined(separator: ",") + "]"))
    print(json(pairs))
}

do {
    let args = try Arguments(Array(CommandLine.arguments.dropFirst()))
    if args.switches.contains("--help") {
        print(usage)
    } else if args.switches.contains("--serve") {
        try await serve(port: try args.int("port", 0), statsPort: try args.int("stats-port", 0), options: args.options)
    } else if args.switches.contains("--prepare-nginx") {
        let target = try NginxTarget.prepare(port: try args.int("port", 0), workers: try args.int("workers", 1))
        print(json([("argv", "[" + target.argv.map { "\"\($0)\"" }.joined(separator: ",") + "]"), ("directory", "\"\(target.directory)\"")]))
    } else if let target = args.flags["target"] {
        switch target {
        case "surge": try await serve(port: try args.int("port", 0), statsPort: try args.int("stats-port", 0), options: args.options)
        case "nginx": try execNginx(port: try args.int("port", 0), workers: try args.int("workers", 1))
        default: throw BenchError("--target must be surge or nginx, found '\(target)'")
        }
    } else {
        try await drive(args)
    }
} catch {
    FileHandle.standardError.write(Data("surge-http-bench: \(error)\n".utf8))
    exit(1)
}
