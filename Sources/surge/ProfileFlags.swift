import ArgumentParser
import SurgeProfile
import SurgeRunner

/// `--profile`, `--profile-frequency` and `--profile-windows` of `surge run` and `surge ab`.
struct ProfileFlags: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Stack profiles per cell in the profile pass, instead of the scenario's 'profile' "
                + "(comma-separated: cpu, off-cpu, allocations; 'none').",
            valueName: "list"))
    var profile: String?

    @Option(
        name: .customLong("profile-frequency"),
        help: ArgumentHelp("CPU stack samples per second of the profiles (default 99).", valueName: "Hz"))
    var frequency: Int?

    @Option(
        name: .customLong("profile-windows"),
        help: ArgumentHelp(
            "Profiled/unprofiled pairs of windows per profile kind: the stacks of the profiled ones are "
                + "summed, the cost of profiling is the median over the pairs (default 3).",
            valueName: "n"))
    var windows: Int?

    func validate() throws {
        if let p = profile, p != "none" {
            do { _ = try ProfileKind.parseList(p) } catch { throw ValidationError("--profile: \(error)") }
        }
        if let f = frequency, !(1...20_000).contains(f) {
            throw ValidationError("--profile-frequency must be between 1 and 20000 Hz (got \(f))")
        }
        if let w = windows, w < 1 { throw ValidationError("--profile-windows must be at least 1 (got \(w))") }
    }

    /// The kinds asked for: nil (the scenario's), [] for `none`.
    var names: [String]? {
        profile.map { $0 == "none" ? [] : $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    func apply(to options: inout RunOptions) {
        options.profile = names
        options.profileFrequency = frequency
        options.profileWindows = windows
    }
}
