import Foundation
import SurgeProfile
import SurgeTestKit
import XCTest

/// The flame graph SVGs in a real browser (headless Chromium): they render, their script raises no
/// error, they fetch nothing, and a click on a frame zooms into it.
final class FlameGraphChromiumTests: XCTestCase {
    static let stacks = FoldedStacks(values: [
        "server;main;handle;parse": 30, "server;main;handle;respond;write_[k]": 50,
        "server;main;accept": 20, "server;main;handle;respond": 10, "server;[unknown]": 2,
    ])

    func testFlameGraphRendersAndZoomsOnClick() throws {
        let svg = FlameGraphSVG(title: "Cell <a> & b", subtitle: "normalised per op", unit: "cpu-ns/op").render(Self.stacks)
        XCTAssertFalse(svg.contains("href"), "no links or external references")
        XCTAssertFalse(svg.contains("url("), "no external references")
        XCTAssertFalse(svg.contains("http://") && svg.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "").contains("http"))
        XCTAssertTrue(svg.contains("Cell &lt;a&gt; &amp; b"), "the title is escaped")
        let result = try browse(svg, click: "handle")
        XCTAssertEqual(result["resources"], "0", "the SVG fetched something: \(result)")
        XCTAssertEqual(result["errors"], "0", "script errors: \(result)")
        XCTAssertGreaterThan(Double(result["frames"] ?? "") ?? 0, 5, "frames drawn: \(result)")
        // handle is 90 of 112: zoomed, it spans the whole graph width (1180 px).
        XCTAssertEqual(Double(result["clickedWidth"] ?? "") ?? 0, 1180, accuracy: 1, "\(result)")
        XCTAssertEqual(result["acceptHidden"], "none", "a frame outside the zoomed one is hidden: \(result)")
        XCTAssertGreaterThan(Double(result["parseWidth"] ?? "") ?? 0, 1180 * 30 / 90 - 2, "children widen: \(result)")
        XCTAssertEqual(result["resetShown"], "", "the reset button appears: \(result)")
    }

    func testDifferentialRendersWithLegend() throws {
        var before = Self.stacks
        before.values["server;main;handle;respond;write_[k]"] = 25
        let svg = FlameGraphSVG(title: "B vs A", subtitle: "per op", unit: "cpu-ns/op").render(Self.stacks, baseline: before)
        XCTAssertTrue(svg.contains("id=\"legend\""))
        let result = try browse(svg, click: "respond")
        XCTAssertEqual(result["errors"], "0", "\(result)")
        XCTAssertEqual(result["resources"], "0", "\(result)")
        XCTAssertEqual(Double(result["clickedWidth"] ?? "") ?? 0, 1180, accuracy: 1, "\(result)")
    }

    /// Loads the SVG in an iframe of a test page, clicks the frame named `click`, and returns what
    /// the page read back (dumped DOM).
    private func browse(_ svg: String, click: String) throws -> [String: String] {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            try requireOrSkip("headless Chromium is not installed")
        }
        let directory = NSTemporaryDirectory() + "surge-flame-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try svg.write(toFile: "\(directory)/graph.svg", atomically: true, encoding: .utf8)
        let page = """
            <html><body><pre id="out">not loaded</pre><iframe id="f" width="1300" height="600" src="graph.svg"
            onload="check(this)"></iframe><script>
            function check(f){var w=f.contentWindow,d=f.contentDocument,o={};
            try{o.errors=String(w.__errors||0);var frames=d.querySelectorAll('g.f');o.frames=String(frames.length);
            var byName=function(n){return d.querySelector('g.f[data-n="'+n+'"]');};
            byName('\(click)').dispatchEvent(new MouseEvent('click',{bubbles:true}));
            o.clickedWidth=byName('\(click)').querySelector('rect').getAttribute('width');
            var a=byName('accept');o.acceptHidden=a?a.style.display:'absent';
            var p=byName('parse');o.parseWidth=p?p.querySelector('rect').getAttribute('width'):'0';
            o.resetShown=d.getElementById('reset').getAttribute('class');
            o.resources=String(w.performance.getEntriesByType('resource').length);}catch(e){o.exception=String(e);}
            document.getElementById('out').textContent=Object.keys(o).map(function(k){return k+'='+o[k];}).join('\\n');}
            </script></body></html>
            """
        try page.write(toFile: "\(directory)/page.html", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                             "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
                             "--user-data-dir=\(directory)/profile", "--dump-dom", "file://\(directory)/page.html"]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 90, execute: killer)
        let dom = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        killer.cancel()
        guard let start = dom.range(of: "<pre id=\"out\">"), let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else {
            XCTFail("no result in the dumped DOM: \(dom.prefix(500))")
            return [:]
        }
        var result: [String: String] = [:]
        for line in dom[start.upperBound..<end.lowerBound].split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            result[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        let consoleErrors = log.split(separator: "\n").filter { $0.contains("CONSOLE") && ($0.contains("Uncaught") || $0.contains("Error")) }
        result["errors"] = String(consoleErrors.count + (Int(result["errors"] ?? "0") ?? 0))
        if !consoleErrors.isEmpty { result["console"] = consoleErrors.joined(separator: " | ") }
        return result
    }
}
