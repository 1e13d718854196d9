import ComponentKit
import Synchronization

/// The router's micro-benchmark operations (`-o micro=OP`), each run N times per `run N`.
package enum RouterMicroOp: String, Sendable, CaseIterable {
    /// Parse `api://users/123/orders/456` into a message with a 64-byte payload (from the pool with pooling).
    case createMessage = "create-message"
    /// Match a static route.
    case matchStatic = "match-static"
    /// Match a route with two parameters.
    case matchDynamic = "match-dynamic"
    /// Match an address no route takes.
    case matchMiss = "match-miss"
    /// Create, route and deliver a message to its handler, end to end.
    case send
    /// Exactly one heap allocation per operation: checks that probes count allocations exactly.
    case calibrate

    /// The operation over a router built from `options` and `RouterCore.benchmarkRoutes`.
    package func operation(_ options: RouterOptions) -> MicroBenchServer.Operation {
        // The benchmark routes are valid patterns; a failure here is a programming error.
        let routes = RouterCore.benchmarkRoutes.map { try! RoutePattern($0) }
        let core = RouterCore(routes: routes, options: options)
        let body = [UInt8](repeating: 7, count: 64)
        let address: String
        switch self {
        case .matchStatic: address = "api://static/health/check"
        case .matchMiss: address = "api://nothing/here/at/all"
        default: address = "api://users/123/orders/456"
        }
        let prepared = body.withUnsafeBytes { try! core.message(address, body: $0) }
        let box = MicroBox(MicroState(core: core, body: body, message: prepared, address: address))
        let op = self
        return { n in
            box.state.withLock { s in
                switch op {
                case .createMessage: for _ in 0..<n { s.create() }
                case .matchStatic, .matchDynamic, .matchMiss: for _ in 0..<n { s.match() }
                case .send: for _ in 0..<n { s.send() }
                case .calibrate: for i in 0..<n { s.allocateOne(i) }
                }
            }
        }
    }
}

/// The state behind a lock, in a class an escaping closure can hold.
final class MicroBox: Sendable {
    let state: Mutex<MicroState>
    init(_ s: consuming sending MicroState) { state = Mutex(s) }
}

/// What a micro operation works on, owned by the micro server's thread.
struct MicroState: ~Copyable {
    let core: RouterCore
    let body: [UInt8]
    let message: RouterMessage
    let address: String
    var sink = 0
    let holder = CalibrationHolder()

    mutating func create() {
        body.withUnsafeBytes { raw in
            guard let m = try? core.message(address, body: raw) else { return }
            sink &+= m.address.segments.count
            core.release(m)
        }
    }

    mutating func match() { sink &+= core.match(message)?.route ?? -1 }

    mutating func send() {
        body.withUnsafeBytes { raw in
            guard let m = try? core.message(address, body: raw) else { return }
            core.send(m)
            core.release(m)
        }
    }

    @inline(never)
    func allocateOne(_ i: Int) { holder.last = CalibrationBox(i) }
}

final class CalibrationBox {
    let value: Int
    init(_ value: Int) { self.value = value }
}

/// Keeps the latest box alive, so every box is a real heap object (never promoted to the stack).
final class CalibrationHolder {
    var last: CalibrationBox?
}
