/// Fixed-width table layout, the same algorithm as benchstat's `texttab`: cells with a left margin
/// and alignment, spanning cells that widen the non-shrink columns they cover (in Go's sort order,
/// `GoSort`), no trailing spaces.
/// Widths count Unicode scalars (`µ`, `│`, `±`, `∞` are one column each).
struct TextGrid {
    enum Alignment { case left, center, right }

    struct Cell {
        var row: Int
        var col: Int
        var span: Int
        var value: String
        var margin: String
        var alignment: Alignment
        /// Display widths (Unicode scalars) of value and margin.
        var valueWidth: Int
        var marginWidth: Int
        var isBlank: Bool
    }

    private(set) var cells: [Cell] = []
    private(set) var columnCount = 0
    private var shrink: [Bool] = []
    private var currentRow = 0
    private(set) var currentCol = 0

    mutating func row() {
        if !cells.isEmpty { currentRow += 1 }
        currentCol = 0
    }

    mutating func col(_ c: Int) {
        currentCol = max(currentCol, c)
    }

    mutating func cell(_ value: String, _ alignment: Alignment = .left, margin: String? = nil) {
        span(1, value, alignment, margin: margin)
    }

    mutating func span(_ n: Int, _ value: String, _ alignment: Alignment = .left, margin: String? = nil) {
        let m = margin ?? ((currentCol == 0 || value.isEmpty) ? "" : " ")
        let v = Self.measure(value)
        let mm = Self.measure(m)
        cells.append(Cell(row: currentRow, col: currentCol, span: n, value: value, margin: m, alignment: alignment,
                          valueWidth: v.width, marginWidth: mm.width, isBlank: v.blank && mm.blank))
        currentCol += n
        columnCount = max(columnCount, currentCol)
    }

    mutating func setShrink(_ col: Int) {
        while shrink.count <= col { shrink.append(false) }
        shrink[col] = true
    }

    /// Unicode scalars in `s`: its UTF-8 bytes that do not continue a scalar (String is valid UTF-8).
    static func width(_ s: String) -> Int { measure(s).width }

    /// `width(s)`, and whether `s` is only spaces (or empty), in one pass over its bytes.
    static func measure(_ s: String) -> (width: Int, blank: Bool) {
        var copy = s
        return copy.withUTF8 { bytes in
            var count = 0
            var blank = true
            for b in bytes {
                if b & 0xC0 != 0x80 { count += 1 }
                if b != 0x20 { blank = false }
            }
            return (count, blank)
        }
    }

    func format() -> String {
        var marginWidth = [Int](repeating: 0, count: columnCount)
        for c in cells { marginWidth[c.col] = max(marginWidth[c.col], c.marginWidth) }
        var widths = [Int](repeating: 0, count: columnCount)
        // Single-span cells first, then spanning cells by increasing span. Spanning cells of equal
        // span are taken in the order Go's unstable `sort.Slice` leaves them (texttab sorts the
        // whole cell list by span), which decides where a header's extra width goes.
        for c in cells where c.span == 1 {
            widths[c.col] = max(widths[c.col], c.valueWidth + marginWidth[c.col])
        }
        let order = GoSort.indices(sortedBy: cells.map(\.span))
        for index in order where cells[index].span > 1 {
            let c = cells[index]
            var w = c.valueWidth + marginWidth[c.col]
            let total = (c.col..<(c.col + c.span)).reduce(0) { $0 + widths[$1] }
            if total >= w { continue }
            var growable: [Int] = []
            for col in c.col..<(c.col + c.span) {
                if col < shrink.count && shrink[col] { w -= widths[col] } else { growable.append(col) }
            }
            growable.sort { widths[$0] > widths[$1] }
            var remaining = growable.count
            for col in growable {
                let average = (w + remaining - 1) / remaining
                widths[col] = max(widths[col], average)
                w -= widths[col]
                remaining -= 1
            }
        }
        var offsets = [Int](repeating: 0, count: columnCount + 1)
        var off = 0
        for (i, w) in widths.enumerated() {
            offsets[i] = off
            off += w
        }
        offsets[columnCount] = off

        // Cells are added row by row with increasing columns, so they are already in print order.
        var out: [UInt8] = []
        out.reserveCapacity(cells.count * 10)
        func spaces(_ n: Int) { if n > 0 { out.append(contentsOf: repeatElement(0x20, count: n)) } }
        var row = 0
        var position = 0
        for c in cells {
            if c.isBlank { continue }
            while c.row > row {
                out.append(0x0A)
                row += 1
                position = 0
            }
            // Go prints `%*s` with a negative width as that many spaces too (left-justified ""), so a
            // cell that overflowed its column pushes the next one right instead of touching it.
            let gap = offsets[c.col] - position
            spaces(abs(gap))
            spaces(marginWidth[c.col] - c.marginWidth)
            out.append(contentsOf: c.margin.utf8)
            position += gap + marginWidth[c.col]
            let total = offsets[c.col + c.span] - offsets[c.col] - marginWidth[c.col]
            switch c.alignment {
            case .left:
                out.append(contentsOf: c.value.utf8)
                position += c.valueWidth
            case .center:
                let pad = abs((total - c.valueWidth) / 2)
                spaces(pad)
                out.append(contentsOf: c.value.utf8)
                position += pad + c.valueWidth
            case .right:
                // `%*s`: pad on the left to the width, or on the right to |width| if it is negative.
                let pad = max(abs(total) - c.valueWidth, 0)
                if total >= 0 { spaces(pad) }
                out.append(contentsOf: c.value.utf8)
                if total < 0 { spaces(pad) }
                position += pad + c.valueWidth
            }
        }
        if !cells.isEmpty { out.append(0x0A) }
        return String(decoding: out, as: UTF8.self)
    }
}
