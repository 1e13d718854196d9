/// Syscall number → name for the machine's architecture. The names come from a table generated
/// from the kernel's UAPI headers (`Scripts/generate-syscall-table.py`: `<asm/unistd_64.h>` for
/// x86_64, `<asm-generic/unistd.h>` for aarch64); numbers without a name print as `sys_<n>`.
public enum SyscallTable {
    #if arch(x86_64)
    static let names = x86_64Names
    #elseif arch(arm64)
    static let names = aarch64Names
    #else
    static let names: [String] = []
    #endif

    /// The name of syscall `number` on this architecture.
    public static func name(_ number: Int) -> String {
        if number >= 0, number < names.count, !names[number].isEmpty { return names[number] }
        return "sys_\(number)"
    }

    /// The number of syscall `name` on this architecture, if it exists.
    public static func number(_ name: String) -> Int? {
        names.firstIndex(of: name)
    }
}
