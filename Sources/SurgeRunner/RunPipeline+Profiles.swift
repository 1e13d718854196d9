import NIOCore
import SurgeResults

extension RunPipeline {
    /// Profile visits (`surge ab --profile`): for each visit a freshly started target, warmed up,
    /// then only the stack profiles' windows (`ProfileCapture`), never a speed-pass sample; the
    /// references go into the cell's `profiles` and the files beside its side's result file. A visit
    /// that fails is a note (the speed pass's samples stand), a cell that failed is not profiled.
    public func executeProfileVisits(_ visits: [Visit], names: [String]) async {
        guard let group = eventLoopGroup, !names.isEmpty else { return }
        for visit in visits {
            let key = Key(side: visit.side, cell: visit.cell)
            let (cell, status, label, surge) = sideCell(key)
            guard status == .ok, !isInterrupted else { continue }
            if case .workloadOwned = cell.target.kind {
                note("stack profiles are not taken of a `command` workload (no target process to attach to)")
                continue
            }
            let name = label.isEmpty ? cell.name : "\(label) \(cell.name)"
            progress.cellStarted(position(key), name: "\(name) (profile)")
            let visitor: OpenCell
            switch await OpenCell.open(
                cell, surgeExecutable: surge ?? options.surgeExecutable, probes: [], pipeline: self,
                warmup: settings.warmup, group: group)
            {
            case .success(let oc): visitor = oc
            case .failure(let failed):
                note("\(name): profile visit not made: \(failed.reason ?? "the target did not start")")
                continue
            }
            do {
                if let profiles = try await visitor.stackProfiles(
                    names: names, resultPath: resultPaths[key.side], runID: snapshot(key.side).runID)
                {
                    setProfiles(key, profiles)
                }
            } catch {
                note("\(name): profile visit failed: \(error)")
            }
            _ = await visitor.close()
        }
    }
}
