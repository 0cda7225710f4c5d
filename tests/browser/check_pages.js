// check_pages.js - loads bardo's pages in a real browser (Debian's
// chromium, headless, driven over the DevTools protocol by playwright-core)
// and checks what a reader sees. Any console error, page error or failed
// request fails the check; every wait is bounded.
//   node tests/browser/check_pages.js dashboard URL RUN_DIR OUT.png
//     URL: the dashboard through nginx (http://127.0.0.1:PORT/); RUN_DIR:
//     the run folder of that system (scripts/up.sh), whose store-c.pid is
//     killed to see the page mark a replica unreachable.
//   node tests/browser/check_pages.js report REPORT.html OUT.png
//     REPORT.html: a bardo-load report (the short stress run's).
// Prints "N passed, N failed"; exits 1 on any failure. Never downloads a
// browser: CHROMIUM (default /usr/bin/chromium) must be there.
"use strict";
const fs = require("fs");
const path = require("path");
const os = require("os");

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
// Without the background-networking flags chromium tries to reach the internet.
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--disable-default-apps", "--disable-dev-shm-usage", "--hide-scrollbars"];
const WAIT_MS = 20000;
// Polls (2 s each) before the dashboard's screenshot: scripts/screenshot.sh
// waits longer so the chart has a history.
const SHOT_POLLS = Math.max(3, +(process.env.DASHBOARD_SHOT_POLLS || 3));

let passed = 0, failed = 0;
function check(name, ok, detail) {
  if (ok) { passed++; console.log("ok   " + name); }
  else { failed++; console.log("FAIL " + name + (detail !== undefined ? ": " + JSON.stringify(detail).slice(0, 400) : "")); }
}

// Chromium with a fresh profile, and one page that records its problems.
async function openPage(width, height) {
  let chromium;
  try { ({ chromium } = require("playwright-core")); }
  catch (e) { throw new Error("playwright-core is missing: run scripts/deps.sh (npm ci in tests/browser)"); }
  if (!fs.existsSync(CHROMIUM)) throw new Error(CHROMIUM + " is missing: run scripts/deps.sh (Debian's chromium)");
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "bardo-chromium-"));
  const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true,
    args: ARGS, viewport: { width, height }, timeout: WAIT_MS });
  const page = ctx.pages()[0] || await ctx.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("requestfailed", (r) => problems.push("request failed: " + r.url() + " " + (r.failure() || {}).errorText));
  page.on("response", (r) => { if (r.status() >= 400) problems.push("HTTP " + r.status() + ": " + r.url()); });
  const close = async () => { await ctx.close(); fs.rmSync(profile, { recursive: true, force: true }); };
  return { page, problems, close };
}

// Texts a reader must never see where a value should be.
const BAD_TEXT = /(^|\s)(null|undefined|NaN|Infinity)(\s|$)/;

async function dashboardCards(page) {
  return page.$$eval("#cards .card", (cs) => cs.map((c) => ({ id: c.id, v: c.querySelector(".v").textContent })));
}

async function checkDashboardDrawn(page, status, created) {
  await page.waitForFunction((n) => +(document.body.dataset.polls || 0) >= n, SHOT_POLLS,
    { timeout: WAIT_MS + SHOT_POLLS * 2500 });
  const sampled = await page.waitForFunction(() => [...document.querySelectorAll("#instances tr")]
    .filter((r) => r.cells[0].textContent !== "instance" && +r.cells[4].textContent > 0).length >= 2,
  null, { timeout: WAIT_MS }).then(() => true, () => false);
  check("dashboard: /metrics of both API instances sampled", sampled,
    await page.$$eval("#instances tr", (rs) => rs.map((r) => r.textContent)));
  check("dashboard: says live", (await page.textContent("#state")) === "live");
  const cards = Object.fromEntries((await dashboardCards(page)).map((c) => [c.id, c.v]));
  const isNum = (v) => /^[0-9][0-9,]*(\.[0-9]+)?$/.test(v || "");
  const people = +(cards.c_people || "").replace(/,/g, "");
  check("dashboard: people card is a count >= the creates", isNum(cards.c_people) && people >= created, cards);
  for (const id of ["c_people_rate", "c_rps", "c_failovers"]) check("dashboard: card " + id + " is a number", isNum(cards[id]), cards);
  check("dashboard: create p99 card is a latency", /ms|s$/.test(cards.c_p99 || ""), cards);
  const nodes = await page.$$eval("#sites .node", (ns) => ns.map((n) => n.dataset.role));
  check("dashboard: 3 store nodes drawn", nodes.length === 3, nodes);
  check("dashboard: one primary, two replicas", nodes.filter((r) => r === "primary").length === 1 &&
    nodes.filter((r) => r === "replica").length === 2, nodes);
  check("dashboard: nodes sit in 3 sites", (await page.$$("#sites .site")).length === 3);
  const eps = await page.$$eval("#endpoints tr", (rs) => rs.map((r) => r.textContent));
  check("dashboard: endpoint table has create with a rate", eps.some((t) => /^create[0-9]/.test(t)), eps);
  const host = Object.fromEntries(await page.$$eval("#host tr", (rs) => rs.map((r) => [r.cells[0].textContent, r.cells[1].textContent])));
  const temp = (status.cpu || {}).temperature_celsius, prov = (status.cloud || {})["cloud.provider"];
  check("dashboard: temperature shown as the status says", temp === null ? host.temperature === "unknown" : /°C/.test(host.temperature), host);
  check("dashboard: cloud provider shown as the status says", prov === null ? host["cloud provider"] === "unknown" : host["cloud provider"] === prov, host);
  check("dashboard: CPU model shown", host.CPU === (status.cpu.cpu === null ? "unknown" : status.cpu.cpu), host);
  const texts = await page.$$eval("td, .card .v, .node", (es) => es.map((e) => e.textContent.trim()));
  check("dashboard: no blank, null or NaN value", texts.every((t) => t !== "" && !BAD_TEXT.test(t)), texts.filter((t) => t === "" || BAD_TEXT.test(t)));
  await page.waitForFunction(() => [...document.querySelectorAll("#chart polyline")]
    .filter((p) => p.getAttribute("points").split(" ").length >= 2).length === 2, null, { timeout: WAIT_MS }).catch(() => {});
  const lines = await page.$$eval("#chart polyline", (ps) => ps.map((p) => p.getAttribute("points")));
  check("dashboard: chart has two lines of >= 2 points, no NaN", lines.length === 2 &&
    lines.every((p) => p.split(" ").length >= 2 && !/NaN|undefined|Infinity/.test(p)), lines);
}

async function checkReplicaDown(page, runDir) {
  const pid = +fs.readFileSync(path.join(runDir, "store-c.pid"), "utf8");
  process.kill(pid, "SIGKILL");
  const seen = await page.waitForFunction(() => [...document.querySelectorAll("#sites .node.down")]
    .some((n) => n.dataset.role === "unreachable" && /store-c/.test(n.textContent)), null, { timeout: WAIT_MS })
    .then(() => true, () => false);
  check("dashboard: killed replica store-c marked unreachable", seen,
    await page.$$eval("#sites .node", (ns) => ns.map((n) => n.textContent)));
  const roles = await page.$$eval("#sites .node", (ns) => ns.map((n) => n.dataset.role));
  check("dashboard: still 3 nodes, primary kept", roles.length === 3 && roles.includes("primary"), roles);
}

// The API answers nothing for a while: the page says so and keeps polling.
async function checkPollFailure(page) {
  await page.route(/\/(status|metrics)$/, (r) => r.abort());
  const down = await page.waitForFunction(() => document.getElementById("state").textContent === "unreachable",
    null, { timeout: WAIT_MS }).then(() => true, () => false);
  check("dashboard: failed polls shown as unreachable", down);
  await page.unroute(/\/(status|metrics)$/);
  const back = await page.waitForFunction(() => document.getElementById("state").textContent === "live",
    null, { timeout: WAIT_MS }).then(() => true, () => false);
  check("dashboard: live again once the API answers", back);
}

async function dashboard(url, runDir, png) {
  const status = await (await fetch(new URL("/status", url))).json();
  const created = +(await (await fetch(new URL("/contagem-pessoas", url))).text());
  const { page, problems, close } = await openPage(1280, 900);
  try {
    const resp = await page.goto(url, { timeout: WAIT_MS });
    check("dashboard: GET / is 200 text/html", resp.status() === 200 && /^text\/html/.test(resp.headers()["content-type"]));
    check("dashboard: title", /bardo/.test(await page.title()));
    await checkDashboardDrawn(page, status, created);
    await page.screenshot({ path: png, fullPage: true });
    check("dashboard: screenshot saved " + png, fs.statSync(png).size > 10000);
    await checkReplicaDown(page, runDir);
    await page.screenshot({ path: png.replace(/\.png$/, "-replica-down.png"), fullPage: true });
    check("dashboard: no console error, page error or failed request", problems.length === 0, problems);
    await checkPollFailure(page);
  } finally { await close(); }
}

async function report(file, png) {
  const { page, problems, close } = await openPage(1280, 900);
  try {
    await page.goto("file://" + path.resolve(file), { timeout: WAIT_MS });
    await page.waitForFunction(() => document.getElementById("verdict").textContent.trim() !== "", null, { timeout: WAIT_MS });
    check("report: verdict shown", (await page.textContent("#verdict")).trim().length > 0);
    const cards = await page.$$eval("#cards .card", (cs) => cs.map((c) => c.textContent.trim()));
    check("report: cards drawn, none empty or NaN", cards.length >= 4 && cards.every((t) => t && !/NaN|undefined/.test(t)), cards);
    check("report: request table has rows", (await page.$$("#kinds tr")).length >= 2);
    for (const id of ["c_lat", "c_rps", "c_users"]) {
      const svg = await page.$eval("#" + id, (e) => {
        const s = e.querySelector("svg"), b = s ? s.getBoundingClientRect() : { width: 0 };
        return { lines: e.querySelectorAll("svg polyline").length, w: b.width, html: e.innerHTML.slice(0, 20000) };
      });
      check("report: chart " + id + " drawn (visible svg, lines, no NaN)", svg.lines > 0 && svg.w > 100 &&
        !/NaN|undefined|Infinity/.test(svg.html), { lines: svg.lines, w: svg.w });
    }
    await page.screenshot({ path: png, fullPage: true });
    check("report: screenshot saved " + png, fs.statSync(png).size > 10000);
    check("report: no console error, page error or failed request", problems.length === 0, problems);
  } finally { await close(); }
}

async function main() {
  const [what, ...args] = process.argv.slice(2);
  if (what === "dashboard" && args.length === 3) await dashboard(...args);
  else if (what === "report" && args.length === 2) await report(...args);
  else throw new Error("usage: check_pages.js dashboard URL RUN_DIR OUT.png | report REPORT.html OUT.png");
}

main().catch((e) => { failed++; console.log("FAIL " + (e.stack || e)); }).finally(() => {
  console.log(passed + " passed, " + failed + " failed");
  process.exitCode = failed ? 1 : 0;
});
