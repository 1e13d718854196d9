import SurgeScenario

extension ABRunner {
    /// The profile pass of `surge ab --profile` (or the scenario's `profile:`): after every round,
    /// one visit per cell and side with a freshly started target, measured only by the stack
    /// profiles' windows, never in a round's sample. A and B of a cell run back to back, the first
    /// side alternating from cell to cell. The files go beside each side's result file.
    public func profile(names: [String]) async {
        guard !names.isEmpty else { return }
        let visits = (0..<cellCount).flatMap { cell -> [Visit] in
            let first = cell % 2
            return [Visit(cell: cell, repetition: 1, side: first), Visit(cell: cell, repetition: 1, side: 1 - first)]
        }
        await pipeline.executeProfileVisits(visits, names: names)
    }
}
