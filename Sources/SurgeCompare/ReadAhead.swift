import Dispatch
import Foundation
import SurgeResults
import Synchronization

/// The inputs after the first, read and parsed on another thread while the first is parsed and
/// grouped: on a large comparison parsing is a third of the work, and on two cores the second
/// file's parse now overlaps the first file's.
///
/// One thread reads the files in argument order and hands their records over in chunks; the caller
/// takes them in the same order. Each file gets its own reader (`BenchFmtReader(deferringUnitLines:)`)
/// and the caller replays its `Unit` lines on its own reader when the file is done, so metadata,
/// errors and records come out exactly as one reader reading the files one after another gives them.
/// Standard input (`-`) is never read ahead: the caller reads it when its turn comes.
///
/// The first file is not read ahead on purpose: records made on one thread and dropped on another
/// share their name, configuration and label storage, and the reference counts bouncing between the
/// two cores made the overlapped run slower than the plain one (measured: 281 ms of CPU against 248).
final class ReadAhead: Sendable {
    /// What the thread hands over for one input: chunks of records, then the file's end.
    enum Piece: Sendable {
        case records([BenchRecord])
        case end(Parsed)
    }

    /// An input read to its end: its bytes (kept only for Surge result files), or why they could not
    /// be read; for text, its malformed lines and its reader (with the `Unit` lines it kept).
    struct Parsed: Sendable {
        var byteCount = 0
        var json: Data?
        var failure: String?
        var errors: [BenchSyntaxError] = []
        var reader = BenchFmtReader(deferringUnitLines: true)
    }

    /// Records per chunk: large enough that handing over costs nothing next to parsing them.
    static let chunkSize = 2048

    /// Pieces not yet taken, per input.
    private let pieces: Mutex<[[Piece]]>
    /// Signalled once per piece, in the order the pieces are made (and taken).
    private let made = DispatchSemaphore(value: 0)

    private let wanted: [Bool]

    /// Starts reading `inputs` (label, path) from index `first` on, in order, on one thread.
    init(_ inputs: [(label: String, path: String)], from first: Int) {
        pieces = Mutex([[Piece]](repeating: [], count: inputs.count))
        wanted = inputs.indices.map { $0 >= first && inputs[$0].path != "-" }
        let toRead = inputs.indices.filter { wanted[$0] }
        guard !toRead.isEmpty else { return }
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            for i in toRead { read(i, label: inputs[i].label, path: inputs[i].path) }
        }
    }

    /// Whether input `i` is read here (else the caller reads it).
    func readsAhead(_ i: Int) -> Bool { wanted[i] }

    /// Input `i`'s next piece, once it is made. Only for inputs that are read ahead, and in order:
    /// every piece of an input before any of the next one's.
    func next(_ i: Int) -> Piece {
        made.wait()
        return pieces.withLock { $0[i].removeFirst() }
    }

    private func hand(_ i: Int, _ piece: Piece) {
        pieces.withLock { $0[i].append(piece) }
        made.signal()
    }

    private func read(_ i: Int, label: String, path: String) {
        var parsed = Parsed()
        let data: Data
        do {
            data = try BenchFmtReader.readAll(path: path)
        } catch {
            parsed.failure = "\(error)"
            hand(i, .end(parsed))
            return
        }
        parsed.byteCount = data.count
        if CompareInputs.looksLikeJSON(data) {
            parsed.json = data
            hand(i, .end(parsed))
            return
        }
        var chunk: [BenchRecord] = []
        chunk.reserveCapacity(Self.chunkSize)
        parsed.errors = parsed.reader.parse(data, label: label) { record in
            chunk.append(record)
            if chunk.count == Self.chunkSize {
                hand(i, .records(chunk))
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if !chunk.isEmpty { hand(i, .records(chunk)) }
        hand(i, .end(parsed))
    }
}
