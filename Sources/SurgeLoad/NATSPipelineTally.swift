import Histogram
import NIOCore

/// The exact accounting of one `nats.pipeline` phase: what each order must come back as, and what
/// did. Touched under the session's lock, per output.
struct NATSPipelineTally {
    var run = 0
    /// Per order sequence number: its expected output subject, nil when the filter must drop it.
    var expected: [String?] = []
    var seen: [Bool] = []
    var expectedCount = 0
    var received = 0
    var duplicates = 0
    var wrong = 0
    var unexpected = 0
    var stale = 0
    var malformed = 0
    /// The first example of each kind of failure.
    var examples: [String: String] = [:]
    var latency = WorkloadOutcome.makeLatencyHistogram()
    var lastArrival: UInt64 = 0

    mutating func reset(run: Int) {
        self = NATSPipelineTally()
        self.run = run
    }

    mutating func add(_ subject: String?) {
        expected.append(subject)
        seen.append(false)
        if subject != nil { expectedCount += 1 }
    }

    /// One output: `subject` and the order fields read from its payload.
    mutating func record(subject: ByteBuffer, payload: ByteBuffer, now: UInt64) {
        guard let seq = Self.number("seq", in: payload), let run = Self.number("run", in: payload),
            let ts = Self.number("ts", in: payload)
        else {
            malformed += 1
            note("malformed", String(buffer: payload).prefix(120).description)
            return
        }
        guard run == self.run else {
            stale += 1
            note("stale", "seq \(seq) of repetition \(run) during \(self.run)")
            return
        }
        let name = String(buffer: subject)
        guard seq >= 0, seq < expected.count else {
            wrong += 1
            note("wrong", "seq \(seq) was never published (on \(name))")
            return
        }
        guard let want = expected[seq] else {
            unexpected += 1
            note("unexpected", "seq \(seq) (qty 0) arrived on \(name)")
            return
        }
        if name != want {
            wrong += 1
            note("wrong", "seq \(seq) arrived on \(name), expected \(want)")
            return
        }
        if seen[seq] {
            duplicates += 1
            note("duplicate", "seq \(seq) on \(name)")
            return
        }
        seen[seq] = true
        received += 1
        lastArrival = now
        if now > UInt64(ts) { latency.record(now - UInt64(ts)) }
    }

    private mutating func note(_ kind: String, _ example: String) {
        if examples[kind] == nil { examples[kind] = example }
    }

    /// Every way the phase went wrong, with counts and an example each.
    var failures: [String] {
        var out: [String] = []
        let lost = expectedCount - received
        if lost > 0, let seq = seen.indices.first(where: { !seen[$0] && expected[$0] != nil }) {
            out.append("\(lost) of \(expectedCount) expected outputs lost (e.g. seq \(seq), expected on \(expected[seq]!))")
        }
        let kinds: [(Int, String, String)] = [
            (duplicates, "duplicate", "outputs duplicated"), (wrong, "wrong", "outputs wrongly mapped"),
            (unexpected, "unexpected", "outputs of orders the filter must drop"),
            (stale, "stale", "outputs of an earlier repetition arrived late"),
            (malformed, "malformed", "outputs without seq, run and ts"),
        ]
        for (count, key, what) in kinds where count > 0 {
            out.append("\(count) \(what) (e.g. \(examples[key] ?? "?"))")
        }
        return out
    }

    /// The whole number after `"key":` in a JSON payload (a quick scan, not a full parse).
    static func number(_ key: String, in payload: ByteBuffer) -> Int? {
        let view = payload.readableBytesView
        let needle = Array("\"\(key)\":".utf8)
        guard view.count >= needle.count else { return nil }
        var i = view.startIndex
        let last = view.endIndex - needle.count
        while i <= last {
            if view[i] == needle[0], view[i..<i + needle.count].elementsEqual(needle) {
                var j = i + needle.count
                while j < view.endIndex, view[j] == 32 { j += 1 }
                var value = 0
                var digits = 0
                while j < view.endIndex, view[j] >= 48, view[j] <= 57 {
                    value = value &* 10 &+ Int(view[j] - 48)
                    digits += 1
                    j += 1
                }
                return digits > 0 ? value : nil
            }
            i += 1
        }
        return nil
    }
}
