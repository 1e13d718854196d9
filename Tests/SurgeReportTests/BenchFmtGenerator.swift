import Foundation

/// SplitMix64: a small seeded generator, so every generated input can be reproduced from its seed.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random Go benchmark-format inputs for property tests of `surge compare`: benchmark names with
/// `/key=value` and positional parts and `-N` suffixes, 1–40 runs, standard units (`ns/op`, `B/op`,
/// `allocs/op`, `MB/s`), custom ones (`widgets/s`, `pause-ns/op`, `text-bytes`), `Unit … assume=exact`
/// lines, ties, zeros, `-0`, huge and tiny values, benchmarks present in one file only, and
/// configuration lines that differ between files or change within one.
struct BenchFmtGenerator {
    struct File {
        var name: String
        var text: String
    }

    struct Input {
        var files: [File]
        /// Full names (without `Benchmark`) in the order they first appear across the files.
        var nameOrder: [String]
    }

    static let units = ["ns/op", "B/op", "allocs/op", "MB/s", "widgets/s", "pause-ns/op", "text-bytes"]
    static let bases: [Double] = [0, 1, 7, 12.5, 1000, 341_750, 1e-7, 3e9, 1e300, 1e-300, 5, 100, 2.5e-5]

    var random: SeededRandom

    init(seed: UInt64) { random = SeededRandom(seed: seed) }

    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &random) < p }
    mutating func pick<T>(_ items: [T]) -> T { items.randomElement(using: &random)! }

    mutating func name() -> String {
        var n = pick(["Encode", "Decode", "Push", "Pop", "X", "Map"])
        if chance(0.5) { n += "/size=\(pick([1, 10, 100]))" }
        if chance(0.3) { n += "/" + pick(["fast", "slow"]) }
        if chance(0.3) { n += "/format=" + pick(["json", "xml"]) }
        if chance(0.6) { n += "-\(pick([1, 2, 8]))" }
        return n
    }

    mutating func format(_ v: Double) -> String {
        if v == 0 { return pick(["0", "0", "-0", "-0.00", "0.0"]) }
        switch Int.random(in: 0..<4, using: &random) {
        case 0: return "\(v)"
        case 1: return String(format: "%.3f", v)
        case 2: return String(format: "%g", v)
        default: return String(format: "%.6g", v)
        }
    }

    mutating func value(base: Double, mode: Int, file: Int) -> Double {
        switch mode {
        case 0: return base  // every run equal: ties, "all samples are equal"
        case 1: return pick([0, -0.0, 0])
        case 2: return base * pick([1, 1, 2, 1.5])  // few distinct values: ties across samples
        default:
            let noise = 1 + 0.05 * (Double.random(in: -1...1, using: &random))
            return base * noise * (1 + 0.1 * Double(file) * Double.random(in: 0..<1, using: &random))
        }
    }

    mutating func input() -> Input {
        var names: [String] = []
        for _ in 0..<Int.random(in: 1...7, using: &random) {
            let n = name()
            if !names.contains(n) { names.append(n) }
        }
        var unitsOf: [String: [String]] = [:]
        var base: [String: Double] = [:]
        for n in names {
            unitsOf[n] = Array(Self.units.shuffled(using: &random).prefix(Int.random(in: 1...3, using: &random)))
            for u in unitsOf[n]! { base[n + " " + u] = pick(Self.bases) }
        }
        let exact = Set(Self.units.shuffled(using: &random).prefix(Int.random(in: 0...2, using: &random)))
        let fileCount = pick([1, 2, 2, 2, 3])
        var config = ["goos: linux"]
        if chance(0.5) { config.append("pkg: example.com/a") }
        if chance(0.2) { config.append("cpu: Intel") }
        var files: [File] = []
        var order: [String] = []
        for f in 0..<fileCount {
            var lines: [String] = f == 0 || chance(0.75) ? config : []
            if lines.isEmpty {  // this file's configuration differs: its results form tables of their own
                if chance(0.7) { lines.append("goos: linux") }
                if chance(0.5) { lines.append("pkg: example.com/" + pick(["a", "b"])) }
                if chance(0.3) { lines.append("cpu: " + pick(["Intel", "AMD"])) }
            }
            for u in exact.sorted() where chance(0.8) { lines.append("Unit \(u) assume=exact") }
            for n in names {
                if f > 0 && chance(0.2) { continue }  // missing from this file
                if !order.contains(n) { order.append(n) }
                let runs = pick([1, 2, 3, 4, 5, 6, 8, 10, 13, 20, 25, 26, 30, 40])
                let mode = Int.random(in: 0..<6, using: &random)
                for _ in 0..<runs {
                    var line = "Benchmark\(n) \(pick([1, 100, 1_000_000]))"
                    for u in unitsOf[n]! {
                        line += " " + format(value(base: base[n + " " + u]!, mode: mode, file: f)) + " " + u
                    }
                    lines.append(line)
                }
                if chance(0.03) { lines.append("cpu: AMD") }
            }
            lines.append("PASS")
            files.append(File(name: ["old.txt", "new.txt", "third.txt"][f], text: lines.joined(separator: "\n") + "\n"))
        }
        return Input(files: files, nameOrder: order)
    }
}
