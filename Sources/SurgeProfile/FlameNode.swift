/// A flame graph's tree: each node is a frame on a path from the root, with the inclusive value of
/// the stacks through it (and, for a differential graph, the same in the baseline).
final class FlameNode {
    let name: String
    var value = 0.0
    var baseline = 0.0
    var children: [String: FlameNode] = [:]

    init(name: String) {
        self.name = name
    }

    /// The tree of `stacks` (and of `baseline` stacks, for their values on B's paths only: the shape
    /// is B's). The root is an "all" frame.
    static func build(_ stacks: FoldedStacks, baseline: FoldedStacks? = nil) -> FlameNode {
        let root = FlameNode(name: "all")
        for (stack, value) in stacks.values where value > 0 {
            root.add(stack.split(separator: ";").map(String.init), value: value, baseline: false)
        }
        if let baseline {
            for (stack, value) in baseline.values where value > 0 {
                root.add(stack.split(separator: ";").map(String.init), value: value, baseline: true)
            }
        }
        return root
    }

    private func add(_ frames: [String], value: Double, baseline isBaseline: Bool) {
        var node = self
        if isBaseline { node.baseline += value } else { node.value += value }
        for frame in frames {
            if let child = node.children[frame] {
                node = child
            } else if isBaseline {
                return  // a path B does not have: not drawn (the table lists what vanished)
            } else {
                let child = FlameNode(name: frame)
                node.children[frame] = child
                node = child
            }
            if isBaseline { node.baseline += value } else { node.value += value }
        }
    }

    /// Children in FlameGraph's order (alphabetical, so two graphs line up).
    var sortedChildren: [FlameNode] { children.values.sorted { $0.name < $1.name } }

    var selfValue: Double { value - children.values.reduce(0) { $0 + $1.value } }

    var depth: Int { 1 + (children.values.map(\.depth).max() ?? 0) }

    /// The depth counting only frames of at least `minimum` value (the ones a graph draws), so a
    /// deep stack too narrow to see does not leave an empty band above the graph.
    func depth(minimum: Double) -> Int {
        1 + (children.values.filter { $0.value >= minimum }.map { $0.depth(minimum: minimum) }.max() ?? 0)
    }
}
