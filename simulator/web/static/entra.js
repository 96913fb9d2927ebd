// The Entra side: Overview, Setup, Directory (with the assignment dialog, the edit dialog and the
// side-by-side view) and the provisioning logs (with the wire in each entry's details).
"use strict";

import {
  $, API, S, act, btn, cap, chip, closeDialog, currentPage, dialogError, esc, fail, focusOn, formData, getJSON,
  interval, openDialog, plural, region, when,
} from "./core.js";

// ------------------------------------------------------------------ quarantine banner
export function drawQuarantine() {
  const q = S.state.overview && S.state.overview.quarantine;
  const box = $("#quarantine-banner");
  if (!q) { box.hidden = true; region(box, ""); return; }
  box.hidden = false;
  const mail = q.notifications ? ` A notification e-mail was sent (<a href="#failures">outbox</a>).` : "";
  region(box, `<h2>The provisioning job is in quarantine</h2>
    <p><strong>Reason: ${esc(q.reason)}</strong>${q.errorCode ? ` · ${esc(q.errorCode)}: ${esc(q.errorMessage)}` : ""}</p>
    <p>In quarantine since ${when(q.since)} · next attempt ${when(q.nextAttempt)}.${mail}</p>
    <p class="advice">${esc(q.advice)}</p>`);
}

// ------------------------------------------------------------------ overview
function countsTable(cycle, caption) {
  if (!cycle) return "";
  const rows = cycle.actions.length ? cycle.actions.map((a) => `<tr><th scope="row">${esc(a.action)}</th>
    <td>${a.success}</td><td>${a.failure}</td><td>${a.skipped}</td><td>${a.warning}</td><td>${a.total}</td></tr>`).join("")
    : `<tr><td colspan="6" class="empty">No changes: nothing was sent to Genesys.</td></tr>`;
  const err = cycle.errorCode ? `<p class="error-text">${esc(cycle.errorCode)}: ${esc(cycle.errorMessage)}</p>` : "";
  return `<article class="card" aria-label="${esc(caption)}">
    <h2>${esc(caption)}</h2>
    <p>${esc(cap(cycle.kind))} cycle · ${when(cycle.began)} – ${when(cycle.ended)} ·
      ${chip(cycle.state, cycle.state === "Succeeded" ? "success" : cycle.state === "Failed" ? "failure" : "warning")}</p>
    ${err}
    ${cycle.account ? `<p class="account"><strong>In plain words:</strong> ${esc(cycle.account)}</p>` : ""}
    <details><summary>Counts by action and status</summary>
    <div class="table-wrap"><table class="grid compact counts"><caption class="visually-hidden">${esc(caption)} by action</caption>
      <thead><tr><th scope="col">Action</th><th scope="col">Success</th><th scope="col">Failure</th><th scope="col">Skipped</th><th scope="col">Warning</th><th scope="col">Total</th></tr></thead>
      <tbody>${rows}</tbody></table></div></details>
    <p><a href="#logs" class="button" data-log-cycle="${esc(cycle.cycleId)}" data-key="cycle-${esc(cycle.cycleId)}">View this cycle in the provisioning logs</a></p>
  </article>`;
}

export function drawOverview() {
  const el = $("#overview-body");
  const state = S.state;
  if (!state.app) {
    region(el, `<p class="empty">This tenant has no PureCloud by Genesys enterprise app yet. <a href="#setup">Add it from the gallery in Setup</a>.</p>`);
    return;
  }
  const o = state.overview;
  if (!o) {
    region(el, `<div class="card empty-state"><h2>Get started</h2>
      <p>No provisioning job yet. Create it from the PureCloud by Genesys template, enter the admin credentials, test the connection and start it.</p>
      <div class="buttons">${btn("Create the provisioning job", "job/create", {}, 'class="primary"')} <a class="button" href="#setup">Go to Setup</a></div></div>`);
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

// ------------------------------------------------------------------ setup
let setupFilled = "";
export function drawSetup() {
  const state = S.state;
  const app = state.app;
  region($("#setup-app"), app
    ? `<p><strong>${esc(app.displayName)}</strong> ${chip("added", "success")}</p><p class="hint">Service principal ${esc(app.id)}</p>`
    : `<p>The tenant has no PureCloud by Genesys app.</p>${btn("Add PureCloud by Genesys from the gallery", "app/add", {}, 'class="primary"')}`);
  const job = state.job;
  region($("#setup-job"), job
    ? `<p><strong>Job</strong> <code>${esc(job.id)}</code></p><p class="hint">Template ${esc(job.templateId)} · schedule ${esc(job.schedule.state)}, ${interval(job.schedule.interval)}</p>`
    : (app ? `<p>No provisioning job yet (Provisioning Mode: Manual).</p>${btn("Create the provisioning job (Provisioning Mode: Automatic)", "job/create", {}, 'class="primary"')}`
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
    $("#notify-enabled").checked = s.notifyEnabled;
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

export function forgetSetupFill() { setupFilled = ""; }

// ------------------------------------------------------------------ directory
function userActions(u) {
  const parts = [];
  const name = esc(u.displayName);
  if (u.deleted) {
    parts.push(btn("Restore", "directory/user/restore", { id: u.id }, `data-key="restore-${esc(u.id)}" aria-label="Restore ${name}"`));
    parts.push(btn("Delete permanently", "directory/user/purge", { id: u.id, confirm: `Permanently delete ${u.displayName}? The next cycle deletes the Genesys user.` },
      `data-key="purge-${esc(u.id)}" aria-label="Delete ${name} permanently" class="danger"`));
  } else {
    parts.push(`<button type="button" data-edit-user="${esc(u.id)}" data-key="edit-${esc(u.id)}" aria-label="Edit ${name}">Edit</button>`);
    parts.push(u.assignedDirectly
      ? btn("Unassign", "directory/unassign", { "principal-id": u.id }, `data-key="unassign-${esc(u.id)}" aria-label="Unassign ${name}"`)
      : `<button type="button" data-assign="${esc(u.id)}" data-key="assign-${esc(u.id)}" aria-label="Assign ${name}">Assign</button>`);
    if (S.state.job) {
      parts.push(`<button type="button" data-compare="${esc(u.id)}" data-key="compare-${esc(u.id)}" aria-label="Compare ${name}: Entra, mapped, Genesys">Compare</button>`);
      parts.push(`<button type="button" data-pod="${esc(u.id)}" data-pod-type="User" data-key="pod-${esc(u.id)}" aria-label="Provision ${name} on demand">On demand</button>`);
    }
    parts.push(btn("Delete", "directory/user/delete", { id: u.id, confirm: `Delete ${u.displayName}? (soft delete: restorable for 30 days)` },
      `data-key="delete-${esc(u.id)}" aria-label="Delete ${name}"`));
  }
  parts.push(`<a class="button" href="#logs" data-log-identity="${esc(u.id)}" data-key="logs-${esc(u.id)}" aria-label="Provisioning logs of ${name}">Logs</a>`);
  return `<div class="row-actions">${parts.join("")}</div>`;
}

const GENESYS_KIND = { created: "success", matched: "info", disabled: "muted", missing: "failure", exists: "muted" };
const SCOPE_KIND = { assigned: "success", group: "success", all: "success", unassigned: "muted", disabled: "warning", deleted: "failure" };
const GENESYS_LABEL = { created: "Created", matched: "Matched", disabled: "Disabled", missing: "Missing", exists: "Exists" };

export function drawDirectory() {
  const d = S.state.directory;
  const search = $("#user-search").value.trim().toLowerCase();
  const inScope = d.users.filter((u) => u.scope.inScope).length;
  region($("#directory-summary"), `<p>${plural(d.users.length, "Entra user")} (${inScope} in scope) · ${plural(d.groups.length, "group")} ·
    Genesys: ${d.genesysUsers.active} active of ${plural(d.genesysUsers.total, "user")}</p>
    ${d.truncated ? `<p class="hint">A large tenant: the first 999 users and groups are listed.</p>` : ""}
    ${d.scopingFilters ? `<p class="hint">The job has scoping filters (Mappings): the Scope column shows assignment only; the provisioning logs show each object's scoping decision.</p>` : ""}`);
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
    <td data-label="In Genesys">${chip(g.genesys.state === "exists" ? "Exists" : "Missing", g.genesys.state === "exists" ? "success" : "failure")}<br><small>${esc(g.genesys.text)}</small>
      ${g.genesys.state === "exists" ? "" : `<br><a class="button" href="#groups" data-create-group="${esc(g.displayName)}" data-key="mkgroup-${esc(g.id)}">Create it in Genesys</a>`}</td>
    <td data-label="Actions"><div class="row-actions">${g.assigned
      ? btn("Unassign", "directory/unassign", { "principal-id": g.id }, `data-key="unassign-${esc(g.id)}" aria-label="Unassign ${esc(g.displayName)}"`)
      : `<button type="button" data-assign="${esc(g.id)}" data-key="assign-${esc(g.id)}" aria-label="Assign ${esc(g.displayName)}">Assign</button>`}
      ${S.state.job ? `<button type="button" data-pod="${esc(g.id)}" data-pod-type="Group" data-key="pod-${esc(g.id)}" aria-label="Provision ${esc(g.displayName)} on demand">On demand</button>` : ""}
      <a class="button" href="#logs" data-log-identity="${esc(g.id)}" data-key="glogs-${esc(g.id)}" aria-label="Provisioning logs of ${esc(g.displayName)}">Logs</a></div></td></tr>`).join(""));
  region($("#genesys-only-body"), d.genesysOnly.map((u) => `<tr><td>${esc(u.userName)}</td><td>${esc(u.displayName)}</td>
    <td>${esc(u.title || "—")}</td><td>${u.active ? "yes" : "no"}</td></tr>`).join("")
    || `<tr><td colspan="4" class="empty">None.</td></tr>`);
  fillSelect($("#member-group"), d.groups.map((g) => [g.id, g.displayName]));
  fillSelect($("#member-user"), d.users.filter((u) => !u.deleted).map((u) => [u.id, `${u.displayName} (${u.userPrincipalName})`]));
}

export function fillSelect(select, options, blank) {
  const key = JSON.stringify([options, blank || ""]);
  if (select.__options === key) return;
  const keep = select.value;
  select.__options = key;
  select.innerHTML = (blank !== undefined ? `<option value="">${esc(blank)}</option>` : "")
    + options.map(([v, t]) => `<option value="${esc(v)}">${esc(t)}</option>`).join("");
  if (keep && options.some(([v]) => v === keep)) select.value = keep;
}

function principal(id) {
  const d = S.state.directory;
  return d.users.find((u) => u.id === id) || d.groups.find((g) => g.id === id);
}

/** Users and groups > Add user/group: pick a role (the app's roles; Default Access is not provisioned). */
export function assignDialog(id) {
  const who = principal(id);
  if (!who) return;
  const roles = S.state.roles || [];
  if (!S.state.app) { fail("Add the PureCloud by Genesys app from the gallery first (Setup)."); focusOn($("#error")); return; }
  const options = roles.map((r, i) => `<div class="field check"><input type="radio" name="role" id="ar-${i}" value="${esc(r.displayName)}"
      ${r.displayName === "User" ? "checked" : ""}><label for="ar-${i}">${esc(r.displayName)}${r.displayName === "Default Access"
      ? " <small>(the 2020 tutorial: skipped as \"not effectively entitled\"; since July 2020 provisioned like any role)</small>" : ""}</label></div>`).join("");
  openDialog(`Add assignment: ${who.displayName}`, `<form id="assign-form" data-id="${esc(id)}">
    <p class="hint">Users and groups &gt; Add user/group, then pick a role (tutorial step 4).</p>
    <fieldset><legend>Select a role</legend>${options}</fieldset>
    <div class="buttons"><button type="submit" class="primary">Assign</button><button type="button" data-close>Cancel</button></div></form>`);
}

export function editUser(id) {
  const u = S.state.directory.users.find((x) => x.id === id);
  if (!u) return;
  const managers = S.state.directory.users.filter((x) => !x.deleted && x.id !== id);
  openDialog(`Edit ${u.displayName}`, `<form id="edit-user-form" data-id="${esc(u.id)}" data-version="${esc(u.version)}">
    <p class="hint">${esc(u.userPrincipalName)} · changes go to Entra through Graph; the next cycle sends them to Genesys.</p>
    <div class="field"><label for="eu-title">Job title</label><input id="eu-title" name="jobTitle" value="${esc(u.jobTitle || "")}"></div>
    <div class="field"><label for="eu-dept">Department</label><input id="eu-dept" name="department" value="${esc(u.department || "")}"></div>
    <div class="field"><label for="eu-manager">Manager</label><select id="eu-manager" name="managerId"><option value="">(none)</option>
      ${managers.map((m) => `<option value="${esc(m.id)}" ${u.manager && u.manager.id === m.id ? "selected" : ""}>${esc(m.displayName)}</option>`).join("")}</select></div>
    <div class="field check"><input id="eu-enabled" name="accountEnabled" type="checkbox" ${u.accountEnabled !== false ? "checked" : ""}>
      <label for="eu-enabled">Account enabled</label></div>
    <div class="buttons"><button type="submit" class="primary">Save</button><button type="button" data-close>Cancel</button></div></form>`);
}

export async function submitEditUser(form, submitter) {
  const body = formData(form);
  body.id = form.dataset.id;
  body.version = form.dataset.version;  // what the edit started from: a stale save is refused
  await act("directory/user/update", body, submitter,
    { done: closeDialog, quietError: true, onError: (e) => dialogError(e.message) });
}

export async function submitAssign(form, submitter) {
  const role = formData(form).role;
  await act("directory/assign", { principalId: form.dataset.id, role }, submitter,
    { done: closeDialog, quietError: true, onError: (e) => dialogError(e.message) });
}

const STATE_TEXT = { same: "same", differs: "differs", missing: "not in Genesys", error: "fails", createOnly: "only at creation" };
const STATE_KIND = { same: "success", differs: "failure", missing: "muted", error: "failure", createOnly: "info" };

/** Side by side: what Entra holds, what the mapping makes of it, what Genesys holds. */
export async function compareUser(id) {
  try {
    const c = await getJSON(API + "compare/" + encodeURIComponent(id));
    const rows = c.rows.map((r) => `<tr class="cmp-${esc(r.state)}"><th scope="row">${esc(r.target)}${r.matching ? ` ${chip("matching", "info")}` : ""}</th>
      <td data-label="Entra (source)"><code>${esc(r.source || "")}</code>${r.entra ? `<br><small>${esc(r.entra)}</small>` : ""}</td>
      <td data-label="Mapped value">${r.error ? `<span class="error-text">${esc(r.error)}</span>` : esc(r.mapped ?? "—")}</td>
      <td data-label="In Genesys">${esc(r.genesys ?? "—")}</td>
      <td data-label="">${chip(STATE_TEXT[r.state] || r.state, STATE_KIND[r.state] || "muted")}</td></tr>`).join("");
    const lead = !c.inGenesys ? `${esc(c.displayName)} is not in Genesys: the mapped values are what a create would send.`
      : c.differences ? `${plural(c.differences, "attribute")} in Genesys differ${c.differences === 1 ? "s" : ""} from what the mappings make of Entra: the next cycle that evaluates ${esc(c.displayName)} sends ${c.differences === 1 ? "it" : "them"}.`
        : `Genesys holds what the mappings make of Entra.`;
    openDialog(`Compare ${c.displayName}: Entra, mapped, Genesys`, `<p>${lead}</p>
      <p class="hint">${esc(c.userPrincipalName)} · ${esc(c.mapping)} · mapped values from Graph's <code>parseExpression</code> on this user.</p>
      <div class="table-wrap"><table class="grid compact compare cards-narrow"><caption class="visually-hidden">Side by side</caption>
        <thead><tr><th scope="col">Target attribute</th><th scope="col">Entra (source)</th><th scope="col">Mapped value</th><th scope="col">In Genesys</th><th scope="col">Difference</th></tr></thead>
        <tbody>${rows}</tbody></table></div>`);
  } catch (err) { fail(err.message); focusOn($("#error")); }
}

export async function provisionOnDemand(id, type, control) {
  const data = await act("job/provision-on-demand", { objectId: id, type }, control, { quiet: true });
  if (!data) return;
  const steps = data.steps.map((s) => `<li><strong>${esc(s.name)}</strong> ${chip(s.status, s.status)}<p>${esc(s.description)}</p></li>`).join("");
  const props = data.modifiedProperties.map((p) => `<tr><th scope="row">${esc(p.name)}</th><td>${esc(p.old ?? "")}</td><td>${esc(p.new ?? "")}</td></tr>`).join("");
  openDialog(`Provision on demand: ${data.result}`, `<p>${esc(data.message)}</p><h3>Steps</h3><ol class="detail-steps">${steps}</ol>
    ${props ? `<h3>Modified properties</h3><div class="table-wrap"><table class="grid compact"><thead><tr><th scope="col">Property</th><th scope="col">Old value</th><th scope="col">New value</th></tr></thead><tbody>${props}</tbody></table></div>` : ""}`);
}

// ------------------------------------------------------------------ logs
export const logPaging = { stack: [], skip: "", next: null };

function logQuery() {
  const data = formData($("#log-filters"));
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(data)) if (v) params.set(k, v);
  if (logPaging.skip) params.set("skiptoken", logPaging.skip);
  return params;
}

export async function loadLogs(resetPaging) {
  if (resetPaging) { logPaging.stack = []; logPaging.skip = ""; }
  try {
    const data = await getJSON(API + "logs?" + logQuery().toString());
    $("#log-query").textContent = "GET /auditLogs/provisioning?" + (data.filter ? `$filter=${data.filter}&` : "") + `$top=${data.top}`
      + (data.skip ? `&$skiptoken=${data.skip}` : "");
    logPaging.next = data.next;
    region($("#logs-body"), data.rows.map((r) => `<tr class="st-${esc(r.status)}" data-entry="${esc(r.id)}">
      <td data-label="Date">${when(r.at)}</td>
      <td data-label="Identity"><strong>${esc(r.identity)}</strong><br><small>${esc(r.identityType)}</small></td>
      <td data-label="Action">${esc(cap(r.action))}</td>
      <td data-label="Source system">${esc(r.sourceSystem)}</td>
      <td data-label="Target system">${esc(r.targetSystem)}</td>
      <td data-label="Status">${chip(cap(r.status), r.status)}</td>
      <td data-label="Details" class="summary">${esc(r.summary)}</td>
      <td><button type="button" data-entry-open="${esc(r.id)}" data-key="open-${esc(r.id)}" aria-label="Details of the ${esc(r.action)} of ${esc(r.identity)} at ${esc(r.at)}">Details</button></td></tr>`).join("")
      || `<tr><td colspan="8" class="empty">No provisioning log entry matches.</td></tr>`);
    const first = data.skip + (data.rows.length ? 1 : 0);
    $("#logs-range").textContent = data.rows.length ? `Entries ${first}–${data.skip + data.rows.length}` : "No entries";
    $("#logs-prev").disabled = !logPaging.stack.length;
    $("#logs-next").disabled = !data.next;
  } catch (err) { fail(err.message); }
}

function wireHtml(w) {
  if (!w) return "";
  const rows = w.exchanges.map((x, i) => `<li class="exchange ${x.status >= 400 || !x.status ? "bad" : ""}">
    <details><summary><code>${esc(x.method)} ${esc(x.path)}${x.query ? "?" + esc(decodeURIComponent(x.query.replace(/\+/g, " "))) : ""}</code>
      → <strong>${x.status || "dropped"}</strong>${x.fault ? ` ${chip("fault rule", "warning")}` : ""} <small>${when(x.at)}</small></summary>
      <div class="exchange-bodies">
        <h4 id="wx-req-${i}">Request body</h4>${x.request ? `<pre class="wire" aria-labelledby="wx-req-${i}">${esc(pretty(x.request))}</pre>` : `<p class="empty">(none)</p>`}
        <h4 id="wx-resp-${i}">Response body</h4>${x.response ? `<pre class="wire" aria-labelledby="wx-resp-${i}">${esc(pretty(x.response))}</pre>` : `<p class="empty">(none)</p>`}
      </div></details></li>`).join("");
  return `${w.note ? `<p class="hint">${esc(w.note)}</p>` : ""}${rows ? `<ol class="wire-list">${rows}</ol>` : ""}`;
}

function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (err) { return text; }
}

export async function openEntry(id) {
  try {
    const e = await getJSON(API + "logs/" + encodeURIComponent(id));
    const steps = e.steps.map((s) => `<li class="step st-${esc(s.status)}"><strong>${esc(s.name)}</strong> ${chip(s.status, s.status)}
      <span class="hint">(${esc(s.type)})</span><p>${esc(s.description)}</p>
      ${s.details.length ? `<dl class="kv">${s.details.map((d) => `<div><dt>${esc(d.key)}</dt><dd>${esc(d.value)}</dd></div>`).join("")}</dl>` : ""}</li>`).join("");
    const props = e.modifiedProperties.length ? `<div class="table-wrap"><table class="grid compact"><caption class="visually-hidden">Modified properties</caption>
      <thead><tr><th scope="col">Property</th><th scope="col">Old value</th><th scope="col">New value</th></tr></thead>
      <tbody>${e.modifiedProperties.map((p) => `<tr><th scope="row">${esc(p.name)}</th><td>${esc(p.old ?? "")}</td><td>${esc(p.new ?? "")}</td></tr>`).join("")}</tbody></table></div>`
      : `<p class="empty">No property was modified.</p>`;
    const trouble = e.error ? `<dl class="kv"><div><dt>Error code</dt><dd>${esc(e.error.errorCode)}</dd></div>
      <div><dt>Reason</dt><dd>${esc(e.error.reason)}</dd></div>
      ${e.error.additionalDetails ? `<div><dt>Additional details</dt><dd>${esc(e.error.additionalDetails)}</dd></div>` : ""}
      <div><dt>Category</dt><dd>${esc(e.error.errorCategory)}</dd></div>
      ${e.error.recommendedAction ? `<div><dt>Recommended action</dt><dd>${esc(e.error.recommendedAction)}</dd></div>` : ""}</dl>`
      : `<p class="empty">No error.</p>`;
    openDialog(`${cap(e.action)} · ${e.identity} · ${e.status}`, `
      <p class="account"><strong>In plain words:</strong> ${esc(e.account)}</p>
      <section aria-labelledby="d-steps"><h3 id="d-steps">Steps</h3><ol class="detail-steps">${steps}</ol></section>
      <section aria-labelledby="d-trouble"><h3 id="d-trouble">Troubleshooting &amp; Recommendations</h3>${trouble}</section>
      <section aria-labelledby="d-props"><h3 id="d-props">Modified Properties</h3>${props}</section>
      <section aria-labelledby="d-wire"><h3 id="d-wire">Requests to Genesys</h3>${wireHtml(e.wire)}</section>
      <section aria-labelledby="d-summary"><h3 id="d-summary">Summary</h3><dl class="kv">
        <div><dt>Date</dt><dd>${when(e.at)}</dd></div><div><dt>Activity ID</dt><dd>${esc(e.id)}</dd></div>
        <div><dt>Job ID</dt><dd>${esc(e.jobId)}</dd></div><div><dt>Cycle ID</dt><dd>${esc(e.cycleId)}</dd></div>
        <div><dt>Change ID</dt><dd>${esc(e.changeId)}</dd></div>
        <div><dt>Source identity</dt><dd>${esc(e.identity)} (${esc(e.sourceId)})</dd></div>
        <div><dt>Target identity</dt><dd>${esc(e.targetId || "—")}</dd></div>
        <div><dt>Initiated by</dt><dd>${esc(e.initiatedBy)}</dd></div></dl></section>`);
  } catch (err) { fail(err.message); focusOn($("#error")); }
}

export function logsPageShown() { if (currentPage() === "logs") loadLogs(false); }
