// Opens an omni report.html in headless Chromium and fails (exit 1) when the page is blank, has a
// script error or a console error, asks for any resource other than the file itself, or misses a
// section. Writes a full-page screenshot (PNG) and a print rendering (PDF) for people to look at.
//
// Usage: node check.mjs REPORT_HTML SCREENSHOT_PNG [PDF]
// Environment: CHROMIUM (default /usr/bin/chromium).

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const [htmlArg, pngArg, pdfArg] = process.argv.slice(2);
if (!htmlArg || !pngArg) {
  console.error("usage: node check.mjs REPORT_HTML SCREENSHOT_PNG [PDF]");
  process.exit(2);
}
const fileUrl = pathToFileURL(resolve(htmlArg)).href;
const SECTIONS = [
  "headline", "match-rate", "overlap", "channels", "cluster-sizes", "quality", "largest",
  "reachability", "transactions", "campaign", "guards", "definitions",
];

const problems = [];
const profile = mkdtempSync(join(tmpdir(), "omni-browser-check-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
  viewport: { width: 1200, height: 900 },
  deviceScaleFactor: 1,
  offline: true,
});
try {
  // Every request the page makes is recorded and refused, except the report file itself.
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url === fileUrl) return route.continue();
    problems.push(`network request: ${url}`);
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (err) => problems.push(`script error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
  });
  page.on("requestfailed", (req) => {
    if (req.url() !== fileUrl) problems.push(`failed request: ${req.url()}`);
  });
  const response = await page.goto(fileUrl, { waitUntil: "load" });
  if (!response || !response.ok()) problems.push(`could not open ${fileUrl}`);

  const facts = await page.evaluate((sections) => {
    const body = document.body;
    const text = body ? body.innerText : "";
    const charts = [...document.querySelectorAll("svg.chart")];
    return {
      textLength: text.trim().length,
      height: document.documentElement.scrollHeight,
      scripts: document.querySelectorAll("script").length,
      charts: charts.length,
      emptyCharts: charts.filter((c) => {
        const r = c.getBoundingClientRect();
        return r.width < 100 || r.height < 30 || c.querySelectorAll("rect").length === 0;
      }).length,
      missing: sections.filter((id) => !document.getElementById(id)),
      charset: document.characterSet,
      hasCyrillic: /[а-яё]/i.test(text),
    };
  }, SECTIONS);
  if (facts.textLength < 500) problems.push(`blank page: ${facts.textLength} characters of text`);
  if (facts.scripts > 0) problems.push(`${facts.scripts} <script> elements`);
  if (facts.charts < 5) problems.push(`only ${facts.charts} charts`);
  if (facts.emptyCharts > 0) problems.push(`${facts.emptyCharts} charts drawn empty`);
  if (facts.missing.length) problems.push(`missing sections: ${facts.missing.join(", ")}`);
  if (facts.charset !== "UTF-8") problems.push(`charset ${facts.charset}`);

  await page.screenshot({ path: pngArg, fullPage: true });
  if (statSync(pngArg).size < 20_000) problems.push(`screenshot suspiciously small`);
  if (pdfArg) {
    await page.emulateMedia({ media: "print" });
    await page.pdf({ path: pdfArg, format: "A4", printBackground: true });
  }
  console.log(
    `browser-check: ${fileUrl}: ${facts.textLength} characters, ${facts.charts} charts, ` +
      `${facts.height}px tall, Cyrillic text ${facts.hasCyrillic ? "present" : "absent"}; ` +
      `screenshot ${pngArg}${pdfArg ? `, print ${pdfArg}` : ""}`,
  );
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
if (problems.length) {
  for (const p of problems) console.error(`browser-check: FAIL: ${p}`);
  process.exit(1);
}
console.log("browser-check: ok (no script errors, no network requests, every section drawn)");
