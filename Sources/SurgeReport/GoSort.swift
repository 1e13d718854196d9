/// Go's `sort.Slice` (pattern-defeating quicksort, Go 1.19 and later), ported step for step so that
/// elements that compare equal end in the same order as in Go. benchstat's text layout depends on
/// it: `texttab` sorts cells by span with this unstable sort and widens columns in that order, so
/// which of two equally wide spanning cells comes first decides the padding of a header row.
enum GoSort {
    static func sort<T>(_ items: inout [T], by less: (T, T) -> Bool) {
        withoutActuallyEscaping(less) { less in
            var data = Data(items: items, order: ClosureOrder(body: less))
            let limit = Int.bitWidth - UInt(items.count).leadingZeroBitCount
            data.pdqsort(0, items.count, limit)
            items = data.items
        }
    }

    /// The indices of `keys` in the order `sort(&indices) { keys[$0] < keys[$1] }` leaves them, with
    /// the comparison inlined (a text table sorts tens of thousands of cells by span).
    static func indices(sortedBy keys: [Int]) -> [Int] {
        precondition(keys.count < 1 << 32 && keys.allSatisfy { $0 >= 0 && $0 < 1 << 31 })
        // Key in the high half, index in the low half; only the key is compared.
        let packed = keys.enumerated().map { UInt64($1) << 32 | UInt64($0) }
        var data = Data(items: packed, order: HighHalfOrder())
        let limit = Int.bitWidth - UInt(keys.count).leadingZeroBitCount
        data.pdqsort(0, keys.count, limit)
        return data.items.map { Int($0 & 0xFFFF_FFFF) }
    }

    private protocol Order {
        associatedtype Element
        func less(_ a: Element, _ b: Element) -> Bool
    }

    private struct ClosureOrder<T>: Order {
        let body: (T, T) -> Bool
        func less(_ a: T, _ b: T) -> Bool { body(a, b) }
    }

    private struct HighHalfOrder: Order {
        func less(_ a: UInt64, _ b: UInt64) -> Bool { a >> 32 < b >> 32 }
    }

    private enum SortedHint { case unknown, increasing, decreasing }

    private struct Data<O: Order> {
        typealias T = O.Element
        var items: [T]
        let order: O

        func lt(_ i: Int, _ j: Int) -> Bool { order.less(items[i], items[j]) }
        mutating func swap(_ i: Int, _ j: Int) { items.swapAt(i, j) }

        mutating func insertionSort(_ a: Int, _ b: Int) {
            var i = a + 1
            while i < b {
                var j = i
                while j > a && lt(j, j - 1) {
                    swap(j, j - 1)
                    j -= 1
                }
                i += 1
            }
        }

        mutating func siftDown(_ lo: Int, _ hi: Int, _ first: Int) {
            var root = lo
            while true {
                var child = 2 * root + 1
                if child >= hi { return }
                if child + 1 < hi && lt(first + child, first + child + 1) { child += 1 }
                if !lt(first + root, first + child) { return }
                swap(first + root, first + child)
                root = child
            }
        }

        mutating func heapSort(_ a: Int, _ b: Int) {
            let first = a
            let hi = b - a
            var i = (hi - 1) / 2
            while i >= 0 {
                siftDown(i, hi, first)
                i -= 1
            }
            i = hi - 1
            while i >= 0 {
                swap(first, first + i)
                siftDown(0, i, first)
                i -= 1
            }
        }

        mutating func pdqsort(_ a0: Int, _ b0: Int, _ limit0: Int) {
            var a = a0
            var b = b0
            var limit = limit0
            var wasBalanced = true
            var wasPartitioned = true
            while true {
                let length = b - a
                if length <= 12 {
                    insertionSort(a, b)
                    return
                }
                if limit == 0 {
                    heapSort(a, b)
                    return
                }
                if !wasBalanced {
                    breakPatterns(a, b)
                    limit -= 1
                }
                var (pivot, hint) = choosePivot(a, b)
                if hint == .decreasing {
                    reverseRange(a, b)
                    pivot = (b - 1) - (pivot - a)
                    hint = .increasing
                }
                if wasBalanced && wasPartitioned && hint == .increasing {
                    if partialInsertionSort(a, b) { return }
                }
                if a > 0 && !lt(a - 1, pivot) {
                    a = partitionEqual(a, b, pivot)
                    continue
                }
                let (mid, alreadyPartitioned) = partition(a, b, pivot)
                wasPartitioned = alreadyPartitioned
                let leftLen = mid - a
                let rightLen = b - mid
                let balanceThreshold = length / 8
                if leftLen < rightLen {
                    wasBalanced = leftLen >= balanceThreshold
                    pdqsort(a, mid, limit)
                    a = mid + 1
                } else {
                    wasBalanced = rightLen >= balanceThreshold
                    pdqsort(mid + 1, b, limit)
                    b = mid
                }
            }
        }

        mutating func partition(_ a: Int, _ b: Int, _ pivot: Int) -> (Int, Bool) {
            swap(a, pivot)
            var i = a + 1
            var j = b - 1
            while i <= j && lt(i, a) { i += 1 }
            while i <= j && !lt(j, a) { j -= 1 }
            if i > j {
                swap(j, a)
                return (j, true)
            }
            swap(i, j)
            i += 1
            j -= 1
            while true {
                while i <= j && lt(i, a) { i += 1 }
                while i <= j && !lt(j, a) { j -= 1 }
                if i > j { break }
                swap(i, j)
                i += 1
                j -= 1
            }
            swap(j, a)
            return (j, false)
        }

        mutating func partitionEqual(_ a: Int, _ b: Int, _ pivot: Int) -> Int {
            swap(a, pivot)
            var i = a + 1
            var j = b - 1
            while true {
                while i <= j && !lt(a, i) { i += 1 }
                while i <= j && lt(a, j) { j -= 1 }
                if i > j { break }
                swap(i, j)
                i += 1
                j -= 1
            }
            return i
        }

        mutating func partialInsertionSort(_ a: Int, _ b: Int) -> Bool {
            var i = a + 1
            for _ in 0..<5 {
                while i < b && !lt(i, i - 1) { i += 1 }
                if i == b { return true }
                if b - a < 50 { return false }
                swap(i, i - 1)
                if i - a >= 2 {
                    var j = i - 1
                    while j >= 1 {
                        if !lt(j, j - 1) { break }
                        swap(j, j - 1)
                        j -= 1
                    }
                }
                if b - i >= 2 {
                    var j = i + 1
                    while j < b {
                        if !lt(j, j - 1) { break }
                        swap(j, j - 1)
                        j += 1
                    }
                }
            }
            return false
        }

        mutating func breakPatterns(_ a: Int, _ b: Int) {
            let length = b - a
            guard length >= 8 else { return }
            var random = UInt64(length)
            let modulus = UInt(1) << UInt(Int.bitWidth - UInt(length).leadingZeroBitCount)
            var idx = a + (length / 4) * 2 - 1
            while idx <= a + (length / 4) * 2 + 1 {
                random ^= random << 13
                random ^= random >> 17
                random ^= random << 5
                var other = Int(UInt(truncatingIfNeeded: random) & (modulus - 1))
                if other >= length { other -= length }
                swap(idx, a + other)
                idx += 1
            }
        }

        mutating func choosePivot(_ a: Int, _ b: Int) -> (Int, SortedHint) {
            let l = b - a
            var swaps = 0
            var i = a + l / 4 * 1
            var j = a + l / 4 * 2
            var k = a + l / 4 * 3
            if l >= 8 {
                if l >= 50 {
                    i = median(i - 1, i, i + 1, &swaps)
                    j = median(j - 1, j, j + 1, &swaps)
                    k = median(k - 1, k, k + 1, &swaps)
                }
                j = median(i, j, k, &swaps)
            }
            switch swaps {
            case 0: return (j, .increasing)
            case 12: return (j, .decreasing)
            default: return (j, .unknown)
            }
        }

        func order2(_ a: Int, _ b: Int, _ swaps: inout Int) -> (Int, Int) {
            if lt(b, a) {
                swaps += 1
                return (b, a)
            }
            return (a, b)
        }

        func median(_ a0: Int, _ b0: Int, _ c0: Int, _ swaps: inout Int) -> Int {
            let (a1, b1) = order2(a0, b0, &swaps)
            let (b2, _) = order2(b1, c0, &swaps)
            let (_, b3) = order2(a1, b2, &swaps)
            return b3
        }

        mutating func reverseRange(_ a: Int, _ b: Int) {
            var i = a
            var j = b - 1
            while i < j {
                swap(i, j)
                i += 1
                j -= 1
            }
        }
    }
}
