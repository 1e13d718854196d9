import ComponentKit
import Foundation

/// Settings of a `StreamProcessor`, built from the `key=value` switches a scenario or the command line gives.
package struct StreamProcessorOptions: Sendable {
    package var host: String
    package var statsPort: Int
    package var brokerHost: String
    package var brokerPort: Int
    /// The mapping text (after `preset:` and `@file` are resolved).
    package var mappingText: String
    package var settings: StreamMapping.Settings
    package var pooling: Bool
    package var workers: Int
    package var handicap: Handicap
    package var micro: StreamMicroOp?
    package var port: Int = 0

    /// Built-in mapping sets for benchmarks: `static` (fixed output subject, constant fields) and
    /// `dynamic` (subject from a subject variable and a payload field, computed fields, a filter).
    package static let presets: [String: String] = [
        "static": #"stream.in.* -> stream.out.static | set source = "surge" | set version = 40 + 2"#,
        "dynamic":
            #"stream.in.{region} -> stream.out.{region}.{payload.customer.tier} | set total = payload.qty * payload.price"#
            + #" | set label = "order-" + payload.id | set source = "surge" | where payload.qty > 0"#,
    ]

    package static let declared = ComponentOptionSet(
        component: "stream",
        [
            .text(
                "broker", default: "127.0.0.1:4222", accepted: "host:port of a NATS broker",
                help: "the broker to consume from and publish to (also --broker)",
                isValid: { parseHostPort($0) != nil }),
            .text(
                "mappings", default: "preset:dynamic",
                accepted: "preset:static, preset:dynamic, @FILE or mappings separated by ';'",
                help: "INPUT -> OUTPUT [| set NAME = EXPR]... [| where EXPR]; see StreamMapping",
                isValid: { (try? resolveMappings($0)) != nil }),
            .choice(
                "templates", default: "precompiled", among: ["precompiled", "interpreted"],
                help: "precompiled: output subject templates split into parts once; interpreted: scanned per message"),
            .choice(
                "expressions", default: "compiled", among: ["compiled", "interpreted"],
                help: "compiled: expressions parsed once into closures; interpreted: parsed and walked per message"),
            .flag(
                "static-cache", default: true,
                help: "on: expressions that read no field are computed once; off: per message"),
            .flag(
                "pooling", default: true,
                help: "on: output buffers reused and flushed once per read; off: fresh buffers, one flush per message"),
            .choice(
                "micro", default: "off", among: ["off"] + StreamMicroOp.allCases.map(\.rawValue),
                help: "serve the micro-benchmark protocol for this operation on the port, without a broker (also --micro)"),
            .integer("workers", default: 1, in: 1...64, help: "connections (and threads) sharing the input as a queue group"),
            .handicap(per: "message processed"),
        ])

    package init(options: [String: String], host: String = "127.0.0.1", statsPort: Int = 0) throws(ComponentOptionError) {
        let o = try Self.declared.parse(options)
        self.host = host
        self.statsPort = statsPort
        let broker = Self.parseHostPort(o.text("broker")) ?? ("127.0.0.1", 4222)
        brokerHost = broker.host
        brokerPort = broker.port
        do {
            mappingText = try Self.resolveMappings(o.text("mappings"))
        } catch {
            throw ComponentOptionError(component: "stream", key: "mappings", value: o.text("mappings"), accepted: "\(error)")
        }
        settings = StreamMapping.Settings()
        settings.precompiledTemplates = o.text("templates") == "precompiled"
        settings.compiledExpressions = o.text("expressions") == "compiled"
        settings.staticCache = o.flag("static-cache")
        pooling = o.flag("pooling")
        workers = o.integer("workers")
        handicap = o.handicap
        micro = StreamMicroOp(rawValue: o.text("micro"))
    }

    static func parseHostPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65535).contains(port), colon > text.startIndex
        else { return nil }
        return (String(text[..<colon]), port)
    }

    /// The mapping text of a `mappings` value, checked: every mapping parses.
    static func resolveMappings(_ value: String) throws -> String {
        let text: String
        if value.hasPrefix("preset:") {
            guard let t = presets[String(value.dropFirst(7))] else {
                throw StreamMappingError("no preset '\(value.dropFirst(7))'; presets: \(presets.keys.sorted().joined(separator: ", "))")
            }
            text = t
        } else if value.hasPrefix("@") {
            text = try String(contentsOfFile: String(value.dropFirst()), encoding: .utf8)
        } else {
            text = value
        }
        _ = try StreamMapping.parseAll(text)
        return text
    }
}
