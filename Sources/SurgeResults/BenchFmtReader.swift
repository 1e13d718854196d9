import Foundation

/// What was read from one benchmark-format file.
public struct BenchFile: Sendable {
    public var label: String
    public var records: [BenchRecord]
    public var errors: [BenchSyntaxError]
}

/// Reads Go's benchmark format exactly as benchstat's reader (golang.org/x/perf/benchfmt) does:
///
/// - a line starting with `Benchmark` is a result: name, iteration count, then `value unit` pairs;
///   a line that is only the name (`go test -v`) is skipped; anything malformed is a
///   `BenchSyntaxError` naming file and line (`missing iteration count`, `parsing iteration count:
///   invalid syntax`, `missing measurements`, `parsing measurement: invalid syntax`, `missing units`)
///   and the line is dropped;
/// - `Unit <unit> key=value…` sets unit metadata (shared by all files read by one reader);
/// - `key: value` (key starts lower case, no space or upper case) sets file configuration for the
///   results after it; `key:` with no value deletes it; configuration restarts with each file;
/// - everything else is ignored. Lines end at `\n`; a trailing `\r` is dropped.
public struct BenchFmtReader: Sendable {
    public private(set) var unitMetadata = BenchUnitMetadata()
    private var tidyCache: [String: (unit: String, factor: Double)] = [:]
    /// The previous result's name, reused when the next line names the same benchmark.
    private var lastNameBytes: [UInt8] = []
    private var lastName = ""
    /// Units seen recently, matched by their bytes so a line's units cost no String creation.
    private var unitCache: [(bytes: [UInt8], unit: String, tidied: String, factor: Double)] = []
    /// Set by `init(deferringUnitLines:)`: `Unit` lines are kept for `replayUnitLines(of:label:into:)`.
    private let defersUnitLines: Bool
    /// The `Unit` lines a deferring reader kept: the line, its number, and how many errors the file
    /// had before it (where that line's own errors belong).
    private var deferredUnitLines: [(bytes: [UInt8], line: Int, errorIndex: Int)] = []

    /// `deferringUnitLines`: a reader for a file read ahead of the files before it, on another thread.
    /// Unit metadata is shared by all files of a comparison and a conflict is reported where it is
    /// met, so its `Unit` lines are only kept, and applied in file order by
    /// `replayUnitLines(of:label:into:)` on the reader of the files before it. Everything else about
    /// the file is read as a plain reader reads it.
    public init(deferringUnitLines: Bool = false) {
        defersUnitLines = deferringUnitLines
    }

    /// Applies the `Unit` lines `other` (a deferring reader) kept to this reader's metadata, as if
    /// this reader had read that file itself, and puts each line's errors into `errors` (that file's
    /// errors from `other`) at the place they were met.
    public mutating func replayUnitLines(
        of other: BenchFmtReader, label: String, into errors: inout [BenchSyntaxError]
    ) {
        var inserted = 0
        for kept in other.deferredUnitLines {
            var lineErrors: [BenchSyntaxError] = []
            kept.bytes.withUnsafeBufferPointer { line in
                var cursor = 0
                _ = Self.field(line, &cursor)
                parseUnitLine(line, cursor: cursor, label: label, lineNumber: kept.line, errors: &lineErrors)
            }
            errors.insert(contentsOf: lineErrors, at: kept.errorIndex + inserted)
            inserted += lineErrors.count
        }
    }

    /// Reads a file (`-` is standard input). The label defaults to the path.
    public mutating func read(path: String, label: String? = nil) throws -> BenchFile {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            data = try Self.readAll(path: path)
        }
        return parse(data, label: label ?? path)
    }

    /// Reads a whole file, pipes and character devices included (`<(go test …)`, `/dev/stdin`).
    public static func readAll(path: String) throws -> Data {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw ResultFileError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ResultFileError.unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            data.append(contentsOf: chunk[0..<n])
        }
        return data
    }

    public mutating func parse(_ text: String, label: String) -> BenchFile {
        parse(Data(text.utf8), label: label)
    }

    public mutating func parse(_ data: Data, label: String) -> BenchFile {
        var records: [BenchRecord] = []
        let errors = parse(data, label: label) { records.append($0) }
        return BenchFile(label: label, records: records, errors: errors)
    }

    /// Streams each result to `each` as it is read (nothing is kept); returns the malformed lines.
    public mutating func parse(_ data: Data, label: String, each: (BenchRecord) -> Void) -> [BenchSyntaxError] {
        var errors: [BenchSyntaxError] = []
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            parse(bytes, label: label, errors: &errors, each: each)
        }
        return errors
    }

    private mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>, label: String, errors: inout [BenchSyntaxError], each: (BenchRecord) -> Void) {
        var config: [BenchConfigEntry] = []
        var valueBuffer: [BenchValue] = []
        var lineNumber = 0
        var start = 0
        let count = bytes.count
        let base = bytes.baseAddress
        while start < count {
            // memchr scans for the line end many bytes at a time.
            var end = count
            if let base, let newline = memchr(base + start, 0x0A, count - start) {
                end = UnsafePointer<UInt8>(newline.assumingMemoryBound(to: UInt8.self)) - base
            }
            let next = end + 1
            lineNumber += 1
            if end > start && bytes[end - 1] == 0x0D { end -= 1 }
            let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
            start = next
            if line.count >= 9 && Self.hasBenchmarkPrefix(line) {
                switch parseBenchmarkLine(line, values: &valueBuffer) {
                case .record(let name, let iterations, let values):
                    each(BenchRecord(name: name, iterations: iterations, values: values, config: config, file: label, line: lineNumber))
                case .skip:
                    break
                case .error(let message):
                    errors.append(BenchSyntaxError(file: label, line: lineNumber, message: message))
                }
                continue
            }
            if let first = line.first, first == UInt8(ascii: "U") {
                var cursor = 0
                let head = Self.field(line, &cursor)
                if head.elementsEqual("Unit".utf8) {
                    if defersUnitLines {
                        deferredUnitLines.append((Array(line), lineNumber, errors.count))
                    } else {
                        parseUnitLine(line, cursor: cursor, label: label, lineNumber: lineNumber, errors: &errors)
                    }
                    continue
                }
            }
            if let (key, value) = Self.keyValue(line) {
                if value.isEmpty {
                    config.removeAll { $0.key == key }
                } else if let index = config.firstIndex(where: { $0.key == key }) {
                    config[index].value = value
                } else {
                    config.append(BenchConfigEntry(key: key, value: value))
                }
            }
        }
    }

    enum LineResult {
        case record(String, Int, [BenchValue])
        case skip
        case error(String)
    }

    private static func hasBenchmarkPrefix(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        let prefix: [UInt8] = Array("Benchmark".utf8)
        for i in 0..<9 where line[i] != prefix[i] { return false }
        return true
    }

    /// `values` is one buffer for every line's values: the record handed out holds it only until the
    /// sink returns, so the next line finds it unshared and reuses its storage.
    private mutating func parseBenchmarkLine(
        _ full: UnsafeBufferPointer<UInt8>, values: inout [BenchValue]
    ) -> LineResult {
        let line = UnsafeBufferPointer(rebasing: full[9...])
        var cursor = 0
        let name = Self.field(line, &cursor)
        if cursor >= line.count && name.count == line.count { return .skip }
        let iterationField = Self.field(line, &cursor)
        if iterationField.isEmpty { return .error("missing iteration count") }
        let iterations: Int
        switch Self.parseInt(iterationField) {
        case .success(let v): iterations = v
        case .failure(let e): return .error("parsing iteration count: \(e.text)")
        }
        values.removeAll(keepingCapacity: true)
        while true {
            let valueField = Self.field(line, &cursor)
            if valueField.isEmpty {
                if !values.isEmpty { break }
                return .error("missing measurements")
            }
            let value: Double
            switch Self.parseFloat(valueField) {
            case .success(let v): value = v
            case .failure(let e): return .error("parsing measurement: \(e.text)")
            }
            let unitField = Self.field(line, &cursor)
            if unitField.isEmpty { return .error("missing units") }
            let unit = internUnit(unitField)
            let tidiedValue = value * unit.factor
            if tidiedValue == value {
                values.append(BenchValue(value: value, unit: unit.unit, originalUnit: unit.unit))
            } else {
                values.append(BenchValue(value: tidiedValue, unit: unit.tidied, originalUnit: unit.unit))
            }
        }
        if !(name.count == lastNameBytes.count && name.elementsEqual(lastNameBytes)) {
            lastNameBytes = Array(name)
            lastName = String(decoding: name, as: UTF8.self)
        }
        return .record(lastName, iterations, values)
    }

    private mutating func internUnit(_ field: Slice<UnsafeBufferPointer<UInt8>>) -> (unit: String, tidied: String, factor: Double) {
        for entry in unitCache where entry.bytes.count == field.count && entry.bytes.elementsEqual(field) {
            return (entry.unit, entry.tidied, entry.factor)
        }
        let unit = String(decoding: field, as: UTF8.self)
        let t = tidy(unit)
        if unitCache.count >= 64 { unitCache.removeFirst() }
        unitCache.append((Array(field), unit, t.unit, t.factor))
        return (unit, t.unit, t.factor)
    }

    private mutating func tidy(_ unit: String) -> (unit: String, factor: Double) {
        if let hit = tidyCache[unit] { return hit }
        let t = BenchUnit.tidy(unit)
        tidyCache[unit] = t
        return t
    }

    private mutating func parseUnitLine(_ line: UnsafeBufferPointer<UInt8>, cursor start: Int, label: String, lineNumber: Int, errors: inout [BenchSyntaxError]) {
        var cursor = start
        let unitField = Self.field(line, &cursor)
        if unitField.isEmpty {
            errors.append(BenchSyntaxError(file: label, line: lineNumber, message: "missing unit"))
            return
        }
        let unit = String(decoding: unitField, as: UTF8.self)
        let tidied = tidy(unit).unit
        while true {
            let f = Self.field(line, &cursor)
            if f.isEmpty { break }
            guard let eq = f.firstIndex(of: UInt8(ascii: "=")), eq > f.startIndex else {
                errors.append(BenchSyntaxError(file: label, line: lineNumber, message: "expected key=value"))
                continue
            }
            let key = String(decoding: f[f.startIndex..<eq], as: UTF8.self)
            let value = String(decoding: f[(eq + 1)...], as: UTF8.self)
            if let have = unitMetadata.set(unit: tidied, key: key, value: value) {
                errors.append(BenchSyntaxError(file: label, line: lineNumber, message: "metadata \(key) of unit \(unit) already set to \(have)"))
            }
        }
    }

    // MARK: fields

    /// Consumes non-space bytes as a field, then the white space after it (Go's `splitField`).
    static func field(_ line: UnsafeBufferPointer<UInt8>, _ cursor: inout Int) -> Slice<UnsafeBufferPointer<UInt8>> {
        let start = cursor
        var i = cursor
        var end = line.count
        var restStart = line.count
        while i < line.count {
            // Printable ASCII is neither space nor the start of a longer character.
            if line[i] > 0x20 && line[i] < 0x80 {
                i += 1
                continue
            }
            let width = spaceWidth(line, i)
            if width > 0 {
                end = i
                restStart = i + width
                break
            }
            i += scalarLength(line[i])
        }
        if i >= line.count { end = line.count; restStart = line.count }
        var j = restStart
        while j < line.count {
            let width = spaceWidth(line, j)
            if width == 0 { break }
            j += width
        }
        cursor = j
        return line[start..<min(end, line.count)]
    }

    static func scalarLength(_ lead: UInt8) -> Int {
        if lead < 0x80 { return 1 }
        if lead >= 0xF0 { return 4 }
        if lead >= 0xE0 { return 3 }
        if lead >= 0xC0 { return 2 }
        return 1
    }

    /// Byte length of the white-space character at `i` (Go's `unicode.IsSpace`), 0 if none.
    static func spaceWidth(_ line: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        let b = line[i]
        if b < 0x80 {
            return (b == 0x20 || (b >= 0x09 && b <= 0x0D)) ? 1 : 0
        }
        guard let (scalar, length) = decode(line, i) else { return 0 }
        return isUnicodeSpace(scalar) ? length : 0
    }

    static func decode(_ line: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int)? {
        let length = scalarLength(line[i])
        guard length > 1, i + length <= line.count else { return nil }
        var value = UInt32(line[i]) & (length == 2 ? 0x1F : (length == 3 ? 0x0F : 0x07))
        for k in 1..<length {
            let c = line[i + k]
            guard c & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(c & 0x3F)
        }
        return (value, length)
    }

    static func isUnicodeSpace(_ v: UInt32) -> Bool {
        switch v {
        case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// `key: value` configuration line (Go's `parseKeyValueLine`): value "" means delete.
    static func keyValue(_ line: UnsafeBufferPointer<UInt8>) -> (String, String)? {
        guard !line.isEmpty else { return nil }
        var i = 0
        var colon = -1
        while i < line.count {
            let length = scalarLength(line[i])
            let scalar: Unicode.Scalar?
            if line[i] < 0x80 {
                scalar = Unicode.Scalar(line[i])
            } else if let (v, _) = decode(line, i) {
                scalar = Unicode.Scalar(v)
            } else {
                scalar = nil
            }
            let category = scalar?.properties.generalCategory
            if i == 0 && category != .lowercaseLetter { return nil }
            if spaceWidth(line, i) > 0 || category == .uppercaseLetter { return nil }
            if i > 0 && line[i] == UInt8(ascii: ":") {
                colon = i
                break
            }
            i += length
        }
        guard colon > 0 else { return nil }
        let key = String(decoding: line[0..<colon], as: UTF8.self)
        var v = colon + 1
        if v >= line.count { return (key, "") }
        var sawSpace = false
        while v < line.count && (line[v] == 0x20 || line[v] == 0x09) {
            v += 1
            sawSpace = true
        }
        guard sawSpace else { return nil }
        return (key, String(decoding: line[v...], as: UTF8.self))
    }

    struct NumberError: Error { var text: String }

    /// The parts of Go's `strconv.ParseFloat` syntax that strtod does not share: `_` only between
    /// digits (after a base prefix counts), a hexadecimal mantissa needs a `p` exponent, and the
    /// only named values are `inf`/`infinity` (optionally signed) and unsigned `nan`.
    static func goFloatSyntaxOK(_ f: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        func lower(_ c: UInt8) -> UInt8 { c | 0x20 }
        var i = f.startIndex
        var signed = false
        if i < f.endIndex && (f[i] == UInt8(ascii: "+") || f[i] == UInt8(ascii: "-")) {
            signed = true
            i += 1
        }
        let body = f[i...]
        if let first = body.first, lower(first) == UInt8(ascii: "n") || lower(first) == UInt8(ascii: "i") {
            let word = String(decoding: body.map(lower), as: UTF8.self)
            return word == "inf" || word == "infinity" || (word == "nan" && !signed)
        }
        let hex = body.count > 2 && body[i] == UInt8(ascii: "0") && lower(body[i + 1]) == UInt8(ascii: "x")
        if hex && !body.contains(where: { lower($0) == UInt8(ascii: "p") }) { return false }
        guard body.contains(UInt8(ascii: "_")) else { return true }
        // Go's underscoreOK.
        var saw = UInt8(ascii: "^")
        var j = i
        if body.count >= 2 && body[i] == UInt8(ascii: "0")
            && [UInt8(ascii: "b"), UInt8(ascii: "o"), UInt8(ascii: "x")].contains(lower(body[i + 1])) {
            j = i + 2
            saw = UInt8(ascii: "0")
        }
        while j < f.endIndex {
            let c = f[j]
            let isDigit = (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
                || (hex && lower(c) >= UInt8(ascii: "a") && lower(c) <= UInt8(ascii: "f"))
            if isDigit {
                saw = UInt8(ascii: "0")
            } else if c == UInt8(ascii: "_") {
                if saw != UInt8(ascii: "0") { return false }
                saw = c
            } else {
                if saw == UInt8(ascii: "_") { return false }
                saw = UInt8(ascii: "!")
            }
            j += 1
        }
        return saw != UInt8(ascii: "_")
    }

    static func parseInt(_ f: Slice<UnsafeBufferPointer<UInt8>>) -> Result<Int, NumberError> {
        var i = f.startIndex
        var negative = false
        if f[i] == UInt8(ascii: "+") || f[i] == UInt8(ascii: "-") {
            negative = f[i] == UInt8(ascii: "-")
            i += 1
        }
        guard i < f.endIndex else { return .failure(NumberError(text: "invalid syntax")) }
        var value = 0
        var overflow = false
        while i < f.endIndex {
            let d = Int(f[i]) - 48
            guard d >= 0 && d <= 9 else { return .failure(NumberError(text: "invalid syntax")) }
            if !overflow {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(d)
                if o1 || o2 { overflow = true } else { value = a }
            }
            i += 1
        }
        if overflow { return .failure(NumberError(text: "value out of range")) }
        return .success(negative ? -value : value)
    }

    private static let exactPowersOfTen: [Double] = (0...22).map { Double("1e\($0)")! }

    /// `ddd.ddd` with at most 15 significant digits: the quotient of two exactly representable
    /// numbers, so one correctly rounded division gives the same Double as a full parser.
    static func fastDecimal(_ f: Slice<UnsafeBufferPointer<UInt8>>) -> Double? {
        var mantissa: Int64 = 0
        var digits = 0
        var fractionDigits = 0
        var seenPoint = false
        for c in f {
            if c == UInt8(ascii: ".") {
                if seenPoint { return nil }
                seenPoint = true
                continue
            }
            let d = Int64(c) &- 48
            guard d >= 0 && d <= 9 else { return nil }
            if mantissa != 0 || d != 0 { digits += 1 }
            if digits > 15 { return nil }
            mantissa = mantissa * 10 + d
            if seenPoint { fractionDigits += 1 }
        }
        guard fractionDigits <= 22, f.count > (seenPoint ? 1 : 0) else { return nil }
        return Double(mantissa) / exactPowersOfTen[fractionDigits]
    }

    static func parseFloat(_ f: Slice<UnsafeBufferPointer<UInt8>>) -> Result<Double, NumberError> {
        var integer: Int64 = 0
        var fast = true
        for c in f {
            let d = Int64(c) &- 48
            if d < 0 || d > 9 || integer > (Int64.max - 10) / 10 { fast = false; break }
            integer = integer * 10 + d
        }
        if fast { return .success(Double(integer)) }
        if let decimal = fastDecimal(f) { return .success(decimal) }
        // Go's ParseFloat syntax is close to strtod's: reject what Go rejects that strtod accepts
        // (hexadecimal without a `p` exponent, signed or parenthesised NaN), and drop the `_` digit
        // separators Go accepts (`1_000`, `0x_1p-3`) once they pass Go's placement rules.
        guard goFloatSyntaxOK(f) else { return .failure(NumberError(text: "invalid syntax")) }
        var buffer = [CChar]()
        buffer.reserveCapacity(f.count + 1)
        for c in f where c != UInt8(ascii: "_") {
            if c == UInt8(ascii: " ") || c >= 0x80 { return .failure(NumberError(text: "invalid syntax")) }
            buffer.append(CChar(bitPattern: c))
        }
        let length = buffer.count
        buffer.append(0)
        errno = 0
        let (value, consumed) = buffer.withUnsafeMutableBufferPointer { p -> (Double, Int) in
            var end: UnsafeMutablePointer<CChar>? = nil
            let v = strtod(p.baseAddress!, &end)
            return (v, end.map { $0 - p.baseAddress! } ?? 0)
        }
        guard consumed == length, length > 0 else { return .failure(NumberError(text: "invalid syntax")) }
        if errno == ERANGE && value.isInfinite { return .failure(NumberError(text: "value out of range")) }
        return .success(value)
    }
}
