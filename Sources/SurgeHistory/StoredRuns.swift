import Foundation
import SurgeResults
import Synchronization

/// Stored runs back into `RunResult`s, the same way for every backend.
enum StoredRuns {
    /// The runs of `rows` (id, JSON) in order, decoded on every core: decoding is most of the time a
    /// weekly report over a long history takes (365 runs of 50 cells are 37 MB of JSON). The first row
    /// that does not decode, in order, is the error.
    static func decode(_ rows: [(String, Data)], location: String) throws(HistoryError) -> [RunResult] {
        try inParallel(rows.count) { i throws(HistoryError) in
            let (id, json) = rows[i]
            do {
                return try RunResultCodec.decode(json, path: "\(location) run \(id)")
            } catch {
                throw HistoryError.undecodable(location: location, runID: id, error: error)
            }
        }
    }

    /// The runs of `rows` (id, trend record, JSON) reduced for trend reports: from the trend record when
    /// the row has one, else (a run stored before trend records existed) from its whole JSON.
    static func decodeTrends(_ rows: [(String, Data?, Data?)], location: String) throws(HistoryError) -> [RunResult] {
        try inParallel(rows.count) { i throws(HistoryError) in
            let (id, record, json) = rows[i]
            let what = "\(location) run \(id)"
            do {
                if let record { return try TrendRecord.decode(record, what: what) }
                guard let json else {
                    throw HistoryError.corrupt(path: location, reason: "stored run \(id) has no JSON")
                }
                return TrendRecord.reduce(try RunResultCodec.decode(json, path: what))
            } catch let error as HistoryError {
                throw error
            } catch {
                throw HistoryError.undecodable(location: location, runID: id, error: error)
            }
        }
    }

    /// `decodeRow(i)` for every row on every core, in order; the first failing row in order is the error.
    private static func inParallel(
        _ count: Int, _ decodeRow: @Sendable (Int) throws(HistoryError) -> RunResult
    ) throws(HistoryError) -> [RunResult] {
        let decoded = Mutex<[Result<RunResult, HistoryError>?]>(Array(repeating: nil, count: count))
        DispatchQueue.concurrentPerform(iterations: count) { i in
            let result: Result<RunResult, HistoryError>
            do throws(HistoryError) {
                result = .success(try decodeRow(i))
            } catch {
                result = .failure(error)
            }
            decoded.withLock { $0[i] = result }
        }
        var out: [RunResult] = []
        out.reserveCapacity(count)
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
