/// Size limits a request parser enforces; exceeding one fails the request with 413, 414 or 431.
public struct HTTPRequestLimits: Sendable, Equatable {
    /// Longest request line, without its CRLF (414 beyond).
    public var maxRequestLineBytes: Int
    /// Largest header section after the request line, including line endings (431 beyond).
    public var maxHeaderBytes: Int
    /// Most header lines (431 beyond).
    public var maxHeaderCount: Int
    /// Largest request body, declared or chunked (413 beyond).
    public var maxBodyBytes: Int

    public init(maxRequestLineBytes: Int = 8192, maxHeaderBytes: Int = 16384, maxHeaderCount: Int = 100, maxBodyBytes: Int = 8 << 20) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}
