// leaklint audit report: renders one page of the findings table from the embedded JSON.
// Data is only ever written with textContent, never as markup.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("leaklint-data").textContent);
  var rules = data.rules, paths = data.paths, templates = data.templates, rows = data.rows;
  var SEV_NAMES = data.severities;
  var KIND_NAMES = data.kinds, pathKinds = data.path_kinds, links = data.links;
  // Row layout (see table_json in reporters/html.py).
  var RULE = 0, PATH = 1, LINE = 2, COL = 3, SEV = 4, TEMPLATE = 5, QUOTED = 6, CODE = 7,
      HL_START = 8, HL_END = 9;

  // A message is a template with a NUL where each quoted name goes (see message_template).
  function message(row) {
    if (row.length > HL_END + 1) return row[HL_END + 1];  // memoised: sorting asks often
    var parts = templates[row[TEMPLATE]].split("\u0000"), quoted = row[QUOTED], out = parts[0];
    for (var i = 1; i < parts.length; i++) out += (quoted[i - 1] || "") + parts[i];
    row.push(out);
    return out;
  }

  var state = { q: "", rule: "", sev: "", kind: "", dir: null, file: null, sort: "severity", asc: true,
                page: 0, size: 50 };
  var view = rows;

  var $ = function (id) { return document.getElementById(id); };
  var tbody = document.querySelector("#findings-table tbody");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function locationKey(a, b) {
    var pa = paths[a[PATH]], pb = paths[b[PATH]];
    if (pa !== pb) return pa < pb ? -1 : 1;
    return (a[LINE] - b[LINE]) || (a[COL] - b[COL]);
  }

  var COMPARE = {
    // Most severe first when ascending: that is the order an auditor reads in.
    // Then server code before browser, test, generated and vendored code, as "where to start".
    severity: function (a, b) {
      return (a[SEV] - b[SEV]) || (pathKinds[a[PATH]] - pathKinds[b[PATH]]) || locationKey(a, b);
    },
    rule: function (a, b) {
      var ra = rules[a[RULE]].code, rb = rules[b[RULE]].code;
      return ra === rb ? locationKey(a, b) : (ra < rb ? -1 : 1);
    },
    location: locationKey,
    message: function (a, b) {
      var ma = message(a), mb = message(b);
      return ma === mb ? locationKey(a, b) : (ma < mb ? -1 : 1);
    }
  };

  // A directory's findings are those of its whole subtree, as in the hotspot chart.
  function inDirectory(path, dir) {
    if (dir === ".") return true;
    return path.slice(0, dir.length + 1) === dir + "/";
  }

  // Only links the report made: GitHub blobs and editor links (see _link_template).
  var SAFE_LINK = /^(https:\/\/github\.com\/|vscode:\/\/file\/|file:\/\/\/)/;

  function sourceLink(row) {
    var template = links[row[PATH]];
    if (!template || !SAFE_LINK.test(template)) return "";
    return template.replace("{line}", String(row[LINE])).replace("{col}", String(row[COL]));
  }

  function matches(row) {
    if (state.rule && rules[row[RULE]].code !== state.rule) return false;
    if (state.sev && SEV_NAMES[row[SEV]] !== state.sev) return false;
    if (state.kind && KIND_NAMES[pathKinds[row[PATH]]] !== state.kind) return false;
    var path = paths[row[PATH]];
    if (state.dir !== null && !inDirectory(path, state.dir)) return false;
    if (state.file !== null && path !== state.file) return false;
    if (!state.q) return true;
    var rule = rules[row[RULE]];
    var haystack = (path + ":" + row[LINE] + " " + message(row) + " " + row[CODE] + " " +
                    rule.code + " " + rule.name).toLowerCase();
    return haystack.indexOf(state.q) !== -1;
  }

  function recompute() {
    view = rows.filter(matches);
    var compare = COMPARE[state.sort];
    view.sort(state.asc ? compare : function (a, b) { return compare(b, a); });
    state.page = 0;
  }

  function excerptCell(row) {
    var code = el("code", "excerpt");
    code.appendChild(el("span", "ln", String(row[LINE])));
    var text = row[CODE], start = row[HL_START], end = row[HL_END];
    code.appendChild(document.createTextNode(text.slice(0, start)));
    code.appendChild(el("mark", "", text.slice(start, end)));
    code.appendChild(document.createTextNode(text.slice(end)));
    return code;
  }

  function renderRow(row) {
    var tr = el("tr");
    var sev = SEV_NAMES[row[SEV]];
    var td = el("td");
    td.appendChild(el("span", "badge sev-" + sev, sev));
    tr.appendChild(td);

    var rule = rules[row[RULE]];
    td = el("td");
    var dot = el("span", "rule-dot");
    dot.style.background = rule.colour;
    td.appendChild(dot);
    var link = el("a", "", rule.code);
    link.href = "#rule-" + rule.code;
    link.title = "Why it leaks and how to fix it";
    td.appendChild(link);
    td.appendChild(el("span", "rule-name", rule.name));
    tr.appendChild(td);

    td = el("td", "loc");
    var href = sourceLink(row);
    var where = href ? el("a", "src") : el("span", "src");
    if (href) {
      where.href = href;
      where.title = href.indexOf("https:") === 0 ? "Open on GitHub" : "Open in the editor";
      where.rel = "noopener noreferrer";
    }
    // Break long paths after a slash, not inside a file name.
    paths[row[PATH]].split("/").forEach(function (part, i, parts) {
      where.appendChild(document.createTextNode(part + (i < parts.length - 1 ? "/" : "")));
      if (i < parts.length - 1) where.appendChild(el("wbr"));
    });
    where.appendChild(el("span", "line", ":" + row[LINE] + ":" + row[COL]));
    td.appendChild(where);
    var kind = KIND_NAMES[pathKinds[row[PATH]]];
    td.appendChild(el("span", "badge kind-" + kind, kind));
    tr.appendChild(td);

    td = el("td");
    td.appendChild(el("div", "msg", message(row)));
    if (row[CODE]) td.appendChild(excerptCell(row));
    tr.appendChild(td);
    return tr;
  }

  function render() {
    var pages = Math.max(1, Math.ceil(view.length / state.size));
    state.page = Math.min(state.page, pages - 1);
    var first = state.page * state.size;
    var slice = view.slice(first, first + state.size);
    var fragment = document.createDocumentFragment();
    slice.forEach(function (row) { fragment.appendChild(renderRow(row)); });
    if (!slice.length) {
      var tr = el("tr", "empty");
      var td = el("td", "", rows.length ? "No finding matches the filters." : "No findings.");
      td.colSpan = 4;
      tr.appendChild(td);
      fragment.appendChild(tr);
    }
    tbody.textContent = "";
    tbody.appendChild(fragment);
    var shown = view.length ? (first + 1) + "–" + (first + slice.length) : "0";
    $("status").textContent = "Showing " + shown + " of " + view.length.toLocaleString("en") +
      (view.length !== rows.length ? " (filtered from " + rows.length.toLocaleString("en") + ")" : "");
    $("page").textContent = "Page " + (state.page + 1) + " of " + pages;
    $("prev").disabled = state.page === 0;
    $("next").disabled = state.page >= pages - 1;
    document.querySelectorAll("#findings-table th").forEach(function (th) {
      var button = th.querySelector("button");
      if (button.getAttribute("data-sort") === state.sort) {
        th.setAttribute("aria-sort", state.asc ? "ascending" : "descending");
      } else {
        th.removeAttribute("aria-sort");
      }
    });
    var chip = $("chip");
    var scope = state.dir !== null ? "in " + state.dir + "/" : (state.file !== null ? state.file : "");
    chip.hidden = !scope;
    chip.textContent = scope ? scope + "  ✕" : "";
  }

  function update() { recompute(); render(); }

  var typing;
  $("q").addEventListener("input", function (event) {
    clearTimeout(typing);
    typing = setTimeout(function () {
      state.q = event.target.value.trim().toLowerCase();
      update();
    }, 120);
  });
  $("rule-filter").addEventListener("change", function (e) { state.rule = e.target.value; update(); });
  $("sev-filter").addEventListener("change", function (e) { state.sev = e.target.value; update(); });
  $("kind-filter").addEventListener("change", function (e) { state.kind = e.target.value; update(); });
  $("size").addEventListener("change", function (e) { state.size = +e.target.value; render(); });
  $("prev").addEventListener("click", function () { state.page -= 1; render(); });
  $("next").addEventListener("click", function () { state.page += 1; render(); });
  $("chip").addEventListener("click", function () { state.dir = null; state.file = null; update(); });
  document.querySelectorAll("#findings-table th button").forEach(function (button) {
    button.addEventListener("click", function () {
      var key = button.getAttribute("data-sort");
      state.asc = state.sort === key ? !state.asc : true;
      state.sort = key;
      update();
    });
  });

  function focusTable() { $("findings").scrollIntoView({ behavior: "smooth" }); }

  function filterRule(code) {
    state.rule = code;
    $("rule-filter").value = code;
    update();
    focusTable();
  }

  function filterScope(dir, file) {
    state.dir = dir;
    state.file = file;
    update();
    focusTable();
  }

  function activate(node, handler) {
    node.addEventListener("click", function (event) { event.preventDefault(); handler(); });
    node.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); handler(); }
    });
  }

  document.querySelectorAll("[data-rule]").forEach(function (node) {
    activate(node, function () { filterRule(node.getAttribute("data-rule")); });
  });
  function filterKind(kind) {
    state.kind = kind;
    $("kind-filter").value = kind;
    update();
    focusTable();
  }

  document.querySelectorAll("[data-kind]").forEach(function (node) {
    activate(node, function () { filterKind(node.getAttribute("data-kind")); });
  });
  document.querySelectorAll("[data-dir]").forEach(function (node) {
    activate(node, function () { filterScope(node.getAttribute("data-dir"), null); });
  });
  document.querySelectorAll("[data-path]").forEach(function (node) {
    activate(node, function () { filterScope(null, node.getAttribute("data-path")); });
  });

  // A filtered view can be linked to: report.html#rule=LL002&dir=src/jobs (also sev, kind,
  // file, q).
  // In-page anchors (#findings, #rule-LL001) have no "=" and are left to the browser.
  function applyHash() {
    var hash = location.hash.slice(1);
    if (hash.indexOf("=") === -1) return;
    var params = new URLSearchParams(hash);
    state.rule = params.get("rule") || "";
    state.sev = params.get("sev") || "";
    state.kind = params.get("kind") || "";
    state.dir = params.get("dir");
    state.file = params.get("file");
    state.q = (params.get("q") || "").toLowerCase();
    $("rule-filter").value = state.rule;
    $("sev-filter").value = state.sev;
    $("kind-filter").value = state.kind;
    $("q").value = params.get("q") || "";
  }
  window.addEventListener("hashchange", function () { applyHash(); update(); });

  applyHash();
  update();
  document.documentElement.setAttribute("data-rendered", String(rows.length));
})();
