import ComponentKit
import Foundation
import NIOCore
import Synchronization

/// What every connection of one broker shares: options, the subject trie, counters, server identity,
/// the open connections (for `/connz` and lame duck) and whether the broker is a lame duck.
final class BrokerCore: Sendable {
    let options: BrokerOptions
    let trie = SubjectTrie()
    let counters = BrokerCounters()
    let serverID: String
    let boundPort = Atomic<Int>(0)
    let statsPort = Atomic<Int>(0)
    let started = Date()
    let lameDuck = Atomic<Bool>(false)
    private let nextClientID = Atomic<Int>(0)
    private let open = Mutex<[Int: BrokerConnection]>([:])

    init(options: BrokerOptions) {
        self.options = options
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        serverID = "NSURGE" + String((0..<50).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    /// What the stats port reports on `/stats` (Surge's flat counters, which the runner reads).
    func stats() -> ComponentStats {
        counters.stats(subscriptions: trie.count)
    }

    func makeClientID() -> Int { nextClientID.add(1, ordering: .relaxed).newValue }

    func opened(_ conn: BrokerConnection) { open.withLock { $0[conn.id] = conn } }
    func closed(_ conn: BrokerConnection) { _ = open.withLock { $0.removeValue(forKey: conn.id) } }

    /// The open connections, oldest first.
    var connections: [BrokerConnection] { open.withLock { $0.values.sorted { $0.id < $1.id } } }

    /// The `INFO` JSON sent on connect, as nats-server 2.9 shapes it; `lameDuck` adds `"ldm":true`.
    func infoJSON(clientID: Int, clientIP: String, lameDuck: Bool = false) -> String {
        let host = options.host.replacingOccurrences(of: "\"", with: "")
        return "{\"server_id\":\"\(serverID)\",\"server_name\":\"surge-broker\",\"version\":\"2.9.0\","
            + "\"proto\":1,\"go\":\"swift\",\"host\":\"\(host)\",\"port\":\(boundPort.load(ordering: .relaxed)),"
            + "\"headers\":true,\(options.authRequired ? "\"auth_required\":true," : "")"
            + "\"max_payload\":\(options.maxPayload),\"client_id\":\(clientID),"
            + "\"client_ip\":\"\(clientIP.replacingOccurrences(of: "\"", with: ""))\""
            + (lameDuck ? ",\"ldm\":true}" : "}")
    }
}
