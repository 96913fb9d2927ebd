// provsim dashboard: the portal's provisioning blade for the PureCloud app, the Genesys admin's pages and the
// simulator's levers, drawn from /dashboard/api/state and kept live by polling (?since=REVISION: an
// unchanged answer is tiny).  Forms are static HTML outside the redrawn regions, so a live update never
// wipes what a trainer is typing; only <tbody> and region contents are redrawn.
"use strict";

import {
  $, $$, API, PAGES, S, act, afterEveryAction, closeDialog, currentPage, fail, focusOn, formData, getJSON,
} from "./core.js";
import {
  assignDialog, compareUser, drawDirectory, drawOverview, drawQuarantine, drawSetup, editUser, forgetSetupFill,
  loadLogs, logPaging, openEntry, provisionOnDemand, submitAssign, submitEditUser,
} from "./entra.js";
import { genesysShown, wireGenesys } from "./genesys.js";
import { drawBuilderUsers, mappingsShown, wireMappings } from "./mappings.js";
import { drawFailures, drawStory, loadLibrary, openMail, showNewestStep } from "./simulator.js";

const POLL_MS = 1000;

// ------------------------------------------------------------------ pages
function showPage() {
  const page = currentPage();
  for (const section of $$("main > section[data-page]")) section.hidden = section.dataset.page !== page;
  for (const link of $$(".sidenav a[data-page]")) {
    if (link.dataset.page === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const heading = $(`#h-${page === "groups" ? "ggroups" : page}`);
  document.title = `${heading.textContent.replace(/\s*(simulator|Genesys Cloud admin)$/, "")} - PureCloud by Genesys | Provisioning (provsim)`;
  if (page === "logs") loadLogs(false);
  if (page === "scenarios") loadLibrary();
  if (page === "mappings") mappingsShown();
  genesysShown();
}

// ------------------------------------------------------------------ state
let asked = 0;
let drawn = 0;
async function refresh(force) {
  const clicks = S.clicks;
  const mine = ++asked;
  try {
    const data = await getJSON(API + "state" + (S.revision && !force ? `?since=${encodeURIComponent(S.revision)}` : ""));
    // An answer older than one already drawn, or a poll that was on its way while a click happened, brings
    // the state from before: drop it (it would put back a button the click just replaced).
    if (data.unchanged || mine < drawn || (!force && clicks !== S.clicks)) return false;
    drawn = mine;
    const changed = data.revision !== S.revision;
    S.state = data;
    S.revision = data.revision;
    draw();
    if (changed && !force) {
      const page = currentPage();
      if (page === "logs") loadLogs(false);
      if (page === "mappings") mappingsShown();
      genesysShown();
    }
    return true;
  } catch (err) {
    fail(`Cannot read the simulator's state: ${err.message}`);
    return false;
  }
}

function poll() {
  const next = () => setTimeout(poll, POLL_MS);
  if (document.hidden || S.busy) { next(); return; }
  refresh(false).finally(next);
}

function draw() {
  const state = S.state;
  $("#clock").textContent = state.now;
  $("#clock").setAttribute("datetime", state.now);
  for (const el of $$("[data-needs=job]")) el.disabled = !state.job;
  $("#next-cycle").hidden = !(state.overview && state.overview.nextRun);
  drawQuarantine();
  drawOverview();
  drawSetup();
  drawDirectory();
  drawFailures();
  drawStory();
  drawBuilderUsers();
}

afterEveryAction(async (name) => {
  await refresh(true);
  const page = currentPage();
  if (page === "logs") loadLogs(false);
  if (page === "mappings" && name !== "mappings/test-expression") await mappingsShown();
  await genesysShown();
});

// ------------------------------------------------------------------ events
function dataBody(el) {
  const body = {};
  for (const [k, v] of Object.entries(el.dataset)) {
    if (["action", "key", "confirm", "needs"].includes(k)) continue;
    body[k.replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = v === "true" ? true : v === "false" ? false : v;
  }
  return body;
}

document.addEventListener("click", async (ev) => {
  const el = ev.target.closest("button, a");
  if (!el) return;
  if (el.matches("[data-close]")) { closeDialog(); return; }
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
  if (el.dataset.assign) { assignDialog(el.dataset.assign); return; }
  if (el.dataset.compare) { compareUser(el.dataset.compare); return; }
  if (el.dataset.pod) { provisionOnDemand(el.dataset.pod, el.dataset.podType, el); return; }
  if (el.dataset.advance) {
    ev.preventDefault();
    act("clock/advance", { duration: el.dataset.advance }, el);
    return;
  }
  if (el.dataset.action) {
    if (el.dataset.confirm && !window.confirm(el.dataset.confirm)) return;
    const body = dataBody(el);
    if (el.dataset.action === "job/restart" && !("resetScope" in body)) body.resetScope = [];
    const step = el.dataset.action === "story/step";
    act(el.dataset.action, body, el, step ? { focus: showNewestStep } : {});
  }
});

document.addEventListener("submit", async (ev) => {
  const form = ev.target;
  if (form.id === "clock-form") { ev.preventDefault(); return; }
  const submitter = ev.submitter;
  if (form.id === "credentials-form") {
    ev.preventDefault();
    const body = formData(form);
    body.deleteThreshold = Number(body.deleteThreshold || 500);
    await act("job/credentials", body, submitter, { done: () => {
      delete form.dataset.dirty; $("#secret-token").value = ""; forgetSetupFill();
    } });
  } else if (form.id === "restart-form") {
    ev.preventDefault();
    await act("job/restart", { resetScope: formData(form).resetScope || [] }, submitter,
      { done: () => { for (const c of $$("input[type=checkbox]", form)) c.checked = false; } });
  } else if (form.id === "new-user-form") {
    ev.preventDefault();
    await act("directory/user/create", formData(form), submitter, { done: () => { form.reset(); form.closest("details").open = false; } });
  } else if (form.id === "member-form") {
    ev.preventDefault();
    const body = formData(form);
    act(submitter && submitter.value === "remove" ? "directory/group/remove-member" : "directory/group/add-member",
      { groupId: body.groupId, userId: body.userId }, submitter);
  } else if (form.id === "fault-form") {
    ev.preventDefault();
    await act("faults/add", formData(form), submitter, { done: () => { form.closest("details").open = false; } });
  } else if (form.id === "log-filters") {
    ev.preventDefault();
    loadLogs(true);
  } else if (form.id === "edit-user-form") {
    ev.preventDefault();
    submitEditUser(form, submitter);
  } else if (form.id === "assign-form") {
    ev.preventDefault();
    submitAssign(form, submitter);
  }
});

document.addEventListener("input", (ev) => {
  if (ev.target.closest("#credentials-form")) $("#credentials-form").dataset.dirty = "1";
  if (ev.target.id === "user-search" && S.state) drawDirectory();
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
    const clientId = $("#token-client-id").value.trim();
    const body = clientId ? { clientId, clientSecret: $("#token-client-secret").value } : {};
    await act("genesys/token", body, ev.currentTarget, { done: (data) => {
      $("#secret-token").value = data.token; $("#credentials-form").dataset.dirty = "1";
    } });
  });
  $("#test-connection").addEventListener("click", async (ev) => {
    const form = formData($("#credentials-form"));
    const out = $("#test-result");
    out.textContent = "Testing the connection…";
    await act("job/test-connection", { tenantUrl: form.tenantUrl, secretToken: form.secretToken }, ev.currentTarget, {
      focus: () => out,
      done: (data) => { out.textContent = data.message; out.className = "result ok"; },
      onError: (error) => { out.textContent = error.message; out.className = "result bad"; },
    });
  });
  $("#dialog").addEventListener("close", () => {
    $("#dialog-body").innerHTML = "";
    // back to where the trainer was: the message of what the dialog did, else the page's heading
    const status = $("#status");
    if (!document.activeElement || document.activeElement === document.body) {
      focusOn(!status.hidden ? status : $(`main > section:not([hidden]) h1`));
    }
  });
  window.addEventListener("hashchange", showPage);
  wireMappings();
  wireGenesys();
}

/** The sticky head's height, for what sticks under it (the phone's tab bar). */
function trackHeadHeight() {
  const head = $("#sticky-head");
  const set = () => document.documentElement.style.setProperty("--head-h", `${head.offsetHeight}px`);
  new ResizeObserver(set).observe(head);
  set();
}

function start() {
  trackHeadHeight();
  if (!PAGES.includes(currentPage())) location.hash = "#overview";
  wire();
  showPage();
  refresh(true).finally(() => setTimeout(poll, POLL_MS));
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();

