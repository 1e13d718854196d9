import NIOCore

/// The check every incremental-parser fuzz target makes: the input's first byte picks a piece size,
/// the rest is parsed once delivered whole and once delivered in pieces of that size. Both must give
/// the same outputs (after `normalize`, which joins what may legitimately be split, like body slices)
/// and both must fail, or neither. A disagreement traps, so libFuzzer records the input as a crash.
public enum Differential {
    public static func check<Parser, Part>(
        _ data: UnsafePointer<UInt8>, _ size: Int,
        make: () -> Parser,
        next: (inout Parser, inout ByteBuffer) throws -> Part?,
        finish: ((inout Parser, inout ByteBuffer) throws -> Part?)? = nil,
        normalize: ([Part]) -> [String] = { $0.map { String(describing: $0) } }
    ) {
        guard size > 0 else { return }
        let step = Int(data[0] % 64) + 1
        let input = UnsafeBufferPointer(start: data + 1, count: size - 1)
        let whole = run(input, step: input.count, make: make, next: next, finish: finish)
        let pieces = run(input, step: step, make: make, next: next, finish: finish)
        let a = normalize(whole.parts)
        let b = normalize(pieces.parts)
        if a != b || whole.failed != pieces.failed {
            fatalError("""
                whole and \(step)-byte deliveries disagree:
                whole:  \(a) failed=\(whole.failed)
                pieces: \(b) failed=\(pieces.failed)
                """)
        }
    }

    static func run<Parser, Part>(
        _ input: UnsafeBufferPointer<UInt8>, step: Int,
        make: () -> Parser,
        next: (inout Parser, inout ByteBuffer) throws -> Part?,
        finish: ((inout Parser, inout ByteBuffer) throws -> Part?)?
    ) -> (parts: [Part], failed: Bool) {
        var parser = make()
        var buffer = ByteBuffer()
        var parts: [Part] = []
        var offset = 0
        let step = max(step, 1)
        repeat {
            let end = min(input.count, offset + step)
            buffer.writeBytes(UnsafeBufferPointer(rebasing: input[offset..<end]))
            offset = end
            do {
                while let part = try next(&parser, &buffer) { parts.append(part) }
            } catch {
                return (parts, true)
            }
        } while offset < input.count
        if let finish {
            do {
                if let part = try finish(&parser, &buffer) { parts.append(part) }
            } catch {
                return (parts, true)
            }
        }
        return (parts, false)
    }
}
