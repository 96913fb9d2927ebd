// The Mappings page: object mappings, their attribute mappings, matching, Target Object Actions and scoping
// filters, edited as the portal edits them and saved as one PUT of the schema; the expression builder's
// Test expression; the job's settings.  The editing form is drawn when an object mapping is opened and
// never redrawn by live updates (what the trainer types stays).
"use strict";

import { $, $$, API, S, act, chip, esc, fail, focusOn, getJSON, region, showDetails } from "./core.js";
import { fillSelect } from "./entra.js";

const M = { data: null, name: null, rows: [], scope: [], dirty: false };

export async function loadMappings() {
  try {
    M.data = await getJSON(API + "mappings");
  } catch (err) {
    M.data = null;
    fail(err.message);
    return;
  }
  if (M.data.missing) {
    region($("#mappings-list"), `<p class="empty">${esc(M.data.missing)}.</p>`);
    $("#mapping-form").hidden = $("#expression-builder").hidden = $("#settings-form").hidden = true;
    M.data = null;
    return;
  }
  drawList();
  if (M.name && !M.dirty) openMapping(M.name, { keepFocus: true });
  drawSettings();
  $("#expression-builder").hidden = false;
  drawBuilderUsers();
}

function drawList() {
  const rows = M.data.objectMappings.map((om) => {
    const actions = ["create", "update", "delete"].filter((k) => om.actions[k]).map((k) => k[0].toUpperCase() + k.slice(1));
    return `<tr><th scope="row"><button type="button" class="link" data-open-mapping="${esc(om.name)}" data-key="om-${esc(om.name)}">${esc(om.name)}</button></th>
      <td data-label="Enabled">${om.enabled ? chip("Yes", "success") : chip("No", "muted")}</td>
      <td data-label="Target Object Actions">${esc(actions.join(", ") || "none")}</td>
      <td data-label="Matching">${esc(om.matchingAttributes.join(", ") || "none")}</td>
      <td data-label="Scope">${om.scope.length ? `${om.scope.length} scoping filter${om.scope.length > 1 ? "s" : ""}` : "All records"}</td></tr>`;
  }).join("");
  region($("#mappings-list"), `<div class="table-wrap"><table class="grid cards-narrow" aria-label="Mappings">
    <thead><tr><th scope="col">Name</th><th scope="col">Enabled</th><th scope="col">Target Object Actions</th><th scope="col">Matching attribute</th><th scope="col">Source Object Scope</th></tr></thead>
    <tbody>${rows}</tbody></table></div>`);
}

function mapping(name) { return M.data && M.data.objectMappings.find((om) => om.name === name); }

const label = (name, target) => `Attribute mapping to '${target}' in object mapping '${name}'`;

export function openMapping(name, opts = {}) {
  const om = mapping(name);
  if (!om) return;
  M.name = name;
  M.dirty = false;
  M.rows = om.attributes.map((a) => ({ ...a }));
  M.scope = om.scope.map((g) => ({ name: g.name, clauses: g.clauses.map((c) => ({ ...c })) }));
  const form = $("#mapping-form");
  form.hidden = false;
  form.dataset.name = name;
  form.innerHTML = `<h2 id="h-mapping" tabindex="-1">${esc(om.name)}</h2>
    <div data-target="${esc(om.label)}"><p class="field-error" role="alert" hidden></p></div>
    <fieldset class="radios"><legend>Enabled</legend>
      <span class="check"><input type="radio" name="enabled" id="om-enabled-yes" value="true" ${om.enabled ? "checked" : ""}><label for="om-enabled-yes">Yes</label></span>
      <span class="check"><input type="radio" name="enabled" id="om-enabled-no" value="false" ${om.enabled ? "" : "checked"}><label for="om-enabled-no">No</label></span></fieldset>
    <dl class="kv"><div><dt>Source Object</dt><dd>${esc(om.sourceObject)} (${esc(M.data.sourceDirectory)})</dd></div>
      <div><dt>Target Object</dt><dd>${esc(om.targetObject)} (${esc(M.data.targetDirectory)})</dd></div></dl>
    <fieldset><legend>Target Object Actions</legend><div class="checks">
      ${["create", "update", "delete"].map((k) => `<span class="check"><input type="checkbox" id="om-act-${k}" name="act-${k}" ${om.actions[k] ? "checked" : ""}>
        <label for="om-act-${k}">${k[0].toUpperCase() + k.slice(1)}</label></span>`).join("")}</div></fieldset>
    <h3 id="h-scope">Source Object Scope</h3>
    <p class="hint">Scoping filters: an object is in scope when every clause of at least one filter holds (no filter: all records).</p>
    <div id="scope-groups"></div>
    <div class="buttons"><button type="button" id="add-scope-group">Add scoping filter</button></div>
    <h3 id="h-attr">Attribute Mappings</h3>
    <p class="hint">"Match objects using this attribute" finds the ${esc(om.targetObject)} in Genesys before any change (matching precedence 1 first).</p>
    <div id="attribute-rows"></div>
    <div class="buttons"><button type="button" id="add-attribute">Add New Mapping</button></div>
    <div class="buttons sticky-actions"><button type="submit" class="primary">Save</button><button type="button" id="discard-mapping">Discard</button>
      <button type="button" id="close-mapping">Close</button></div>`;
  drawScope();
  drawRows();
  if (!opts.keepFocus) focusOn($("#h-mapping"));
}

function closeMapping() {
  M.name = null; M.dirty = false;
  $("#mapping-form").hidden = true;
  $("#mapping-form").innerHTML = "";
}

function drawScope() {
  const om = mapping(M.name);
  const attrs = om.sourceAttributes.map((a) => a.name);
  const ops = M.data.operators;
  $("#scope-groups").innerHTML = M.scope.map((g, gi) => `<fieldset class="scope-group" data-group="${gi}"><legend>Scoping filter ${gi + 1}</legend>
    ${g.clauses.map((c, ci) => `<div class="clause inline-form" data-clause="${ci}">
      <div class="field"><label for="sc-${gi}-${ci}-attr">Attribute</label><select id="sc-${gi}-${ci}-attr" data-k="attribute">
        ${attrs.map((a) => `<option ${a === c.attribute ? "selected" : ""}>${esc(a)}</option>`).join("")}</select></div>
      <div class="field"><label for="sc-${gi}-${ci}-op">Operator</label><select id="sc-${gi}-${ci}-op" data-k="operator">
        ${ops.map((o) => `<option ${o.toUpperCase() === String(c.operator || "").toUpperCase() ? "selected" : ""}>${esc(o)}</option>`).join("")}</select></div>
      <div class="field grow"><label for="sc-${gi}-${ci}-value">Value</label><input id="sc-${gi}-${ci}-value" data-k="value" value="${esc(c.value)}"></div>
      <div class="buttons"><button type="button" data-remove-clause="${gi}:${ci}" aria-label="Remove clause ${ci + 1} of scoping filter ${gi + 1}">Remove</button></div>
    </div>`).join("")}
    <div class="buttons"><button type="button" data-add-clause="${gi}">Add clause</button>
      <button type="button" data-remove-group="${gi}">Remove scoping filter ${gi + 1}</button></div></fieldset>`).join("")
    || `<p class="empty">No scoping filter: all records are in scope.</p>`;
}

function rowSummary(r) {
  const source = r.type === "Direct" ? r.source || "(no source)" : r.type === "Constant" ? `"${r.constant ?? ""}"` : r.expression || "(no expression)";
  return `<span class="amap-source"><code>${esc(source)}</code></span> <span aria-hidden="true">→</span>
    <span class="amap-target"><code>${esc(r.target || "(no target attribute)")}</code></span>
    ${r.matching ? chip(`matching ${r.precedence || 1}`, "info") : ""}${r.applyWhen === "ObjectAddOnly" ? chip("on create only", "muted") : ""}`;
}

/** The portal's attribute list: one line per mapping (source → target, matching, when), opened to edit it. */
function drawRows(open = new Set()) {
  const om = mapping(M.name);
  const sources = om.sourceAttributes.map((a) => a.name);
  const targets = om.targetAttributes.map((a) => a.name);
  $("#attribute-rows").innerHTML = M.rows.map((r, i) => {
    const id = `am-${i}`;
    return `<details class="amap" data-row="${i}" data-target="${esc(label(M.name, r.target || "(no target attribute)"))}" ${open.has(i) ? "open" : ""}>
      <summary aria-label="Attribute mapping ${i + 1}: ${esc(r.target || "new")}">${rowSummary(r)}</summary>
      <p class="field-error" role="alert" hidden></p>
      <div class="inline-form">
        <div class="field"><label for="${id}-type">Mapping type</label><select id="${id}-type" data-k="type">
          ${M.data.mappingTypes.map((t) => `<option ${t === r.type ? "selected" : ""}>${t}</option>`).join("")}</select></div>
        <div class="field" ${r.type === "Direct" ? "" : "hidden"}><label for="${id}-source">Source attribute</label><select id="${id}-source" data-k="source">
          <option value="">(pick one)</option>${sources.map((a) => `<option ${a === r.source ? "selected" : ""}>${esc(a)}</option>`).join("")}</select></div>
        <div class="field" ${r.type === "Constant" ? "" : "hidden"}><label for="${id}-constant">Constant Value</label><input id="${id}-constant" data-k="constant" value="${esc(r.constant ?? "")}"></div>
        <div class="field grow" ${r.type === "Expression" ? "" : "hidden"}><label for="${id}-expression">Expression</label>
          <input id="${id}-expression" data-k="expression" spellcheck="false" value="${esc(r.type === "Expression" ? r.expression : "")}"></div>
        <div class="field"><label for="${id}-default">Default value if null</label><input id="${id}-default" data-k="default" value="${esc(r.default ?? "")}"></div>
        <div class="field"><label for="${id}-target">Target attribute</label><select id="${id}-target" data-k="target">
          <option value="">(pick one)</option>${targets.map((a) => `<option ${a === r.target ? "selected" : ""}>${esc(a)}</option>`).join("")}</select></div>
      </div>
      <div class="inline-form">
        <div class="field check"><input type="checkbox" id="${id}-matching" data-k="matching" ${r.matching ? "checked" : ""}><label for="${id}-matching">Match objects using this attribute</label></div>
        <div class="field"><label for="${id}-precedence">Matching precedence</label><input id="${id}-precedence" data-k="precedence" type="number" min="1" value="${esc(r.precedence ?? "")}"></div>
        <div class="field"><label for="${id}-apply">Apply this mapping</label><select id="${id}-apply" data-k="applyWhen">
          ${M.data.applyWhen.map((a) => `<option value="${a.value}" ${a.value === r.applyWhen ? "selected" : ""}>${esc(a.text)}</option>`).join("")}</select></div>
        <div class="buttons">${r.type === "Expression" ? `<button type="button" data-test-row="${i}" aria-label="Test expression of the mapping to ${esc(r.target || "a new attribute")}">Test expression</button>` : ""}
          <button type="button" data-remove-row="${i}" aria-label="Delete the mapping to ${esc(r.target || "a new attribute")}">Delete</button></div>
      </div></details>`;
  }).join("");
}

function openRows() {
  return new Set($$("#attribute-rows details[open]").map((d) => +d.dataset.row));
}

function drawSettings() {
  const form = $("#settings-form");
  form.hidden = false;
  if (form.dataset.dirty) return;
  const settings = M.data.settings;
  const known = settings.filter((s) => s.known);
  const other = settings.filter((s) => !s.known);
  form.innerHTML = `<h2 id="h-job-settings">Job settings</h2>
    <p class="hint">The job's <code>synchronizationJobSettings</code> as Graph stores them (strings), one field per setting
      provsim reads; a blank field keeps the default shown. <em>Save settings</em> sends <code>PATCH …/jobs/{id}</code>;
      a value that is not what the setting takes is refused beside it, and nothing is saved.</p>
    <div id="settings-rows">${known.map((s, i) => knownRow(s, i)).join("")}
      ${other.map((s, i) => settingRow(s, known.length + i)).join("")}</div>
    <div class="buttons"><button type="button" id="add-setting">Add setting</button><button type="submit" class="primary">Save settings</button></div>`;
}

/** One setting of the engine's typed table: its value (the default as placeholder), what it takes, what it does. */
function knownRow(s, i) {
  return `<div class="field setting" data-setting="${i}" data-target="${esc(settingLabel(s.name))}">
    <input type="hidden" data-k="name" value="${esc(s.name)}">
    <label for="js-${i}-value">${esc(s.name)}${s.origin === "provsim" ? ` <span class="hint">(provsim's name)</span>` : ""}</label>
    <input id="js-${i}-value" data-k="value" value="${esc(s.value ?? "")}" data-saved="${esc(s.value ?? "")}"
      placeholder="${esc(s.default ?? "")}" spellcheck="false" aria-describedby="js-${i}-hint">
    <p class="hint" id="js-${i}-hint">${esc(s.meaning)} Takes ${esc(s.expected)}${s.default ? `; default ${esc(s.default)}` : ""}.</p>
    <p class="field-error" role="alert" hidden></p></div>`;
}

function settingLabel(name) { return `Job setting '${name}'`; }

function settingRow(s, i) {
  return `<div class="inline-form setting" data-setting="${i}" data-target="${esc(settingLabel(s.name))}">
    <div class="field grow"><label for="js-${i}-name">Name</label><input id="js-${i}-name" data-k="name" value="${esc(s.name)}" spellcheck="false"></div>
    <div class="field grow"><label for="js-${i}-value">Value</label><input id="js-${i}-value" data-k="value" value="${esc(s.value ?? "")}" data-saved="${esc(s.value ?? "")}" spellcheck="false"></div>
    <p class="field-error" role="alert" hidden></p></div>`;
}

export function drawBuilderUsers() {
  const users = ((S.state && S.state.directory && S.state.directory.users) || []).filter((u) => !u.deleted);
  fillSelect($("#xb-user"), users.map((u) => [u.id, `${u.displayName} (${u.userPrincipalName})`]));
}

function collect() {
  return {
    objectMapping: M.name,
    enabled: $("#om-enabled-yes").checked,
    actions: Object.fromEntries(["create", "update", "delete"].map((k) => [k, $(`#om-act-${k}`).checked])),
    scope: M.scope, attributes: M.rows,
  };
}

async function save(submitter) {
  const form = $("#mapping-form");
  await act("mappings/save", collect(), submitter, {
    done: () => { showDetails(form, []); M.dirty = false; },
    onError: (error) => {
      // Each problem beside its element (Graph's details name them: "Attribute mapping to 'title' in ...").
      for (const row of $$("details.amap", form)) row.dataset.target = label(M.name, M.rows[+row.dataset.row].target || "(no target attribute)");
      const first = showDetails(form, error.details || []);
      for (const box of $$("details.amap", form)) if (!box.querySelector(".field-error").hidden) box.open = true;
      if (first) first.scrollIntoView({ block: "center" });
    },
  });
}

async function testExpression(expression, control) {
  const out = $("#xb-result");
  $("#xb-expression").value = expression;
  out.textContent = "Testing…";
  const data = await act("mappings/test-expression", { expression, userId: $("#xb-user").value }, control,
    { quiet: true, quietError: true, onError: (e) => { out.textContent = e.message; out.className = "result bad"; } });
  if (data) { out.textContent = data.message; out.className = "result " + (data.evaluated || (data.parsed && !$("#xb-user").value) ? "ok" : "bad"); }
  focusOn(out);
}

export function wireMappings() {
  const form = $("#mapping-form");
  document.addEventListener("click", (ev) => {
    const el = ev.target.closest("button");
    if (!el) return;
    if (el.dataset.openMapping) { openMapping(el.dataset.openMapping); return; }
    if (!el.closest("#page-mappings")) return;
    if (el.id === "add-attribute") {
      M.rows.push({ target: "", type: "Direct", source: "", constant: null, expression: "", default: null, matching: false, precedence: null, applyWhen: "Always" });
      M.dirty = true; drawRows(new Set([...openRows(), M.rows.length - 1])); focusOn($(`#am-${M.rows.length - 1}-type`));
    } else if (el.dataset.removeRow) {
      M.rows.splice(+el.dataset.removeRow, 1); M.dirty = true; drawRows(); focusOn($("#h-attr"));
    } else if (el.id === "add-scope-group") {
      M.scope.push({ name: "", clauses: [{ attribute: mapping(M.name).sourceAttributes[0].name, operator: "EQUALS", value: "" }] });
      M.dirty = true; drawScope(); focusOn($(`#sc-${M.scope.length - 1}-0-attr`));
    } else if (el.dataset.addClause) {
      const g = M.scope[+el.dataset.addClause];
      g.clauses.push({ attribute: mapping(M.name).sourceAttributes[0].name, operator: "EQUALS", value: "" });
      M.dirty = true; drawScope(); focusOn($(`#sc-${el.dataset.addClause}-${g.clauses.length - 1}-attr`));
    } else if (el.dataset.removeClause) {
      const [gi, ci] = el.dataset.removeClause.split(":").map(Number);
      M.scope[gi].clauses.splice(ci, 1);
      if (!M.scope[gi].clauses.length) M.scope.splice(gi, 1);
      M.dirty = true; drawScope(); focusOn($("#h-scope"));
    } else if (el.dataset.removeGroup) {
      M.scope.splice(+el.dataset.removeGroup, 1); M.dirty = true; drawScope(); focusOn($("#h-scope"));
    } else if (el.id === "discard-mapping") {
      M.dirty = false; openMapping(M.name);
    } else if (el.id === "close-mapping") {
      const name = M.name; closeMapping(); focusOn($(`[data-open-mapping="${CSS.escape(name)}"]`));
    } else if (el.dataset.testRow) {
      testExpression(M.rows[+el.dataset.testRow].expression || "", el);
    } else if (el.id === "xb-test") {
      testExpression($("#xb-expression").value, el);
    } else if (el.id === "add-setting") {
      const rows = $("#settings-rows");
      rows.insertAdjacentHTML("beforeend", settingRow({ name: "", value: "" }, rows.children.length));
      $("#settings-form").dataset.dirty = "1";
      focusOn($(`#js-${rows.children.length - 1}-name`));
    }
  });
  form.addEventListener("change", (ev) => {
    const el = ev.target;
    const row = el.closest("[data-row]");
    if (row && el.dataset.k) {
      const r = M.rows[+row.dataset.row];
      r[el.dataset.k] = el.type === "checkbox" ? el.checked : el.value;
      if (el.dataset.k === "type") { drawRows(openRows()); focusOn($(`#am-${row.dataset.row}-type`)); }
      if (el.dataset.k === "matching" && el.checked && !r.precedence) { r.precedence = 1; $(`#am-${row.dataset.row}-precedence`).value = 1; }
      const summary = row.querySelector("summary");
      if (summary) summary.innerHTML = rowSummary(r);
    }
    const clause = el.closest("[data-clause]");
    if (clause && el.dataset.k) M.scope[+clause.closest("[data-group]").dataset.group].clauses[+clause.dataset.clause][el.dataset.k] = el.value;
    M.dirty = true;
  });
  form.addEventListener("input", (ev) => {
    const el = ev.target;
    const row = el.closest("[data-row]");
    if (row && el.dataset.k && el.type !== "checkbox") {
      M.rows[+row.dataset.row][el.dataset.k] = el.value;
      const summary = row.querySelector("summary");
      if (summary) summary.innerHTML = rowSummary(M.rows[+row.dataset.row]);
    }
    const clause = el.closest("[data-clause]");
    if (clause && el.dataset.k) M.scope[+clause.closest("[data-group]").dataset.group].clauses[+clause.dataset.clause][el.dataset.k] = el.value;
    M.dirty = true;
  });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); save(ev.submitter); });
  $("#settings-form").addEventListener("input", () => { $("#settings-form").dataset.dirty = "1"; });
  $("#settings-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    // what the trainer changed (as the message then says): a field left as drawn is not sent again
    const settings = $$(".setting", ev.target).filter((row) => {
      const name = $("[data-k=name]", row), value = $("[data-k=value]", row);
      return name.value.trim() && (value.value !== value.dataset.saved || name.value !== name.defaultValue);
    }).map((row) => ({ name: $("[data-k=name]", row).value, value: $("[data-k=value]", row).value }));
    if (!settings.length) { fail("Nothing to save: no setting was changed."); focusOn($("#error")); return; }
    await act("mappings/settings", { settings }, ev.submitter, {
      done: () => { showDetails(ev.target, []); delete ev.target.dataset.dirty; },
      onError: (error) => {
        for (const row of $$(".setting", ev.target)) row.dataset.target = settingLabel($("[data-k=name]", row).value.trim());
        const first = showDetails(ev.target, error.details || []);
        if (first) first.scrollIntoView({ block: "center" });
      },
    });
  });
}

export function mappingsShown() { return loadMappings(); }
