// The simulator's own pages: Failures (presets, fault rules, tokens, outbox, traffic) and Scenarios (the
// library, the loaded story's steps told in plain words), plus the story strip that keeps the newest step
// and "Next step" in view on every page.
"use strict";

import { $, API, S, btn, chip, esc, fail, focusOn, getJSON, openDialog, plural, region, when } from "./core.js";

export function drawFailures() {
  const f = S.state.failures;
  region($("#presets"), f.presets.map((p) => `<article class="card preset ${p.active ? "on" : ""}" aria-label="${esc(p.label)}">
    <h3>${esc(p.label)} ${p.active ? chip("on", "failure") : ""}</h3><p>${esc(p.description)}</p>
    ${btn(p.active ? `Turn off ${esc(p.label)}` : `Turn on ${esc(p.label)}`, "faults/preset", { preset: p.key, on: p.active ? "false" : "true" },
      `aria-pressed="${p.active}" data-key="preset-${esc(p.key)}"`)}</article>`).join(""));
  region($("#faults-body"), f.faults.map((r) => `<tr><td>${esc(r.method)}</td><td><code>${esc(r.path)}</code></td>
    <td>${r.drop ? "drop the connection" : r.status ? `answer ${esc(r.status)}` : `delay ${esc(r.delay)} s`}${r.times ? ` (${esc(r.times)} times)` : ""}</td>
    <td>${esc(r.fired)}</td><td>${esc(r.note || "")}</td>
    <td>${btn("Remove", "faults/remove", { id: r.id }, `data-key="fault-${esc(r.id)}" aria-label="Remove the fault rule on ${esc(r.path)}"`)}</td></tr>`).join("")
    || `<tr><td colspan="6" class="empty">No fault rule: Genesys answers normally.</td></tr>`);
  region($("#outbox-body"), f.outbox.map((m) => `<tr><td>${when(m.at)}</td><td>${esc(m.to)}</td><td>${esc(m.subject)}</td>
    <td><button type="button" data-mail="${esc(m.id)}" data-key="mail-${esc(m.id)}" aria-label="Read the e-mail: ${esc(m.subject)}">Read</button></td></tr>`).join("")
    || `<tr><td colspan="4" class="empty">No notification e-mail.</td></tr>`);
  region($("#traffic-body"), f.traffic.map((t) => `<tr class="${t.status >= 400 || t.status === 0 ? "bad" : ""}"><td>${when(t.at)}</td>
    <td>${esc(t.surface)}</td><td>${esc(t.method)}</td><td><code>${esc(t.path)}</code></td><td>${t.status || "dropped"}</td><td>${t.fault ? "fault" : ""}</td></tr>`).join("")
    || `<tr><td colspan="6" class="empty">No request yet.</td></tr>`);
}

export async function openMail(id) {
  try {
    const m = await getJSON(API + "outbox/" + encodeURIComponent(id));
    openDialog(m.subject, `<dl class="kv"><div><dt>From</dt><dd>${esc(m.from)}</dd></div><div><dt>To</dt><dd>${esc(m.to)}</dd></div>
      <div><dt>Date</dt><dd>${esc(m.date)}</dd></div></dl><pre class="mail">${esc(m.body)}</pre>`);
  } catch (err) { fail(err.message); focusOn($("#error")); }
}

// ------------------------------------------------------------------ stories
export async function loadLibrary() {
  try {
    const data = await getJSON(API + "stories");
    region($("#library"), data.value.map((s) => {
      // the first sentence on the card; the rest of the description (a paragraph or two) folded away
      const cut = s.description.search(/[.:](\s|$)/);
      const first = cut < 0 ? s.description : s.description.slice(0, cut + 1);
      const rest = s.description.slice(first.length).trim();
      return `<article class="card" aria-label="Story ${esc(s.name)}">
      <h3>${esc(s.name)}</h3><p>${esc(first)}</p>${rest ? `<details><summary>More about ${esc(s.name)}</summary><p>${esc(rest)}</p></details>` : ""}<p class="hint">Tenant ${esc(s.tenant)} · ${plural(s.steps, "step")}</p>
      ${s.generated
        ? `<p class="hint">Runs on a tenant of its own, generated for it: <code>provsim scenario run ${esc(s.name)}</code></p>`
        : btn(`Load ${esc(s.name)}`, "story/load", { name: s.name, confirm: `Load the story '${s.name}'? The simulator is reset to its tenant first.` },
          `data-key="load-${esc(s.name)}"`)}</article>`;
    }).join("") || `<p class="empty">The library is empty.</p>`);
  } catch (err) { fail(err.message); }
}

const MARK = { ok: ["done", "success"], failed: ["expectation failed", "failure"], error: ["error", "failure"] };

function stepBody(o) {
  if (!o) return "";
  return `${o.account ? `<p class="account">${esc(o.account)}</p>` : ""}
    <details><summary>What ran</summary><ul class="lines">${o.lines.map((l) => `<li>${esc(l)}</li>`).join("")}
      ${o.entries.map((e) => `<li>provisioning log: ${esc(e.what)} × ${e.count}</li>`).join("")}</ul></details>`;
}

export function drawStory() {
  const s = S.state.story;
  drawStrip(s);
  if (!s) { region($("#story"), `<p class="empty">No story loaded.</p>`); return; }
  const steps = s.steps.map((st) => {
    const o = st.outcome;
    const [text, kind] = o ? MARK[o.state] || MARK.error : st.index === s.position + 1 ? ["next", "info"] : ["", ""];
    const newest = st.index === s.position;
    return `<li class="${o ? "done" : st.index === s.position + 1 ? "next" : ""}${newest ? " newest" : ""}" id="step-${st.index}" ${newest ? `data-newest="1"` : ""}>
      <span class="step-text">${esc(st.text)}</span> ${text ? chip(text, kind) : ""}${stepBody(o)}</li>`;
  }).join("");
  const canStep = !s.finished && !s.stopped;  // the one Next step button is the strip's: always in view
  region($("#story"), `<article class="card story" aria-labelledby="h-story">
    <h2 id="h-story">Story: ${esc(s.name)}</h2><p>${esc(s.description)}</p>
    <p class="progress-row"><progress max="${s.total}" value="${s.position}" aria-label="Story progress"></progress>
      <span id="story-position">Step ${s.position} of ${s.total}${s.finished ? " · the end" : ""}${s.stopped ? " · stopped" : ""}</span></p>
    <p class="hint">${canStep ? "Next step is in the story bar under the clock, on every page." : ""}</p>
    <div class="buttons">${btn("Close the story", "story/close", {}, 'data-key="story-close"')}
      <a class="button" href="${API}story/report" target="_blank" rel="noopener" data-key="story-report">Report (as provsim scenario run prints it)</a></div>
    <ol class="steps">${steps}</ol></article>`);
}

/** Under the top bar on every page: the story, its newest step in plain words, and Next step. */
function drawStrip(s) {
  const strip = $("#story-strip");
  if (!s) { strip.hidden = true; region(strip, ""); return; }
  strip.hidden = false;
  const last = s.position ? s.steps[s.position - 1] : null;
  const next = !s.finished && !s.stopped ? s.steps[s.position] : null;
  const [text, kind] = last && last.outcome ? MARK[last.outcome.state] || MARK.error : ["", ""];
  region(strip, `<div class="strip-head"><strong>Story ${esc(s.name)}</strong> <span id="strip-position">step ${s.position} of ${s.total}</span>
      <span class="strip-buttons">${next ? btn("Next step", "story/step", {}, 'class="primary" data-key="strip-next" id="strip-next"') : ""}
      <a class="button" href="#scenarios" data-key="strip-all">All steps</a></span></div>
    ${last ? `<p class="strip-step" id="strip-step" tabindex="-1"><span class="step-text">${esc(last.text)}</span> ${text ? chip(text, kind) : ""}
      ${last.outcome && last.outcome.account ? `<span class="account">${esc(last.outcome.account)}</span>` : ""}</p>` : ""}
    ${next ? `<p class="hint strip-next-text">Next: ${esc(next.text)}</p>` : s.finished ? `<p class="hint">The end of the story.</p>` : ""}`);
}

/** After a step: the newest step in view on the Scenarios page, focus on its account in the strip. */
export function showNewestStep() {
  const newest = $("#story [data-newest]");
  if (newest && !$("#page-scenarios").hidden) newest.scrollIntoView({ block: "nearest" });
  return $("#strip-step") || $("#status");
}
