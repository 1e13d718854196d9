import Foundation

/// Why a result file could not be read.
public enum ResultFileError: Error, CustomStringConvertible, Sendable {
    case unreadable(path: String, reason: String)
    case corrupt(path: String, reason: String)
    case unknownSchema(path: String, schema: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .corrupt(let path, let reason): return "\(path): not a valid Surge result file: \(reason)"
        case .unknownSchema(let path, let schema):
            return "\(path): unknown result schema '\(schema)' (this surge reads \(RunResult.currentSchema))"
        case .writeFailed(let path, let reason): return "\(path): cannot write: \(reason)"
        }
    }
}

/// Reads and writes `surge.run/v1` JSON. Writes are atomic: a temporary file in the same directory,
/// then `rename(2)`, so a reader never sees half a file and a crash never loses the previous one.
public enum RunResultCodec {
    public static func encode(_ run: RunResult) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        return try encoder.encode(run)
    }

    /// Decodes a `surge.run/v1` document with one parse. Only when that fails (or the schema is not
    /// this one) is the document looked at again, to say what is wrong with it: not JSON, not an
    /// object, no schema, another schema, or the field that does not fit.
    public static func decode(_ data: Data, path: String) throws -> RunResult {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        let decodingError: Error
        do {
            let run = try decoder.decode(RunResult.self, from: data)
            guard run.schema == RunResult.currentSchema else {
                throw ResultFileError.unknownSchema(path: path, schema: run.schema)
            }
            return run
        } catch let error as ResultFileError {
            throw error
        } catch {
            decodingError = error
        }
        try checkEnvelope(data, path: path)
        switch decodingError {
        case DecodingError.keyNotFound(let key, let context):
            throw ResultFileError.corrupt(path: path, reason: "missing field '\(Self.codingPath(context.codingPath + [key]))'")
        case DecodingError.typeMismatch(_, let context):
            throw ResultFileError.corrupt(path: path, reason: "wrong type at '\(Self.codingPath(context.codingPath))': \(context.debugDescription)")
        case DecodingError.valueNotFound(_, let context):
            throw ResultFileError.corrupt(path: path, reason: "null at '\(Self.codingPath(context.codingPath))'")
        case DecodingError.dataCorrupted(let context):
            throw ResultFileError.corrupt(path: path, reason: "bad value at '\(Self.codingPath(context.codingPath))': \(context.debugDescription)")
        default:
            throw decodingError
        }
    }

    /// The document's outer problems, in the order a reader wants them: not JSON, not an object,
    /// no `schema`, a schema this surge does not read.
    private static func checkEnvelope(_ data: Data, path: String) throws {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ResultFileError.corrupt(path: path, reason: "invalid JSON (\(Self.jsonErrorText(error)))")
        }
        guard let dict = object as? [String: Any] else {
            throw ResultFileError.corrupt(path: path, reason: "top level is not a JSON object")
        }
        guard let schema = dict["schema"] as? String else {
            throw ResultFileError.corrupt(path: path, reason: "no \"schema\" field")
        }
        guard schema == RunResult.currentSchema else {
            throw ResultFileError.unknownSchema(path: path, schema: schema)
        }
    }

    public static func read(path: String) throws -> RunResult {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ResultFileError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        return try decode(data, path: path)
    }

    public static func write(_ run: RunResult, path: String) throws {
        try AtomicFile.write(try encode(run), to: path)
    }

    static func codingPath(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    static func jsonErrorText(_ error: Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }
}

/// Writes a file atomically: temporary file beside it, fsync, rename.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw ResultFileError.writeFailed(path: path, reason: (error as NSError).localizedDescription)
        }
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw ResultFileError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        var ok = true
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    ok = false
                    return
                }
                offset += n
            }
        }
        let err = errno
        if ok { fsync(fd) }
        close(fd)
        guard ok, rename(tmp.path, path) == 0 else {
            let reason = String(cString: strerror(ok ? errno : err))
            unlink(tmp.path)
            throw ResultFileError.writeFailed(path: path, reason: reason)
        }
    }
}
