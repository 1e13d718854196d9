import SurgeScenario
/// Drives a target through every cell of a scenario. (Being filled in by the foundation work.)
public struct Runner: Sendable {
    public init() {}
}
