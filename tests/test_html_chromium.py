"""The audit's HTML report in a real browser: what a person sees, not what the markup says.

Headless Chromium (Debian's ``chromium`` package) loads the file with the network closed,
runs the inline script, and gives back the DOM (``--dump-dom``) and a screenshot. The test
checks that the script drew the table rows, that the chart bars are there with the counts,
and that the screenshot shows the bars in their colours rather than a blank page.

Skipped when Chromium is absent, except under CI=true, where a missing browser is a failure:
.ci/run installs it.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import time
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import write
from tests.fixture_harness import FIXTURES
from tests.test_audit import make_synthetic, seed_examples

BROWSERS = ("chromium", "chromium-browser")
# Nothing may reach out: this machine's network is closed and a report must not need one.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)
TIMEOUT = 120


@pytest.fixture(scope="module")
def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("CI is set but Chromium is missing: .ci/run must `apt-get install chromium`")
    pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")


def chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile.mkdir(parents=True, exist_ok=True)
    command = [binary, *FLAGS, f"--user-data-dir={profile}", *args]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def audit_html(run_cli, target: str, out: Path) -> Path:
    result = run_cli("audit", "--html", str(out), target)
    assert result.exit_code == 0, result.output
    return out


# --- reading the DOM --------------------------------------------------------------------------


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Dom(HTMLParser):
    """Just enough of the rendered DOM: elements with their attributes, the text of elements
    with an id, and the cells of the findings table's body rows."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.rows: list[list[str]] = []
        self._stack: list[tuple[str, str | None]] = []  # (tag, id)
        self._texts: dict[str, list[str]] = {}
        self._cell: list[str] | None = None
        self.feed(markup)
        self.close()

    def _open_ids(self) -> list[str]:
        return [element_id for _, element_id in self._stack if element_id]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.elements.append((tag, attributes))
        open_ids = self._open_ids()
        in_body = "findings-table" in open_ids and any(t == "tbody" for t, _ in self._stack)
        if in_body and tag == "tr":
            self.rows.append([])
        elif in_body and tag == "td" and self.rows:
            self._cell = []
        if tag in VOID:
            return
        element_id = attributes.get("id")
        if element_id:
            self._texts.setdefault(element_id, [])
        self._stack.append((tag, element_id))

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None
        if any(t == tag for t, _ in self._stack):
            while self._stack and self._stack.pop()[0] != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        for element_id in self._open_ids():
            self._texts[element_id].append(data)

    def text_of(self, element_id: str) -> str:
        return "".join(self._texts.get(element_id, ()))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        """Elements by tag and attributes (``class_`` matches one of the classes)."""
        wanted = {k.rstrip("_"): v for k, v in attrs.items()}

        def matches(a: dict[str, str]) -> bool:
            return all(
                v in a.get(k, "").split() if k == "class" else a.get(k) == v
                for k, v in wanted.items()
            )

        return [a for t, a in self.elements if t == tag and matches(a)]


# --- reading the screenshot -------------------------------------------------------------------


def decode_png(path: Path) -> tuple[int, int, list[bytes], int]:
    """Width, height, unfiltered rows and bytes per pixel of an 8-bit RGB(A) PNG (stdlib only)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, idat = 8, bytearray()
    width = height = bpp = 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(bytes(idat))
    stride = width * bpp
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(kind, line, previous, bpp)
        rows.append(bytes(line))
        previous = line
    return width, height, rows, bpp


def _unfilter(kind: int, line: bytearray, previous: bytearray, bpp: int) -> None:
    if kind == 0:
        return
    if kind == 2:  # Up: the common case for flat UI, done without a Python loop per byte
        line[:] = bytes((a + b) & 255 for a, b in zip(line, previous, strict=True))
        return
    for x in range(len(line)):
        left = line[x - bpp] if x >= bpp else 0
        up = previous[x]
        upper_left = previous[x - bpp] if x >= bpp else 0
        if kind == 1:
            line[x] = (line[x] + left) & 255
        elif kind == 3:
            line[x] = (line[x] + (left + up) // 2) & 255
        elif kind == 4:
            estimate = left + up - upper_left
            pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - upper_left)
            nearest = left if pa <= pb and pa <= pc else up if pb <= pc else upper_left
            line[x] = (line[x] + nearest) & 255


def colour_census(path: Path, step: int = 2) -> dict[tuple[int, int, int], int]:
    """How many (sampled) pixels have each colour."""
    width, height, rows, bpp = decode_png(path)
    census: dict[tuple[int, int, int], int] = {}
    for y in range(0, height, step):
        row = rows[y]
        for x in range(0, width * bpp, bpp * step):
            key = (row[x], row[x + 1], row[x + 2])
            census[key] = census.get(key, 0) + 1
    return census


def pixels_near(census: dict[tuple[int, int, int], int], colour: str, tol: int = 6) -> int:
    """How many sampled pixels are within ``tol`` per channel of ``colour`` (#rrggbb)."""
    want = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return sum(
        n for c, n in census.items() if all(abs(a - b) <= tol for a, b in zip(c, want, strict=True))
    )


def keep(path: Path) -> None:
    """Copy a screenshot where a person can look at it (LEAKLINT_ARTIFACTS), if asked."""
    target = os.environ.get("LEAKLINT_ARTIFACTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)


# --- the tests --------------------------------------------------------------------------------


@pytest.fixture
def legacy_report(project: Path, run_cli) -> Path:
    shutil.copytree(FIXTURES, project / "fixtures")
    seed = seed_examples()
    if seed is not None:
        shutil.copytree(seed, project / "seed")
    return audit_html(run_cli, ".", project / "report.html")


def test_report_in_chromium_shows_table_charts_and_counts(
    browser: str, legacy_report: Path, tmp_path: Path, run_cli
) -> None:
    audit = json.loads(run_cli("audit", "--format", "json", ".").output)
    total = audit["findings"]
    url = legacy_report.resolve().as_uri()
    dom = Dom(chromium(browser, tmp_path / "profile", "--dump-dom", url).stdout)

    # The script ran over every finding and drew the first page of the table.
    (root,) = dom.find("html")
    assert root.get("data-rendered") == str(total)
    assert len(dom.rows) == min(50, total)
    first = dom.rows[0]
    assert first[0] in ("error", "warning", "note")  # severity badge
    assert first[1].startswith("LL")  # rule code and name
    assert ":" in first[2]  # path:line:column
    assert dom.text_of("status").startswith(f"Showing 1\u2013{min(50, total)} of {total}")
    assert dom.find("span", class_="badge")
    assert dom.find("mark"), "no excerpt with the flagged code marked"

    # One bar per rule with a visible fill for each rule that found something, and its count.
    bars = dom.find("g", class_="bar")
    rule_bars = [b for b in bars if "data-rule" in b]
    assert {b["data-rule"] for b in rule_bars} == {r["code"] for r in audit["rules"]}
    fills = [float(r["width"]) for r in dom.find("rect", class_="fill")]
    assert sum(1 for w in fills if w > 0) == sum(1 for r in audit["rules"] if r["count"])
    assert [b for b in bars if "data-dir" in b], "no hotspot bars"
    for rule in audit["rules"]:
        assert dom.find("article", id=f"rule-{rule['code']}")

    # What a person sees: the page is not blank and the biggest rule's bar is on screen in
    # its colour.
    shot = tmp_path / "audit-report.png"
    chromium(browser, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,2000", url)
    keep(shot)
    census = colour_census(shot)
    assert len(census) > 40, f"screenshot looks blank: {len(census)} colours"
    background = max(census.values())
    assert background < 0.9 * sum(census.values()), "screenshot is almost one colour"
    from leaklint.reporters.html import PALETTE

    codes = sorted(r["code"] for r in audit["rules"])
    top = max(audit["rules"], key=lambda r: r["count"])
    colour = PALETTE[codes.index(top["code"]) % len(PALETTE)]
    assert pixels_near(census, colour) > 200, f"no {colour} bar for {top['code']} on screen"


def test_a_filtered_view_can_be_linked(
    browser: str, legacy_report: Path, tmp_path: Path, run_cli
) -> None:
    """`report.html#rule=LL001&dir=fixtures/LL001` opens with the table filtered."""
    url = legacy_report.resolve().as_uri() + "#rule=LL001&dir=fixtures/LL001"
    dom = Dom(chromium(browser, tmp_path / "profile", "--dump-dom", url).stdout)
    audit = json.loads(run_cli("audit", "--format", "json", ".").output)
    (directory,) = [d for d in audit["directories"] if d["path"] == "fixtures/LL001"]
    expected = directory["by_rule"]["LL001"]
    assert 0 < len(dom.rows) == min(50, expected)
    assert all(row[1].startswith("LL001") for row in dom.rows)
    assert all(row[2].startswith("fixtures/LL001/") for row in dom.rows)
    assert "(filtered from" in dom.text_of("status")
    assert dom.text_of("chip").startswith("in fixtures/LL001/")


def test_ten_thousand_findings_render_quickly(
    browser: str, project: Path, tmp_path: Path, run_cli
) -> None:
    assert make_synthetic(project) == 10_000
    report = audit_html(run_cli, "legacy", project / "big.html")
    url = report.resolve().as_uri()
    started = time.perf_counter()
    dom = Dom(chromium(browser, tmp_path / "profile", "--dump-dom", url).stdout)
    elapsed = time.perf_counter() - started
    (root,) = dom.find("html")
    assert root.get("data-rendered") == "10000"
    assert len(dom.rows) == 50  # one page, not 10,000 rows
    assert dom.text_of("status").startswith("Showing 1\u201350 of 10,000")
    assert elapsed < 30, f"{elapsed:.1f}s to load and render"
    shot = tmp_path / "audit-report-10k.png"
    chromium(browser, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,1400", url)
    keep(shot)
    assert len(colour_census(shot, step=3)) > 40


def test_hostile_code_stays_text_in_the_browser(
    browser: str, project: Path, tmp_path: Path, run_cli
) -> None:
    write(project / "we<b>ird/a.js", 'x = "</script><img src=x onerror=alert(1)>";\n')
    report = audit_html(run_cli, ".", project / "r.html")
    markup = chromium(browser, tmp_path / "profile", "--dump-dom", report.resolve().as_uri()).stdout
    dom = Dom(markup)
    assert not dom.find("img") and not dom.find("b")
    assert len(dom.rows) == 1
    assert "</script><img src=x onerror=alert(1)>" in dom.rows[0][3]
    assert "we<b>ird/a.js" in dom.rows[0][2]


# --- phone width ------------------------------------------------------------------------------

PHONE_WIDTH = 400
LONG_DIRECTORY = "/".join(["a-very-long-directory-name-from-a-legacy-app"] * 4)


@pytest.fixture
def devtools(browser: str, tmp_path: Path):
    from tests.cdp import DevTools

    session = DevTools(browser, FLAGS, tmp_path / "devtools-profile")
    try:
        yield session
    finally:
        session.close()


def long_lines_report(project: Path, run_cli) -> Path:
    """Paths and code lines far wider than a phone: nothing in them to break at."""
    write(
        project / f"src/{LONG_DIRECTORY}/a-file-name-that-goes-on-and-on-without-a-break.js",
        "function f() { an_identifier_" + "x" * 300 + " = 1; }\n"
        "leak_two = " + "'y' + " * 150 + "1;\n",
    )
    write(project / "server.js", "const x = require('x');\nsetInterval(() => x.poll(), 1000);\n")
    write(project / "public/js/jquery-1.12.4.js", "".join(f"g{n} = {n};\n" for n in range(30)))
    shutil.copytree(FIXTURES / "LL007", project / "fixtures/LL007")  # rule docs with long code
    return audit_html(run_cli, ".", project / "report.html")


def test_the_page_does_not_scroll_sideways_at_phone_width(
    devtools, project: Path, tmp_path: Path, run_cli
) -> None:
    report = long_lines_report(project, run_cli)
    devtools.open(report.resolve().as_uri(), PHONE_WIDTH, 900)
    rendered = int(devtools.evaluate("document.documentElement.getAttribute('data-rendered')"))
    width = devtools.evaluate("document.documentElement.scrollWidth")
    # A page wider than the screen makes a phone zoom out: innerWidth would exceed 400.
    viewport = devtools.evaluate("window.innerWidth")
    assert (width, viewport) == (PHONE_WIDTH, PHONE_WIDTH), "the page scrolls sideways"
    # Every element fits, except inside the code boxes that scroll on their own.
    wider = devtools.evaluate(
        "Array.from(document.querySelectorAll('body *')).filter(function (e) {"
        "  return e.getBoundingClientRect().right > innerWidth + 0.5 &&"
        "    !e.closest('pre, .excerpt, .scroll'); }).map(function (e) {"
        "  return e.tagName + '.' + e.className; })"
    )
    assert wider == []
    # The script drew the first page of findings in the phone layout, one block each.
    rows = devtools.evaluate("document.querySelectorAll('#findings-table tbody tr').length")
    assert rows == min(50, rendered) > 30
    display = devtools.evaluate(
        "getComputedStyle(document.querySelector('#findings-table tbody td')).display"
    )
    assert display == "inline-block"
    shot = devtools.screenshot(tmp_path / "audit-report-400px.png", PHONE_WIDTH, 2400)
    keep(shot)
    width_px, height_px, _, _ = decode_png(shot)
    assert (width_px, height_px) == (PHONE_WIDTH, 2400)
    assert len(colour_census(shot)) > 40, "the phone screenshot looks blank"


def test_the_desktop_layout_still_has_its_table(devtools, project: Path, run_cli) -> None:
    """The phone layout must not leak into a desktop window: the table keeps its columns."""
    report = long_lines_report(project, run_cli)
    devtools.open(report.resolve().as_uri(), 1280, 900, mobile=False)
    assert devtools.evaluate("document.documentElement.scrollWidth") == 1280
    display = devtools.evaluate(
        "getComputedStyle(document.querySelector('#findings-table tbody td')).display"
    )
    assert display == "table-cell"


def test_findings_link_to_their_source_in_the_browser(
    browser: str, project: Path, tmp_path: Path, run_cli
) -> None:
    from tests.test_source_links import SHA, fake_git

    fake_git(project, "git@github.com:acme/shop.git")
    write(project / "src/jobs/poll.js", "function f() {\n  leaked = 1;\n}\n")
    write(project / "test/a.test.js", "function g() {\n  other = 1;\n}\n")
    report = audit_html(run_cli, ".", project / "r.html").resolve()
    dom = Dom(chromium(browser, tmp_path / "profile", "--dump-dom", report.as_uri()).stdout)
    hrefs = [a["href"] for a in dom.find("a", class_="src")]
    assert hrefs == [
        f"https://github.com/acme/shop/blob/{SHA}/src/jobs/poll.js#L2",
        f"https://github.com/acme/shop/blob/{SHA}/test/a.test.js#L2",
    ]
    # Server code first in the table, and the kind filter works from the URL too.
    assert dom.rows[0][2].startswith("src/jobs/poll.js:2:3")
    url = report.as_uri() + "#kind=test"
    filtered = Dom(chromium(browser, tmp_path / "profile", "--dump-dom", url).stdout)
    assert [row[2] for row in filtered.rows] == ["test/a.test.js:2:3test"]


def test_editor_links_without_a_github_remote(
    browser: str, project: Path, tmp_path: Path, run_cli
) -> None:
    write(project / "my app/a.js", "x = 1;\n")
    report = audit_html(run_cli, ".", project / "r.html").resolve()
    dom = Dom(chromium(browser, tmp_path / "profile", "--dump-dom", report.as_uri()).stdout)
    (link,) = dom.find("a", class_="src")
    expected = (project / "my app/a.js").resolve().as_posix().replace(" ", "%20")
    assert link["href"] == f"vscode://file{expected}:1:1"
