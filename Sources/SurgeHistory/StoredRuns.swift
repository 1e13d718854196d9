import Foundation
import SurgeResults
import Synchronization

/// Stored runs back into `RunResult`s, the same way for every backend.
enum StoredRuns {
    /// The runs of `rows` (id, JSON) in order, decoded on every core: decoding is most of the time a
    /// weekly report over a long history takes (365 runs of 50 cells are 37 MB of JSON). The first row
    /// that does not decode, in order, is the error.
    static func decode(_ rows: [(String, Data)], location: String) throws(HistoryError) -> [RunResult] {
        let decoded = Mutex<[Result<RunResult, HistoryError>?]>(Array(repeating: nil, count: rows.count))
        DispatchQueue.concurrentPerform(iterations: rows.count) { i in
            let (id, json) = rows[i]
            let result: Result<RunResult, HistoryError>
            do {
                result = .success(try RunResultCodec.decode(json, path: "\(location) run \(id)"))
            } catch {
                result = .failure(HistoryError.undecodable(location: location, runID: id, error: error))
            }
            decoded.withLock { $0[i] = result }
        }
        var out: [RunResult] = []
        out.reserveCapacity(rows.count)
        for result in decoded.withLock({ $0 }) {
            switch result {
            case .success(let run): out.append(run)
            case .failure(let error): throw error
            case nil: continue
            }
        }
        return out
    }
}
