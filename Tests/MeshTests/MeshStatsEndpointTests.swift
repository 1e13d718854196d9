import Foundation
import Mesh
import SurgeTestKit
import XCTest

/// A mesh node serves the kit's stats endpoint: its sizes as gauges, its id as info.
extension MeshLoopbackTests {
    func testStatsEndpointClassesFiguresAndAnswersHeadWithoutBody() async throws {
        let nodes = try await startMesh(2)
        do {
            let stats = try ComponentStatsReader.sections(port: nodes[0].statsPort)
            XCTAssertEqual(stats.gauges["known_peers"], 1)
            XCTAssertNotNil(stats.gauges["discovery_latency_p99_ns"])
            XCTAssertNil(stats.counters["known_peers"])
            XCTAssertNotNil(stats.counters["dht_queries_sent"])
            let c = try RawTCPConnection(port: nodes[0].statsPort)
            try c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            let body = RawHTTPResponse(c.receiveUntilClosed().text).body
            let info = try XCTUnwrap(
                (try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["info"]
                    as? [String: String])
            XCTAssertEqual(info["peer_port"], "\(nodes[0].peerPort)")
            XCTAssertNotNil(info["node_id"])
            let head = try RawTCPConnection(port: nodes[0].statsPort)
            try head.send("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
            XCTAssertEqual(RawHTTPResponse(head.receiveUntilClosed().text).body, "")
        } catch {
            await stopAll(nodes)
            throw error
        }
        await stopAll(nodes)
    }
}
