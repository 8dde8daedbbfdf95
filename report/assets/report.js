// Draws the report from DATA with uPlot. Sets data-charts on <body> to the
// number of charts drawn, data-errors to the errors caught, and
// data-resources to the resources the page loaded (always 0: the page's
// Content-Security-Policy forbids every load).
(function () {
  const body = document.body;
  let errors = 0;
  window.addEventListener("error", function () { errors++; body.dataset.errors = errors; });
  document.addEventListener("securitypolicyviolation", function () { errors++; body.dataset.errors = errors; });

  function text(id, s) { document.getElementById(id).textContent = s; }
  function table(id, rows) {
    const t = document.getElementById(id);
    if (!rows || rows.length === 0) { t.textContent = "none"; return; }
    for (const [k, v] of rows) {
      const tr = t.insertRow();
      tr.insertCell().textContent = k;
      tr.insertCell().textContent = v;
    }
  }
  text("title", DATA.title);
  for (const n of DATA.notes || []) {
    const p = document.createElement("p");
    p.className = "note";
    p.textContent = n;
    document.getElementById("notes").appendChild(p);
  }
  table("summary", DATA.summary);
  table("config", DATA.config);
  table("status", DATA.status);
  table("errors", DATA.errors);

  const width = Math.min(1000, window.innerWidth - 48);
  const colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
  let charts = 0;
  function chart(id, opts, data) {
    new uPlot(Object.assign({ width: width, height: 300 }, opts), data, document.getElementById(id));
    charts++;
  }
  function pct(x) { // 1/(1-p) -> "99.9%"
    if (!(x >= 1)) return "";
    const digits = Math.max(0, Math.ceil(Math.log10(x) - 1e-9) - 2);
    return (100 * (1 - 1 / x)).toFixed(digits) + "%";
  }
  const sp = DATA.spectrum;
  chart("spectrum", {
    scales: { x: { time: false, distr: 3, range: [1, 100000] } },
    axes: [{
      splits: function () { return [1, 10, 100, 1000, 10000, 100000]; },
      values: function (u, vs) { return vs.map(pct); },
      label: "percentile (log scale of 1/(1-p))",
    }, { label: "ms" }],
    series: [{ label: "percentile", value: function (u, v) { return v == null ? "" : pct(v); } }].concat(
      sp.names.map(function (n, i) { return { label: n, stroke: colors[i % colors.length], width: i < 2 ? 2 : 1 }; })),
  }, [sp.x].concat(sp.series));

  if (DATA.times && DATA.times.length > 0) {
    chart("rps", { series: [{}, { label: "requests/s", stroke: colors[0], width: 2 }], axes: [{}, { label: "req/s" }] },
      [DATA.times, DATA.rps]);
    chart("lat", {
      series: [{}].concat(["p50", "p90", "p99", "max"].map(function (n, i) { return { label: n, stroke: colors[i], width: 2 }; })),
      axes: [{}, { label: "ms" }],
    }, [DATA.times].concat(DATA.lat));
  } else {
    text("rps", "no intervals in this run (run with --interval, --stream or --html)");
    text("lat", "no intervals in this run");
  }
  body.dataset.charts = charts;
  body.dataset.resources = performance.getEntriesByType("resource").length;
  body.dataset.errors = errors;
})();
