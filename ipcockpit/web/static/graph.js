// The graph explorer (知识图谱): draws the subgraph the server embedded (#graph-data) as an ECharts graph and grows
// it when a node is clicked (the chart's node or its row's button): the page's own API (/api/graph) answers the
// node's neighbours under the page's filters, and they are merged in. At most MAX_SHOWN nodes are drawn; an
// expansion past that adds none and says so. The chart's div carries data-nodes / data-links (what is drawn) and
// data-rendered="true" once ECharts has painted: the browser tests wait for them.
(function () {
  "use strict";
  var el = document.getElementById("graph-chart");
  var source = document.getElementById("graph-data");
  var cfgSource = document.getElementById("graph-config");
  if (!el || !source || !cfgSource || typeof echarts === "undefined") { return; }
  var MAX_SHOWN = 1000;
  var data = JSON.parse(source.textContent);
  var cfg = JSON.parse(cfgSource.textContent);
  var texts = cfg.texts;
  var nodes = new Map(), links = new Map(), expanded = new Set();
  var status = document.getElementById("graph-status");
  var rows = document.getElementById("graph-node-rows");
  var count = document.getElementById("graph-node-count");
  var detail = document.getElementById("graph-detail");
  var chart = echarts.init(el);
  chart.on("finished", function () { el.dataset.rendered = "true"; });

  function key(l) { return l.source + "|" + l.target + "|" + l.relationship; }

  function say(text, warn) {
    var p = document.createElement("span");
    p.textContent = text;
    if (warn) { p.className = "warn"; }
    status.replaceChildren(p);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return values[k] !== undefined ? values[k] : m; });
  }

  function merge(answer) {
    var added = 0, skipped = 0;
    answer.nodes.forEach(function (n) {
      if (nodes.has(n.id)) { return; }
      if (nodes.size >= MAX_SHOWN) { skipped += 1; return; }
      nodes.set(n.id, n);
      added += 1;
      addRow(n);
    });
    answer.links.forEach(function (l) {
      if (nodes.has(l.source) && nodes.has(l.target) && !links.has(key(l))) { links.set(key(l), l); }
    });
    return { added: added, skipped: skipped };
  }

  function years(x) {
    if (!x.first_year) { return ""; }
    return x.last_year && x.last_year !== x.first_year ? x.first_year + "–" + x.last_year : String(x.first_year);
  }

  function addRow(n) {
    if (!rows || rows.querySelector('tr[data-id="' + CSS.escape(n.id) + '"]')) { return; }
    var tr = document.createElement("tr");
    tr.dataset.id = n.id;
    [n.name, cfg.categories[n.category].name, String(n.value), years(n)].forEach(function (text, i) {
      var td = document.createElement("td");
      td.textContent = text;
      if (i === 0) { td.setAttribute("translate", "no"); }
      if (i === 2) { td.className = "num"; }
      tr.appendChild(td);
    });
    var td = document.createElement("td");
    var b = document.createElement("button");
    b.type = "button"; b.className = "expand"; b.dataset.id = n.id; b.textContent = texts.expand;
    td.appendChild(b); tr.appendChild(td);
    rows.appendChild(tr);
  }

  function href(n) {
    var label = cfg.labels[n.category];
    if (label === "organisation" || label === "individual") {
      return cfg.organisation.replace("__ID__", encodeURIComponent(n.entity_id || n.name));
    }
    if (label === "inventor" && n.entity_id && n.entity_id.indexOf("i:") === 0) {
      return cfg.inventor.replace("__ID__", encodeURIComponent(n.entity_id));
    }
    if (label === "inventor") { return cfg.talent + "?inventor=" + encodeURIComponent(n.entity_id || n.id); }
    if (label === "region") { return cfg.region.replace("__ID__", encodeURIComponent(n.id.slice(7))); }
    if (label === "family" && n.id.indexOf("doc:") === 0) { return cfg.patent.replace("__ID__", encodeURIComponent(n.id.slice(4))); }
    if (label === "family") { return null; }
    return cfg.page + "?node=" + encodeURIComponent(n.id);
  }

  function draw() {
    chart.setOption({
      aria: { enabled: true },
      tooltip: { formatter: function (p) {
        if (p.dataType === "edge") { return (cfg.relationships[p.data.relationship] || p.data.relationship) + " × " + p.data.value; }
        return p.data.name + " (" + cfg.categories[p.data.category].name + ", " + texts.documents + " " + p.data.value + ")";
      } },
      legend: [{ data: cfg.categories.map(function (c) { return c.name; }), top: 0, type: "scroll" }],
      series: [{
        type: "graph", layout: "force", roam: true, draggable: true, categories: cfg.categories, top: 40,
        labelLayout: { hideOverlap: true },
        force: { repulsion: 90, edgeLength: [30, 110], gravity: 0.08 },
        label: { show: true, position: "right", fontSize: 10, formatter: function (p) {
          return p.data.symbolSize >= 18 || p.data.id === data.center ? p.data.name : ""; } },
        emphasis: { focus: "adjacency" },
        data: Array.from(nodes.values()).map(function (n) {
          return { id: n.id, name: n.name, category: n.category, value: n.value, symbolSize: n.symbolSize,
                   itemStyle: expanded.has(n.id) ? { borderColor: "#1a202c", borderWidth: 2 } : undefined };
        }),
        links: Array.from(links.values()).map(function (l) {
          return { source: l.source, target: l.target, value: l.value, relationship: l.relationship,
                   lineStyle: { width: Math.min(6, 1 + Math.log(1 + l.value)), opacity: 0.6 } };
        })
      }]
    }, { replaceMerge: ["series"] });
    el.dataset.nodes = String(nodes.size);
    el.dataset.links = String(links.size);
    if (count) { count.textContent = String(nodes.size); }
  }

  function select(id) {
    var n = nodes.get(id);
    if (!n || !detail) { return; }
    var box = document.createElement("div");
    var h = document.createElement("h3");
    h.textContent = n.name; h.setAttribute("translate", "no");
    box.appendChild(h);
    var p = document.createElement("p");
    p.textContent = cfg.categories[n.category].name + " · " + texts.documents + " " + n.value + (years(n) ? " · " + texts.years + " " + years(n) : "");
    box.appendChild(p);
    var url = href(n);
    if (url) {
      var a = document.createElement("a"); a.href = url; a.textContent = texts.open; a.id = "graph-open";
      box.appendChild(a);
    }
    var at = Array.from(links.values()).filter(function (l) { return l.source === id || l.target === id; })
      .sort(function (a, b) { return b.value - a.value; }).slice(0, 30);
    if (!at.length) {
      var none = document.createElement("p"); none.className = "note"; none.textContent = texts.no_links; box.appendChild(none);
    }
    var ul = document.createElement("ul");
    at.forEach(function (l) {
      var other = nodes.get(l.source === id ? l.target : l.source);
      var li = document.createElement("li");
      li.appendChild(document.createTextNode((cfg.relationships[l.relationship] || l.relationship) + " · " +
        (other ? other.name : "") + " × " + l.value + (years(l) ? " (" + years(l) + ")" : "") + " · " + texts.evidence + ": "));
      (l.evidence || []).forEach(function (doc, i) {
        var a = document.createElement("a"); a.href = cfg.patent.replace("__ID__", encodeURIComponent(doc));
        a.textContent = doc; a.setAttribute("translate", "no");
        if (i) { li.appendChild(document.createTextNode(", ")); }
        li.appendChild(a);
      });
      ul.appendChild(li);
    });
    box.appendChild(ul);
    detail.replaceChildren(box);
  }

  function expand(id) {
    if (expanded.has(id)) { select(id); return; }
    var url = new URL(cfg.api, window.location.href);
    var f = data.filters;
    url.searchParams.set("node", id);
    url.searchParams.set("depth", "1");
    url.searchParams.set("limit", String(data.limit));
    if (f.relationships && f.relationships.length) { url.searchParams.set("rel", f.relationships.join(",")); }
    ["year_from", "year_to", "ipc", "sei"].forEach(function (k) { if (f[k]) { url.searchParams.set(k, f[k]); } });
    var lang = document.documentElement.lang;
    if (lang) { url.searchParams.set("lang", lang); }
    say(texts.loading, false);
    el.dataset.busy = "true";
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (answer) {
        expanded.add(id);
        var got = merge(answer);
        draw();
        select(id);
        var parts = [fill(texts.expanded, { added: got.added, shown: nodes.size })];
        if (answer.truncated) { parts.push(fill(texts.truncated, { limit: answer.limit })); }
        if (got.skipped) { parts.push(fill(texts.capped, { max: MAX_SHOWN, skipped: got.skipped })); }
        say(parts.join(" "), answer.truncated || got.skipped > 0);
      })
      .catch(function (err) { say(texts.failed + " " + err.message, true); })
      .finally(function () { delete el.dataset.busy; });
  }

  merge(data);
  expanded.add(data.center);
  draw();
  select(data.center);
  chart.on("click", function (p) { if (p.dataType === "node") { expand(p.data.id); } });
  if (rows) {
    rows.addEventListener("click", function (e) {
      var b = e.target.closest("button.expand");
      if (b) { expand(b.dataset.id); }
    });
  }
  window.addEventListener("resize", function () { chart.resize(); });
})();
