import ComponentKit

/// Settings of a `Router`, built from the `key=value` switches a scenario or the command line gives.
package struct RouterOptions: Sendable {
    package var host: String
    package var port: Int
    package var statsPort: Int
    package var matcher: RouteMatcherKind
    package var pooling: Bool
    package var splitting: RouterAddress.Splitting
    package var micro: RouterMicroOp?
    package var handicap: Handicap

    package static let declared = ComponentOptionSet(
        component: "router",
        [
            .choice(
                "matcher", default: "trie", among: RouteMatcherKind.allCases.map(\.rawValue),
                help: "trie: segment trie; linear-regex: every route's regular expression in turn"),
            .flag("pooling", default: true, help: "on: messages and their buffers reused from a pool; off: new ones"),
            .choice(
                "path-split", default: "single-pass", among: RouterAddress.Splitting.allCases.map(\.rawValue),
                help: "single-pass: one UTF-8 walk into a reused array; split: String.split into new arrays"),
            .choice(
                "micro", default: "off", among: ["off"] + RouterMicroOp.allCases.map(\.rawValue),
                help: "serve the micro-benchmark protocol for this operation on the port (also --micro)"),
            .handicap(per: "message routed"),
        ])

    package init(options: [String: String], host: String = "127.0.0.1", port: Int = 0, statsPort: Int = 0)
        throws(ComponentOptionError)
    {
        let o = try Self.declared.parse(options)
        self.host = host
        self.port = port
        self.statsPort = statsPort
        matcher = o.choice("matcher")
        pooling = o.flag("pooling")
        splitting = o.choice("path-split")
        micro = RouterMicroOp(rawValue: o.text("micro"))
        handicap = o.handicap
    }
}
