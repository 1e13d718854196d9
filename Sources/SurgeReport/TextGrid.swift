/// Fixed-width table layout, the same algorithm as benchstat's `texttab`: cells with a left margin
/// and alignment, spanning cells that widen the non-shrink columns they cover, no trailing spaces.
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
        cells.append(Cell(row: currentRow, col: currentCol, span: n, value: value, margin: m, alignment: alignment))
        currentCol += n
        columnCount = max(columnCount, currentCol)
    }

    mutating func setShrink(_ col: Int) {
        while shrink.count <= col { shrink.append(false) }
        shrink[col] = true
    }

    static func width(_ s: String) -> Int { s.unicodeScalars.count }

    func format() -> String {
        var marginWidth = [Int](repeating: 0, count: columnCount)
        for c in cells { marginWidth[c.col] = max(marginWidth[c.col], Self.width(c.margin)) }
        var widths = [Int](repeating: 0, count: columnCount)
        // Single-span cells first, then spanning cells by increasing span (stable).
        for c in cells where c.span == 1 {
            widths[c.col] = max(widths[c.col], Self.width(c.value) + marginWidth[c.col])
        }
        let spanning = cells.enumerated().filter { $0.element.span > 1 }.sorted { ($0.element.span, $0.offset) < ($1.element.span, $1.offset) }.map(\.element)
        for c in spanning {
            var w = Self.width(c.value) + marginWidth[c.col]
            if c.span == 1 {
                widths[c.col] = max(widths[c.col], w)
                continue
            }
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
        var out = ""
        out.reserveCapacity(cells.count * 8)
        var row = 0
        var position = 0
        for c in cells {
            if c.value.utf8.allSatisfy({ $0 == 0x20 }) && c.margin.utf8.allSatisfy({ $0 == 0x20 }) { continue }
            while c.row > row {
                out += "\n"
                row += 1
                position = 0
            }
            let spaces = offsets[c.col] - position
            out += String(repeating: " ", count: max(spaces, 0))
            out += String(repeating: " ", count: marginWidth[c.col] - Self.width(c.margin)) + c.margin
            position += spaces + marginWidth[c.col]
            let total = offsets[c.col + c.span] - offsets[c.col] - marginWidth[c.col]
            let padded: String
            switch c.alignment {
            case .left: padded = c.value
            case .center: padded = String(repeating: " ", count: max((total - Self.width(c.value)) / 2, 0)) + c.value
            case .right: padded = String(repeating: " ", count: max(total - Self.width(c.value), 0)) + c.value
            }
            out += padded
            position += Self.width(padded)
        }
        if !cells.isEmpty { out += "\n" }
        return out
    }
}
