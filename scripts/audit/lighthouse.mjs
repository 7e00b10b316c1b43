// Lighthouse (mobile, its default simulated throttling) over the page, offline: Debian's
// Chromium ($CHROME_PATH), nothing fetched but the local run. Usage:
//   node lighthouse.mjs <url> <session JSON or ""> <out.json>
// A session is put into the tab's sessionStorage first (as the page keeps it), so a
// signed-in screen such as the device list is measured as a person sees it.
import fs from "node:fs";
import lighthouse from "lighthouse";
import puppeteer from "puppeteer-core";

const [url, session, out] = process.argv.slice(2);
const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check"],
});
try {
  const page = await browser.newPage();
  if (session) {
    await page.goto(new URL("/", url).href);
    await page.evaluate((value) => sessionStorage.setItem("hamta.session", value), session);
  }
  const result = await lighthouse(url, {
    output: "json",
    logLevel: "error",
    disableStorageReset: Boolean(session), // keep the tab's session for a signed-in screen
    onlyCategories: ["performance", "accessibility", "best-practices", "seo"],
  }, undefined, page);
  const lhr = result.lhr;
  const scores = Object.fromEntries(Object.entries(lhr.categories).map(([id, c]) => [id, Math.round(c.score * 100)]));
  const failing = Object.values(lhr.audits)
    .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode !== "informative" && a.scoreDisplayMode !== "manual")
    .map((a) => ({ id: a.id, score: a.score, value: a.displayValue || "" }));
  const metrics = Object.fromEntries(["first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
    "cumulative-layout-shift", "speed-index"].map((id) => [id, lhr.audits[id]?.numericValue]));
  // What the measured screen was (the device list needs the session to have held).
  const heading = await page.evaluate(() => document.querySelector("#screen h1")?.textContent || "");
  fs.writeFileSync(out, JSON.stringify({ url, heading, scores, metrics, failing, runtimeError: lhr.runtimeError || null }, null, 2));
} finally {
  await browser.close();
}
