import Synchronization

/// The null distribution of U1 given the tie pattern, computed exactly as moremath's `UDist.CDF`
/// does with ties (`makeUmemo`, after Cheung & Klotz 1997), so benchstat's p-values come out to the
/// last bit — including where that code departs from the textbook conditional distribution:
///
/// - the first level's upper bound `(2U − n1·(t₀ − n1)) / (t₀ + t₁)` truncates toward zero, so a
///   negative bound still admits one term: for [2] vs [1, 1] `CDF(0)` is 2/3 and p = 1.333;
/// - binomial coefficients are moremath's `mathx.Choose` (`exp∘lgamma` above n = 20).
///
/// The result is `A_K(n1, 2U) / Choose(N, n1)`, with `2U = 2·U1` in the algorithm's own units.
enum TiedUDistribution {
    private struct Key: Hashable {
        var twoU: Int
        var n1: Int
        var ties: [Int]
    }

    /// One state of the memo: `n1` values of sample 1 among the first groups, statistic `twoU`.
    private struct State: Hashable {
        var n1: Int
        var twoU: Int

        /// One hashed word (n1 ≤ 25, |twoU| < 2^32): about half the hashing cost of two.
        func hash(into hasher: inout Hasher) { hasher.combine(n1 << 32 ^ twoU) }
    }

    private static let cache = Mutex<[Key: Double]>([:])

    /// moremath's `UDist{N1: n1, N2: n2, T: ties}.CDF(u)` for a tie vector with at least one tie.
    static func cdf(_ u: Double, n1: Int, n2: Int, ties: [Int]) -> Double {
        if u < 0 { return 0 }
        if u >= Double(n1 * n2) { return 1 }
        let twoU = Int(2 * u)
        let key = Key(twoU: twoU, n1: n1, ties: ties)
        if let hit = cache.withLock({ $0[key] }) { return hit }
        let count = memo(twoU: twoU, n1: n1, t: ties)
        let p = count / GoMath.choose(n1 + n2, n1)
        cache.withLock { if $0.count < 100_000 { $0[key] = p } }
        return p
    }

    /// `makeUmemo(twoU, n1, t)[K][{n1, twoU}]`.
    static func memo(twoU: Int, n1: Int, t: [Int]) -> Double {
        let groups = t.count
        precondition(groups >= 2, "the tied U distribution needs at least two tie groups")
        if groups == 2 { return secondLevel(n1: n1, twoU: twoU, t) }
        var a = [Int](repeating: 0, count: groups + 1)
        a[1] = t[0]
        for k in stride(from: 2, through: groups, by: 1) { a[k] = a[k - 1] + t[k - 2] + t[k - 1] }

        // Top-down: the states each level can reach.
        var levels = [[State: Double]](repeating: [:], count: groups + 1)
        levels[groups] = [State(n1: n1, twoU: twoU): 0]
        var tsum = t.reduce(0, +)
        for k in stride(from: groups - 1, through: 2, by: -1) {
            tsum -= t[k]
            var reached: [State: Double] = [:]
            for next in levels[k + 1].keys {
                var rk = max(0, next.n1 - tsum)
                let rkHigh = min(next.n1, t[k])
                while rk <= rkHigh {
                    let twoUk = next.twoU - rk * (a[k + 1] - 2 * next.n1 + rk)
                    let n1k = next.n1 - rk
                    if twoUMin(n1k, t, k, a) <= twoUk && twoUk <= twoUMax(n1k, t, k, a) {
                        reached[State(n1: n1k, twoU: twoUk)] = 0
                    }
                    rk += 1
                }
            }
            levels[k] = reached
        }

        // Bottom-up: level 2 directly, then each level from the one below.
        var second: [State: Double] = [:]
        second.reserveCapacity(levels[2].count)
        for state in levels[2].keys { second[state] = secondLevel(n1: state.n1, twoU: state.twoU, t) }
        levels[2] = second
        tsum = t[0]
        for k in stride(from: 3, through: groups, by: 1) {
            tsum += t[k - 2]
            var filled: [State: Double] = [:]
            filled.reserveCapacity(levels[k].count)
            for state in levels[k].keys {
                var sum = 0.0
                var rk = max(0, state.n1 - tsum)
                let rkHigh = min(state.n1, t[k - 1])
                while rk <= rkHigh {
                    let twoUBelow = state.twoU - rk * (a[k] - 2 * state.n1 + rk)
                    let n1Below = state.n1 - rk
                    var x = 0.0
                    if let known = levels[k - 1][State(n1: n1Below, twoU: twoUBelow)] {
                        x = known
                    } else if twoUMax(n1Below, t, k - 1, a) < twoUBelow {
                        x = GoMath.choose(tsum, n1Below)
                    }
                    sum += x * GoMath.choose(t[k - 1], rk)
                    rk += 1
                }
                filled[state] = sum
            }
            levels[k] = filled
        }
        return levels[groups][State(n1: n1, twoU: twoU)] ?? 0
    }

    /// The memo's level 2 at one state (also the whole answer for two tie groups, where there is no
    /// other level): sample 1 has `n1` of the first two groups' values, statistic `twoU`.
    private static func secondLevel(n1: Int, twoU: Int, _ t: [Int]) -> Double {
        var sum = 0.0
        var r2 = max(0, n1 - t[0])
        let r2High = (twoU - n1 * (t[0] - n1)) / (t[0] + t[1])  // truncates toward 0, as Go
        while r2 <= r2High {
            sum += GoMath.choose(t[0], n1 - r2) * GoMath.choose(t[1], r2)
            r2 += 1
        }
        return sum
    }

    /// moremath's `twoUmin(n1, t[:groups], a)`: sample 1 takes the lowest groups.
    private static func twoUMin(_ n1: Int, _ t: [Int], _ groups: Int, _ a: [Int]) -> Int {
        var twoU = -n1 * n1
        var left = n1
        var k = 1
        while k <= groups {
            let take = min(left, t[k - 1])
            twoU += take * a[k]
            left -= take
            k += 1
        }
        return twoU
    }

    /// moremath's `twoUmax(n1, t[:groups], a)`: sample 1 takes the highest groups.
    private static func twoUMax(_ n1: Int, _ t: [Int], _ groups: Int, _ a: [Int]) -> Int {
        var twoU = -n1 * n1
        var left = n1
        var k = groups
        while k > 0 {
            let take = min(left, t[k - 1])
            twoU += take * a[k]
            left -= take
            k -= 1
        }
        return twoU
    }
}
