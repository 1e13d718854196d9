/// A mesh node as peers know it: its 64-bit node id and the address of its peer port.
public struct MeshContact: Sendable, Hashable, CustomStringConvertible {
    public var id: UInt64
    public var host: String
    public var port: Int

    public init(id: UInt64, host: String, port: Int) {
        self.id = id
        self.host = host
        self.port = port
    }

    public var description: String { "\(String(id, radix: 16))@\(host):\(port)" }
}
