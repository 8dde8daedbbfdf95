// Draws the report from DATA with uPlot. Sets data-charts on <body> to the
// number of charts drawn, data-errors to the errors caught, and
// data-resources to the resources the page loaded (always 0: the page's
// Content-Security-Policy forbids every load). What each chart plots (its
// uPlot data, as drawn) is written as JSON into <pre id="plotted">, so
// that a test can read the plotted series back from the page.
(function () {
  const body = document.body;
  let errors = 0;
  window.addEventListener("error", function () { errors++; body.dataset.errors = errors; });
  document.addEventListener("securitypolicyviolation", function () { errors++; body.dataset.errors = errors; });

  function text(id, s) { document.getElementById(id).textContent = s; }
  function table(id, rows) {
    const t = document.getElementById(id);
    if (!rows || rows.length === 0) { t.textContent = "none"; return; }
    for (const row of rows) {
      const tr = t.insertRow();
      for (const v of row) tr.insertCell().textContent = v;
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
  if (DATA.steps && DATA.steps.length > 0) {
    table("steps", DATA.steps);
    document.getElementById("stepsBlock").hidden = false;
  }
  if (DATA.phases && DATA.phases.length > 0) {
    table("phases", DATA.phases);
    document.getElementById("phasesNote").textContent = DATA.phasesNote || "";
    document.getElementById("phasesBlock").hidden = false;
  }
  if (DATA.targets && DATA.targets.length > 0) {
    table("targets", DATA.targets);
    document.getElementById("targetsBlock").hidden = false;
  }

  const width = Math.min(1000, window.innerWidth - 48);
  const colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const plotted = {};
  let charts = 0;
  function chart(id, opts, data) {
    const u = new uPlot(Object.assign({ width: width, height: 300 }, opts), data, document.getElementById(id));
    plotted[id] = u.data;
    charts++;
  }
  function pct(x) { // 1/(1-p) -> "99.9%"
    if (!(x >= 1)) return "";
    const digits = Math.max(0, Math.ceil(Math.log10(x) - 1e-9) - 2);
    return (100 * (1 - 1 / x)).toFixed(digits) + "%";
  }
  const sp = DATA.spectrum;
  chart("spectrum", {
    scales: { x: { time: false, distr: 3, range: [1, 100000] }, y: { range: fromZero } },
    axes: [{
      splits: function () { return [1, 10, 100, 1000, 10000, 100000]; },
      values: function (u, vs) { return vs.map(pct); },
      label: "percentile (log scale of 1/(1-p))",
    }, { label: "ms" }],
    series: [{ label: "percentile", value: function (u, v) { return v == null ? "" : pct(v); } }].concat(
      sp.names.map(function (n, i) {
        const s = { label: n, stroke: colors[i % colors.length], width: i < sp.bold ? 2 : 1 };
        if (i === sp.due) { // a lower bound reads ">= " in the legend
          s.dash = [8, 4];
          s.value = function (u, v, si, di) { return v == null ? "" : (di != null && sp.dueLower[di] ? ">= " : "") + +v.toFixed(3); };
        }
        return s;
      })),
  }, [sp.x].concat(sp.series));

  // Every axis of a rate or a latency starts at 0, so that a line's height
  // is its size.
  function fromZero(u, min, max) { return [0, max > 0 ? max * 1.05 : 1]; }
  function secs(u, vs) { return vs.map(function (v) { return v == null ? "" : +v.toFixed(3) + "s"; }); }
  const timeX = { time: false };
  const timeAxis = { label: "seconds since the start (each point: the interval of " + +DATA.interval.toFixed(3) + "s that ends there)", values: secs };
  const timeSeries = { label: "time", value: function (u, v) { return v == null ? "" : +v.toFixed(3) + "s"; } };
  function overTime(id, unit, names, series, styles) {
    chart(id, {
      scales: { x: timeX, y: { range: fromZero } },
      axes: [timeAxis, { label: unit }],
      series: [timeSeries].concat(names.map(function (n, i) {
        return Object.assign({ label: n, stroke: colors[i % colors.length], width: 2 }, styles ? styles[i] : {});
      })),
    }, [DATA.times].concat(series));
  }
  if (DATA.times && DATA.times.length > 0) {
    const rps = [DATA.rps], names = ["requests/s"], styles = [{}];
    if (DATA.target && DATA.target.some(function (v) { return v != null; })) {
      rps.push(DATA.target);
      names.push("target/s");
      styles.push({ stroke: "#888", dash: [6, 4], width: 1.5 });
    }
    overTime("rps", "req/s", names, rps, styles);
    overTime("lat", "ms", ["p50", "p90", "p99", "max"], DATA.lat);
    if ((DATA.codes.names || []).length > 0) overTime("codes", "responses/s", DATA.codes.names, DATA.codes.series);
    else text("codes", "no responses");
    if ((DATA.errRate.names || []).length > 0) overTime("errRate", "errors/s", DATA.errRate.names, DATA.errRate.series);
    else text("errRate", "no errors");
  } else {
    for (const id of ["rps", "lat", "codes", "errRate"]) text(id, "no intervals in this run (run with --interval, --stream or --html)");
  }
  document.getElementById("plotted").textContent = JSON.stringify(plotted);
  body.dataset.charts = charts;
  body.dataset.resources = performance.getEntriesByType("resource").length;
  body.dataset.errors = errors;
})();
