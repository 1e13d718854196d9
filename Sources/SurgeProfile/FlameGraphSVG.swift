import Foundation

/// Draws a flame graph as one self-contained SVG: no external references (fonts, scripts, styles
/// are inline or generic), a title naming the cell and the normalisation, a `<title>` tooltip per
/// frame, and click-to-zoom in a few lines of inline script (click a frame to zoom into it, click
/// "Reset zoom" or the background to go back). A differential graph (`baseline` given) has B's
/// shape (A's with `shapeIsA`, where what vanished in B shows) and colours each frame by the
/// relative per-op change of its inclusive cost from A to B: red for growth, blue for shrinkage,
/// white within ±5% (noise), saturated at ±100%, with a legend. Relative, not absolute: by
/// absolute change the trunk (every stack's ancestors) always has the largest delta and every
/// frame above it would look alike. A change smaller than 2% of the larger total fades in
/// proportion, so frames of a sample or two that come and go do not shout.
public struct FlameGraphSVG: Sendable {
    public var title: String
    public var subtitle: String
    public var unit: String
    public var width = 1200.0
    public var frameHeight = 16.0
    /// Frames narrower than this (pixels) are not drawn.
    public var minimumWidth = 0.3
    /// For a differential graph: draw A's shape (stacks = A, baseline = B) instead of B's.
    public var shapeIsA = false
    /// Lines under the title and legend (a differential's biggest changes), when set; each is cut
    /// to the graph's width.
    public var note: [String]?

    public init(title: String, subtitle: String, unit: String) {
        self.title = title
        self.subtitle = subtitle
        self.unit = unit
    }

    private static let charWidth = 6.6
    private static let fontSize = 11.0

    /// The SVG of `stacks`, or of B = `stacks` against A = `baseline`.
    public func render(_ stacks: FoldedStacks, baseline: FoldedStacks? = nil) -> String {
        let root = FlameNode.build(stacks, baseline: baseline)
        let depth = max(root.depth(minimum: root.value * minimumWidth / (width - 20)), 1)
        let noteLines = note ?? []
        let top = (baseline == nil ? 58.0 : 78.0) + 16 * Double(noteLines.count), bottom = 30.0, side = 10.0
        let height = top + Double(depth) * frameHeight + bottom
        let graphWidth = width - 2 * side
        var out = """
            <?xml version="1.0" standalone="no"?>
            <svg version="1.1" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" \
            xmlns="http://www.w3.org/2000/svg" onload="init(evt)">
            <style>text{font-family:Verdana,DejaVu Sans,sans-serif;font-size:\(Int(Self.fontSize))px;fill:#000}
            .f{cursor:pointer}.f:hover rect{stroke:#000;stroke-width:0.6}.h{font-size:17px}.s{font-size:12px;fill:#444}
            #reset{cursor:pointer;fill:#06c}#reset.off{display:none}</style>
            <rect x="0" y="0" width="100%" height="100%" fill="#f8f8f8" id="bg"/>
            <text class="h" x="\(Int(width / 2))" y="22" text-anchor="middle">\(Self.escape(title))</text>
            <text class="s" x="\(Int(width / 2))" y="40" text-anchor="middle">\(Self.escape(subtitle))</text>
            <text id="reset" class="off" x="\(Int(side))" y="22">Reset zoom</text>
            <text id="details" x="\(Int(side))" y="\(Int(height - 10))"> </text>

            """
        for (i, line) in noteLines.enumerated() {
            let fits = Int((width - 2 * side) / 7.2)
            let text = line.count > fits ? String(line.prefix(fits - 1)) + "…" : line
            out += "<text class=\"s\" x=\"\(Int(side))\" y=\"\(Int(top - 8 - 16 * Double(noteLines.count - 1 - i)))\">"
                + "\(Self.escape(text))</text>\n"
        }
        var frames = ""
        func draw(_ node: FlameNode, x: Double, level: Int) {
            let w = root.value > 0 ? node.value / root.value * graphWidth : 0
            guard w >= minimumWidth else { return }
            let y = top + Double(depth - 1 - level) * frameHeight
            let share = root.value > 0 ? node.value / root.value * 100 : 0
            var tip = "\(node.name) (\(Self.number(node.value)) \(unit), \(String(format: "%.2f", share))%"
            let (a, b) = shapeIsA ? (node.value, node.baseline) : (node.baseline, node.value)
            if baseline != nil {
                let delta = b - a
                let relative = a > 0 ? String(format: "%+.1f%%", delta / a * 100) : "new in B"
                tip += "; A \(Self.number(a)), B \(Self.number(b)), B − A \(delta >= 0 ? "+" : "")\(Self.number(delta)) \(unit), \(relative)"
            }
            tip += ")"
            let weight = min(1, abs(b - a) / max(0.02 * max(root.value, root.baseline), 1e-300))
            let fill = baseline == nil ? Self.colour(node.name, level: level) : Self.diffColour(Self.relativeChange(a, b) * weight, max: 1)
            let fx = String(format: "%.6f", (x - side) / graphWidth), fw = String(format: "%.6f", w / graphWidth)
            frames += "<g class=\"f\" data-x=\"\(fx)\" data-w=\"\(fw)\" data-d=\"\(level)\" data-n=\"\(Self.escape(node.name))\">"
            frames += "<title>\(Self.escape(tip))</title>"
            frames += "<rect x=\"\(Self.fixed(x))\" y=\"\(Self.fixed(y))\" width=\"\(Self.fixed(w))\" "
                + "height=\"\(Self.fixed(frameHeight - 1))\" fill=\"\(fill)\" rx=\"2\"/>"
            frames += "<text x=\"\(Self.fixed(x + 3))\" y=\"\(Self.fixed(y + frameHeight - 4.5))\">"
                + "\(Self.escape(Self.label(node.name, width: w)))</text></g>\n"
            var childX = x
            for child in node.sortedChildren {
                draw(child, x: childX, level: level + 1)
                childX += root.value > 0 ? child.value / root.value * graphWidth : 0
            }
        }
        draw(root, x: side, level: 0)
        out += "<g id=\"frames\">\n" + frames + "</g>\n"
        if baseline != nil { out += legend(y: 50) }
        out += script(side: side, graphWidth: graphWidth)
        out += "</svg>\n"
        return out
    }

    /// (b − a) / a, clamped to ±1 (a frame new in B is +1, one gone from B −1); 0 within ±5%.
    static func relativeChange(_ a: Double, _ b: Double) -> Double {
        if a <= 0 { return b > 0 ? 1 : 0 }
        let change = Swift.max(-1, Swift.min(1, (b - a) / a))
        return abs(change) < 0.05 ? 0 : change
    }

    private func legend(y: Double) -> String {
        let maxDelta = 1.0
        var out = "<g id=\"legend\">"
        let steps = 11, boxWidth = 24.0, x0 = width - 10 - Double(steps) * boxWidth - 200
        out += "<text x=\"\(Int(x0 - 8))\" y=\"\(Int(y + 12))\" text-anchor=\"end\">per-op change from A to B (inclusive):</text>"
        for i in 0..<steps {
            let delta = (Double(i) / Double(steps - 1) * 2 - 1) * maxDelta
            out += "<rect x=\"\(Self.fixed(x0 + Double(i) * boxWidth))\" y=\"\(Self.fixed(y))\" width=\"\(Self.fixed(boxWidth))\" "
                + "height=\"14\" fill=\"\(Self.diffColour(delta, max: maxDelta))\" stroke=\"#999\" stroke-width=\"0.3\"/>"
        }
        let end = x0 + Double(steps) * boxWidth
        out += "<text x=\"\(Int(x0))\" y=\"\(Int(y + 25))\" font-size=\"9\">−100% or gone</text>"
        out += "<text x=\"\(Int(x0 + Double(steps) * boxWidth / 2))\" y=\"\(Int(y + 25))\" font-size=\"9\" text-anchor=\"middle\">±5%</text>"
        out += "<text x=\"\(Int(end))\" y=\"\(Int(y + 25))\" font-size=\"9\" text-anchor=\"end\">+100% or new</text>"
        out += "<text x=\"\(Int(end + 8))\" y=\"\(Int(y + 12))\">width = \(shapeIsA ? "A" : "B"), \(Self.escape(unit))</text>"
        out += "<text x=\"\(Int(end + 8))\" y=\"\(Int(y + 25))\" font-size=\"9\">changes under 2% of the total fade</text></g>\n"
        return out
    }

    /// Click-to-zoom: frames carry their position as fractions of the graph (data-x, data-w) and
    /// their depth; zooming into a frame lays out those inside it over the full width, keeps its
    /// ancestors as full-width bars and hides the rest; labels are re-cut to the new widths.
    private func script(side: Double, graphWidth: Double) -> String {
        """
        <script><![CDATA[
        var W=\(graphWidth),S=\(side),C=\(Self.charWidth),frames,reset,details;
        function init(e){frames=document.querySelectorAll('g.f');reset=document.getElementById('reset');
        details=document.getElementById('details');
        frames.forEach(function(g){g.addEventListener('click',function(ev){zoom(g);ev.stopPropagation();});
        g.addEventListener('mouseover',function(){details.textContent=g.querySelector('title').textContent;});});
        reset.addEventListener('click',unzoom);document.getElementById('bg').addEventListener('click',unzoom);}
        function cut(n,w){var m=Math.floor((w-6)/C);if(m<5)return '';return n.length<=m?n:n.substring(0,m-2)+'..';}
        function place(g,x,w){var r=g.querySelector('rect'),t=g.querySelector('text');r.setAttribute('x',x.toFixed(1));
        r.setAttribute('width',w.toFixed(1));t.setAttribute('x',(x+3).toFixed(1));t.textContent=cut(g.dataset.n,w);
        g.style.display='';}
        function zoom(z){var zx=+z.dataset.x,zw=+z.dataset.w,zd=+z.dataset.d;
        frames.forEach(function(g){var x=+g.dataset.x,w=+g.dataset.w,d=+g.dataset.d;
        if(d<zd&&x<=zx+1e-9&&x+w>=zx+zw-1e-9){place(g,S,W);g.style.opacity='0.6';}
        else if(d>=zd&&x>=zx-1e-9&&x+w<=zx+zw+1e-9){place(g,S+(x-zx)/zw*W,w/zw*W);g.style.opacity='';}
        else{g.style.display='none';}});reset.setAttribute('class','');}
        function unzoom(){frames.forEach(function(g){place(g,S+(+g.dataset.x)*W,(+g.dataset.w)*W);g.style.opacity='';});
        reset.setAttribute('class','off');}
        ]]></script>

        """
    }

    static func visit(_ node: FlameNode, _ body: (FlameNode) -> Void) {
        body(node)
        for child in node.children.values { visit(child, body) }
    }

    static func label(_ name: String, width: Double) -> String {
        let fit = Int((width - 6) / charWidth)
        if fit < 5 { return "" }
        return name.count <= fit ? name : String(name.prefix(fit - 2)) + ".."
    }

    /// FlameGraph's "hot" palette, the hue picked from the name so a function keeps its colour;
    /// kernel frames orange-brown, the root grey.
    static func colour(_ name: String, level: Int) -> String {
        if level == 0 { return "rgb(200,200,200)" }
        var hash: UInt32 = 2166136261
        for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 16777619 }
        let a = Double(hash & 0xff) / 255, b = Double((hash >> 8) & 0xff) / 255
        if name.hasSuffix("_[k]") { return "rgb(\(Int(200 + 40 * a)),\(Int(120 + 40 * b)),60)" }
        return "rgb(\(Int(205 + 50 * a)),\(Int(80 + 150 * b)),\(Int(40 + 15 * a)))"
    }

    /// White at no change, deepening to red (growth) or blue (shrinkage) at the largest change.
    static func diffColour(_ delta: Double, max: Double) -> String {
        guard max > 0 else { return "rgb(250,250,250)" }
        let t = Swift.min(abs(delta) / max, 1)
        let fade = Int((250 * (1 - t)).rounded())
        return delta >= 0 ? "rgb(250,\(fade),\(fade))" : "rgb(\(fade),\(fade),250)"
    }

    static func fixed(_ value: Double) -> String { String(format: "%.1f", value) }

    static func number(_ value: Double) -> String {
        let a = abs(value)
        if a == 0 { return "0" }
        if a >= 100 { return String(format: "%.0f", value) }
        if a >= 1 { return String(format: "%.2f", value) }
        return String(format: "%.3g", value)
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
