import Dispatch
import SurgeStats
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The statistics of comparison tables, cell by cell: each cell's values sorted and summarised
/// (median and confidence interval, or mode and range for exact units), and each compared cell's
/// Mann-Whitney U test against its row's baseline cell, with benchstat's warnings.
///
/// Cells are independent, so large inputs are split into chunks computed on several threads; the
/// results are put back in input order, so the output does not depend on the split.
enum CellStatistics {
    /// One table's cells: `values[i]` is cell i's sample (unsorted), `pairs` the (baseline, cell)
    /// comparisons to make.
    struct Job: Sendable {
        var values: [[Double]]
        var exact: Bool
        var pairs: [(base: Int, cell: Int)]
    }

    struct Result: Sendable {
        var sorted: [[Double]]
        var summaries: [Summary]
        /// In the order of `Job.pairs`.
        var comparisons: [CellComparison]
    }

    /// Below this many cells one thread is quicker than handing work out.
    static let parallelThreshold = 2048

    /// `workers` overrides the thread count (default: one below `parallelThreshold` cells, else
    /// one per processor, at most 8).
    static func compute(_ jobs: [Job], alpha: Double, confidence: Double, workers: Int? = nil) -> [Result] {
        // Cells and pairs of all tables as one list each, so chunks balance across tables.
        var cells: [(job: Int, cell: Int)] = []
        var pairs: [(job: Int, pair: Int)] = []
        for (j, job) in jobs.enumerated() {
            for c in job.values.indices { cells.append((j, c)) }
            for p in job.pairs.indices { pairs.append((j, p)) }
        }
        let cellRefs = cells
        let pairRefs = pairs
        let workers = workers ?? (cellRefs.count >= parallelThreshold ? min(processorCount(), 8) : 1)

        let summarised = chunked(cellRefs.count, workers) { range in
            range.map { i -> ([Double], Summary) in
                let (j, c) = cellRefs[i]
                let sorted = jobs[j].values[c].sorted()
                let summary = jobs[j].exact ? Summary.exact(sorted) : Summary(sorted: sorted, confidence: confidence)
                return (sorted, summary)
            }
        }
        var results = jobs.map { job in
            Result(sorted: [], summaries: [], comparisons: [])
                .reserving(cells: job.values.count, pairs: job.pairs.count)
        }
        for (i, (sorted, summary)) in summarised.enumerated() {
            let j = cellRefs[i].job
            results[j].sorted.append(sorted)
            results[j].summaries.append(summary)
        }

        let need = MannWhitneyU.samplesNeeded(alpha: alpha)
        let needWarning =
            "need \(need.op) \(need.n) samples to detect a difference at alpha level \(GoFloatFormat.shortest(alpha))"
        let finished = results
        let compared = chunked(pairRefs.count, workers) { range in
            range.map { i -> CellComparison in
                let (j, p) = pairRefs[i]
                let (base, cell) = jobs[j].pairs[p]
                let r = finished[j]
                return compare(
                    r.sorted[base], r.sorted[cell], exact: jobs[j].exact, baseCenter: r.summaries[base].center,
                    center: r.summaries[cell].center, alpha: alpha, need: need.n, needWarning: needWarning)
            }
        }
        for (i, comparison) in compared.enumerated() { results[pairRefs[i].job].comparisons.append(comparison) }
        return results
    }

    /// benchstat's comparison of two sorted samples: exact units compare without a test (p = 0);
    /// otherwise Mann-Whitney U, with the "need >= n samples" warning when the test could not have
    /// reached `alpha` with samples this small.
    static func compare(
        _ base: [Double], _ values: [Double], exact: Bool, baseCenter: Double, center: Double, alpha: Double,
        need: Int, needWarning: String
    ) -> CellComparison {
        if exact {
            return CellComparison(
                p: 0, n1: base.count, n2: values.count, alpha: 0, baselineCenter: baseCenter, center: center,
                warnings: [])
        }
        do {
            let test = try MannWhitneyU(sorted: base, values)
            var comparison = CellComparison(
                p: test.p, n1: base.count, n2: values.count, alpha: alpha, baselineCenter: baseCenter,
                center: center, warnings: [])
            if test.p > alpha && base.count < need && values.count < need {
                comparison.warnings.append(needWarning)
            }
            return comparison
        } catch {
            return CellComparison(
                p: 1, n1: base.count, n2: values.count, alpha: alpha, baselineCenter: baseCenter, center: center,
                warnings: [error.description])
        }
    }

    /// `body` over `0..<count` split into `workers` contiguous ranges, run concurrently; the pieces
    /// are joined in order.
    static func chunked<T: Sendable>(_ count: Int, _ workers: Int, _ body: @Sendable (Range<Int>) -> [T]) -> [T] {
        if workers <= 1 || count < 2 { return body(0..<count) }
        let pieces = ChunkSlots<[T]>(count: workers)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let range = (count * w / workers)..<(count * (w + 1) / workers)
            let piece = body(range)
            pieces.slots.withLock { $0[w] = piece }
        }
        return pieces.slots.withLock { slots in slots.flatMap { $0 ?? [] } }
    }

    static func processorCount() -> Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}

/// One result slot per chunk, filled by the thread that computed it.
private final class ChunkSlots<T: Sendable>: Sendable {
    let slots: Mutex<[T?]>

    init(count: Int) { slots = Mutex([T?](repeating: nil, count: count)) }
}

extension CellStatistics.Result {
    fileprivate func reserving(cells: Int, pairs: Int) -> Self {
        var copy = self
        copy.sorted.reserveCapacity(cells)
        copy.summaries.reserveCapacity(cells)
        copy.comparisons.reserveCapacity(pairs)
        return copy
    }
}
