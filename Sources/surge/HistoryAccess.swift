import ArgumentParser
import Foundation
import SurgeHistory
import SurgeResults

/// The `--db` option of `surge history` and `surge report weekly` (and `surge run --history-db`):
/// an SQLite file or a PostgreSQL URL, else `SURGE_HISTORY_URL`, else `Reports/history.sqlite`.
enum HistoryAccess {
    static let help: ArgumentHelp = """
        The history: an SQLite file, or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE \
        (default: $SURGE_HISTORY_URL, else \(HistoryLocation.defaultPath)).
        """

    /// Opens the history at `location`, runs `body` with it, and closes it (also when `body` throws).
    static func using<T>(
        _ location: HistoryLocation, _ body: (any HistoryBackend) async throws -> T
    ) async throws -> T {
        let store = try await HistoryStore.open(location)
        do {
            let value = try await body(store)
            await store.close()
            return value
        } catch {
            await store.close()
            throw error
        }
    }
}

/// `surge run --history`: appends the finished run to the history (SQLite or PostgreSQL).
struct HistorySink {
    var location: HistoryLocation

    /// Appends the run; a failure is reported on standard error (the result file is already saved).
    /// Returns whether the run is in the history.
    func deliver(_ run: RunResult, resultPath: String) async -> Bool {
        do {
            let outcome = try await HistoryAccess.using(location) { try await $0.add(run, sourcePath: resultPath) }
            switch outcome {
            case .added: print("history: \(location)")
            case .alreadyPresent: print("history: \(run.runID) was already in \(location); left as stored")
            }
            return true
        } catch {
            let message = "surge: the run is saved, but its history entry (\(location)) could not be written: "
                + "\(error)\n"
            FileHandle.standardError.write(Data(message.utf8))
            return false
        }
    }
}
