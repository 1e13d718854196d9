import Foundation

/// Why nginx could not be prepared as a target.
public enum NginxTargetError: Error, CustomStringConvertible {
    case notInstalled(searched: [String])
    case invalidArgument(String)
    case cannotWrite(path: String, underlying: String)

    public var description: String {
        switch self {
        case .notInstalled(let searched):
            "nginx is not installed (looked for \(searched.joined(separator: ", "))); install Debian's nginx-light"
        case .invalidArgument(let message): message
        case .cannotWrite(let path, let underlying): "cannot write the nginx configuration \(path): \(underlying)"
        }
    }
}

/// Debian's nginx as an external HTTP target: writes a configuration serving the built-in server's
/// fixed routes (`/plaintext`, `/json`) on 127.0.0.1 to a fresh temporary directory and returns the
/// command that runs nginx in the foreground with it.
///
/// With one worker the configuration runs nginx as a single process (`master_process off`) so the
/// PID the runner probes is the process that serves; with more, the master's workers are its children.
/// The caller removes `directory` after nginx exits.
public enum NginxTarget {
    public static let searchPaths = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx", "/usr/local/nginx/sbin/nginx"]

    /// The nginx binary, or nil if none is installed.
    public static func executable() -> String? {
        searchPaths.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public static func prepare(port: Int, workers: Int) throws -> (argv: [String], directory: String) {
        guard (1...65535).contains(port) else { throw NginxTargetError.invalidArgument("nginx port \(port) is not in 1...65535") }
        guard (1...256).contains(workers) else { throw NginxTargetError.invalidArgument("nginx workers \(workers) is not in 1...256") }
        guard let nginx = executable() else { throw NginxTargetError.notInstalled(searched: searchPaths) }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("surge-nginx-\(getpid())-\(port)-\(UInt32.random(in: 0...UInt32.max))").path
        let config = directory + "/nginx.conf"
        do {
            try FileManager.default.createDirectory(atPath: directory + "/temp", withIntermediateDirectories: true)
            try configuration(port: port, workers: workers, directory: directory).write(toFile: config, atomically: true, encoding: .utf8)
        } catch {
            throw NginxTargetError.cannotWrite(path: config, underlying: "\(error)")
        }
        return ([nginx, "-p", directory + "/", "-c", config, "-e", directory + "/error.log"], directory)
    }

    /// The configuration text (exposed for tests and for reading).
    public static func configuration(port: Int, workers: Int, directory: String) -> String {
        let asRoot = getuid() == 0
        return """
            # Written by Surge (NginxTarget); removed with its directory after the run.
            daemon off;
            master_process \(workers == 1 ? "off" : "on");
            worker_processes \(workers);
            \(asRoot ? "user nobody nogroup;" : "")
            pid \(directory)/nginx.pid;
            error_log \(directory)/error.log warn;
            events {
                worker_connections 4096;
                multi_accept on;
            }
            http {
                access_log off;
                server_tokens off;
                keepalive_requests 100000000;
                keepalive_timeout 75s;
                client_body_temp_path \(directory)/temp/client_body;
                proxy_temp_path \(directory)/temp/proxy;
                fastcgi_temp_path \(directory)/temp/fastcgi;
                uwsgi_temp_path \(directory)/temp/uwsgi;
                scgi_temp_path \(directory)/temp/scgi;
                server {
                    listen 127.0.0.1:\(port) backlog=1024;
                    location = /plaintext {
                        default_type text/plain;
                        return 200 "Hello, World!";
                    }
                    location = /json {
                        default_type application/json;
                        return 200 '{"message":"Hello, World!"}';
                    }
                    location / {
                        return 404;
                    }
                }
            }

            """
    }
}
