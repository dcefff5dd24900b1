/* cultrade dashboard: charts (Apache ECharts), the world map, language-aware formats, live alerts.
 * Data come from <script id="page-data" type="application/json"> rendered by the server.
 * window.__chartsReady is set (and performance mark "charts-ready") when every chart has rendered. */
(function () {
  "use strict";
  var page = JSON.parse(document.getElementById("page-data").textContent || "{}");
  var lang = page.lang || document.documentElement.lang || "en";
  var msgs = page.messages || {};
  window.__chartsReady = false;

  function t(key, values) {
    var s = msgs[key] || key;
    if (values) Object.keys(values).forEach(function (k) { s = s.split("{" + k + "}").join(values[k]); });
    return s;
  }

  var nf = {
    decimal: new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }),
    compact: new Intl.NumberFormat(lang, { notation: "compact", maximumFractionDigits: 1 }),
    percent: new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 }),
    money: new Intl.NumberFormat(lang, { style: "currency", currency: "USD", notation: "compact", maximumFractionDigits: 1 })
  };
  var dtf = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  function fmt(kind) {
    var f = nf[kind] || nf.decimal;
    return function (v) {
      if (v && typeof v === "object" && "value" in v) v = v.value;
      if (Array.isArray(v)) v = v[0];
      return v === null || v === undefined || v === "-" || isNaN(v) ? "–" : f.format(v);
    };
  }
  window.cultradeFormat = { t: t, number: nf, date: dtf };

  /* Replace "fmt:<kind>" markers in an ECharts option by formatter functions. */
  function hydrate(node) {
    if (Array.isArray(node)) { node.forEach(hydrate); return node; }
    if (node && typeof node === "object") {
      Object.keys(node).forEach(function (k) {
        var v = node[k];
        if (typeof v === "string" && v.indexOf("fmt:") === 0) {
          node[k] = v === "fmt:map" ? mapTooltip : v === "fmt:tip" ? itemTooltip : fmt(v.slice(4));
        } else hydrate(v);
      });
    }
    return node;
  }
  function mapTooltip(p) {
    var d = p.data;
    if (!d) return p.name;
    var score = d.value && d.value[0] !== null ? nf.decimal.format(d.value[0]) : t("js.no_score");
    return "<b>" + escapeHtml(d.label_text || p.name) + "</b><br>" + t("js.score") + ": " + score +
      "<br>" + t("js.band") + ": " + escapeHtml(d.band_text || "–");
  }
  function itemTooltip(p) {
    return escapeHtml((p.data && p.data.tip) || p.name || "");
  }
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  var pending = 0;
  var charts = [];
  function done() {
    pending -= 1;
    if (pending <= 0 && !window.__chartsReady) {
      window.__chartsReady = true;
      document.body.setAttribute("data-charts-ready", "1");
      if (performance.mark) performance.mark("charts-ready");
    }
  }
  function renderChart(el, option, renderer) {
    var chart = echarts.init(el, null, { renderer: renderer || "canvas", locale: lang === "zh-CN" ? "ZH" : "EN" });
    var finished = false;
    chart.on("finished", function () { if (!finished) { finished = true; done(); } });
    chart.setOption(hydrate(option));
    charts.push(chart);
    return chart;
  }

  function initCharts() {
    var specs = page.charts || {};
    var els = Array.prototype.slice.call(document.querySelectorAll("[data-chart]"));
    els = els.filter(function (el) { return specs[el.getAttribute("data-chart")]; });
    if (!els.length || typeof echarts === "undefined") { pending = 0; done(); return; }
    pending = els.length;
    var renderer = page.renderer || "canvas";
    els.forEach(function (el) {
      var name = el.getAttribute("data-chart");
      if (name === "map") initMap(el, specs[name]);
      else renderChart(el, specs[name], renderer);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  function initMap(el, option) {
    fetch(page.topology).then(function (r) { return r.json(); }).then(function (topo) {
      var geo = topojson.feature(topo, topo.objects.countries);
      geo.features.forEach(function (f) {
        f.properties = f.properties || {};
        f.properties.iso3 = (page.m49 || {})[String(f.id).padStart(3, "0")] || ("N" + f.id);
      });
      geo.features = geo.features.filter(function (f) { return f.properties.name !== "Antarctica"; });
      geo.features.forEach(fixAntimeridian);
      echarts.registerMap("world", geo);
      var chart = renderChart(el, option, "canvas");
      chart.on("click", function (p) {
        if (!p.name || p.name.charAt(0) === "N") return;
        var q = new URLSearchParams({ home: page.perspective.home, domain: page.perspective.domain });
        window.location.href = "/country/" + p.name + "?" + q.toString();
      });
    }).catch(function () { done(); });
  }

  /* Rings crossing the antimeridian (Russia, Fiji) would streak across the map: shift their west part east. */
  function fixAntimeridian(f) {
    var g = f.geometry;
    if (!g) return;
    var polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    polys.forEach(function (poly) {
      poly.forEach(function (ring) {
        var west = false, east = false;
        ring.forEach(function (p) { if (p[0] < -150) west = true; if (p[0] > 150) east = true; });
        if (west && east) ring.forEach(function (p) { if (p[0] < 0) p[0] += 360; });
      });
    });
  }

  /* -- login: POST /api/v1/session when the REST API is there, else the plain form post -- */
  function initLogin() {
    var form = document.getElementById("login-form");
    if (!form || !page.session_url) return;
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var key = form.elements.key.value.trim();
      fetch(page.session_url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify({ key: key })
      }).then(function (r) {
        if (r.ok) window.location.href = form.elements.next.value || "/";
        else if (r.status === 404 || r.status === 405) form.submit();
        else document.getElementById("login-error").classList.remove("hidden");
      }).catch(function () { form.submit(); });
    });
  }

  /* -- alerts: poll, acknowledge, silence; event and outlook alerts apart; the feed's badge -- */
  function initAlerts() {
    var bodies = Array.prototype.slice.call(document.querySelectorAll(".alerts-body"));
    if (!bodies.length || !page.alerts_url) return;
    var onlyActive = document.getElementById("only-active");
    var last = null;
    var labels = {};
    Array.prototype.forEach.call(document.querySelectorAll("#alerts-body-table thead th"), function (th, i) { labels[i] = th.textContent; });
    function actionButtons(a) {
      if (!page.can_write) return "";
      var html = "";
      if (!a.acked && a.state !== "resolved" && a.state !== "inactive")
        html += '<button class="ack" data-id="' + escapeHtml(a.id) + '">' + escapeHtml(t("js.ack")) + "</button> ";
      if (a.state !== "resolved" && a.state !== "inactive")
        html += '<button class="silence secondary" data-id="' + escapeHtml(a.id) + '">' + escapeHtml(t("js.silence")) + "</button>";
      return html;
    }
    function cell(i, html, cls) { return '<td data-label="' + escapeHtml(labels[i] || "") + '"' + (cls ? ' class="' + cls + '"' : "") + ">" + html + "</td>"; }
    function row(a) {
      var since = a.since ? dtf.format(new Date(a.since)) : "–";
      var country = a.iso3 ? '<a href="/country/' + encodeURIComponent(a.iso3) + '">' + escapeHtml(a.country) + "</a>" : "–";
      var ack = a.acked ? escapeHtml(t("js.acked_by", { name: a.acked_by })) : "–";
      var state = escapeHtml(a.state_text) + (a.stale ? ' <span class="pill">' + escapeHtml(t("js.as_of_last_slice")) + "</span>" : "");
      return '<tr data-id="' + escapeHtml(a.id) + '" data-state="' + escapeHtml(a.state) + '" class="' + (a.acked ? "acked" : "") + (a.stale ? " stale" : "") + '">' +
        cell(0, escapeHtml(a.rule_text)) + cell(1, country) + cell(2, '<span class="sev sev-' + escapeHtml(a.severity) + '">' + escapeHtml(a.severity_text) + "</span>") +
        cell(3, state) + cell(4, escapeHtml(a.fired), "num") + cell(5, escapeHtml(a.why), "why") + cell(6, since) + cell(7, ack, "ack-cell") +
        '<td class="actions">' + actionButtons(a) + "</td></tr>";
    }
    function drawFeed(feed) {
      var el = document.getElementById("feed");
      if (!feed || !el) return;
      el.className = "feed feed-" + feed.state;
      el.setAttribute("data-state", feed.state);
      document.getElementById("feed-text").textContent = feed.text;
      document.getElementById("feed-detail").textContent = feed.detail || "";
    }
    function draw() {
      if (!last) return;
      bodies.forEach(function (body) {
        var cat = body.getAttribute("data-category");
        var rows = last.alerts.filter(function (a) { return a.category === cat && (!onlyActive.checked || ["firing", "pending", "nodata"].indexOf(a.state) >= 0); });
        body.innerHTML = rows.length ? rows.map(row).join("") : '<tr class="empty"><td colspan="9" class="muted">' + escapeHtml(t("js.no_alerts")) + "</td></tr>";
      });
      drawFeed(last.feed);
      var sb = document.getElementById("silences-body");
      sb.innerHTML = last.silences.length ? last.silences.map(function (s) {
        return "<tr><td><code>" + escapeHtml(s.matchers) + "</code></td><td>" + escapeHtml(s.author) + "</td><td>" +
          escapeHtml(s.reason) + "</td><td>" + dtf.format(new Date(s.ends_at + (s.ends_at.endsWith("Z") ? "" : "Z"))) + "</td></tr>";
      }).join("") : '<tr class="empty"><td colspan="4" class="muted">' + escapeHtml(t("js.no_silences")) + "</td></tr>";
    }
    function poll() {
      fetch(page.alerts_url + "?lang=" + encodeURIComponent(lang), { credentials: "same-origin", cache: "no-store" }).then(function (r) {
        if (r.status === 401) { window.location.href = "/login?next=/alerts"; return null; }
        return r.json();
      }).then(function (data) {
        if (!data) return;
        last = data; draw();
        document.getElementById("updated").textContent = t("js.updated", { time: dtf.format(new Date()) });
        document.body.setAttribute("data-alerts-loaded", "1");
      }).catch(function () { var f = document.getElementById("feed"); if (f) f.classList.add("unreachable"); });
    }
    function showError(msg) { var e = document.getElementById("action-error"); e.textContent = msg; e.classList.remove("hidden"); }
    function post(url, payload) {
      return fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": page.csrf || "" }, body: JSON.stringify(payload)
      }).then(function (r) {
        if (!r.ok) return r.json().catch(function () { return {}; }).then(function (b) { throw new Error(b.message || r.status); });
        return r.json();
      });
    }
    bodies.forEach(function (body) {
      body.addEventListener("click", function (ev) {
        var b = ev.target.closest("button");
        if (!b) return;
        b.disabled = true;
        if (b.classList.contains("ack")) {
          post(page.ack_url.replace("{id}", encodeURIComponent(b.getAttribute("data-id"))), { comment: t("js.ack_comment") })
            .then(poll).catch(function (e) { b.disabled = false; showError(t("js.action_failed", { error: e.message })); });
        } else if (b.classList.contains("silence")) {
          post(page.silence_url.replace("{id}", encodeURIComponent(b.getAttribute("data-id"))),
            { reason: t("js.silence_reason"), duration_hours: 24 })
            .then(poll).catch(function (e) { b.disabled = false; showError(t("js.action_failed", { error: e.message })); });
        }
      });
    });
    onlyActive.addEventListener("change", draw);
    poll();
    setInterval(poll, page.poll_ms || 5000);
  }

  /* The trade page's country picker changes the path. */
  function initTradeForm() {
    var form = document.getElementById("trade-form");
    if (!form) return;
    form.addEventListener("submit", function () {
      var sel = document.getElementById("trade-country");
      form.action = "/trade/" + encodeURIComponent(sel.value);
      sel.disabled = true;
    });
  }

  /* Tables with class "sortable": a click on a header sorts by its cells' data-sort values (numbers first). */
  function initSortable() {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
      Array.prototype.forEach.call(table.querySelectorAll("th"), function (th, col) {
        th.setAttribute("role", "button");
        th.tabIndex = 0;
        function sort() {
          var body = table.tBodies[0];
          var asc = th.getAttribute("aria-sort") !== "ascending";
          Array.prototype.forEach.call(table.querySelectorAll("th"), function (h) { h.removeAttribute("aria-sort"); });
          th.setAttribute("aria-sort", asc ? "ascending" : "descending");
          var rows = Array.prototype.slice.call(body.rows);
          function key(r) {
            var c = r.cells[col]; var v = c ? c.getAttribute("data-sort") : null;
            if (v === null || v === "") return null;
            var n = Number(v); return isNaN(n) ? v : n;
          }
          rows.sort(function (a, b) {
            var x = key(a), y = key(b);
            if (x === null) return 1; if (y === null) return -1;
            return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
          });
          rows.forEach(function (r) { body.appendChild(r); });
        }
        th.addEventListener("click", sort);
        th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
      });
    });
  }

  function start() { initCharts(); initLogin(); initAlerts(); initTradeForm(); initSortable(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
