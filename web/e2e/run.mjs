// The browser test: GraphiQL and the analytics page in headless Chromium, driven by
// playwright-core, against a running session-analytics with the demo data.
//
//   BASE_URL=http://127.0.0.1:PORT [INGEST_TOKEN=...] [ARTIFACTS_DIR=...] node e2e/run.mjs
//
// .ci/browser starts the server, mints the INGEST token and runs this. Every request
// the pages make to a host other than the server is aborted and reported as a failure;
// screenshots (desktop and phone) are written to ARTIFACTS_DIR.
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const BASE_URL = process.env.BASE_URL;
if (!BASE_URL) {
  console.error("BASE_URL is not set (e.g. http://127.0.0.1:8000)");
  process.exit(2);
}
const base = new URL(BASE_URL);
if (base.hostname !== "127.0.0.1") {
  console.error(`BASE_URL must be on 127.0.0.1, not ${base.hostname}`);
  process.exit(2);
}
const ARTIFACTS = resolve(process.env.ARTIFACTS_DIR ?? join(here, "..", "..", "ci-artifacts"));
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const INGEST_TOKEN = process.env.INGEST_TOKEN ?? "";
const EMAIL = "super.admin@example.com";
const PASSWORD = "demo-password";
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const TIMEOUT = 20_000;

mkdirSync(ARTIFACTS, { recursive: true });

const results = { passed: 0, failed: 0, skipped: 0 };
const screenshots = [];
/** Requests and sockets to any host but the server's: must stay empty. */
const foreign = [];
/** Every WebSocket the pages opened. */
const sockets = [];
/** Page errors, console errors and CSP violations: must stay empty. */
const problems = [];

class Skip extends Error {}

async function check(name, body) {
  const started = Date.now();
  try {
    await body();
    results.passed += 1;
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    if (error instanceof Skip) {
      results.skipped += 1;
      console.log(`SKIPPED: ${error.message}`);
      return;
    }
    results.failed += 1;
    console.log(`FAIL ${name}: ${error?.stack ?? error}`);
  }
}

/** Ends the check as skipped: it neither passes nor fails. */
function skip(message) {
  throw new Skip(message);
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function waitFor(predicate, message, timeout = TIMEOUT) {
  const until = Date.now() + timeout;
  let last;
  while (Date.now() < until) {
    last = await predicate();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out: ${message}`);
}

/** A request from this script to the server (not the browser's). */
async function api(query, variables = {}, token) {
  const response = await fetch(new URL("/graphql", base), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new Error(`${query.slice(0, 40)}…: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function shot(page, name, fullPage = true) {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage });
  screenshots.push(path);
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  // Root in CI: Chromium's sandbox needs user namespaces it may not have there.
  // No other host can even be resolved: every name but 127.0.0.1 fails to look up.
  // Chromium's own background traffic (updates, sync, field trials) is off too.
  args: [
    "--no-sandbox",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

async function newPage(viewport, phone = false) {
  const context = await browser.newContext({
    viewport,
    deviceScaleFactor: phone ? 2 : 1,
    isMobile: phone,
    hasTouch: phone,
    locale: "en-US",
    timezoneId: "UTC",
    acceptDownloads: true,
    serviceWorkers: "block",
  });
  // Anything not for the server is aborted, and remembered.
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.host === base.host) return route.continue();
    foreign.push(url.href);
    return route.abort("blockedbyclient");
  });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("websocket", (socket) => {
    sockets.push(socket.url());
    if (new URL(socket.url()).host !== base.host) foreign.push(socket.url());
  });
  page.on("pageerror", (error) => problems.push(`${page.url()}: page error: ${error.message}`));
  page.on("console", (message) => {
    const text = message.text();
    // Chromium logs a failed WebSocket handshake (a server without subscriptions) as an
    // error; the page shows "live updates unavailable" for it, which is what we want.
    if (message.type() === "error" && !/WebSocket connection to .* failed/.test(text)) {
      problems.push(`${page.url()}: console error: ${text}`);
    }
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  return { context, page };
}

// --- What the server offers -------------------------------------------------------

const introspection = await api(`{ __schema { subscriptionType { fields { name } } } }`);
const hasLive = Boolean(introspection.__schema.subscriptionType?.fields?.some((f) => f.name === "sessionLive"));

// --- GraphiQL ---------------------------------------------------------------------

/** The text of a CodeMirror 5 editor (GraphiQL 3's editors). */
async function editorText(page, selector) {
  return page.evaluate((s) => document.querySelector(s)?.CodeMirror?.getValue() ?? null, selector);
}

async function setEditor(page, selector, text) {
  await page.evaluate(([s, t]) => document.querySelector(s).CodeMirror.setValue(t), [selector, text]);
}

const QUERY_EDITOR = ".graphiql-query-editor .CodeMirror";
const RESULT = ".result-window .CodeMirror";
const HEADERS_EDITOR = "section.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror";

/** Runs the operation `name` of the query editor as a user would: the cursor in it, Ctrl-Enter. */
async function runOperation(page, name) {
  const before = await editorText(page, RESULT);
  // GraphiQL parses the document 100 ms after an edit; wait until it knows the operation.
  await waitFor(
    () => page.evaluate(([s, n]) => Boolean(document.querySelector(s).CodeMirror.operations?.some((o) => o.name?.value === n)), [QUERY_EDITOR, name]),
    `GraphiQL sees the operation ${name}`,
  );
  const found = await page.evaluate(([s, n]) => {
    const cm = document.querySelector(s).CodeMirror;
    const line = cm.getValue().split("\n").findIndex((text) => new RegExp(`^(query|mutation|subscription) ${n}\\b`).test(text));
    if (line < 0) return false;
    cm.focus();
    cm.setCursor({ line: line + 1, ch: 2 });
    return true;
  }, [QUERY_EDITOR, name]);
  assert(found, `an operation named ${name} in the editor`);
  await page.keyboard.press("Control+Enter");
  const text = await waitFor(async () => {
    const now = await editorText(page, RESULT);
    return now && now !== before && now.trim().startsWith("{") ? now : null;
  }, `a result for ${name}`);
  return JSON.parse(text);
}

let adminToken = "";

await check("GraphiQL renders from the server alone, with the example operations", async () => {
  const { context, page } = await newPage(DESKTOP);
  const response = await page.goto(new URL("/graphql", base).href);
  assert(response?.status() === 200, `GET /graphql answered ${response?.status()}`);
  const csp = response.headers()["content-security-policy"] ?? "";
  assert(csp.includes("script-src 'self'") && !csp.includes("http"), `CSP: ${csp}`);
  await page.waitForSelector(".graphiql-container");
  const query = await waitFor(() => editorText(page, QUERY_EDITOR), "the query editor");
  assert(query.includes("mutation Login") && query.includes("query Session"), "the example operations are prefilled");

  const login = await runOperation(page, "Login");
  adminToken = login?.data?.login?.token;
  assert(typeof adminToken === "string" && adminToken.length > 20, `Login answered ${JSON.stringify(login).slice(0, 200)}`);

  await page.waitForSelector(HEADERS_EDITOR);
  await setEditor(page, HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${adminToken}` }, null, 2));
  const session = await runOperation(page, "Session");
  assert(!session.errors, `Session answered errors: ${JSON.stringify(session.errors)}`);
  assert(typeof session.data?.session?.title === "string", "Session returns the session's title");
  assert(session.data.session.registeredHolderUsers.nodes.length > 0, "Session returns registrants");
  await shot(page, "graphiql-desktop", false);

  if (hasLive) {
    // A third operation in the same document, picked from the Run menu like the others.
    await setEditor(
      page,
      QUERY_EDITOR,
      `${query}\nsubscription Live {\n  sessionLive(sessionId: "1") {\n    sessionId concurrentViewers joinsLastMinute updatedAt\n    stats { attendeeCount }\n  }\n}\n`,
    );
    const live = await runOperation(page, "Live");
    assert(live.data?.sessionLive?.sessionId === "1", `the subscription over WebSocket answered ${JSON.stringify(live).slice(0, 300)}`);
    assert(
      sockets.some((url) => url === new URL("/graphql", base).href.replace(/^http/, "ws")),
      `GraphiQL subscribed over a WebSocket at /graphql (${sockets.join(", ")})`,
    );
    await page.click(".graphiql-execute-button"); // Stop
  }
  await context.close();

  // On a phone: the desktop's token in the Headers tab (no second login), then Session.
  const phone = await newPage(PHONE, true);
  await phone.page.goto(new URL("/graphql", base).href);
  await phone.page.waitForSelector(".graphiql-container");
  await waitFor(() => editorText(phone.page, QUERY_EDITOR), "the query editor (phone)");
  await phone.page.waitForSelector(HEADERS_EDITOR);
  await setEditor(phone.page, HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${adminToken}` }, null, 2));
  const onPhone = await runOperation(phone.page, "Session");
  assert(typeof onPhone.data?.session?.title === "string", "Session runs on a phone");
  await shot(phone.page, "graphiql-phone", false);
  await phone.context.close();
});

// --- The analytics page -------------------------------------------------------------

/** The "1–10 of 57" text of a pager, as numbers. */
async function range(page, label) {
  const text = await page.getByRole("navigation", { name: `${label} pages` }).locator(".pager-range").innerText();
  const match = /([\d,]+)\s*–\s*([\d,]+)\s*of\s*([\d,]+)/.exec(text);
  if (!match) return { text, first: 0, last: 0, total: 0 };
  const n = (s) => Number(s.replaceAll(",", ""));
  return { text, first: n(match[1]), last: n(match[2]), total: n(match[3]) };
}

async function columnTexts(table, index) {
  return table.locator(`tbody tr`).evaluateAll(
    (rows, i) => rows.map((row) => row.children[i]?.textContent?.trim() ?? ""),
    index,
  );
}

const number = (text) => Number(String(text).replace(/[^\d.]/g, "")) || 0;

async function signIn(page) {
  await page.goto(new URL("/analytics", base).href);
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Your events" }).waitFor();
}

/**
 * The first event's page, signing in on the way if the tab is not signed in yet. The
 * desktop checks share one tab (its sessionStorage keeps the sign-in), so that the
 * run stays within the server's 5 login attempts per account and minute.
 */
async function openEvent(page) {
  await page.goto(new URL("/analytics/events/1", base).href);
  const table = page.getByTestId("sessions-table").locator("tbody tr").first();
  const form = page.getByLabel("Password");
  await Promise.race([table.waitFor(), form.waitFor()]);
  if (await form.isVisible()) {
    await page.getByLabel("Email").fill(EMAIL);
    await form.fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await table.waitFor();
  }
}

let sessionPath = "";
let sessionId = "";
const desk = await newPage(DESKTOP);

await check("the analytics page signs in, lists events and sorts and searches the sessions table", async () => {
  const { page } = desk;
  const response = await page.goto(new URL("/analytics", base).href);
  const csp = response?.headers()["content-security-policy"] ?? "";
  assert(csp.startsWith("default-src 'self'") && csp.includes("frame-ancestors 'none'"), `CSP: ${csp}`);
  await page.getByLabel("Password").fill("wrong-password");
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("The email or password is not right.").waitFor();
  await signIn(page);
  const viewer = await page.getByTestId("viewer-name").innerText();
  assert(viewer.length > 0, "the header names the signed-in user");

  await page.locator('a[href="/analytics/events/1"]').click();
  const table = page.getByTestId("sessions-table");
  await table.locator("tbody tr").first().waitFor();
  const all = await range(page, "Sessions");
  assert(all.total > 1, `the event has sessions (${all.text})`);

  await page.getByRole("button", { name: /^Registered/ }).click();
  await waitFor(async () => (await page.locator('th[aria-sort="descending"]').count()) === 1, "sorted by Registered");
  await waitFor(async () => {
    const values = (await columnTexts(table, 2)).map(number);
    return values.length > 0 && values.every((v, i) => i === 0 || values[i - 1] >= v);
  }, "registered counts in descending order");

  const titles = await columnTexts(table, 0);
  const word = titles[0].split(/\s+/).find((w) => w.length >= 4)?.replace(/[^\p{L}\p{N}]/gu, "") ?? titles[0].slice(0, 4);
  await page.getByLabel("Search titles").fill(word);
  await waitFor(async () => {
    const r = await range(page, "Sessions");
    const now = await columnTexts(table, 0);
    return r.total >= 1 && r.total <= all.total && now.every((t) => t.toLowerCase().includes(word.toLowerCase()));
  }, `only sessions matching "${word}"`);
  await page.getByLabel("Search titles").fill("");
  await waitFor(async () => (await range(page, "Sessions")).total === all.total, "the whole list again");

  // The session with the most registrants: enough of them to page through.
  const first = table.locator("tbody tr").first().locator("a");
  sessionPath = (await first.getAttribute("href")) ?? "";
  sessionId = sessionPath.split("/").pop() ?? "";
  assert(/^\d+$/.test(sessionId), `a session link: ${sessionPath}`);
  await page.locator(".page-header h1").click(); // no focus ring in the screenshot
  await shot(page, "analytics-event-desktop");

  const download = page.waitForEvent("download");
  await page.getByTestId("sessions-csv").click();
  const file = await download;
  assert(file.suggestedFilename() === "event-1-sessions.csv", `sessions CSV named ${file.suggestedFilename()}`);
  const csv = readFileSync(await file.path(), "utf8");
  const lines = csv.trimEnd().split("\r\n");
  assert(lines[0].startsWith("id,title,startTime,endTime,registeredCount"), `sessions CSV header: ${lines[0]}`);
  assert(lines.length - 1 === all.total, `sessions CSV rows ${lines.length - 1} = sessions ${all.total}`);
});

await check("a session shows its figures, charts and settings, and pages, searches, filters and orders its registrants", async () => {
  assert(sessionPath, "a session was found on the event page");
  const { page } = desk;
  await openEvent(page);
  await page.locator(`a[href="${sessionPath}"]`).first().click();
  await page.getByTestId("session-title").waitFor();
  await page.getByRole("heading", { name: "Attendance over time" }).waitFor();
  await page.locator("#timeline-title").locator("xpath=ancestor::section").locator("svg[role=img]").waitFor();
  await page.locator("#engagement-title").locator("xpath=ancestor::section").locator("svg[role=img]").waitFor();
  for (const heading of ["Video analytics", "Registrants", "Settings", "Speakers", "Sponsors", "Video assets"]) {
    await page.getByRole("heading", { name: heading, exact: true }).waitFor();
  }

  const table = page.getByTestId("registrants-table");
  await table.locator("tbody tr").first().waitFor();
  const one = await range(page, "Registrants");
  assert(one.first === 1 && one.last === 10 && one.total > 10, `the first page of registrants: ${one.text}`);
  const firstNames = await columnTexts(table, 0);
  await page.getByRole("navigation", { name: "Registrants pages" }).getByRole("button", { name: /Next/ }).click();
  await waitFor(async () => (await range(page, "Registrants")).first === 11, "the second page");
  const secondNames = await columnTexts(table, 0);
  assert(secondNames.join() !== firstNames.join(), "the second page shows other registrants");
  await page.getByRole("navigation", { name: "Registrants pages" }).getByRole("button", { name: /Previous/ }).click();
  await waitFor(async () => (await range(page, "Registrants")).first === 1, "back on the first page");

  const term = firstNames[0].split(/\s+/).pop();
  await page.getByLabel("Search", { exact: true }).fill(term);
  await waitFor(async () => {
    const r = await range(page, "Registrants");
    if (r.total < 1 || r.total >= one.total) return false;
    const rows = await table.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => tr.textContent.toLowerCase()));
    return rows.every((row) => row.includes(term.toLowerCase()));
  }, `registrants matching "${term}"`);
  await page.getByLabel("Search", { exact: true }).fill("");

  await page.getByLabel("Attendance", { exact: true }).selectOption("true");
  await waitFor(async () => {
    const r = await range(page, "Registrants");
    const attended = await columnTexts(table, 5);
    return r.total > 0 && r.total < one.total && attended.every((a) => a === "Yes");
  }, "only registrants who attended");
  await page.getByLabel("Attendance", { exact: true }).selectOption("");

  await page.getByLabel("Order", { exact: true }).selectOption("ENGAGEMENT_DESC");
  await waitFor(async () => {
    const values = (await columnTexts(table, 7)).map(number);
    return values.length === 10 && values.every((v, i) => i === 0 || values[i - 1] >= v) && values[0] > 0;
  }, "registrants by engagement, highest first");
  const total = (await range(page, "Registrants")).total;

  const download = page.waitForEvent("download");
  await page.getByTestId("registrants-csv").click();
  const file = await download;
  assert(file.suggestedFilename() === `session-${sessionId}-registrants.csv`, `registrants CSV named ${file.suggestedFilename()}`);
  const csv = readFileSync(await file.path(), "utf8");
  const lines = csv.trimEnd().split("\r\n");
  assert(lines[0].startsWith("eventTicketId,userId,firstName,lastName,email"), `registrants CSV header: ${lines[0]}`);
  assert(lines.length - 1 === total, `registrants CSV rows ${lines.length - 1} = registrants ${total}`);
  await page.getByText(`Downloaded session-${sessionId}-registrants.csv`).waitFor({ state: "attached" });
});

await check("live figures move when activity is ingested", async () => {
  assert(sessionPath, "a session was found on the event page");
  const { page } = desk;
  await openEvent(page);
  await page.goto(new URL(sessionPath, base).href);
  await page.getByTestId("session-title").waitFor();
  const panel = page.getByTestId("live-panel");
  if (!hasLive) {
    await waitFor(async () => (await panel.getAttribute("data-status")) === "unavailable", "the live panel gives up");
    await panel.getByText("Live updates unavailable").waitFor();
    await shot(page, "analytics-session-desktop");
    skip("live figures (no Subscription in schema)");
    return;
  }
  assert(INGEST_TOKEN, "INGEST_TOKEN is set (.ci/browser mints one)");
  await waitFor(async () => (await panel.getAttribute("data-status")) === "live", "the live panel connects");
  const joinsBefore = number(await page.getByTestId("live-joins").innerText());

  // A registrant who has not attended yet joins and watches live for a minute.
  // The page's own token, from its sessionStorage: no extra login.
  const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem("session-analytics.auth") ?? "{}").token);
  assert(token, "the page keeps its token in sessionStorage");
  const who = await api(
    `query($id: ID!) { session(id: $id) { registeredHolderUsers(first: 1, attended: false) { nodes { eventTicketId } } } }`,
    { id: sessionId },
    token,
  );
  const ticket = who.session.registeredHolderUsers.nodes[0]?.eventTicketId;
  assert(ticket, "a registrant who has not attended");
  const now = Date.now() - 65_000;
  const run = `e2e-${process.pid}-${Date.now()}`;
  const events = [{ id: `${run}-join`, type: "JOIN", sessionId, eventTicketId: ticket, occurredAt: new Date(now).toISOString() }];
  for (let i = 1; i <= 6; i += 1) {
    events.push({
      id: `${run}-hb-${i}`,
      type: "LIVE_HEARTBEAT",
      sessionId,
      eventTicketId: ticket,
      occurredAt: new Date(now + i * 10_000).toISOString(),
      positionSeconds: i * 10,
    });
  }
  const recorded = await api(
    `mutation($events: [ActivityInput!]!) { recordActivity(events: $events) { received recorded duplicates } }`,
    { events },
    INGEST_TOKEN,
  );
  assert(recorded.recordActivity.recorded === events.length, `recordActivity: ${JSON.stringify(recorded)}`);
  await waitFor(async () => number(await page.getByTestId("live-joins").innerText()) > joinsBefore, "the live joins figure goes up");
  const joinsAfter = number(await page.getByTestId("live-joins").innerText());
  console.log(`     live joins ${joinsBefore} -> ${joinsAfter}`);
  await page.getByTestId("session-title").click();
  await shot(page, "analytics-session-desktop");
});

await desk.context.close();

await check("the analytics page is usable on a phone", async () => {
  const { context, page } = await newPage(PHONE, true);
  await page.goto(new URL("/analytics", base).href);
  await page.getByLabel("Email").waitFor();
  await shot(page, "analytics-signin-phone", false);
  await signIn(page);
  await page.locator('a[href="/analytics/events/1"]').click();
  await page.getByTestId("sessions-table").locator("tbody tr").first().waitFor();
  await shot(page, "analytics-event-phone");
  await page.goto(new URL(sessionPath, base).href);
  await page.getByTestId("session-title").waitFor();
  await page.getByTestId("registrants-table").locator("tbody tr").first().waitFor();
  await page.locator("#engagement-title").locator("xpath=ancestor::section").locator("svg[role=img]").waitFor();
  // Nothing wider than the screen but the tables' own scroll boxes.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  await page.getByTestId("session-title").click();
  await shot(page, "analytics-session-phone");
  await context.close();
});

await check("no request left 127.0.0.1, and no page error or CSP violation", async () => {
  assert(foreign.length === 0, `requests to other hosts: ${foreign.join(", ")}`);
  assert(problems.length === 0, problems.join("\n"));
});

await browser.close();

console.log("\nscreenshots:");
for (const path of screenshots) console.log(`  ${path}`);
console.log(`\nbrowser: ${results.passed} passed, ${results.failed} failed${results.skipped ? `, ${results.skipped} skipped` : ""}`);
process.exit(results.failed > 0 ? 1 : 0);
