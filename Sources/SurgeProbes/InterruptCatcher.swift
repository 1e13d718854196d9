import CSurgeSys

/// Catches Ctrl-C (SIGINT) and SIGTERM while it is alive, so a measurement can end early and still
/// detach its probes and report; SIGTERM can be passed on to a child being measured. One at a time
/// per process (the handlers are process-wide).
public final class InterruptCatcher {
    /// - Parameter forwardTerminationTo: a child pid that receives SIGTERM when Surge does.
    public init(forwardTerminationTo child: Int32? = nil) {
        surge_catch_interrupts(child ?? 0)
    }

    /// The signal caught (SIGINT or SIGTERM), or nil.
    public var caught: Int32? {
        let signal = surge_interrupt_signal()
        return signal == 0 ? nil : signal
    }

    deinit { surge_restore_interrupts() }
}
