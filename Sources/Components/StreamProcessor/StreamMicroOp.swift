import ComponentKit
import Synchronization

/// The stream processor's micro-benchmark operations (`-o micro=OP`), run N times per `run N`
/// with the mapping switches of the processor (templates, expressions, static-cache, pooling).
package enum StreamMicroOp: String, Sendable, CaseIterable {
    /// Map one order with the `static` preset (fixed subject, constant fields).
    case mapStatic = "map-static"
    /// Map one order with the `dynamic` preset (subject from subject and payload, computed fields, filter).
    case mapDynamic = "map-dynamic"
    /// Evaluate `payload.qty * payload.price + 1 > 10 && payload.customer.tier == "gold"` on a parsed order.
    case expression

    static let order = Array(
        #"{"id":"m1","seq":1,"run":1,"ts":1,"region":"eu","qty":4,"price":2.5,"customer":{"tier":"gold"}}"#.utf8)

    package func operation(_ options: StreamProcessorOptions) throws(StreamMappingError) -> MicroBenchServer.Operation {
        let settings = options.settings
        switch self {
        case .mapStatic, .mapDynamic:
            let preset = StreamProcessorOptions.presets[self == .mapStatic ? "static" : "dynamic"] ?? ""
            let mapping = try StreamMapping(preset, settings: settings)
            let pooled = options.pooling
            let box = StreamMicroBox(StreamMicroState(mapping: mapping))
            return { n in
                box.state.withLock { s in
                    for _ in 0..<n {
                        if !pooled { s.scratch = [] }
                        if case .publish(let subject) = s.mapping.apply(subject: "stream.in.eu", payload: Self.order, into: &s.scratch) {
                            s.sink &+= subject.utf8.count
                        }
                    }
                }
            }
        case .expression:
            let text = #"payload.qty * payload.price + 1 > 10 && payload.customer.tier == "gold""#
            let tree: StreamExpression
            do { tree = try StreamExpression.parse(text) } catch { throw StreamMappingError("\(error)") }
            let evaluator = StreamEvaluator(
                source: text, tree: tree, compiled: settings.compiledExpressions, staticCache: settings.staticCache)
            let payload = (try? StreamJSON.parse(Self.order)) ?? .null
            let context = StreamMessageContext(subject: "stream.in.eu", variables: ["region": 2], payload: payload)
            let hits = Atomic<Int>(0)
            return { n in
                var count = 0
                for _ in 0..<n where (try? evaluator.evaluate(context)) == .bool(true) { count += 1 }
                hits.add(count, ordering: .relaxed)
            }
        }
    }
}

struct StreamMicroState: ~Copyable {
    let mapping: StreamMapping
    var scratch: [UInt8] = []
    var sink = 0
}

final class StreamMicroBox: Sendable {
    let state: Mutex<StreamMicroState>
    init(_ s: consuming sending StreamMicroState) { state = Mutex(s) }
}
