import CFuzzDriver

/// Hands control to libFuzzer's driver; each target's `<module>_main` calls this.
public enum FuzzDriver {
    public static func run(
        _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
        _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt {
        surge_fuzz_run(argc, argv, test)
    }
}
