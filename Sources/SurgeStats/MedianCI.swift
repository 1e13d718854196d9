#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The order statistics bounding a confidence interval of the median of `n` values, as benchstat
/// computes them (moremath `stats.QuantileCI(n, 0.5, confidence)`) at any confidence level.
///
/// `loOrder`/`hiOrder` are 1-based: the interval is `sorted[loOrder-1] ... sorted[hiOrder-1]`; an
/// order below 1 means −∞ and one above `n` means +∞. For n ≤ 30 the binomial(n, ½) distribution is
/// grown outward from its mode (left first on equal mass) until it holds `confidence`; its PMF uses
/// moremath's `Choose`, whose `exp∘lgamma` rounding above n = 20 breaks some exact ties the way
/// benchstat does. Above 30 it is the normal approximation with continuity correction, then the
/// right end is pulled in by one if that still covers `confidence`. All of it uses `GoMath`.
public struct MedianCI: Sendable, Equatable {
    public let n: Int
    public let loOrder: Int
    public let hiOrder: Int

    public init(n: Int, confidence: Double) {
        self.n = n
        let key = Key(n: n, confidence: confidence.bitPattern)
        if let hit = Self.cache.withLock({ $0[key] }) {
            (loOrder, hiOrder) = hit
            return
        }
        (loOrder, hiOrder) = Self.computed(n: n, confidence: confidence)
        let orders = (loOrder, hiOrder)
        Self.cache.withLock { if $0.count < 4096 { $0[key] = orders } }
    }

    private struct Key: Hashable {
        var n: Int
        var confidence: UInt64
    }

    /// Orders already computed: a comparison asks for the same n thousands of times.
    private static let cache = Mutex<[Key: (Int, Int)]>([:])

    /// True when both ends of the interval are sample values (not infinite).
    public var isFinite: Bool { loOrder >= 1 && hiOrder <= n }

    /// The smallest n in 2...50 with a finite interval at `confidence` (benchstat's `medianSamples`),
    /// as the text of its warning: `(">=", 6)`; `(">", 50)` if there is none.
    public static func samplesNeeded(confidence: Double) -> (op: String, n: Int) {
        for n in 2...50 where MedianCI(n: n, confidence: confidence).isFinite {
            return (">=", n)
        }
        return (">", 50)
    }

    static func computed(n: Int, confidence: Double) -> (Int, Int) {
        if confidence >= 1 { return (0, n + 1) }
        var l: Int
        var r: Int
        if n <= 30 {
            let pmf: (Int) -> Double = { k in
                guard k >= 0, k <= n else { return 0 }
                return GoMath.choose(n, k) * pow(0.5, Double(k)) * pow(0.5, Double(n - k))
            }
            let mode = Int((Double(n + 1) * 0.5).rounded(.up)) - 1
            var accum = pmf(mode)
            l = mode
            r = mode + 1
            var lp = pmf(l - 1)
            var rp = pmf(r)
            while accum < confidence && (lp > 0 || rp > 0) {
                if lp >= rp {
                    accum += lp
                    l -= 1
                    lp = pmf(l - 1)
                } else {
                    accum += rp
                    r += 1
                    rp = pmf(r)
                }
            }
        } else {
            let mu = Double(n) * 0.5
            let sigma = (Double(n) * 0.25).squareRoot()
            let alpha = (1 - confidence) / 2
            let l1 = StandardNormal.quantile(alpha) * sigma + mu
            let r1 = 2 * mu - l1
            l = Int(((l1 - 0.5).rounded(.down) + 0.5).rounded(.down)) + 1
            r = Int(((r1 - 0.5).rounded(.up) + 0.5).rounded(.down)) + 1
            let cdf: (Int, Int) -> Double = { l, r in
                StandardNormal.cdf(Double(r) - 0.5, mu: mu, sigma: sigma)
                    - StandardNormal.cdf(Double(l) - 0.5, mu: mu, sigma: sigma)
            }
            let unbiased = cdf(l, r)
            let biased = cdf(l, r - 1)
            if biased >= confidence && biased < unbiased { r -= 1 }
        }
        return (max(l, 0), min(r, n + 1))
    }
}

/// Binomial coefficients as Double; exact while the result fits in 53 bits.
enum BinomialCoefficient {
    static func choose(_ n: Int, _ k: Int) -> Double {
        if k < 0 || k > n { return 0 }
        let k = min(k, n - k)
        var result = 1.0
        if k == 0 { return 1 }
        for i in 1...k {
            result = result * Double(n - k + i) / Double(i)
        }
        return result.rounded()
    }
}

/// The standard normal distribution: CDF as moremath computes it (`erfc(-x/√2)/2`) and its inverse.
public enum StandardNormal {
    public static func cdf(_ x: Double) -> Double {
        GoMath.erfc(-x / 2.0.squareRoot()) / 2
    }

    /// moremath's `NormalDist{mu, sigma}.CDF(x)`, rounding step for step.
    public static func cdf(_ x: Double, mu: Double, sigma: Double) -> Double {
        GoMath.erfc(-(x - mu) / (sigma * 2.0.squareRoot())) / 2
    }

    /// Inverse CDF as moremath's `InvCDF`: Acklam's rational approximation refined by one Halley step.
    public static func quantile(_ p: Double) -> Double {
        if p <= 0 { return -.infinity }
        if p >= 1 { return .infinity }
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * GoMath.log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
                ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5
            let r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
                (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * GoMath.log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
                ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let e = 0.5 * GoMath.erfc(-x / 2.0.squareRoot()) - p
        let u = e * (2 * Double.pi).squareRoot() * GoMath.exp(x * x / 2)
        x = x - u / (1 + x * u / 2)
        return x
    }
}
