// provsim dashboard, the shared parts: helpers, the page's state, clicks sent to /dashboard/api/<action>,
// messages and focus.  Every page module imports from here; app.js wires them together.
"use strict";

export const API = "/dashboard/api/";
export const S = { state: null, revision: "", busy: 0, clicks: 0 };

// ------------------------------------------------------------------ helpers
export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
export const esc = (v) => String(v === null || v === undefined ? "" : v)
  .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
export const when = (iso) => iso ? esc(String(iso).replace("T", " ").replace(/\.\d+Z$/, "Z")) : "—";
export const chip = (text, kind) => `<span class="chip chip-${esc(kind)}">${esc(text)}</span>`;
export const btn = (label, action, data = {}, extra = "") => {
  const attrs = Object.entries(data).map(([k, v]) => ` data-${k}="${esc(v)}"`).join("");
  return `<button type="button" data-action="${esc(action)}"${attrs} ${extra}>${label}</button>`;
};
// A job never started shows the .NET TimeSpan maximum as its interval (reference: synchronizationJob).
export const interval = (v) => v === "PT40M" ? "every 40 minutes (PT40M)" : String(v || "").startsWith("P10675199") ? "not scheduled (never started)" : esc(v);
export const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
export const cap = (s) => s ? String(s)[0].toUpperCase() + String(s).slice(1) : "";

/** Redraw a region, keeping keyboard focus on the "same" control (data-key) when it is redrawn. */
export function region(el, html) {
  if (!el) return;
  if (el.__html === html) return;
  const focused = document.activeElement && el.contains(document.activeElement)
    ? document.activeElement.getAttribute("data-key") : null;
  el.__html = html;
  el.innerHTML = html;
  if (focused) {
    const again = el.querySelector(`[data-key="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}

// ------------------------------------------------------------------ messages and focus
/** The result of a click: one message at a time (a new one replaces an old success or error). */
export function say(message) {
  const box = $("#status");
  box.textContent = message || "";
  box.hidden = !message;
  if (message) $("#error").hidden = true;
}

export function fail(message) {
  const box = $("#error");
  box.textContent = message || "";
  box.hidden = !message;
  if (message) $("#status").hidden = true;
}

/** Move keyboard focus to what an action produced (never left on <body>). */
export function focusOn(el) {
  if (!el) return;
  if (!el.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA|SUMMARY)$/.test(el.tagName)) el.setAttribute("tabindex", "-1");
  el.focus({ preventScroll: !!el.closest(".sticky-head") });
}

// ------------------------------------------------------------------ HTTP
export async function getJSON(path) {
  const resp = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const err = new Error((body.error && body.error.message) || `${resp.status} ${resp.statusText}`);
    err.status = resp.status;
    throw err;
  }
  return body;
}

const afterActs = [];
/** Run after every click (refresh the state, reload what the visible page loads itself). */
export function afterEveryAction(fn) { afterActs.push(fn); }

/**
 * A click: POST /dashboard/api/<name> with a JSON body.  ``opts.done(answer)`` runs first on success; then
 * the page is redrawn; then the answer's message (or the refusal) is shown and focused, last, so what the
 * trainer reads matches the page around it.  ``opts.quiet`` leaves message and focus to the caller,
 * ``opts.focus`` is what to focus instead of the message, ``opts.onError(error)`` sees a refusal (its
 * ``details`` name fields) and ``opts.quietError`` leaves showing it to ``onError``.
 */
export async function act(name, body = {}, control = null, opts = {}) {
  if (control && control.getAttribute("aria-disabled") === "true") return null;
  S.busy += 1;
  S.clicks += 1;  // a poll answer that left before this click is older than what the click shows
  document.body.setAttribute("aria-busy", "true");
  // aria-disabled, not disabled: a disabled button loses keyboard focus to <body>
  if (control) control.setAttribute("aria-disabled", "true");
  let data = null;
  let error = null;
  try {
    const resp = await fetch(API + name, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    const answer = await resp.json().catch(() => ({}));
    if (resp.ok) data = answer;
    else error = answer.error || { message: `${resp.status} ${resp.statusText}` };
  } catch (err) {
    error = { message: `The simulator did not answer: ${err.message}` };
  } finally {
    S.busy -= 1;
    if (!S.busy) document.body.removeAttribute("aria-busy");
    if (control) control.removeAttribute("aria-disabled");
  }
  if (data && opts.done) opts.done(data);
  for (const fn of afterActs) await fn(name, data);
  if (error) {
    if (opts.onError) opts.onError(error);
    if (!opts.quietError) { fail(error.message); focusOn($("#error")); }
  } else if (!opts.quiet) {
    say(data.message || "Done.");
    focusOn(typeof opts.focus === "function" ? opts.focus(data) : opts.focus || $("#status"));
  }
  return data;
}

export function formData(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === "checkbox") {
      if (el.name === "resetScope") { (out.resetScope = out.resetScope || []); if (el.checked) out.resetScope.push(el.value); }
      else out[el.name] = el.checked;
    } else if (el.type === "radio") {
      if (el.checked) out[el.name] = el.value;
    } else if (el.type !== "submit" && el.type !== "button") {
      out[el.name] = el.value;
    }
  }
  return out;
}

// ------------------------------------------------------------------ the dialog
export function openDialog(title, html) {
  const dialog = $("#dialog");
  $("#dialog-title").textContent = title;
  $("#dialog-body").innerHTML = html;
  dialogError("");
  if (!dialog.open) dialog.showModal();
  focusOn($("#dialog-title"));
}

export function dialogError(message) {
  const box = $("#dialog-error");
  box.textContent = message || "";
  box.hidden = !message;
  if (message) focusOn(box);
}

export function closeDialog() {
  const dialog = $("#dialog");
  if (dialog.open) dialog.close();
}

// ------------------------------------------------------------------ pages
export const PAGES = ["overview", "setup", "mappings", "directory", "logs", "oauth", "groups", "people", "failures", "scenarios"];
export function currentPage() {
  const hash = (location.hash || "#overview").slice(1);
  return PAGES.includes(hash) ? hash : "overview";
}

/** Field errors a refusal names (details[].target): shown beside the element whose data-target matches. */
export function showDetails(root, details) {
  for (const box of $$(".field-error", root)) { box.textContent = ""; box.hidden = true; }
  let first = null;
  for (const d of details || []) {
    const box = $$("[data-target]", root).find((el) => el.dataset.target === d.target);
    const slot = box && (box.querySelector(":scope > .field-error") || box.querySelector(".field-error"));
    if (!slot) continue;
    slot.textContent = (slot.textContent ? slot.textContent + " " : "") + d.message;
    slot.hidden = false;
    first = first || slot;
  }
  return first;
}
