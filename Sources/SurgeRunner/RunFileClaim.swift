import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Picks a run's id and result file so that no two runs share either: the file
/// `<directory>/<stamp>-<scenario>.json` is created exclusively (O_CREAT|O_EXCL), and when another
/// run already holds it (two runs started in the same second with the same `--out`), the next free
/// `…-2`, `…-3` is taken. Before, both runs wrote the same file and one run was lost.
enum RunFileClaim {
    /// The run id and the claimed path. When the directory cannot be created the path is returned
    /// unclaimed, and the first save reports why it cannot be written.
    static func claim(directory: String, base: String) -> (runID: String, path: String) {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for n in 1...10_000 {
            let runID = n == 1 ? base : "\(base)-\(n)"
            let path = (directory as NSString).appendingPathComponent("\(runID).json")
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                close(fd)
                return (runID, path)
            }
            if errno != EEXIST { return (runID, path) }
        }
        let runID = "\(base)-\(UUID().uuidString.prefix(8))"
        return (runID, (directory as NSString).appendingPathComponent("\(runID).json"))
    }
}
