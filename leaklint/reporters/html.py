"""The audit as one self-contained HTML page: summary, charts, a findings table, rule docs.

Self-contained means no network at all: no external scripts, styles, fonts or images, and a
Content-Security-Policy that forbids loading any (charts are inline SVG drawn here). The
findings travel as one JSON array in a ``<script type="application/json">`` element and a
small inline script renders only the current page of the table, so 10,000 findings cost one
JSON parse, not 10,000 DOM rows.

Everything that comes from the audited code (paths, messages, excerpts) is escaped: with
``html.escape`` in markup, and with ``<``, ``>``, ``&`` and the JS line separators as
``\\uXXXX`` inside the JSON, so ``</script>`` in a string cannot end the data element. The
script only ever writes data with ``textContent``.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from leaklint import __version__
from leaklint.audit import (
    KIND_ADVICE,
    AuditReport,
    Hotspot,
    RuleStats,
    headline,
    start_here_title,
)
from leaklint.model.findings import Finding, Severity
from leaklint.rules import get_rule
from leaklint.syntax.classify import FileKind

# Tableau 10: distinguishable, colour-blind aware, and none reads as "severity".
PALETTE = (
    "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2",
    "#edc948", "#ff9da7", "#9c755f", "#e15759", "#bab0ac",
)  # fmt: skip
SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.NOTE)
KINDS = tuple(FileKind)
# How a rule's doc headings read to someone deciding what to fix.
SECTION_TITLES = {
    "What it does": "What it flags",
    "Why is this bad?": "Why it leaks",
    "Example": "Leaky code",
    "Use instead": "How to fix",
}
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)


def render(report: AuditReport, *, generated: _dt.datetime | None = None) -> str:
    generated = generated or _dt.datetime.now().astimezone()
    colours = rule_colours(report.rules)
    title = f"leaklint audit: {len(report.findings):,} findings in {', '.join(report.roots)}"
    body = "\n".join(
        (
            _header(report, generated),
            _cards(report),
            _start_here(report),
            _kinds_section(report),
            _charts(report, colours),
            _findings_section(report),
            _rules_section(report, colours),
            _unparsed_section(report),
            _footer(generated),
        )
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="leaklint">\n'
        f"<title>{escape(title)}</title>\n"
        f"<style>\n{_static('audit.css')}</style>\n"
        "</head>\n<body>\n"
        f'<main class="page">\n{body}\n</main>\n'
        f'<script type="application/json" id="leaklint-data">{table_json(report, colours)}'
        "</script>\n"
        f"<script>\n{_static('audit.js')}</script>\n"
        "</body>\n</html>\n"
    )


def _static(name: str) -> str:
    text = resources.files("leaklint").joinpath("static", name).read_text(encoding="utf-8")
    if "</" in text and name.endswith(".js"):
        # The script is inlined: a closing tag in it would end the element early.
        raise ValueError(f"static/{name} must not contain '</'")
    return text


def rule_colours(rules: list[RuleStats]) -> dict[str, str]:
    """A colour per rule, by code order, so a rule keeps its colour across charts."""
    return {code: PALETTE[i % len(PALETTE)] for i, code in enumerate(sorted(r.code for r in rules))}


def script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element and in any HTML parser state."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def table_json(report: AuditReport, colours: dict[str, str]) -> str:
    """The findings as rows of indexes into string tables, so 10,000 findings stay a file a
    browser opens in a blink: paths repeat, and messages differ only in the names they quote
    (``'area' is assigned…``), so a message is stored as a template plus its quoted parts."""
    paths: dict[str, int] = {}
    templates: dict[str, int] = {}
    kind_index = {kind.value: i for i, kind in enumerate(KINDS)}
    rule_index = {r.code: i for i, r in enumerate(report.rules)}
    severity_index = {s: i for i, s in enumerate(SEVERITIES)}
    rows = []
    for i, finding in enumerate(report.findings):
        excerpt = report.excerpts[i] if i < len(report.excerpts) else None
        template, quoted = message_template(with_other_files(finding))
        rows.append(
            [
                rule_index.get(finding.rule, 0),
                paths.setdefault(finding.path, len(paths)),
                finding.span.line,
                finding.span.column,
                severity_index[finding.severity],
                templates.setdefault(template, len(templates)),
                quoted,
                excerpt.text if excerpt else "",
                excerpt.start if excerpt else 0,
                excerpt.end if excerpt else 0,
            ]
        )
    data = {
        "rules": [
            {"code": r.code, "name": r.name, "colour": colours[r.code]} for r in report.rules
        ],
        "severities": [s.value for s in SEVERITIES],
        "paths": list(paths),
        # Per path: its kind (an index into "kinds") and its link, "{line}"/"{col}" to fill in.
        "kinds": [k.value for k in KINDS],
        "path_kinds": [kind_index[_kind(report, path)] for path in paths],
        "links": [_link_template(report, path) for path in paths],
        "templates": list(templates),
        "rows": rows,
    }
    return script_json(data)


def with_other_files(finding: Finding) -> str:
    """The message, followed by the related locations in other files (the project link's
    "where the client is created"): the table has one cell per finding, and a location in
    another module is what the reader needs to act on it."""
    elsewhere = [r for r in finding.related if r.path and r.path != finding.path]
    if not elsewhere:
        return finding.message
    notes = "; ".join(f"{r.path}:{r.span.line}: {r.message}" for r in elsewhere)
    return f"{finding.message} (see {notes})"


def _kind(report: AuditReport, path: str) -> str:
    found = report.classes.get(path)
    return found.kind.value if found else FileKind.SERVER.value


_SAFE_LINK = re.compile(r"^(?:https://github\.com/|vscode://file/|file:///)")


def _link_template(report: AuditReport, path: str) -> str:
    """A URL with "{line}" and "{col}" placeholders, or "" (the script checks the scheme too)."""
    template = report.links.template(path) if report.links else None
    return template if template and _SAFE_LINK.match(template) else ""


_QUOTED = re.compile(r"'[^'\n]{1,120}'")
PLACEHOLDER = "\x00"  # never in a message: leaklint's messages are printable text


def message_template(message: str) -> tuple[str, list[str]]:
    """``'area' is assigned`` → (``\\x00 is assigned``, ["'area'"]); the script re-joins them."""
    if PLACEHOLDER in message:
        return message, []
    quoted = _QUOTED.findall(message)
    return _QUOTED.sub(PLACEHOLDER, message), quoted


# --- page sections ----------------------------------------------------------------------------


def _header(report: AuditReport, generated: _dt.datetime) -> str:
    roots = " ".join(f"<code>{escape(_root_label(root))}</code>" for root in report.roots)
    return (
        '<header class="masthead">'
        '<div class="brand"><span class="logo" aria-hidden="true">◆</span> leaklint '
        '<span class="muted">audit</span></div>'
        f"<h1>Leak audit of {roots}</h1>"
        f'<p class="lede">{escape(headline(report))}</p>'
        f'<p class="muted small">Generated {escape(generated.strftime("%Y-%m-%d %H:%M %Z"))}'
        f" by leaklint {escape(__version__)}. Every rule ran, preview rules included; the "
        "counts are those of <code>leaklint check --select ALL --preview</code>.</p>"
        "</header>"
    )


def _root_label(root: str) -> str:
    """A root of "." says nothing in a title: name the directory it stands for."""
    path = Path(root)
    if root in (".", "./", "") or path.name in ("", "..", "."):
        return path.resolve().name or root
    return root


def _card(value: str, label: str, detail: str = "", css: str = "") -> str:
    detail_html = f'<div class="card-detail">{detail}</div>' if detail else ""
    return (
        f'<div class="card {css}"><div class="card-value">{value}</div>'
        f'<div class="card-label">{escape(label)}</div>{detail_html}</div>'
    )


def _cards(report: AuditReport) -> str:
    by_severity = report.by_severity
    pills = " ".join(
        f'<span class="badge sev-{s.value}">{_plural(by_severity[s], s.value)}</span>'
        for s in SEVERITIES
        if by_severity[s]
    )
    files_hit = len(report.files)
    share = ""
    if report.files_checked:
        share = f"{100 * files_hit / report.files_checked:.0f}% of those checked"
    unparsed_files = len({u.path for u in report.unparsed})
    cards = [
        _card(f"{len(report.findings):,}", "findings", pills or "nothing found", "card-main"),
        _card(f"{report.files_checked:,}", "files checked"),
        _card(f"{files_hit:,}", "files with findings", escape(share)),
        _card(
            f"{report.rules_triggered}<span class='of'>/{len(report.rules)}</span>",
            "rules triggered",
        ),
        _card(
            f"{unparsed_files:,}",
            "files not fully parsed",
            '<a href="#unparsed">see list</a>' if unparsed_files else "",
            "card-warn" if unparsed_files else "",
        ),
        _card(_duration(report.seconds), "time taken"),
    ]
    if report.suppressed:
        baseline = f"{report.baselined:,} by the baseline; " if report.baselined else ""
        cards.append(_card(f"{report.suppressed:,}", "suppressed", f"{baseline}not counted above"))
    return f'<section class="cards" aria-label="Summary">{"".join(cards)}</section>'


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 120:
        return f"{seconds:.0f}s"
    return f"{seconds // 60:.0f}m {seconds % 60:02.0f}s"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _start_here(report: AuditReport) -> str:
    advice = report.start_here
    if advice is None:
        unparsed = len({u.path for u in report.unparsed})
        caveat = (
            f' But <a href="#unparsed">{_plural(unparsed, "file")}</a> could not be fully '
            "parsed, and leaks there can be missed."
            if unparsed
            else ""
        )
        return (
            '<section class="callout ok"><strong>No leak patterns found.</strong> '
            f"Every rule ran over every checked file.{caveat}</section>"
        )
    # The same facts, in the same order, as the terminal's audit.start_here_lines.
    first, kind = advice.rule, advice.kind.value
    directory = (
        f"; the {kind} directory is {_scope_link(advice.directory.path, True)} "
        f"({advice.directory.count:,})."
        if advice.directory
        else "."
    )
    items = [
        f'<li>Fix <a href="#rule-{escape(first.code)}"><strong>{escape(first.code)} '
        f"{escape(first.name)}</strong></a> first: {_plural(first.count, 'finding')} in "
        f"{_plural(first.files, f'{kind} file')}, {escape(first.severity.value)} severity, "
        f"{escape(first.precision)} precision. {escape(first.summary)}</li>",
        f"<li>The {kind} file with most findings is {_scope_link(advice.file.path, False)} "
        f"({advice.file.count:,}){directory}</li>",
    ]
    items += [
        f'<li>Then <a href="#findings" data-kind="{k.kind.value}">{k.kind.value} code</a>: '
        f"{_plural(k.findings, 'finding')} in {_plural(k.files_with_findings, 'file')}; "
        f"{escape(KIND_ADVICE[k.kind])}.</li>"
        for k in advice.later
    ]
    items.append(
        "<li>Read each rule's <em>why it leaks</em> and <em>how to fix</em> below before "
        "changing code: one fix pattern usually clears many findings.</li>"
    )
    return (
        f'<section class="callout"><div class="callout-title">{escape(start_here_title(report))}'
        f"</div><ol>{''.join(items)}</ol></section>"
    )


def _scope_link(path: str, directory: bool) -> str:
    """A path that filters the findings table to it when clicked."""
    attribute = "data-dir" if directory else "data-path"
    shown = path + "/" if directory else path
    return (
        f'<a class="path" href="#findings" {attribute}="{escape(path)}"><code>{escape(shown)}'
        "</code></a>"
    )


def _kinds_section(report: AuditReport) -> str:
    """Files and findings per kind of code: how much of the pile is the team's own server code."""
    if not report.kinds:
        return ""
    # The reasons sit under the kind, not in a column of their own: at phone width a fifth
    # column is a strip one word wide.
    rows = "".join(
        f'<tr><td><a href="#findings" data-kind="{k.kind.value}"><span class="badge '
        f'kind-{k.kind.value}">{k.kind.value}</span></a>'
        f'<div class="muted small">{escape(k.explain())}</div></td>'
        f'<td class="num">{k.files:,}</td><td class="num">{k.files_with_findings:,}</td>'
        f'<td class="num">{k.findings:,}</td></tr>'
        for k in report.kinds
    )
    return (
        '<section class="panel" id="kinds"><h2>Files by kind</h2>'
        '<p class="muted small">Server code first: a leak there grows for as long as the process '
        "runs. Click a kind to filter the table.</p>"
        '<div class="scroll"><table class="compact kinds"><thead><tr><th>Kind, and why</th>'
        '<th class="num">Files</th><th class="num">With findings</th>'
        '<th class="num">Findings</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div></section>"
    )


def _charts(report: AuditReport, colours: dict[str, str]) -> str:
    directories = report.directories[: report.top]
    more = (
        f" (top {report.top} of {len(report.directories):,})"
        if len(report.directories) > report.top
        else ""
    )
    return (
        '<section class="grid2">'
        '<div class="panel"><h2>Findings per rule</h2>'
        '<p class="muted small">Click a bar to filter the table.</p>'
        f"{rule_chart(report.rules, colours)}{_severity_mix(report)}</div>"
        f'<div class="panel"><h2>Hotspots by directory{escape(more)}</h2>'
        '<p class="muted small">Findings in each directory and every directory below it, '
        "by rule.</p>"
        f"{hotspot_chart(directories, colours)}{_legend(report.rules, colours)}</div>"
        "</section>"
        f'<section class="panel"><h2>Top files</h2>{_top_files(report, colours)}</section>'
    )


def _severity_mix(report: AuditReport) -> str:
    """One bar split by severity: how much of the pile is errors, at a glance."""
    total = len(report.findings)
    if not total:
        return ""
    by_severity = report.by_severity
    segments = "".join(
        f'<span class="seg sev-{s.value}" style="width:{100 * by_severity[s] / total:.2f}%" '
        f'title="{_plural(by_severity[s], s.value)}"></span>'
        for s in SEVERITIES
        if by_severity[s]
    )
    labels = "".join(
        f'<span class="legend-item"><span class="swatch sev-{s.value}"></span>'
        f"{_plural(by_severity[s], s.value)} ({100 * by_severity[s] / total:.0f}%)</span>"
        for s in SEVERITIES
        if by_severity[s]
    )
    return (
        '<h3 class="subhead">By severity</h3>'
        f'<div class="severity-mix">{segments}</div><div class="legend">{labels}</div>'
    )


def _legend(rules: list[RuleStats], colours: dict[str, str]) -> str:
    items = "".join(
        f'<span class="legend-item"><span class="swatch" style="background:{colours[r.code]}">'
        f"</span>{escape(r.code)} {escape(r.name)}</span>"
        for r in rules
        if r.count
    )
    return f'<div class="legend">{items}</div>' if items else ""


def _top_files(report: AuditReport, colours: dict[str, str]) -> str:
    files = report.files[: report.top]
    if not files:
        return '<p class="muted">No findings.</p>'
    peak = files[0].count
    rows = "".join(
        f'<tr><td class="num">{spot.count:,}</td>'
        f'<td class="barcell">{_minibar(spot, peak, colours)}</td>'
        f'<td><a class="path" href="#findings" data-path="{escape(spot.path)}">'
        f"{escape(spot.path)}</a>"
        f'<div class="muted small"><span class="badge kind-{escape(spot.kind)}">'
        f"{escape(spot.kind)}</span> {escape(_rule_breakdown(spot))}</div></td></tr>"
        for spot in files
    )
    more = len(report.files) - len(files)
    tail = f'<p class="muted small">and {more:,} more files with findings.</p>' if more > 0 else ""
    return (
        '<div class="scroll"><table class="compact top-files"><thead><tr>'
        '<th class="num">Findings</th><th class="barcell"></th><th>File, kind and rules</th>'
        f"</tr></thead><tbody>{rows}</tbody></table></div>{tail}"
    )


def _minibar(spot: Hotspot, peak: int, colours: dict[str, str]) -> str:
    """A small stacked bar in the rules' chart colours, scaled to the biggest file."""
    segments = "".join(
        f'<span style="width:{100 * count / peak:.2f}%;background:{colours.get(code, "#888")}">'
        "</span>"
        for code, count in sorted(spot.by_rule.items())
    )
    return f'<span class="minibar">{segments}</span>'


def _rule_breakdown(spot: Hotspot) -> str:
    ordered = sorted(spot.by_rule.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{code} \u00d7{count}" for code, count in ordered)


# --- charts -----------------------------------------------------------------------------------

CHART_WIDTH = 560
ROW_HEIGHT = 30
BAR_HEIGHT = 18


def _shorten(text: str, limit: int, *, keep_end: bool = False) -> str:
    if len(text) <= limit:
        return text
    return "…" + text[-(limit - 1) :] if keep_end else text[: limit - 1] + "…"


def rule_chart(rules: list[RuleStats], colours: dict[str, str]) -> str:
    """Horizontal bars, one per rule that ran (zero included: "ran, found nothing" is news)."""
    if not rules:
        return '<p class="muted">No rules ran.</p>'
    label_width, count_room = 230, 60
    span = CHART_WIDTH - label_width - count_room
    peak = max(r.count for r in rules) or 1
    height = ROW_HEIGHT * len(rules) + 8
    rows = []
    for i, rule in enumerate(rules):
        y = 4 + i * ROW_HEIGHT
        width = span * rule.count / peak
        label = _shorten(f"{rule.code} {rule.name}", 32)
        rows.append(
            f'<g class="bar" data-rule="{escape(rule.code)}" tabindex="0" role="button">'
            f"<title>{escape(f'{rule.code} {rule.name}: {rule.count:,} findings')}</title>"
            f'<rect class="hit" x="0" y="{y}" width="{CHART_WIDTH}" height="{ROW_HEIGHT}"/>'
            f'<text class="label" x="{label_width - 10}" y="{y + 19}" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect class="track" x="{label_width}" y="{y + 6}" width="{span}" '
            f'height="{BAR_HEIGHT}" rx="3"/>'
            f'<rect class="fill" x="{label_width}" y="{y + 6}" width="{width:.1f}" '
            f'height="{BAR_HEIGHT}" rx="3" fill="{colours[rule.code]}"/>'
            f'<text class="value" x="{label_width + width + 6:.1f}" y="{y + 19}">'
            f"{rule.count:,}</text></g>"
        )
    return _svg(height, "Findings per rule", "".join(rows))


def hotspot_chart(spots: list[Hotspot], colours: dict[str, str]) -> str:
    """Stacked horizontal bars: each directory's findings split by rule."""
    if not spots:
        return '<p class="muted">No findings, so no hotspots.</p>'
    label_width, count_room = 230, 60
    span = CHART_WIDTH - label_width - count_room
    peak = spots[0].count or 1
    rows = []
    for i, spot in enumerate(spots):
        y = 4 + i * ROW_HEIGHT
        x = float(label_width)
        segments = []
        for code, count in sorted(spot.by_rule.items()):
            width = span * count / peak
            segments.append(
                f'<rect x="{x:.1f}" y="{y + 6}" width="{width:.1f}" height="{BAR_HEIGHT}" '
                f'fill="{colours.get(code, "#888")}"><title>{escape(code)}: {count:,}</title>'
                "</rect>"
            )
            x += width
        rows.append(
            f'<g class="bar" data-dir="{escape(spot.path)}" tabindex="0" role="button">'
            f"<title>{escape(f'{spot.path}: {spot.count:,} findings')}</title>"
            f'<rect class="hit" x="0" y="{y}" width="{CHART_WIDTH}" height="{ROW_HEIGHT}"/>'
            f'<text class="label mono" x="{label_width - 10}" y="{y + 19}" text-anchor="end">'
            f"{escape(_shorten(spot.path + '/', 30, keep_end=True))}</text>"
            f"{''.join(segments)}"
            f'<text class="value" x="{x + 6:.1f}" y="{y + 19}">{spot.count:,}</text></g>'
        )
    return _svg(ROW_HEIGHT * len(spots) + 8, "Findings per directory", "".join(rows))


def _svg(height: int, label: str, content: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {height}" width="100%" '
        f'role="img" aria-label="{escape(label)}">'
        f"{content}</svg>"
    )


# --- findings table ---------------------------------------------------------------------------


def _findings_section(report: AuditReport) -> str:
    options = "".join(
        f'<option value="{escape(r.code)}">{escape(r.code)} {escape(r.name)} ({r.count:,})</option>'
        for r in report.rules
        if r.count
    )
    severities = "".join(f'<option value="{s.value}">{s.value}</option>' for s in SEVERITIES)
    kinds = "".join(
        f'<option value="{k.kind.value}">{k.kind.value} ({k.findings:,})</option>'
        for k in report.kinds
        if k.findings
    )
    return (
        '<section class="panel" id="findings">'
        f"<h2>Findings <span class='count'>{len(report.findings):,}</span></h2>"
        '<div class="toolbar">'
        '<input type="search" id="q" placeholder="Filter by path, message or code…" '
        'aria-label="Filter findings">'
        f'<select id="rule-filter" aria-label="Rule"><option value="">All rules</option>'
        f"{options}</select>"
        '<select id="sev-filter" aria-label="Severity"><option value="">All severities'
        f"</option>{severities}</select>"
        '<select id="kind-filter" aria-label="Kind of code"><option value="">All code</option>'
        f"{kinds}</select>"
        '<span id="chip" class="chip" hidden></span>'
        '<span id="status" class="muted small" aria-live="polite"></span>'
        "</div>"
        '<table class="findings" id="findings-table"><thead><tr>'
        '<th class="col-sev"><button data-sort="severity">Severity</button></th>'
        '<th class="col-rule"><button data-sort="rule">Rule</button></th>'
        '<th class="col-loc"><button data-sort="location">Location</button></th>'
        '<th><button data-sort="message">Finding</button></th>'
        "</tr></thead><tbody></tbody></table>"
        '<noscript><p class="muted">The findings table needs JavaScript; '
        "<code>leaklint check --select ALL --preview</code> prints the same list.</p></noscript>"
        '<div class="pager"><button id="prev">← Previous</button>'
        '<span id="page"></span><button id="next">Next →</button>'
        '<select id="size" aria-label="Rows per page"><option>25</option>'
        "<option selected>50</option><option>100</option><option>250</option></select>"
        "</div></section>"
    )


# --- rule documentation -----------------------------------------------------------------------


def _rules_section(report: AuditReport, colours: dict[str, str]) -> str:
    found = [r for r in report.rules if r.count]
    quiet = [r for r in report.rules if not r.count]
    parts = ['<section id="rules"><h2 class="section-title">Rules: why it leaks, how to fix</h2>']
    parts += [_rule_card(r, colours) for r in found]
    if quiet:
        names = ", ".join(f"{r.code} {r.name}" for r in quiet)
        parts.append(
            f'<details class="panel quiet"><summary>{len(quiet)} rules ran and found nothing: '
            f"{escape(names)}</summary>{''.join(_rule_card(r, colours) for r in quiet)}</details>"
        )
    parts.append("</section>")
    return "".join(parts)


def _rule_card(stats: RuleStats, colours: dict[str, str]) -> str:
    rule = get_rule(stats.code)
    docs = rule.documentation() if rule is not None else stats.summary
    badges = [
        f'<span class="badge sev-{stats.severity.value}">{stats.severity.value}</span>',
        f'<span class="badge">precision: {escape(stats.precision)}</span>',
    ]
    if stats.preview:
        badges.append('<span class="badge preview">preview</span>')
    if not stats.default_enabled:
        badges.append('<span class="badge">off by default</span>')
    count = (
        f"{stats.count:,} finding{'s' if stats.count != 1 else ''} in {stats.files:,} "
        f"file{'s' if stats.files != 1 else ''}"
    )
    return (
        f'<article class="panel rule" id="rule-{escape(stats.code)}" '
        f'style="border-left-color:{colours[stats.code]}">'
        f'<header><h3><span class="code">{escape(stats.code)}</span> {escape(stats.name)}</h3>'
        f'<div class="badges">{"".join(badges)}'
        f'<a class="filter-rule" href="#findings" data-rule="{escape(stats.code)}">{count}</a>'
        f'</div></header><p class="summary">{escape(stats.summary)}</p>'
        f"{rule_docs_html(docs)}</article>"
    )


def rule_docs_html(docs: str) -> str:
    """The ruff-style sections, renamed for an auditor; Example and Use instead side by side."""
    parts: dict[str, str] = {}
    extra: list[str] = []
    for title, body in sections(docs):
        if title in SECTION_TITLES:
            parts[title] = body
        elif body.strip():
            heading = f"<h4>{inline(title)}</h4>" if title else ""
            extra.append(f'<div class="doc">{heading}{to_html(body, heading_offset=2)}</div>')
    out = []
    for title in ("What it does", "Why is this bad?"):
        if title in parts:
            out.append(
                f'<div class="doc"><h4>{SECTION_TITLES[title]}</h4>'
                f"{to_html(parts[title], heading_offset=2)}</div>"
            )
    pair = [
        f'<div class="doc {css}"><h4>{SECTION_TITLES[title]}</h4>'
        f"{to_html(parts[title], heading_offset=2)}</div>"
        for title, css in (("Example", "bad"), ("Use instead", "good"))
        if title in parts
    ]
    if pair:
        out.append(f'<div class="pair">{"".join(pair)}</div>')
    return "".join(out + extra)


# --- the rest ---------------------------------------------------------------------------------


def _unparsed_section(report: AuditReport) -> str:
    if not report.unparsed:
        return (
            '<section class="panel" id="unparsed"><h2>Files that could not be parsed</h2>'
            '<p class="muted">None: every checked file was parsed completely.</p></section>'
        )
    rows = "".join(
        f'<tr><td class="path">{escape(u.path)}{f":{u.line}" if u.line else ""}</td>'
        f"<td>{escape(u.message)}</td></tr>"
        for u in report.unparsed
    )
    return (
        '<section class="panel" id="unparsed">'
        f"<h2>Files that could not be parsed <span class='count'>{len(report.unparsed):,}"
        "</span></h2>"
        '<p class="muted small">Findings in these files may be missing: a syntax error hides '
        "the region around it, a skipped file was not analysed at all.</p>"
        f'<table class="compact"><tbody>{rows}</tbody></table></section>'
    )


def _footer(generated: _dt.datetime) -> str:
    return (
        '<footer class="muted small">leaklint '
        f"{escape(__version__)} · {escape(generated.isoformat(timespec='seconds'))} · "
        "this page loads nothing from the network.</footer>"
    )


# --- a tiny, safe Markdown subset for the rule docs -------------------------------------------
# Rule docs quote code (`</script>`, `<div>`), so everything is escaped first and only a few
# constructs become tags: headings, paragraphs, lists, fenced and inline code, **bold** and
# http(s) links. No raw HTML passes through.

_INLINE = re.compile(
    r"(?P<code>`+)(?P<code_text>.+?)(?P=code)"
    r"|\*\*(?P<bold>[^*]+)\*\*"
    r"|\[(?P<link_text>[^\]]+)\]\((?P<url>[^)\s]+)\)"
)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")
_FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)\s*$")
_SAFE_URL = re.compile(r"^(https?://|#)", re.IGNORECASE)


def inline(text: str) -> str:
    """Escape ``text`` and turn inline code, bold and links into tags."""
    out: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        out.append(escape(text[position : match.start()]))
        out.append(_inline_tag(match))
        position = match.end()
    out.append(escape(text[position:]))
    return "".join(out)


def _inline_tag(match: re.Match[str]) -> str:
    if match.group("code"):
        return f"<code>{escape(match.group('code_text').strip())}</code>"
    if match.group("bold"):
        return f"<strong>{escape(match.group('bold'))}</strong>"
    url = match.group("url")
    label = escape(match.group("link_text"))
    if not _SAFE_URL.match(url):
        return label  # javascript: and friends become plain text
    return f'<a href="{escape(url, quote=True)}" rel="noopener noreferrer">{label}</a>'


def to_html(markdown: str, *, heading_offset: int = 0) -> str:
    """Render ``markdown``; ``heading_offset`` shifts heading levels (## → h3 with offset 1)."""
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""
    lines = markdown.replace("\r\n", "\n").split("\n")
    index = 0

    def flush() -> None:
        nonlocal list_tag
        if paragraph:
            blocks.append(f"<p>{inline(' '.join(line.strip() for line in paragraph))}</p>")
            paragraph.clear()
        if items:
            rendered = "".join(f"<li>{inline(item)}</li>" for item in items)
            blocks.append(f"<{list_tag}>{rendered}</{list_tag}>")
            items.clear()
            list_tag = ""

    while index < len(lines):
        line = lines[index]
        fence = _FENCE.match(line)
        if fence:
            flush()
            index = _code_block(lines, index, fence, blocks)
            continue
        heading = _HEADING.match(line)
        bullet = _BULLET.match(line)
        numbered = _NUMBERED.match(line)
        if heading:
            flush()
            level = min(6, len(heading.group(1)) + heading_offset)
            blocks.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif bullet or numbered:
            tag = "ul" if bullet else "ol"
            if paragraph or (items and list_tag != tag):
                flush()
            list_tag = tag
            items.append((bullet or numbered).group(1))  # type: ignore[union-attr]
        elif not line.strip():
            flush()
        elif items and line.startswith((" ", "\t")):
            items[-1] += " " + line.strip()  # a wrapped list item
        else:
            if items:
                flush()
            paragraph.append(line)
        index += 1
    flush()
    return "\n".join(blocks)


def _code_block(lines: list[str], start: int, fence: re.Match[str], blocks: list[str]) -> int:
    """Append the fenced block opening at ``start``; return the index after its closing fence."""
    marker, language = fence.group(1), fence.group(2)
    body: list[str] = []
    index = start + 1
    while index < len(lines) and not lines[index].strip().startswith(marker):
        body.append(lines[index])
        index += 1
    css = f' class="language-{escape(language, quote=True)}"' if language else ""
    blocks.append(f"<pre><code{css}>{escape(chr(10).join(body))}</code></pre>")
    return index + 1


def sections(markdown: str) -> list[tuple[str, str]]:
    """Split a rule's docs at its ``## `` headings: [(heading, body markdown), …].

    Text before the first heading comes back under the heading "".
    """
    result: list[tuple[str, str]] = []
    title = ""
    body: list[str] = []
    in_fence = False
    for line in markdown.replace("\r\n", "\n").split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            if title or "".join(body).strip():
                result.append((title, "\n".join(body).strip("\n")))
            title, body = line[3:].strip(), []
        else:
            body.append(line)
    if title or "".join(body).strip():
        result.append((title, "\n".join(body).strip("\n")))
    return result
