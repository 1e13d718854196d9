import ComponentKit
import Foundation
import Synchronization

/// What every connection of one broker shares: options, the subject trie, counters and server identity.
final class BrokerCore: Sendable {
    let options: BrokerOptions
    let trie = SubjectTrie()
    let counters = BrokerCounters()
    let serverID: String
    let boundPort = Atomic<Int>(0)
    private let nextClientID = Atomic<Int>(0)

    init(options: BrokerOptions) {
        self.options = options
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        serverID = "NSURGE" + String((0..<50).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    /// What the stats port reports.
    func stats() -> ComponentStats {
        counters.stats(subscriptions: trie.count)
    }

    func makeClientID() -> Int { nextClientID.add(1, ordering: .relaxed).newValue }

    /// The `INFO` JSON sent on connect, as nats-server 2.9 shapes it.
    func infoJSON(clientID: Int, clientIP: String) -> String {
        let host = options.host.replacingOccurrences(of: "\"", with: "")
        return "{\"server_id\":\"\(serverID)\",\"server_name\":\"surge-broker\",\"version\":\"2.9.0\","
            + "\"proto\":1,\"go\":\"swift\",\"host\":\"\(host)\",\"port\":\(boundPort.load(ordering: .relaxed)),"
            + "\"headers\":true,\"max_payload\":\(options.maxPayload),\"client_id\":\(clientID),"
            + "\"client_ip\":\"\(clientIP.replacingOccurrences(of: "\"", with: ""))\"}"
    }
}
