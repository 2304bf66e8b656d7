// Veriff's own browser SDKs against the sandbox, in a JavaScript DOM (jsdom): a shop's page
// of another origin creates a session through @veriff/js-sdk (CORS preflight included),
// and @veriff/incontext-sdk shows the flow page in its frame and hears the flow's events.
// Run by the Rust test `sdk::` (tests/it/sdk.rs), which starts the sandbox and passes
// VERIFF_SANDBOX_URL and VERIFF_SANDBOX_API_KEY.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { JSDOM, VirtualConsole } from "jsdom";

const require = createRequire(import.meta.url);
const BASE = process.env.VERIFF_SANDBOX_URL;
const API_KEY = process.env.VERIFF_SANDBOX_API_KEY;
const SHOP = "http://shop.example.test/";

assert.ok(BASE && API_KEY, "VERIFF_SANDBOX_URL and VERIFF_SANDBOX_API_KEY must be set");

/** Resolves once `check()` is true; fails with `what` after `ms`. */
async function until(what, check, ms = 10000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A shop's page on another origin; jsdom's errors (a CORS refusal) are collected. */
function shopPage(html, scripts) {
  const errors = [];
  const virtualConsole = new VirtualConsole();
  virtualConsole.on("jsdomError", (e) => errors.push(String(e.message || e)));
  const dom = new JSDOM(html, {
    url: SHOP,
    runScripts: scripts,
    resources: scripts === "dangerously" ? "usable" : undefined,
    pretendToBeVisual: true,
    virtualConsole,
  });
  return { dom, errors };
}

async function createWithJsSdk(person) {
  const { dom, errors } = shopPage(
    '<!doctype html><div id="veriff-root"></div>',
    "outside-only",
  );
  const source = readFileSync(require.resolve("@veriff/js-sdk"), "utf8");
  // The package is CommonJS; a shop bundles it, here it runs in the page as it would.
  dom.window.eval(`var module = { exports: {} };\n${source}\nwindow.Veriff = module.exports.Veriff;`);
  const answer = new Promise((resolve, reject) => {
    const veriff = dom.window.Veriff({
      host: BASE,
      apiKey: API_KEY,
      parentId: "veriff-root",
      onSession: (err, response) => (err ? reject(new Error(`${JSON.stringify(err)} ${errors.join("; ")}`)) : resolve(response)),
    });
    veriff.setParams({ person, vendorData: "shop-order-42" });
    veriff.mount();
  });
  const form = dom.window.document.querySelector("#veriff-root form");
  assert.ok(form, "the SDK rendered its form");
  // Every browser reaches a form's controls by name (`form.submitBtn`, which the SDK uses);
  // jsdom does not, so they are named here.
  for (const el of form.elements) {
    if (el.name && !(el.name in form)) {
      Object.defineProperty(form, el.name, { value: el });
    }
  }
  form.querySelector('[type="submit"]').click();
  return answer;
}

test("js-sdk creates a session on the sandbox from a page of another origin", async () => {
  const response = await createWithJsSdk({ givenName: "Anna", lastName: "Tamm" });
  assert.equal(response.status, "success");
  const v = response.verification;
  assert.match(v.id, /^[0-9a-f-]{36}$/);
  assert.ok(v.url.startsWith(`${BASE}/v/`), v.url);
  assert.equal(v.vendorData, "shop-order-42");

  // The returned URL opens the flow page.
  const page = await JSDOM.fromURL(v.url);
  const text = page.window.document.body.textContent;
  assert.match(text, /Verify Anna Tamm/);
  assert.ok(page.window.document.querySelector("button.approve"));
});

test("the sandbox answers the SDK's preflight for exactly what it sends", async () => {
  const preflight = await fetch(`${BASE}/v1/sessions`, {
    method: "OPTIONS",
    headers: {
      Origin: "http://shop.example.test",
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "content-type,x-auth-client,x-origin,vrf-integration-id",
    },
  });
  assert.ok(preflight.status === 200 || preflight.status === 204, `status ${preflight.status}`);
  assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
  const allowed = preflight.headers.get("access-control-allow-headers").toLowerCase();
  for (const h of ["content-type", "x-auth-client", "x-origin", "vrf-integration-id"]) {
    assert.ok(allowed.includes(h), `${h} in ${allowed}`);
  }
  assert.ok(preflight.headers.get("access-control-allow-methods").includes("POST"));
});

/** Shows the session's flow in the InContext SDK's frame; returns the events heard. */
async function inContext(url) {
  const { dom, errors } = shopPage("<!doctype html><html><body></body></html>", "dangerously");
  const source = readFileSync(
    require.resolve("@veriff/incontext-sdk/dist/index.umd.js"),
    "utf8",
  );
  dom.window.eval(source);
  const events = [];
  dom.window.veriffSDK.createVeriffFrame({ url, onEvent: (m) => events.push(m) });
  const frame = () => dom.window.document.getElementById("veriffFrame");
  return { dom, errors, events, frame };
}

test("incontext-sdk: the flow page in its frame shakes hands and posts started, submitted, finished", async () => {
  const { v } = { v: (await createWithJsSdk({ givenName: "Mari", lastName: "Maasikas" })).verification };
  const { events, frame, errors } = await inContext(v.url);
  await until(`STARTED (heard ${events}; ${errors})`, () => events.includes("STARTED"));
  assert.ok(frame(), "the frame is shown");

  // The person chooses: the form posts the choice and the frame goes to the thank-you page
  // (jsdom does not navigate on a form post, so the test does what the browser would).
  const decided = await fetch(`${v.url}/decide`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: "decision=approve",
    redirect: "manual",
  });
  assert.equal(decided.status, 303);
  frame().src = `${v.url}/done`;
  await until(`FINISHED (heard ${events})`, () => events.includes("FINISHED"));
  assert.deepEqual(events, ["STARTED", "SUBMITTED", "FINISHED"]);
  assert.equal(frame(), null, "the SDK closed its frame");
});

test("incontext-sdk: closing the flow posts canceled", async () => {
  const v = (await createWithJsSdk({ givenName: "Jaan", lastName: "Tamm" })).verification;
  const { events, frame } = await inContext(v.url);
  await until(`STARTED (heard ${events})`, () => events.includes("STARTED"));
  const close = frame().contentWindow.document.getElementById("close");
  assert.ok(close && !close.hidden, "a framed flow offers Close");
  close.click();
  await until(`CANCELED (heard ${events})`, () => events.includes("CANCELED"));
  assert.equal(frame(), null, "the SDK closed its frame");
});
