/// The mustache templates of the HTML reports (swift-mustache). `{{x}}` escapes; the only
/// triple-mustache values are SVG produced by gnuplot (which escapes its text) and the stylesheet.
enum HTMLTemplates {
    static let style = """
        :root { --fg:#1d1d1f; --muted:#666; --line:#e3e3e3; --bad:#c62828; --badbg:#fdecea; --good:#2e7d32; --goodbg:#e8f5e9; --accent:#1f77b4; }
        * { box-sizing: border-box; }
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0; padding: 24px 32px 48px; max-width: 1500px; }
        h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
        h3 { font-size: 15px; margin: 20px 0 6px; }
        .sub { color: var(--muted); margin-bottom: 16px; }
        .verdict { padding: 10px 14px; border-radius: 6px; font-weight: 600; margin: 12px 0; }
        .verdict.bad { background: var(--badbg); color: var(--bad); border: 1px solid #f5c2c0; }
        .verdict.ok { background: var(--goodbg); color: var(--good); border: 1px solid #bfe0c1; }
        .verdict.none { background: #f4f6f8; color: #333; border: 1px solid var(--line); }
        ul.headline { margin: 8px 0 16px; padding-left: 20px; font-size: 15px; }
        table { border-collapse: collapse; margin: 6px 0 12px; font-variant-numeric: tabular-nums; }
        th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; vertical-align: top; }
        th { background: #f6f7f9; font-weight: 600; position: sticky; top: 0; }
        td.name, th.name { text-align: left; white-space: normal; }
        table.meta td, table.meta th { text-align: left; white-space: normal; }
        table.meta th { width: 150px; background: none; }
        tr.fastest td.name { font-weight: 700; }
        .tag { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 8px; margin-left: 6px; font-weight: 600; }
        .tag.fast { background: #e3f0fb; color: var(--accent); }
        td.bar { background-image: linear-gradient(to right, #d6e7f7 var(--w), transparent var(--w)); background-repeat: no-repeat; }
        .ci { color: var(--muted); font-size: 12px; }
        tr.regression td { background: var(--badbg); } tr.regression td.delta { color: var(--bad); font-weight: 700; }
        tr.improvement td.delta { color: var(--good); font-weight: 600; }
        td.verdict-cell { text-align: left; }
        .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 18px; }
        .charts.wide { grid-template-columns: minmax(0, 1100px); }
        figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; background: #fff; }
        figure svg { width: 100%; height: auto; display: block; }
        figcaption { color: var(--muted); font-size: 12px; margin-top: 4px; }
        .header { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 2px 14px; margin: 8px 0 12px;
          padding: 10px 14px; border: 1px solid var(--line); border-radius: 6px; background: #fafbfc; font-size: 13px; }
        .header dt { color: var(--muted); font-weight: 600; } .header dd { margin: 0; overflow-wrap: anywhere; }
        .warning { background: var(--badbg); border: 1px solid #f5c2c0; color: #7f1d1d; padding: 8px 12px; border-radius: 6px; margin: 6px 0; }
        th .u { display: block; font-weight: 400; color: var(--muted); font-size: 12px; }
        .caption { color: var(--muted); font-size: 13px; max-width: 1100px; margin: 0 0 10px; }
        .scroll { overflow-x: auto; max-width: 100%; }
        details > summary { cursor: pointer; color: var(--accent); margin: 4px 0 8px; }
        .note { background: #fff8e1; border: 1px solid #ffe08a; padding: 8px 12px; border-radius: 6px; margin: 8px 0; }
        pre { background: #f6f7f9; padding: 8px; overflow-x: auto; font-size: 12px; }
        footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
        """

    static let page = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}}</title>
        <style>{{{style}}}</style>
        </head>
        <body>
        <h1>{{title}}</h1>
        <div class="sub">{{subtitle}}</div>
        {{#hasHeader}}{{> runHeader}}{{/hasHeader}}
        {{#verdict}}<div class="verdict {{verdictClass}}" id="verdict">{{verdict}}</div>{{/verdict}}
        {{#hasHeadline}}<ul class="headline">{{#headline}}<li>{{.}}</li>{{/headline}}</ul>{{/hasHeadline}}
        {{#regressionsSection}}{{> findings}}{{/regressionsSection}}
        {{> body}}
        <footer>{{footer}}</footer>
        </body>
        </html>
        """

    static let findings = """
        {{#hasRegressions}}<h2 id="regressions">Regressions</h2>
        <table class="findings"><tr><th class="name">cell</th><th>metric</th><th>change</th><th>threshold</th><th>p</th>{{#hasRange}}<th class="name">appeared in</th>{{/hasRange}}</tr>
        {{#regressions}}<tr class="regression"><td class="name">{{cell}}</td><td>{{metric}}</td><td class="delta">{{change}}</td><td>{{threshold}}</td><td>{{p}}</td>{{#hasRange}}<td class="name">{{range}}</td>{{/hasRange}}</tr>
        {{/regressions}}</table>{{/hasRegressions}}
        {{#hasImprovements}}<h3>Improvements</h3>
        <table class="findings"><tr><th class="name">cell</th><th>metric</th><th>change</th><th>threshold</th><th>p</th>{{#hasRange}}<th class="name">appeared in</th>{{/hasRange}}</tr>
        {{#improvements}}<tr class="improvement"><td class="name">{{cell}}</td><td>{{metric}}</td><td class="delta">{{change}}</td><td>{{threshold}}</td><td>{{p}}</td>{{#hasRange}}<td class="name">{{range}}</td>{{/hasRange}}</tr>
        {{/improvements}}</table>{{/hasImprovements}}
        """

    static let metadata = """
        <table class="meta">{{#metadata}}<tr><th>{{label}}</th><td>{{value}}</td></tr>{{/metadata}}</table>
        """

    /// What was measured where, and how noisy it was: the top of a run report.
    static let runHeader = """
        <dl class="header" id="header">{{#facts}}<dt>{{label}}</dt><dd>{{value}}</dd>{{/facts}}</dl>
        {{#hasWarnings}}<div id="warnings">{{#warnings}}<div class="warning">⚠ {{.}}</div>{{/warnings}}</div>{{/hasWarnings}}
        {{#hasNotes}}<div class="note" id="notes"><strong>Notes from the run</strong><ul>{{#notes}}<li>{{.}}</li>{{/notes}}</ul></div>{{/hasNotes}}
        """

    /// One table per workload kind: key metrics as columns, every other metric folded below.
    static let cellTable = """
        {{#noCells}}<p>No cell finished with measurements.</p>{{/noCells}}
        {{#groups}}<h3 class="kind">{{kind}} <span class="ci">({{count}})</span></h3>
        <table class="cells"><tr><th class="name">cell</th>{{#heads}}<th title="{{direction}}">{{name}}{{#unit}}<span class="u">{{unit}}</span>{{/unit}}</th>{{/heads}}</tr>
        {{#rows}}<tr class="{{rowClass}}"><td class="name">{{label}}{{#fastest}}<span class="tag fast">fastest</span>{{/fastest}}</td>{{#values}}<td class="{{cls}}" style="--w:{{bar}}%">{{value}} <span class="ci">{{ci}}</span></td>{{/values}}</tr>
        {{/rows}}</table>
        {{#caption}}<p class="caption">{{caption}}</p>{{/caption}}
        {{#hasOthers}}<details class="others"><summary>{{othersText}}</summary><div class="scroll">
        <table class="others"><tr><th class="name">metric</th>{{#cellLabels}}<th>{{.}}</th>{{/cellLabels}}</tr>
        {{#otherRows}}<tr><td class="name">{{name}}{{#unit}} <span class="ci">({{unit}})</span>{{/unit}}</td>{{#values}}<td>{{value}} <span class="ci">{{ci}}</span></td>{{/values}}</tr>
        {{/otherRows}}</table></div></details>{{/hasOthers}}{{/groups}}
        {{#intervalFootnote}}<p class="ci" id="interval-footnote">{{intervalFootnote}}</p>{{/intervalFootnote}}
        """

    static let comparison = """
        {{#warnings}}<div class="note">⚠ {{.}}</div>{{/warnings}}
        {{#tables}}{{> comparisonTable}}{{/tables}}
        {{#hasOtherTables}}<details><summary>{{otherCount}} more metrics (no threshold set)</summary>{{#otherTables}}{{> comparisonTable}}{{/otherTables}}</details>{{/hasOtherTables}}
        {{#comparisonFootnote}}<p class="ci">{{comparisonFootnote}}</p>{{/comparisonFootnote}}
        """

    static let comparisonTable = """
        <h3>{{unit}}{{#headUnit}}, in {{headUnit}}{{/headUnit}} <span class="ci">({{direction}}; threshold {{threshold}})</span></h3>
        <table class="comparison"><tr><th class="name">cell</th><th>{{baselineLabel}}</th><th>{{runLabel}}</th><th>vs base</th><th>p</th><th class="name">verdict</th></tr>
        {{#rows}}<tr class="{{verdictClass}}"><td class="name">{{label}}</td><td>{{old}}</td><td>{{new}}</td><td class="delta">{{delta}} <span class="ci">{{raw}}</span></td><td>{{stat}}</td><td class="verdict-cell">{{verdict}}</td></tr>
        {{/rows}}{{#geomean}}<tr><td class="name"><em>geomean</em></td><td>{{old}}</td><td>{{new}}</td><td class="delta">{{delta}}</td><td></td><td></td></tr>{{/geomean}}</table>
        """

    static let charts = """
        {{#chartsNote}}<div class="note" id="charts-note">{{chartsNote}}</div>{{/chartsNote}}
        {{#chartGroups}}<h3>{{heading}}</h3><div class="charts {{layout}}">{{#charts}}<figure id="{{id}}" class="chart">{{{svg}}}<figcaption>{{caption}}</figcaption></figure>{{/charts}}</div>{{/chartGroups}}
        """

    static let failed = """
        {{#hasFailed}}<h2 id="failed">Cells that did not finish</h2>
        <table class="failed"><tr><th class="name">cell</th><th class="name">status</th><th class="name">why</th></tr>
        {{#failed}}<tr><td class="name">{{label}}</td><td class="name">{{status}}</td><td class="name">{{reason}}{{#hasStderr}}<details><summary>target's standard error</summary><pre>{{#stderr}}{{.}}
        {{/stderr}}</pre></details>{{/hasStderr}}</td></tr>{{/failed}}</table>{{/hasFailed}}
        """

    static let runBody = """
        <h2 id="cells">Cells by workload kind — median ± 95% CI</h2>
        {{> cellTable}}
        {{#comparison}}<h2 id="comparison">Compared with the baseline</h2>{{> comparison}}{{/comparison}}
        {{> failed}}
        <h2 id="charts">Charts</h2>
        {{> charts}}
        {{#hasProfiles}}<h2 id="profiles">Flame graphs (profile pass)</h2>
        <table><tr><th>cell</th><th>profile</th><th>per op</th><th>named</th><th>cost of profiling</th></tr>
        {{#profiles}}<tr><td>{{cell}}</td><td><a href="{{href}}">{{kind}} flame graph</a> · <a href="{{folded}}">folded</a></td>
        <td>{{total}}</td><td>{{named}}</td><td>{{cost}}</td></tr>{{/profiles}}</table>{{/hasProfiles}}
        <h2 id="run">Run details</h2>
        {{> metadata}}
        """
}
