/// Go's `math.Log`, `math.Exp`, `math.Lgamma` and `math.Erfc` as benchstat runs them on amd64, ported
/// operation for operation so results agree to the last bit (the C library's functions round
/// differently in the last place, which shows in geomean digits and in rounding-tie decisions).
///
/// `log` and `exp` follow Go's amd64 assembly (`log_amd64.s`, `exp_amd64.s`), not its portable Go
/// code; `exp` takes the FMA path that Go selects on every CPU with AVX and FMA (x86-64 since 2013).
/// `lgamma` (positive arguments) and `erfc` follow Go's portable code, which the Go compiler does not
/// fuse into FMA on amd64. Swift does not contract floating-point expressions either, so each
/// written operation rounds once, as in Go.
public enum GoMath {
    // MARK: log (log_amd64.s)

    /// Go's amd64 `math.Log`. Like that assembly, subnormal inputs are not renormalised.
    public static func log(_ x: Double) -> Double {
        let bits = x.bitPattern
        if bits & ~(1 << 63) == 0 { return -.infinity }
        if Int64(bitPattern: bits) < 0 { return Double(bitPattern: 0x7FF8_0000_0000_0001) }
        if bits >= 0x7FF0_0000_0000_0000 { return x }
        var f1 = Double(bitPattern: (bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FE0_0000_0000_0000)
        var k = Double(Int32(truncatingIfNeeded: Int64((bits >> 52) & 0x7FF) - 0x3FE))
        if f1 < 7.07106781186547524401e-01 {
            k -= 1
            f1 *= 2
        }
        let f = f1 - 1
        let s = f / (2 + f)
        let s2 = s * s
        let s4 = s2 * s2
        let t1 = s2 * ((((1.479819860511658591e-01 * s4 + 1.818357216161805012e-01) * s4
            + 2.857142874366239149e-01) * s4) + 6.666666666666735130e-01)
        let t2 = s4 * (((1.531383769920937332e-01 * s4 + 2.222219843214978396e-01) * s4)
            + 3.999999999940941908e-01)
        let r = t1 + t2
        let hfsq = 0.5 * f * f
        let inner = s * (hfsq + r) + k * 1.90821492927058770002e-10
        return k * 6.93147180369123816490e-01 - ((hfsq - inner) - f)
    }

    // MARK: exp (exp_amd64.s, FMA path)

    /// Go's amd64 `math.Exp` on a CPU with AVX and FMA.
    public static func exp(_ x: Double) -> Double {
        let bits = x.bitPattern
        if bits & ~(1 << 63) >= 0x7FF0_0000_0000_0000 {
            if bits == 0xFFF0_0000_0000_0000 { return 0 }
            return x
        }
        if x > 7.09782712893384e+02 { return .infinity }
        let scaled = 1.4426950408889634073599246810018920 * x
        // CVTSD2SL: round to nearest even; out of range gives the "integer indefinite" value.
        let exponent: Int32
        let rounded = scaled.rounded(.toNearestOrEven)
        if rounded >= -2_147_483_648.0 && rounded <= 2_147_483_647.0 {
            exponent = Int32(rounded)
        } else {
            exponent = Int32.min
        }
        let k = Double(exponent)
        var r = x.addingProduct(-k, 0.69314718055966295651160180568695068359375)
        r = r.addingProduct(-k, 0.28235290563031577122588448175013436025525412068e-12)
        r *= 0.0625
        // Taylor series of e^r, fused multiply-adds as in the assembly.
        var p = 2.4801587301587301587e-5
        p = 1.9841269841269841270e-4.addingProduct(p, r)
        p = 1.3888888888888888889e-3.addingProduct(p, r)
        p = 8.3333333333333333333e-3.addingProduct(p, r)
        p = 4.1666666666666666667e-2.addingProduct(p, r)
        p = 1.6666666666666666667e-1.addingProduct(p, r)
        p = 0.5.addingProduct(p, r)
        p = 1.0.addingProduct(p, r)
        // Square four times: (e^r − 1) → (e^2r − 1) … → e^16r − 1, the last step fused with the + 1.
        var y = r * p
        for _ in 0..<3 { y *= y + 2 }
        y = 1.0.addingProduct(y, y + 2)
        // ldexp(y, exponent), with the assembly's two-step scaling into the subnormal range.
        let biased = Int64(exponent) + 0x3FF
        if biased >= 0x7FF { return .infinity }
        if biased > 0 { return y * Double(bitPattern: UInt64(biased) << 52) }
        if biased < -52 { return 0 }
        y *= Double(bitPattern: UInt64(biased + 0x3FE) << 52)
        return y * Double(bitPattern: UInt64(1) << 52)
    }

    // MARK: lgamma (lgamma.go, x > 0)

    /// Go's `math.Lgamma` for positive finite `x` (the only arguments moremath's `Choose` passes).
    public static func lgamma(_ x: Double) -> Double {
        precondition(x > 0 && x.isFinite, "GoMath.lgamma is ported for positive finite arguments")
        if x < 1.0 / Double(1 << 62) / Double(1 << 8) { return -log(x) }
        if x == 1 || x == 2 { return 0 }
        if x < 2 { return lgammaBelowTwo(x) }
        if x < 8 {
            let i = Int(x)
            let y = x - Double(i)
            let s = LgammaCoefficients.s
            let rr = LgammaCoefficients.r
            let p = y * (s[0] + y * (s[1] + y * (s[2] + y * (s[3] + y * (s[4] + y * (s[5] + y * s[6]))))))
            let q = 1 + y * (rr[1] + y * (rr[2] + y * (rr[3] + y * (rr[4] + y * (rr[5] + y * rr[6])))))
            var result = 0.5 * y + p / q
            var z = 1.0
            if i >= 7 { z *= (y + 6) }
            if i >= 6 { z *= (y + 5) }
            if i >= 5 { z *= (y + 4) }
            if i >= 4 { z *= (y + 3) }
            if i >= 3 {
                z *= (y + 2)
                result += log(z)
            }
            return result
        }
        if x < Double(1 << 58) {
            let t = log(x)
            let z = 1 / x
            let y = z * z
            let w0 = LgammaCoefficients.w
            let w = w0[0] + z * (w0[1] + y * (w0[2] + y * (w0[3] + y * (w0[4] + y * (w0[5] + y * w0[6])))))
            return (x - 0.5) * (t - 1) + w
        }
        return x * (log(x) - 1)
    }

    private static func lgammaBelowTwo(_ x: Double) -> Double {
        let ymin = 1.461632144968362245
        let tc = 1.46163214496836224576e+00
        var result: Double
        var y: Double
        var branch: Int
        if x <= 0.9 {
            result = -log(x)
            if x >= ymin - 1 + 0.27 {
                y = 1 - x
                branch = 0
            } else if x >= ymin - 1 - 0.27 {
                y = x - (tc - 1)
                branch = 1
            } else {
                y = x
                branch = 2
            }
        } else {
            result = 0
            if x >= ymin + 0.27 {
                y = 2 - x
                branch = 0
            } else if x >= ymin - 0.27 {
                y = x - tc
                branch = 1
            } else {
                y = x - 1
                branch = 2
            }
        }
        let a = LgammaCoefficients.a
        let t = LgammaCoefficients.t
        let u = LgammaCoefficients.u
        let v = LgammaCoefficients.v
        switch branch {
        case 0:
            let z = y * y
            let p1 = a[0] + z * (a[2] + z * (a[4] + z * (a[6] + z * (a[8] + z * a[10]))))
            let p2 = z * (a[1] + z * (a[3] + z * (a[5] + z * (a[7] + z * (a[9] + z * a[11])))))
            let p = y * p1 + p2
            result += (p - 0.5 * y)
        case 1:
            let z = y * y
            let w = z * y
            let p1 = t[0] + w * (t[3] + w * (t[6] + w * (t[9] + w * t[12])))
            let p2 = t[1] + w * (t[4] + w * (t[7] + w * (t[10] + w * t[13])))
            let p3 = t[2] + w * (t[5] + w * (t[8] + w * (t[11] + w * t[14])))
            let p = z * p1 - (-3.63867699703950536541e-18 - w * (p2 + y * p3))
            result += (-1.21486290535849611461e-01 + p)
        default:
            let p1 = y * (u[0] + y * (u[1] + y * (u[2] + y * (u[3] + y * (u[4] + y * u[5])))))
            let p2 = 1 + y * (v[1] + y * (v[2] + y * (v[3] + y * (v[4] + y * v[5]))))
            result += (-0.5 * y + p1 / p2)
        }
        return result
    }

    // MARK: choose (moremath mathx.Choose)

    /// moremath's `mathx.Choose`: exact integer arithmetic for n ≤ 20, `exp(lgamma…)` above (so
    /// C(24, 12) is not exactly 2704156 — benchstat's binomial PMF inherits that rounding).
    public static func choose(_ n: Int, _ k: Int) -> Double {
        if k == 0 || k == n { return 1 }
        if k < 0 || n < k { return 0 }
        if n <= 20 {
            var numerator: Int64 = 1
            for factor in Int64(n - (k - 1))...Int64(n) { numerator *= factor }
            var denominator: Int64 = 1
            for factor in stride(from: Int64(1), through: Int64(k), by: 1) { denominator *= factor }
            return Double(numerator / denominator)
        }
        let a = lgamma(Double(n + 1))
        let b = lgamma(Double(k + 1))
        let c = lgamma(Double(n - k + 1))
        return exp(a - b - c)
    }
}
