// provsim dashboard: the portal's provisioning blade for the PureCloud app, drawn from
// /dashboard/api/state and kept live by polling (?since=REVISION: an unchanged answer is tiny).
// Forms are static HTML outside the redrawn regions, so a live update never wipes what a
// trainer is typing; only <tbody> and region contents are redrawn.
"use strict";

(function () {
  const API = "/dashboard/api/";
  const POLL_MS = 1000;
  let state = null;
  let revision = "";
  let busy = 0;
  const logPaging = { stack: [], skip: "", next: null };

  // ------------------------------------------------------------------ helpers
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const esc = (v) => String(v === null || v === undefined ? "" : v)
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  const when = (iso) => iso ? esc(String(iso).replace("T", " ").replace(/\.\d+Z$/, "Z")) : "—";
  const chip = (text, kind) => `<span class="chip chip-${esc(kind)}">${esc(text)}</span>`;
  const btn = (label, action, data = {}, extra = "") => {
    const attrs = Object.entries(data).map(([k, v]) => ` data-${k}="${esc(v)}"`).join("");
    return `<button type="button" data-action="${esc(action)}"${attrs} ${extra}>${label}</button>`;
  };
  // A job never started shows the .NET TimeSpan maximum as its interval (reference: synchronizationJob).
  const interval = (v) => v === "PT40M" ? "every 40 minutes (PT40M)" : String(v || "").startsWith("P10675199") ? "not scheduled (never started)" : esc(v);
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  function region(el, html) {
    // Redraw a region, keeping keyboard focus on the "same" control when it is redrawn.
    if (!el) return;
    const focused = document.activeElement && el.contains(document.activeElement)
      ? document.activeElement.getAttribute("data-key") : null;
    if (el.__html === html) return;
    el.__html = html;
    el.innerHTML = html;
    if (focused) {
      const again = el.querySelector(`[data-key="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  }

  function say(message) {
    const box = $("#status");
    box.textContent = message;
    box.hidden = !message;
  }

  function fail(message) {
    const box = $("#error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  async function getJSON(path) {
    const resp = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new Error((body.error && body.error.message) || `${resp.status} ${resp.statusText}`);
    return body;
  }

  async function act(name, body = {}, control = null) {
    fail("");
    busy += 1;
    document.body.setAttribute("aria-busy", "true");
    if (control) control.disabled = true;
    try {
      const resp = await fetch(API + name, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
      const data = await resp.json().catch(() => ({}));
      if (!resp.ok) {
        const message = (data.error && data.error.message) || `${resp.status} ${resp.statusText}`;
        fail(message);
        return null;
      }
      say(data.message || "Done.");
      return data;
    } catch (err) {
      fail(`The simulator did not answer: ${err.message}`);
      return null;
    } finally {
      busy -= 1;
      if (!busy) document.body.removeAttribute("aria-busy");
      if (control) control.disabled = false;
      await refresh(true);
      if (currentPage() === "logs") loadLogs(false);
    }
  }

  function formData(form) {
    const out = {};
    for (const el of form.elements) {
      if (!el.name || el.disabled) continue;
      if (el.type === "checkbox") {
        if (el.name === "resetScope") { (out.resetScope = out.resetScope || []); if (el.checked) out.resetScope.push(el.value); }
        else out[el.name] = el.checked;
      } else if (el.type !== "submit" && el.type !== "button") {
        out[el.name] = el.value;
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ pages
  const PAGES = ["overview", "setup", "directory", "logs", "failures", "scenarios"];
  function currentPage() {
    const hash = (location.hash || "#overview").slice(1);
    return PAGES.includes(hash) ? hash : "overview";
  }
  function showPage() {
    const page = currentPage();
    for (const section of $$("main > section[data-page]")) section.hidden = section.dataset.page !== page;
    for (const link of $$(".sidenav a[data-page]")) {
      if (link.dataset.page === page) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    document.title = `${$(`#h-${page}`).textContent.replace(/\s*simulator$/, "")} - PureCloud by Genesys | Provisioning (provsim)`;
    if (page === "logs") loadLogs(false);
    if (page === "scenarios") loadLibrary();
  }

  // ------------------------------------------------------------------ state
  async function refresh(force) {
    try {
      const data = await getJSON(API + "state" + (revision && !force ? `?since=${encodeURIComponent(revision)}` : ""));
      if (data.unchanged) return false;
      const changed = data.revision !== revision;
      state = data;
      revision = data.revision;
      draw();
      if (changed && currentPage() === "logs" && !force) loadLogs(false);
      return true;
    } catch (err) {
      fail(`Cannot read the simulator's state: ${err.message}`);
      return false;
    }
  }

  function poll() {
    const next = () => setTimeout(poll, POLL_MS);
    if (document.hidden || busy) { next(); return; }
    refresh(false).finally(next);
  }

  function draw() {
    $("#clock").textContent = state.now;
    $("#clock").setAttribute("datetime", state.now);
    const job = state.job;
    for (const el of $$("[data-needs=job]")) el.disabled = !job;
    const nextRun = state.overview && state.overview.nextRun;
    $("#next-cycle").hidden = !nextRun;
    drawQuarantine();
    drawOverview();
    drawSetup();
    drawDirectory();
    drawFailures();
    drawStory();
  }

  function drawQuarantine() {
    const q = state.overview && state.overview.quarantine;
    const box = $("#quarantine-banner");
    if (!q) { box.hidden = true; region(box, ""); return; }
    box.hidden = false;
    const mail = q.notifications ? ` A notification e-mail was sent (<a href="#failures">outbox</a>).` : "";
    region(box, `<h2>The provisioning job is in quarantine</h2>
      <p><strong>Reason: ${esc(q.reason)}</strong>${q.errorCode ? ` · ${esc(q.errorCode)}: ${esc(q.errorMessage)}` : ""}</p>
      <p>In quarantine since ${when(q.since)} · next attempt ${when(q.nextAttempt)}.${mail}</p>
      <p class="advice">${esc(q.advice)}</p>`);
  }

  function countsTable(cycle, caption) {
    if (!cycle) return "";
    const rows = cycle.actions.length ? cycle.actions.map((a) => `<tr><th scope="row">${esc(a.action)}</th>
      <td>${a.success}</td><td>${a.failure}</td><td>${a.skipped}</td><td>${a.warning}</td><td>${a.total}</td></tr>`).join("")
      : `<tr><td colspan="6" class="empty">No changes: nothing was sent to Genesys.</td></tr>`;
    const err = cycle.errorCode ? `<p class="error-text">${esc(cycle.errorCode)}: ${esc(cycle.errorMessage)}</p>` : "";
    return `<article class="card" aria-label="${esc(caption)}">
      <h2>${esc(caption)}</h2>
      <p>${esc(cycle.kind ? cycle.kind[0].toUpperCase() + cycle.kind.slice(1) : "")} cycle · ${when(cycle.began)} – ${when(cycle.ended)} ·
        ${chip(cycle.state, cycle.state === "Succeeded" ? "success" : cycle.state === "Failed" ? "failure" : "warning")}</p>
      ${err}
      <div class="table-wrap"><table class="grid compact counts"><caption class="visually-hidden">${esc(caption)} by action</caption>
        <thead><tr><th scope="col">Action</th><th scope="col">Success</th><th scope="col">Failure</th><th scope="col">Skipped</th><th scope="col">Warning</th><th scope="col">Total</th></tr></thead>
        <tbody>${rows}</tbody></table></div>
      <p><a href="#logs" data-log-cycle="${esc(cycle.cycleId)}" data-key="cycle-${esc(cycle.cycleId)}">View this cycle in the provisioning logs</a></p>
    </article>`;
  }

  function drawOverview() {
    const el = $("#overview-body");
    if (!state.app) {
      region(el, `<p class="empty">This tenant has no PureCloud by Genesys enterprise app yet. <a href="#setup">Add it from the gallery in Setup</a>.</p>`);
      return;
    }
    const o = state.overview;
    if (!o) {
      region(el, `<div class="card empty-state"><h2>Get started</h2>
        <p>No provisioning job yet. Create it from the PureCloud by Genesys template, enter the admin credentials, test the connection and start it.</p>
        ${btn("Create the provisioning job", "job/create", {}, 'class="primary"')} <a class="button" href="#setup">Go to Setup</a></div>`);
      return;
    }
    const codeKind = { Active: "success", Quarantine: "failure", Paused: "warning", NotRun: "info", NotConfigured: "info" }[o.code] || "info";
    const ss = o.steadyState;
    region(el, `<div class="cards">
      <article class="card wide" aria-labelledby="h-cycle">
        <h2 id="h-cycle">Current cycle status</h2>
        <p class="status-line"><span id="status-text">${esc(o.statusText)}</span> ${chip(o.code, codeKind)}</p>
        <div class="progress-row"><progress id="cycle-progress" max="100" value="${o.progress.percent}" aria-label="Cycle progress"></progress>
          <span>${o.progress.percent}% complete</span></div>
        <dl class="facts">
          <div><dt>Users</dt><dd id="count-users">${o.counts.users}</dd></div>
          <div><dt>Groups</dt><dd id="count-groups">${o.counts.groups}</dd></div>
          <div><dt>Provisioning status</dt><dd>${esc(o.provisioningStatus)}</dd></div>
        </dl>
      </article>
      <article class="card" aria-labelledby="h-schedule">
        <h2 id="h-schedule">Schedule</h2>
        <dl class="facts stacked">
          <div><dt>Next cycle</dt><dd id="next-run">${o.nextRun ? when(o.nextRun) : (o.provisioningStatus === "On" ? "—" : "none: provisioning is off")}</dd></div>
          <div><dt>Interval</dt><dd>${interval(o.interval)}</dd></div>
          <div><dt>Last successful cycle</dt><dd>${when(o.lastSuccessful)}</dd></div>
          <div><dt>Steady state first reached</dt><dd>${ss.first ? when(ss.first) : "not yet"}</dd></div>
          <div><dt>Steady state last reached</dt><dd>${ss.last ? when(ss.last) : "not yet"}</dd></div>
          <div><dt>Successive complete failures</dt><dd>${o.countSuccessiveCompleteFailures}</dd></div>
        </dl>
      </article>
      ${countsTable(o.lastCycle, "Last cycle")}
      ${countsTable(o.lastCycleWithChanges, "Last cycle with changes")}
    </div>`);
  }

  let setupFilled = "";
  function drawSetup() {
    const app = state.app;
    region($("#setup-app"), app
      ? `<p><strong>${esc(app.displayName)}</strong> ${chip("added", "success")}</p><p class="hint">Service principal ${esc(app.id)}</p>`
      : `<p>The tenant has no PureCloud by Genesys app.</p>${btn("Add PureCloud by Genesys from the gallery", "app/add", {}, 'class="primary"')}`);
    const job = state.job;
    region($("#setup-job"), job
      ? `<p><strong>Job</strong> <code>${esc(job.id)}</code></p><p class="hint">Template ${esc(job.templateId)} · schedule ${esc(job.schedule.state)}, ${interval(job.schedule.interval)}</p>`
      : (app ? `<p>No provisioning job yet.</p>${btn("Create the provisioning job", "job/create", {}, 'class="primary"')}`
        : `<p class="hint">Add the app first.</p>`));
    const s = state.setup;
    $("#token-hint").textContent = s.tokenSaved
      ? "A secret token is saved (Graph never shows it). Leave this empty to keep it, or enter a new one."
      : "A Genesys OAuth client's access token (client credentials grant).";
    // Fill the settings from what is saved, unless the trainer is editing them.
    const form = $("#credentials-form");
    const saved = JSON.stringify([s, job && job.id]);
    if (saved !== setupFilled && !form.dataset.dirty) {
      setupFilled = saved;
      $("#tenant-url").value = s.tenantUrl || $("#tenant-url").dataset.default;
      $("#notify").value = s.notify;
      $("#scope").value = s.scope;
      $("#skip-deletions").checked = s.skipOutOfScopeDeletions;
      if (s.tenantUrl) {
        $("#prevent-deletes").checked = s.deleteThresholdEnabled;
        if (s.deleteThreshold) $("#delete-threshold").value = s.deleteThreshold;
      }
    }
    const o = state.overview;
    region($("#setup-status"), o
      ? `<p>Provisioning status: <strong id="provisioning-status">${esc(o.provisioningStatus)}</strong> ${chip(o.code, o.code === "Quarantine" ? "failure" : "info")}</p>`
      : `<p class="hint">No job yet.</p>`);
  }

  function userActions(u) {
    const parts = [];
    if (u.deleted) {
      parts.push(btn("Restore", "directory/user/restore", { id: u.id }, `data-key="restore-${esc(u.id)}" aria-label="Restore ${esc(u.displayName)}"`));
      parts.push(btn("Delete permanently", "directory/user/purge", { id: u.id, confirm: `Permanently delete ${u.displayName}? The next cycle deletes the Genesys user.` },
        `data-key="purge-${esc(u.id)}" aria-label="Delete ${esc(u.displayName)} permanently" class="danger"`));
    } else {
      parts.push(`<button type="button" data-edit-user="${esc(u.id)}" data-key="edit-${esc(u.id)}" aria-label="Edit ${esc(u.displayName)}">Edit</button>`);
      parts.push(u.assignedDirectly
        ? btn("Unassign", "directory/unassign", { "principal-id": u.id }, `data-key="unassign-${esc(u.id)}" aria-label="Unassign ${esc(u.displayName)}"`)
        : btn("Assign", "directory/assign", { "principal-id": u.id }, `data-key="assign-${esc(u.id)}" aria-label="Assign ${esc(u.displayName)}"`));
      if (state.job) parts.push(`<button type="button" data-pod="${esc(u.id)}" data-pod-type="User" data-key="pod-${esc(u.id)}" aria-label="Provision ${esc(u.displayName)} on demand">On demand</button>`);
      parts.push(btn("Delete", "directory/user/delete", { id: u.id, confirm: `Delete ${u.displayName}? (soft delete: restorable for 30 days)` },
        `data-key="delete-${esc(u.id)}" aria-label="Delete ${esc(u.displayName)}"`));
    }
    parts.push(`<a href="#logs" data-log-identity="${esc(u.id)}" data-key="logs-${esc(u.id)}" aria-label="Provisioning logs of ${esc(u.displayName)}">Logs</a>`);
    return `<div class="row-actions">${parts.join("")}</div>`;
  }

  const GENESYS_KIND = { created: "success", matched: "info", disabled: "muted", missing: "failure", exists: "muted" };
  const SCOPE_KIND = { assigned: "success", group: "success", all: "success", unassigned: "muted", disabled: "warning", deleted: "failure" };
  const GENESYS_LABEL = { created: "Created", matched: "Matched", disabled: "Disabled", missing: "Missing", exists: "Exists" };

  function drawDirectory() {
    const d = state.directory;
    const search = $("#user-search").value.trim().toLowerCase();
    const inScope = d.users.filter((u) => u.scope.inScope).length;
    region($("#directory-summary"), `<p>${plural(d.users.length, "Entra user")} (${inScope} in scope) · ${plural(d.groups.length, "group")} ·
      Genesys: ${d.genesysUsers.active} active of ${plural(d.genesysUsers.total, "user")}</p>
      ${d.truncated ? `<p class="hint">A large tenant: the first 999 users and groups are listed.</p>` : ""}
      ${d.scopingFilters ? `<p class="hint">The job has scoping filters: the Scope column shows assignment only; the provisioning logs show each object's scoping decision.</p>` : ""}`);
    const users = d.users.filter((u) => !search || `${u.displayName} ${u.userPrincipalName}`.toLowerCase().includes(search));
    region($("#users-body"), users.map((u) => `<tr data-user="${esc(u.userPrincipalName)}" class="${u.deleted ? "deleted" : ""}">
      <td data-label="User"><strong>${esc(u.displayName)}</strong><br><small>${esc(u.userPrincipalName)}</small>
        ${u.accountEnabled === false && !u.deleted ? chip("Disabled", "warning") : ""}${u.deleted ? chip("Deleted", "failure") : ""}</td>
      <td data-label="Job title · Department">${esc(u.jobTitle || "—")}<br><small>${esc(u.department || "—")}</small></td>
      <td data-label="Manager">${esc(u.manager ? u.manager.displayName : "—")}</td>
      <td data-label="Scope">${chip(u.scope.inScope ? "In scope" : "Out of scope", SCOPE_KIND[u.scope.state] || "muted")}<br><small>${esc(u.scope.text)}</small></td>
      <td data-label="In Genesys" class="genesys-state">${chip(GENESYS_LABEL[u.genesys.state] || u.genesys.state, GENESYS_KIND[u.genesys.state] || "muted")}<br><small>${esc(u.genesys.text)}${u.genesys.title ? ` · ${esc(u.genesys.title)}` : ""}</small></td>
      <td data-label="Actions">${userActions(u)}</td></tr>`).join("")
      || `<tr><td colspan="6" class="empty">No user matches “${esc(search)}”.</td></tr>`);
    region($("#groups-body"), d.groups.map((g) => `<tr data-group="${esc(g.displayName)}">
      <td data-label="Group"><strong>${esc(g.displayName)}</strong>${g.description ? `<br><small>${esc(g.description)}</small>` : ""}</td>
      <td data-label="Scope">${chip(g.scope.inScope ? "In scope" : "Out of scope", g.scope.inScope ? "success" : "muted")}<br><small>${esc(g.scope.text)}</small></td>
      <td data-label="Members"><details><summary>${plural(g.members.length, "member")}</summary><ul class="members">${g.members.map((m) => `<li>${esc(m.displayName)}
        ${btn("Remove", "directory/group/remove-member", { "group-id": g.id, "user-id": m.id }, `class="link" data-key="rm-${esc(g.id)}-${esc(m.id)}" aria-label="Remove ${esc(m.displayName)} from ${esc(g.displayName)}"`)}</li>`).join("")}</ul></details></td>
      <td data-label="In Genesys">${chip(g.genesys.state === "exists" ? "Exists" : "Missing", g.genesys.state === "exists" ? "success" : "failure")}<br><small>${esc(g.genesys.text)}</small></td>
      <td data-label="Actions"><div class="row-actions">${g.assigned
        ? btn("Unassign", "directory/unassign", { "principal-id": g.id }, `data-key="unassign-${esc(g.id)}" aria-label="Unassign ${esc(g.displayName)}"`)
        : btn("Assign", "directory/assign", { "principal-id": g.id }, `data-key="assign-${esc(g.id)}" aria-label="Assign ${esc(g.displayName)}"`)}
        ${state.job ? `<button type="button" data-pod="${esc(g.id)}" data-pod-type="Group" data-key="pod-${esc(g.id)}" aria-label="Provision ${esc(g.displayName)} on demand">On demand</button>` : ""}
        <a href="#logs" data-log-identity="${esc(g.id)}" data-key="glogs-${esc(g.id)}" aria-label="Provisioning logs of ${esc(g.displayName)}">Logs</a></div></td></tr>`).join(""));
    region($("#genesys-only-body"), d.genesysOnly.map((u) => `<tr><td>${esc(u.userName)}</td><td>${esc(u.displayName)}</td>
      <td>${esc(u.title || "—")}</td><td>${u.active ? "yes" : "no"}</td></tr>`).join("")
      || `<tr><td colspan="4" class="empty">None.</td></tr>`);
    fillSelect($("#member-group"), d.groups.map((g) => [g.id, g.displayName]));
    fillSelect($("#member-user"), d.users.filter((u) => !u.deleted).map((u) => [u.id, `${u.displayName} (${u.userPrincipalName})`]));
  }

  function fillSelect(select, options, blank) {
    const key = JSON.stringify([options, blank || ""]);
    if (select.__options === key) return;
    const keep = select.value;
    select.__options = key;
    select.innerHTML = (blank !== undefined ? `<option value="">${esc(blank)}</option>` : "")
      + options.map(([v, t]) => `<option value="${esc(v)}">${esc(t)}</option>`).join("");
    if (keep && options.some(([v]) => v === keep)) select.value = keep;
  }

  function drawFailures() {
    const f = state.failures;
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

  // ------------------------------------------------------------------ stories
  async function loadLibrary() {
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

  function drawStory() {
    const s = state.story;
    if (!s) { region($("#story"), `<p class="empty">No story loaded.</p>`); return; }
    const steps = s.steps.map((st) => {
      const o = st.outcome;
      const mark = o ? (o.state === "ok" ? chip("done", "success") : o.state === "failed" ? chip("expectation failed", "failure") : chip("error", "failure"))
        : (st.index === s.position + 1 ? chip("next", "info") : "");
      const lines = o ? `<ul class="lines">${o.lines.map((l) => `<li>${esc(l)}</li>`).join("")}
        ${o.entries.map((e) => `<li>provisioning log: ${esc(e.what)} × ${e.count}</li>`).join("")}</ul>` : "";
      return `<li class="${o ? "done" : st.index === s.position + 1 ? "next" : ""}"><span class="step-text">${esc(st.text)}</span> ${mark}${lines}</li>`;
    }).join("");
    const canStep = !s.finished && !s.stopped;
    region($("#story"), `<article class="card story" aria-labelledby="h-story">
      <h2 id="h-story">Story: ${esc(s.name)}</h2><p>${esc(s.description)}</p>
      <p class="progress-row"><progress max="${s.total}" value="${s.position}" aria-label="Story progress"></progress>
        <span id="story-position">Step ${s.position} of ${s.total}${s.finished ? " · the end" : ""}${s.stopped ? " · stopped" : ""}</span></p>
      <div class="buttons">${canStep ? btn("Next step", "story/step", {}, 'class="primary" data-key="story-next"') : ""}
        ${btn("Close the story", "story/close", {}, 'data-key="story-close"')}</div>
      <ol class="steps">${steps}</ol></article>`);
  }

  // ------------------------------------------------------------------ logs
  function logQuery() {
    const data = formData($("#log-filters"));
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(data)) if (v) params.set(k, v);
    if (logPaging.skip) params.set("skiptoken", logPaging.skip);
    return params;
  }

  async function loadLogs(resetPaging) {
    if (resetPaging) { logPaging.stack = []; logPaging.skip = ""; }
    try {
      const data = await getJSON(API + "logs?" + logQuery().toString());
      $("#log-query").textContent = "GET /auditLogs/provisioning?" + (data.filter ? `$filter=${data.filter}&` : "") + `$top=${data.top}`
        + (data.skip ? `&$skiptoken=${data.skip}` : "");
      logPaging.next = data.next;
      region($("#logs-body"), data.rows.map((r) => `<tr class="st-${esc(r.status)}" data-entry="${esc(r.id)}">
        <td data-label="Date">${when(r.at)}</td>
        <td data-label="Identity"><strong>${esc(r.identity)}</strong><br><small>${esc(r.identityType)}</small></td>
        <td data-label="Action">${esc(r.action ? r.action[0].toUpperCase() + r.action.slice(1) : "")}</td>
        <td data-label="Source system">${esc(r.sourceSystem)}</td>
        <td data-label="Target system">${esc(r.targetSystem)}</td>
        <td data-label="Status">${chip(r.status ? r.status[0].toUpperCase() + r.status.slice(1) : "", r.status)}</td>
        <td data-label="Details" class="summary">${esc(r.summary)}</td>
        <td><button type="button" data-entry-open="${esc(r.id)}" data-key="open-${esc(r.id)}" aria-label="Details of the ${esc(r.action)} of ${esc(r.identity)} at ${esc(r.at)}">Details</button></td></tr>`).join("")
        || `<tr><td colspan="8" class="empty">No provisioning log entry matches.</td></tr>`);
      const first = data.skip + (data.rows.length ? 1 : 0);
      $("#logs-range").textContent = data.rows.length ? `Entries ${first}–${data.skip + data.rows.length}` : "No entries";
      $("#logs-prev").disabled = !logPaging.stack.length;
      $("#logs-next").disabled = !data.next;
    } catch (err) { fail(err.message); }
  }

  async function openEntry(id) {
    try {
      const e = await getJSON(API + "logs/" + encodeURIComponent(id));
      const steps = e.steps.map((s, i) => `<li class="step st-${esc(s.status)}"><strong>${i + 1}. ${esc(s.name)}</strong> ${chip(s.status, s.status)}
        <span class="hint">(${esc(s.type)})</span><p>${esc(s.description)}</p>
        ${s.details.length ? `<dl class="kv">${s.details.map((d) => `<div><dt>${esc(d.key)}</dt><dd>${esc(d.value)}</dd></div>`).join("")}</dl>` : ""}</li>`).join("");
      const props = e.modifiedProperties.length ? `<table class="grid compact"><caption class="visually-hidden">Modified properties</caption>
        <thead><tr><th scope="col">Property</th><th scope="col">Old value</th><th scope="col">New value</th></tr></thead>
        <tbody>${e.modifiedProperties.map((p) => `<tr><th scope="row">${esc(p.name)}</th><td>${esc(p.old ?? "")}</td><td>${esc(p.new ?? "")}</td></tr>`).join("")}</tbody></table>`
        : `<p class="empty">No property was modified.</p>`;
      const trouble = e.error ? `<dl class="kv"><div><dt>Error code</dt><dd>${esc(e.error.errorCode)}</dd></div>
        <div><dt>Reason</dt><dd>${esc(e.error.reason)}</dd></div>
        ${e.error.additionalDetails ? `<div><dt>Additional details</dt><dd>${esc(e.error.additionalDetails)}</dd></div>` : ""}
        <div><dt>Category</dt><dd>${esc(e.error.errorCategory)}</dd></div>
        ${e.error.recommendedAction ? `<div><dt>Recommended action</dt><dd>${esc(e.error.recommendedAction)}</dd></div>` : ""}</dl>`
        : `<p class="empty">No error.</p>`;
      openDialog(`${e.action ? e.action[0].toUpperCase() + e.action.slice(1) : ""} · ${e.identity} · ${e.status}`, `
        <section aria-labelledby="d-steps"><h3 id="d-steps">Steps</h3><ol class="detail-steps">${steps}</ol></section>
        <section aria-labelledby="d-trouble"><h3 id="d-trouble">Troubleshooting &amp; Recommendations</h3>${trouble}</section>
        <section aria-labelledby="d-props"><h3 id="d-props">Modified Properties</h3>${props}</section>
        <section aria-labelledby="d-summary"><h3 id="d-summary">Summary</h3><dl class="kv">
          <div><dt>Date</dt><dd>${when(e.at)}</dd></div><div><dt>Activity ID</dt><dd>${esc(e.id)}</dd></div>
          <div><dt>Job ID</dt><dd>${esc(e.jobId)}</dd></div><div><dt>Cycle ID</dt><dd>${esc(e.cycleId)}</dd></div>
          <div><dt>Change ID</dt><dd>${esc(e.changeId)}</dd></div>
          <div><dt>Source identity</dt><dd>${esc(e.identity)} (${esc(e.sourceId)})</dd></div>
          <div><dt>Target identity</dt><dd>${esc(e.targetId || "—")}</dd></div>
          <div><dt>Initiated by</dt><dd>${esc(e.initiatedBy)}</dd></div></dl></section>`);
    } catch (err) { fail(err.message); }
  }

  async function openMail(id) {
    try {
      const m = await getJSON(API + "outbox/" + encodeURIComponent(id));
      openDialog(m.subject, `<dl class="kv"><div><dt>From</dt><dd>${esc(m.from)}</dd></div><div><dt>To</dt><dd>${esc(m.to)}</dd></div>
        <div><dt>Date</dt><dd>${esc(m.date)}</dd></div></dl><pre class="mail">${esc(m.body)}</pre>`);
    } catch (err) { fail(err.message); }
  }

  function openDialog(title, html) {
    const dialog = $("#dialog");
    $("#dialog-title").textContent = title;
    $("#dialog-body").innerHTML = html;
    if (!dialog.open) dialog.showModal();
  }

  function editUser(id) {
    const u = state.directory.users.find((x) => x.id === id);
    if (!u) return;
    const managers = state.directory.users.filter((x) => !x.deleted && x.id !== id);
    openDialog(`Edit ${u.displayName}`, `<form id="edit-user-form" data-id="${esc(u.id)}">
      <p class="hint">${esc(u.userPrincipalName)} · changes go to Entra through Graph; the next cycle sends them to Genesys.</p>
      <div class="field"><label for="eu-title">Job title</label><input id="eu-title" name="jobTitle" value="${esc(u.jobTitle || "")}"></div>
      <div class="field"><label for="eu-dept">Department</label><input id="eu-dept" name="department" value="${esc(u.department || "")}"></div>
      <div class="field"><label for="eu-manager">Manager</label><select id="eu-manager" name="managerId"><option value="">(none)</option>
        ${managers.map((m) => `<option value="${esc(m.id)}" ${u.manager && u.manager.id === m.id ? "selected" : ""}>${esc(m.displayName)}</option>`).join("")}</select></div>
      <div class="field check"><input id="eu-enabled" name="accountEnabled" type="checkbox" ${u.accountEnabled !== false ? "checked" : ""}>
        <label for="eu-enabled">Account enabled</label></div>
      <div class="buttons"><button type="submit" class="primary">Save</button><button type="button" data-close>Cancel</button></div></form>`);
  }

  async function provisionOnDemand(id, type) {
    const data = await act("job/provision-on-demand", { objectId: id, type });
    if (!data) return;
    const steps = data.steps.map((s, i) => `<li><strong>${i + 1}. ${esc(s.name)}</strong> ${chip(s.status, s.status)}<p>${esc(s.description)}</p></li>`).join("");
    const props = data.modifiedProperties.map((p) => `<tr><th scope="row">${esc(p.name)}</th><td>${esc(p.old ?? "")}</td><td>${esc(p.new ?? "")}</td></tr>`).join("");
    openDialog(`Provision on demand: ${data.result}`, `<p>${esc(data.message)}</p><h3>Steps</h3><ol class="detail-steps">${steps}</ol>
      ${props ? `<h3>Modified properties</h3><table class="grid compact"><thead><tr><th scope="col">Property</th><th scope="col">Old value</th><th scope="col">New value</th></tr></thead><tbody>${props}</tbody></table>` : ""}`);
  }

  // ------------------------------------------------------------------ events
  function dataBody(el) {
    const body = {};
    for (const [k, v] of Object.entries(el.dataset)) {
      if (["action", "key", "confirm", "needs"].includes(k)) continue;
      body[k] = v === "true" ? true : v === "false" ? false : v;
    }
    return body;
  }

  document.addEventListener("click", async (ev) => {
    const el = ev.target.closest("button, a");
    if (!el) return;
    if (el.matches("[data-close]")) { $("#dialog").close(); return; }
    if (el.dataset.logIdentity || el.dataset.logCycle) {
      $("#log-filters").reset();
      if (el.dataset.logIdentity) $("#f-identity").value = el.dataset.logIdentity;
      $("#f-cycle").value = el.dataset.logCycle || "";
      logPaging.stack = []; logPaging.skip = "";
      return; // the link's #logs hash shows the page, which loads the entries
    }
    if (el.dataset.entryOpen) { openEntry(el.dataset.entryOpen); return; }
    if (el.dataset.mail) { openMail(el.dataset.mail); return; }
    if (el.dataset.editUser) { editUser(el.dataset.editUser); return; }
    if (el.dataset.pod) { provisionOnDemand(el.dataset.pod, el.dataset.podType); return; }
    if (el.dataset.advance) {
      ev.preventDefault();
      act("clock/advance", { duration: el.dataset.advance }, el);
      return;
    }
    if (el.dataset.action) {
      if (el.dataset.confirm && !window.confirm(el.dataset.confirm)) return;
      const body = dataBody(el);
      const renamed = {};
      for (const [k, v] of Object.entries(body)) renamed[k.replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = v;
      if (el.dataset.action === "job/restart" && !("resetScope" in renamed)) renamed.resetScope = [];
      act(el.dataset.action, renamed, el);
    }
  });

  document.addEventListener("submit", async (ev) => {
    const form = ev.target;
    if (form.id === "clock-form") { ev.preventDefault(); return; }
    ev.preventDefault();
    const submitter = ev.submitter;
    if (form.id === "credentials-form") {
      const body = formData(form);
      body.deleteThreshold = Number(body.deleteThreshold || 500);
      if (await act("job/credentials", body, submitter)) { delete form.dataset.dirty; $("#secret-token").value = ""; setupFilled = ""; await refresh(true); }
    } else if (form.id === "restart-form") {
      if (await act("job/restart", { resetScope: formData(form).resetScope || [] }, submitter)) for (const c of $$("input[type=checkbox]", form)) c.checked = false;
    } else if (form.id === "new-user-form") {
      if (await act("directory/user/create", formData(form), submitter)) { form.reset(); form.closest("details").open = false; }
    } else if (form.id === "member-form") {
      const body = formData(form);
      act(submitter && submitter.value === "remove" ? "directory/group/remove-member" : "directory/group/add-member",
        { groupId: body.groupId, userId: body.userId }, submitter);
    } else if (form.id === "fault-form") {
      const body = formData(form);
      if (await act("faults/add", body, submitter)) form.closest("details").open = false;
    } else if (form.id === "log-filters") {
      loadLogs(true);
    } else if (form.id === "edit-user-form") {
      const body = formData(form);
      body.id = form.dataset.id;
      if (await act("directory/user/update", body, submitter)) $("#dialog").close();
    }
  });

  document.addEventListener("input", (ev) => {
    if (ev.target.closest("#credentials-form")) $("#credentials-form").dataset.dirty = "1";
    if (ev.target.id === "user-search" && state) drawDirectory();
  });

  function wire() {
    $("#log-filters").addEventListener("reset", () => { $("#f-cycle").value = ""; setTimeout(() => loadLogs(true), 0); });
    $("#logs-next").addEventListener("click", () => {
      if (!logPaging.next) return;
      logPaging.stack.push(logPaging.skip); logPaging.skip = logPaging.next; loadLogs(false);
    });
    $("#logs-prev").addEventListener("click", () => {
      if (!logPaging.stack.length) return;
      logPaging.skip = logPaging.stack.pop(); loadLogs(false);
    });
    $("#get-token").addEventListener("click", async (ev) => {
      const data = await act("genesys/token", {}, ev.currentTarget);
      if (data && data.token) { $("#secret-token").value = data.token; $("#credentials-form").dataset.dirty = "1"; }
    });
    $("#test-connection").addEventListener("click", async (ev) => {
      const form = formData($("#credentials-form"));
      const out = $("#test-result");
      out.textContent = "Testing the connection…";
      const data = await act("job/test-connection", { tenantUrl: form.tenantUrl, secretToken: form.secretToken }, ev.currentTarget);
      out.textContent = data ? data.message : $("#error").textContent;
      out.className = "result " + (data ? "ok" : "bad");
    });
    $("#dialog").addEventListener("close", () => { $("#dialog-body").innerHTML = ""; });
    window.addEventListener("hashchange", showPage);
  }

  document.addEventListener("DOMContentLoaded", () => {
    wire();
    showPage();
    refresh(true).finally(() => setTimeout(poll, POLL_MS));
  });
})();
