/// Every workload kind Surge knows, by the name a scenario's `workload.kind` uses.
public enum WorkloadRegistry {
    public static let all: [any Workload.Type] = [
        // Each workload issue appends its types here.
        NATSPubSubWorkload.self,
        NATSRequestWorkload.self,
        HTTPClosedLoopWorkload.self,
        HTTPOpenLoopWorkload.self,
        MeshChurnWorkload.self,
        CommandWorkload.self,
        NATSPipelineWorkload.self,
        MicroWorkload.self,
    ]

    public static func type(forKind kind: String) -> (any Workload.Type)? {
        all.first { $0.kind == kind }
    }

    public static var kinds: [String] { all.map { $0.kind } }
}
