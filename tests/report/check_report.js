// check_report.js - runs the script of bardo-load's HTML report (as a
// browser would, against a stub DOM) and checks what a reader sees: the
// verdict, the cards, the tables and the three charts. A JavaScript error
// would leave the report blank in a browser; here it fails the test.
//   node tests/report/check_report.js REPORT.html TEMPLATE.html
// REPORT.html: a report written by bardo-load (the short stress run's).
// TEMPLATE.html: src/load/report.html, filled here with a failing run's
// data (KOs, a second with no response, a count above the 201s seen).
// Prints "N passed, N failed"; exits 1 on any failure.
"use strict";
const fs = require("fs");
const vm = require("vm");

let passed = 0, failed = 0;
function check(name, ok, detail) {
  if (ok) passed++;
  else { failed++; console.log("FAIL " + name + (detail ? ": " + detail : "")); }
}

// Runs the page's inline script; returns the innerHTML of every element.
function render(html) {
  const m = html.match(/<script>([\s\S]*)<\/script>/);
  if (!m) throw new Error("no <script> in the page");
  const els = {};
  const document = { getElementById: (id) => (els[id] = els[id] || { innerHTML: "" }) };
  vm.runInNewContext(m[1], { document, console });
  const out = {};
  for (const [id, e] of Object.entries(els)) out[id] = e.innerHTML;
  return out;
}

function count(s, re) { return (s.match(re) || []).length; }

function checkCommon(name, page) {
  check(name + ": verdict", /PASS|FAIL/.test(page.verdict || ""), page.verdict);
  check(name + ": 9 cards", count(page.cards || "", /class="card"/g) === 9);
  check(name + ": perfect count card", /perfect count/.test(page.cards || ""), page.cards);
  const tables = Object.values(page).filter((h) => /<table|<tr/.test(h)).join("");
  check(name + ": request table has the four kinds", ["POST /pessoas", "GET /pessoas/&lt;id&gt;",
    "GET /pessoas?t=", "GET /pessoas (no t)"].every((k) => tables.includes(k)), tables.slice(0, 200));
  for (const id of ["c_lat", "c_rps", "c_users"]) {
    const svg = page[id] || "";
    check(name + ": chart " + id, svg.startsWith("<svg") && count(svg, /<polyline/g) > 0 &&
      !/NaN|undefined|Infinity/.test(svg), svg.slice(0, 120));
  }
}

function row(sec, ok, ko, p50) {  // second, arrivals, sent, ok, ko, users, p50..max
  return [sec, 10, ok + ko, ok, ko, 5, p50, p50 * 2, p50 * 3, p50 * 4];
}

function failingRun(template, over) {
  const kind = (name, label) => ({ name, label, requests: 30, ok: 20, ko: 10, min_ms: 0.1, p50_ms: 1,
    p75_ms: 2, p95_ms: 3, p99_ms: 4, max_ms: 5, mean_ms: 1.5, mean_rps: 3, lt_800ms: 20, lt_1200ms: 0,
    ge_1200ms: 0, ko_status: 0, ko_timeout: 0, ko_connection: 10 });
  const d = { tool: "bardo-load", url: "http://127.0.0.1:9999", label: "synthetic", scale: 2,
    time_scale: 1, duration_s: 4.2, planned_s: 4, interrupted: false, requests: 120, ok: 80, ko: 40,
    min_ms: 0.1, p50_ms: 1, p75_ms: 2, p95_ms: 3, p99_ms: 4, max_ms: 5, mean_ms: 1.5, mean_rps: 28,
    lt_800ms: 80, lt_1200ms: 0, ge_1200ms: 0, ko_status: 0, ko_timeout: 0, ko_connection: 40,
    created_201: 20, count_after: 23, count_matches: false, perfect_count: 21, perfect_creations: 30,
    kinds: [kind("criação", "POST /pessoas"), kind("consulta", "GET /pessoas/<id>"),
      kind("busca válida", "GET /pessoas?t=<termo>"), kind("busca inválida", "GET /pessoas (no t)")],
    load: { cpu_s: 0.1, cpu_ms_per_1000_requests: 1, peak_in_flight: 3, peak_connections: 3,
      connections_opened: 9, max_arrival_lateness_ms: 1, connections: "per-user", procedural: true, seed: 1 },
    series: [row(0, 30, 0, 1), row(1, 0, 0, 0), row(2, 30, 20, 2), row(3, 20, 20, 3), row(4, 0, 0, 0)] };
  return template.replace("/*@DATA@*/", JSON.stringify(Object.assign(d, over || {})));
}

function main() {
  const [reportPath, templatePath] = process.argv.slice(2);
  if (!reportPath || !templatePath) {
    console.log("usage: node check_report.js REPORT.html TEMPLATE.html");
    process.exit(2);
  }
  const real = render(fs.readFileSync(reportPath, "utf8"));
  checkCommon("short run", real);
  check("short run: passed", /PASS/.test(real.verdict), real.verdict);

  const fail = render(failingRun(fs.readFileSync(templatePath, "utf8")));
  checkCommon("failing run", fail);
  check("failing run: verdict says FAIL with the KOs", /FAIL: 40 KO/.test(fail.verdict), fail.verdict);
  check("failing run: verdict explains the extra count", /3 more counted/.test(fail.verdict), fail.verdict);
  check("failing run: verdict names the perfect count", /perfect count 21/.test(fail.verdict), fail.verdict);
  // the second with no response is a gap: each latency series is cut in two
  check("failing run: latency gap", count(fail.c_lat, /<polyline/g) === 8, fail.c_lat.slice(0, 200));

  // 0 KO and the count equal to the 201s, but short of the perfect count
  const short = render(failingRun(fs.readFileSync(templatePath, "utf8"),
    { ko: 0, count_after: 20, count_matches: true }));
  check("short of perfect: FAIL", /FAIL: 0 KO.*perfect count 21/.test(short.verdict), short.verdict);

  console.log(passed + " passed, " + failed + " failed");
  process.exit(failed ? 1 : 0);
}

main();
