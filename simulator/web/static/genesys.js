// The Genesys Cloud admin's pages (tutorial step 2): OAuth clients with their roles (the secret shown once),
// groups named like the Entra groups (create, rename, delete), and the people Genesys holds.
"use strict";

import { $, API, S, act, btn, chip, closeDialog, currentPage, dialogError, esc, fail, focusOn, formData, getJSON,
  openDialog, plural, region, say } from "./core.js";

const G = { data: null, created: null };
const GENESYS_PAGES = ["oauth", "groups", "people"];

export async function loadGenesys() {
  try {
    G.data = await getJSON(API + "genesys");
  } catch (err) { fail(err.message); return; }
  if (G.data.error) {
    const again = G.data.retryAfter ? ` The page reads again in ${G.data.retryAfter} s.` : "";
    for (const id of ["#clients-body", "#ggroups-body", "#people-body"]) {
      region($(id), `<tr><td colspan="6" class="empty">${esc(G.data.error)}.${again}</td></tr>`);
    }
    return;
  }
  drawClients();
  drawGroups();
  drawPeople();
}

export function genesysShown() {
  return GENESYS_PAGES.includes(currentPage()) ? loadGenesys() : Promise.resolve();
}

function drawClients() {
  const d = G.data;
  region($("#clients-body"), d.clients.map((c) => `<tr data-client="${esc(c.name)}">
    <td data-label="App name"><strong>${esc(c.name)}</strong>${c.description ? `<br><small>${esc(c.description)}</small>` : ""}</td>
    <td data-label="Client ID"><code>${esc(c.id)}</code></td>
    <td data-label="Grant type">${esc(c.grantType === "CLIENT-CREDENTIALS" ? "Client Credentials" : c.grantType)}</td>
    <td data-label="Roles">${c.roles.length ? c.roles.map((r) => `${esc(r.role)} <small>(${esc(r.division)})</small>`).join("<br>")
      : `${chip("no roles", "warning")} <small>every SCIM call gets 403</small>`}</td>
    <td data-label="Token duration">${c.tokenLifetime ? `${esc(c.tokenLifetime)} s` : "—"}</td>
    <td data-label="Actions">${c.id === "provsim-purecloud-client" ? `<small>this page's admin</small>`
      : btn("Delete", "genesys/client/delete", { id: c.id, confirm: `Delete the OAuth client '${c.name}'? Its tokens stop working at once.` },
        `class="danger" data-key="delclient-${esc(c.id)}" aria-label="Delete the OAuth client ${esc(c.name)}"`)}</td></tr>`).join(""));
  // the form's choices: roles (with what they allow) and divisions; drawn once per change, ticks kept
  const roles = $("#oc-roles");
  const key = JSON.stringify(d.roles.map((r) => r.id));
  if (roles.__key !== key) {
    const ticked = new Set(Array.from(roles.querySelectorAll("input:checked")).map((i) => i.value));
    roles.__key = key;
    roles.innerHTML = d.roles.map((r, i) => `<div class="field check"><input type="checkbox" id="oc-role-${i}" name="role" value="${esc(r.id)}"
      ${ticked.has(r.id) ? "checked" : ""}><label for="oc-role-${i}">${esc(r.name)} <small>${esc(r.description)}${r.permissions.length ? ` · ${esc(r.permissions.slice(0, 4).join(", "))}${r.permissions.length > 4 ? ", …" : ""}` : ""}</small></label></div>`).join("");
  }
  const division = $("#oc-division");
  const divisions = d.divisions.map((v) => [v.id, v.home ? `${v.name} (home)` : v.name]).concat([["*", "All divisions"]]);
  const dkey = JSON.stringify(divisions);
  if (division.__key !== dkey) {
    division.__key = dkey;
    division.innerHTML = divisions.map(([v, t]) => `<option value="${esc(v)}">${esc(t)}</option>`).join("");
  }
}

function drawGroups() {
  const d = G.data;
  region($("#ggroups-body"), d.groups.map((g) => `<tr data-ggroup="${esc(g.name)}">
    <td data-label="Name"><strong>${esc(g.name)}</strong>${g.description ? `<br><small>${esc(g.description)}</small>` : ""}</td>
    <td data-label="Type · Visibility">${esc(g.type)} · ${esc(g.visibility)}</td>
    <td data-label="Members">${esc(g.members)}</td>
    <td data-label="Entra group of this name">${g.entra ? chip(g.entra, "success") : `${chip("none", "muted")} <small>Entra never touches it</small>`}</td>
    <td data-label="Actions"><div class="row-actions">
      <button type="button" data-rename-group="${esc(g.id)}" data-key="rename-${esc(g.id)}" aria-label="Rename the Genesys group ${esc(g.name)}">Rename</button>
      ${btn("Delete", "genesys/group/delete", { id: g.id, confirm: `Delete the Genesys group '${g.name}' and its memberships?` },
        `class="danger" data-key="delgroup-${esc(g.id)}" aria-label="Delete the Genesys group ${esc(g.name)}"`)}</div></td></tr>`).join("")
    || `<tr><td colspan="5" class="empty">No group yet: every Entra group you assign stays "missing in Genesys" until one has its name.</td></tr>`);
  const names = (S.state && S.state.directory ? S.state.directory.groups : []).map((g) => g.displayName);
  $("#entra-group-names").innerHTML = names.map((n) => `<option value="${esc(n)}"></option>`).join("");
}

function drawPeople() {
  const d = G.data;
  const active = d.users.filter((u) => u.state === "active").length;
  region($("#people-summary"), `<p>${plural(d.usersTotal, "user")} in Genesys (${active} active)${d.usersTotal > d.users.length ? `: the first ${d.users.length} are listed` : ""}.</p>`);
  region($("#people-body"), d.users.map((u) => `<tr data-person="${esc(u.email)}">
    <td data-label="Name"><strong>${esc(u.name)}</strong><br><small>${esc(u.email)}</small></td>
    <td data-label="Title · Department">${esc(u.title || "—")}<br><small>${esc(u.department || "—")}</small></td>
    <td data-label="State">${chip(u.state, u.state === "active" ? "success" : "muted")}</td>
    <td data-label="Roles">${esc(u.roles.join(", ") || "—")}</td>
    <td data-label="Groups">${esc(u.groups.join(", ") || "—")}</td>
    <td data-label="Division">${esc(u.division || "—")}</td></tr>`).join("")
    || `<tr><td colspan="6" class="empty">Nobody yet: provisioning creates the users.</td></tr>`);
}

function drawCreated() {
  const box = $("#client-created");
  const c = G.created;
  if (!c) { box.hidden = true; box.innerHTML = ""; return; }
  box.hidden = false;
  box.innerHTML = `<h2>Client '${esc(c.name)}' created</h2>
    <dl class="kv"><div><dt>Client ID</dt><dd><code id="created-client-id">${esc(c.id)}</code></dd></div>
      <div><dt>Client Secret</dt><dd><code id="created-client-secret">${esc(c.secret)}</code></dd></div></dl>
    <p class="hint">Genesys shows the secret only now. Tutorial step 2.2: generate a token with this client; Entra saves it as the Secret Token.</p>
    <div class="buttons"><button type="button" id="use-created-client" class="primary">Generate a token with this client</button>
      <button type="button" id="dismiss-created-client">Done (forget the secret)</button></div>`;
}

function renameDialog(id) {
  const g = G.data.groups.find((x) => x.id === id);
  if (!g) return;
  openDialog(`Rename the Genesys group ${g.name}`, `<form id="rename-group-form" data-id="${esc(g.id)}" data-version="${esc(g.version)}">
    <p class="hint">Genesys version ${esc(g.version)}: if the group changes before you save (another admin, or a cycle changing its members), Genesys refuses the save.</p>
    <div class="field"><label for="rg-name">Group Name</label><input id="rg-name" name="name" value="${esc(g.name)}" required></div>
    <div class="field"><label for="rg-description">Description</label><input id="rg-description" name="description" value="${esc(g.description)}"></div>
    <div class="buttons"><button type="submit" class="primary">Save</button><button type="button" data-close>Cancel</button></div></form>`);
}

export function wireGenesys() {
  document.addEventListener("click", async (ev) => {
    const el = ev.target.closest("button, a");
    if (!el) return;
    if (el.dataset.renameGroup) { renameDialog(el.dataset.renameGroup); return; }
    if (el.dataset.createGroup) {
      // from the Directory's "missing in Genesys": the Add group form, with the Entra group's name
      $("#gg-name").value = el.dataset.createGroup;
      setTimeout(() => focusOn($("#gg-name")), 0);
      return;
    }
    if (el.id === "dismiss-created-client") { G.created = null; drawCreated(); focusOn($("#h-oauth")); return; }
    if (el.id === "use-created-client" && G.created) {
      const created = G.created;
      const data = await act("genesys/token", { clientId: created.id, clientSecret: created.secret }, el, { quiet: true,
        done: (answer) => {
          $("#secret-token").value = answer.token;
          $("#credentials-form").dataset.dirty = "1";
          location.hash = "#setup";
        } });
      if (!data) return;
      say(`${data.message} Now Test Connection and Save (tutorial step 5).`);
      focusOn($("#status"));
    }
  });
  document.addEventListener("submit", async (ev) => {
    const form = ev.target;
    if (form.id === "client-form") {
      ev.preventDefault();
      const body = formData(form);
      const roles = Array.from(form.querySelectorAll("input[name=role]:checked")).map((i) => i.value);
      const data = await act("genesys/client/create", { name: body.name, description: body.description, roles,
        division: body.division, tokenLifetime: body.tokenLifetime }, ev.submitter, { quiet: true, done: (answer) => {
        G.created = answer.client;
        drawCreated();
        form.reset();
        for (const box of form.querySelectorAll("input[name=role]")) box.checked = false;
      } });
      if (data) {
        say(data.message);
        focusOn($("#client-created"));
      }
    } else if (form.id === "group-form") {
      ev.preventDefault();
      const body = formData(form);
      await act("genesys/group/create", body, ev.submitter, { done: () => form.reset() });
    } else if (form.id === "rename-group-form") {
      ev.preventDefault();
      const body = formData(form);
      await act("genesys/group/rename", { id: form.dataset.id, version: Number(form.dataset.version),
        name: body.name, description: body.description }, ev.submitter,
        { done: closeDialog, quietError: true, onError: (e) => dialogError(e.message) });
    }
  });
}
