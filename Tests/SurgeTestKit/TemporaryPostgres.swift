import Foundation

/// A real PostgreSQL server of the test's own: Debian's `postgresql` binaries, a new data directory
/// under /tmp, listening on 127.0.0.1 at a free port and on a Unix socket in that directory, one
/// database created. TCP logins need the password (scram-sha-256); the socket trusts the `postgres`
/// user (for `psql`). As root (CI), every PostgreSQL program runs as the `postgres` system user
/// (`setpriv`, which execs in place), since the server refuses to run as root. The server is this
/// process's own child, not a daemon (a daemon would inherit the descriptor by which Foundation's
/// `Process` sees a child end). `stop()` shuts it down and removes the directory.
public final class TemporaryPostgres {
    public let directory: String
    public private(set) var port = 0
    public let user = "postgres"
    public let password: String
    public let database: String
    private let bin: String
    private var server: Process?
    private var stopped = false

    /// `postgres://postgres:PASSWORD@127.0.0.1:PORT/DATABASE?sslmode=disable`.
    public var url: String { "postgres://\(user):\(password)@127.0.0.1:\(port)/\(database)?sslmode=disable" }

    /// Starts a server, or skips (fails under `SURGE_REQUIRE_ALL=1`) when PostgreSQL is not installed.
    /// Throws with the server's log when it is installed but does not start.
    public static func start(
        database: String = "surge", file: StaticString = #filePath, line: UInt = #line
    ) throws -> TemporaryPostgres {
        guard let bin = binDirectory else {
            try requireOrSkip(
                "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; Debian package postgresql, "
                    + "installed by Scripts/setup)", file: file, line: line)
        }
        if geteuid() == 0, getpwnam("postgres") == nil {
            try requireOrSkip(
                "running as root and there is no postgres system user to run PostgreSQL as (the Debian package "
                    + "postgresql makes it)", file: file, line: line)
        }
        return try TemporaryPostgres(bin: bin, database: database)
    }

    /// The newest `/usr/lib/postgresql/N/bin` that has `initdb`.
    public static var binDirectory: String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.compactMap { v in Int(v).map { ($0, "\(root)/\(v)/bin") } }
            .filter { FileManager.default.isExecutableFile(atPath: $0.1 + "/initdb") }
            .max { $0.0 < $1.0 }?.1
    }

    private init(bin: String, database: String) throws {
        self.bin = bin
        self.database = database
        directory = SurgeBinary.tempDir("surge-pg")
        password = "pw-" + UUID().uuidString.prefix(8).lowercased()
        do {
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
            let passwordFile = directory + "/pwfile"
            try Data(password.utf8).write(to: URL(fileURLWithPath: passwordFile))
            if geteuid() == 0, let pw = getpwnam("postgres") {
                for path in [directory, passwordFile] where chown(path, pw.pointee.pw_uid, pw.pointee.pw_gid) != 0 {
                    let why = String(cString: strerror(errno))
                    throw PostgresSetupFailure(step: "chown \(path) to postgres", output: why)
                }
            }
            try runStep(
                "initdb",
                ["-D", directory + "/data", "-U", user, "--pwfile=\(passwordFile)", "--auth-local=trust",
                 "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"])
            // A port free a moment ago can be taken before the server binds it: then try another.
            for attempt in 1...3 {
                port = try Self.freePort()
                let server = try startServer()
                self.server = server
                do {
                    try waitUntilReady(server)
                    break
                } catch let failure as PostgresSetupFailure where failure.exited && attempt < 3 {
                    continue
                }
            }
            try runStep("createdb", ["-h", directory, "-p", "\(port)", "-U", user, database])
        } catch {
            let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            stop()
            throw log.isEmpty ? error : PostgresSetupFailure(step: "\(error)", output: "server log:\n" + log)
        }
    }

    /// Starts `postgres` in the foreground (this process's child), its output in `server.log`.
    private func startServer() throws -> Process {
        let log = directory + "/server.log"
        guard FileManager.default.createFile(atPath: log, contents: nil) else {
            throw PostgresSetupFailure(step: "create \(log)", output: "")
        }
        let server = Process()
        configure(server, bin + "/postgres", [
            "-D", directory + "/data", "-k", directory, "-c", "listen_addresses=127.0.0.1", "-p", "\(port)",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
        ])
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? logHandle.close() }
        server.standardOutput = logHandle
        server.standardError = logHandle
        try server.run()
        return server
    }

    /// Polls `pg_isready` on the socket until the server accepts connections (60 s at most).
    private func waitUntilReady(_ server: Process) throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            guard server.isRunning else {
                throw PostgresSetupFailure(
                    step: "postgres (exited with \(server.terminationStatus))", output: "", exited: true)
            }
            if try run(bin + "/pg_isready", ["-q", "-h", directory, "-p", "\(port)", "-U", user]).status == 0 { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw PostgresSetupFailure(step: "postgres (not ready within 60 s)", output: "")
    }

    deinit { stop() }

    /// Shuts the server down (at once: its data is thrown away) and removes the directory. Idempotent.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        if let server, server.isRunning {
            kill(server.processIdentifier, SIGQUIT)  // immediate shutdown
            server.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `sql` with `psql` over the Unix socket; returns its status and output (unaligned, tuples only).
    public func psql(_ sql: String) throws -> (status: Int32, output: String) {
        try run(bin + "/psql", ["-h", directory, "-p", "\(port)", "-U", user, "-d", database, "-X", "-At",
                               "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    private func runStep(_ program: String, _ arguments: [String]) throws {
        let (status, output) = try run(bin + "/" + program, arguments)
        guard status == 0 else { throw PostgresSetupFailure(step: "\(program) (status \(status))", output: output) }
    }

    /// `p` runs `program`, as the postgres user when we are root, in the server's directory.
    private func configure(_ p: Process, _ program: String, _ arguments: [String]) {
        if geteuid() == 0 {
            p.executableURL = URL(fileURLWithPath: SurgeBinary.which("setpriv") ?? "/usr/bin/setpriv")
            p.arguments = ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", program] + arguments
        } else {
            p.executableURL = URL(fileURLWithPath: program)
            p.arguments = arguments
        }
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        p.standardInput = FileHandle.nullDevice
    }

    /// Runs a PostgreSQL program to its end; standard output and error together.
    private func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        configure(p, program, arguments)
        // A file, not a pipe: nothing waits for a pipe's end.
        let outputPath = directory + "/output-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: outputPath, contents: nil) else {
            throw PostgresSetupFailure(step: "create \(outputPath)", output: "")
        }
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        defer { try? output.close() }
        p.standardOutput = output
        p.standardError = output
        try p.run()
        p.waitUntilExit()
        let data = (try? Data(contentsOf: URL(fileURLWithPath: outputPath))) ?? Data()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    public static func freePort() throws -> Int {
        do { return try LoopbackPort.free() } catch {
            throw PostgresSetupFailure(step: "find a free port", output: "\(error)")
        }
    }
}

/// A PostgreSQL program that failed while the test server was being set up.
public struct PostgresSetupFailure: Error, CustomStringConvertible {
    public var step: String
    public var output: String
    /// The server exited while starting (a port taken meanwhile, among others).
    public var exited = false
    public var description: String { "the test PostgreSQL server could not be set up: \(step) failed:\n\(output)" }
}
