// The dashboard: sign in with a pasted token, pick a project and a range, open a view.
// Everything shown comes from the public GraphQL API; the URL's hash keeps the choices.
import { ApiError, downloadCsv, forgetToken, graphql, savedToken, saveToken } from "./api.js";
import { destroyCharts } from "./charts.js";
import { h } from "./dom.js";
import { addDays, browserZone, localDay, timeRange, zones } from "./time.js";
import usage from "./views/usage.js";
import users from "./views/users.js";
import requests from "./views/requests.js";
import tokens from "./views/tokens.js";

const VIEWS = [usage, users, requests, tokens];
const $ = (id) => document.getElementById(id);

const SIGN_IN_QUERY = `query DashboardSignIn {
  viewer { name email }
  projects(first: 100) { edges { node { id name } } }
  projectType: __type(name: "Project") { fields { name } }
}`;
const PROJECT_QUERY = `query DashboardProject($project: ID!) {
  project(id: $project) { id name viewerRoles viewerPermissions }
}`;
const CHOICES_QUERY = (withTokens) => `query DashboardChoices($project: ID!) {
  models { id name }
  project(id: $project) { assistants { id name } ${withTokens ? "apiTokens { id name }" : ""} }
}`;

const state = { projectId: null, permissions: [], view: null, hasBudget: false, generation: 0 };

function readHash() {
  return Object.fromEntries(new URLSearchParams(window.location.hash.slice(1)));
}

function writeHash() {
  const form = $("controls");
  const values = {
    project: state.projectId, view: state.view && state.view.id, preset: form.preset.value,
    from: form.from.value, to: form.to.value, tz: form.timezone.value, g: form.granularity.value,
    assistant: form.assistant.value, model: form.model.value, apiToken: form.apiToken.value,
    status: form.status.value,
  };
  const kept = Object.entries(values).filter(([, v]) => v);
  history.replaceState(null, "", `#${new URLSearchParams(kept)}`);
}

function setOptions(select, options, selected, anyLabel) {
  select.replaceChildren(
    ...(anyLabel ? [h("option", { value: "" }, anyLabel)] : []),
    ...options.map(([value, label]) => h("option", { value, selected: value === selected }, label)));
  if (selected && [...select.options].some((o) => o.value === selected)) select.value = selected;
}

function applyPreset() {
  const form = $("controls");
  const preset = form.preset.value;
  const custom = preset === "custom";
  form.from.disabled = !custom;
  form.to.disabled = !custom;
  if (custom) return;
  const today = localDay(form.timezone.value);
  form.to.value = today;
  form.from.value = addDays(today, 1 - Number(preset));
}

function currentRange() {
  const form = $("controls");
  return timeRange({ from: form.from.value, to: form.to.value, timezone: form.timezone.value, granularity: form.granularity.value });
}

function currentFilter() {
  const form = $("controls");
  const filter = {};
  if (form.assistant.value) filter.assistantIds = [form.assistant.value];
  if (form.model.value) filter.modelIds = [form.model.value];
  if (form.apiToken.value) filter.apiTokenIds = [form.apiToken.value];
  if (form.status.value) filter.status = form.status.value;
  return filter;
}

function exportParams(range, filter, extra, bucketed) {
  const params = [["project", state.projectId], ["from", range.from], ["to", range.to]];
  if (bucketed) params.push(["timezone", range.timezone], ["granularity", range.granularity]);
  for (const [key, name] of [["assistantIds", "assistantId"], ["modelIds", "modelId"], ["apiTokenIds", "apiTokenId"]]) {
    for (const id of filter[key] || []) params.push([name, id]);
  }
  if (filter.status) params.push(["status", filter.status]);
  for (const [key, value] of Object.entries(extra || {})) params.push([key, value]);
  return params;
}

function downloadsFor(range, filter) {
  return (list, extra) => {
    const message = h("span", { role: "status" });
    return h("div", { class: "downloads", "aria-label": "Downloads" }, "Download:",
      list.map(([name, label]) => {
        const content = name === "requests-with-content";
        const path = `/exports/${content ? "requests" : name}.csv`;
        const log = name.startsWith("requests");
        const params = exportParams(range, filter, { ...(extra || {}), ...(content ? { content: "true" } : {}) }, !log);
        return h("button", { type: "button", class: "secondary", dataset: { export: name }, onclick: async () => {
          message.textContent = "Preparing…";
          try {
            await downloadCsv(path, params, `comptroller-${name}.csv`);
            message.textContent = "";
          } catch (error) {
            message.textContent = `${error.message} (${error.code})`;
          }
        } }, label);
      }), message);
  };
}

async function renderView() {
  const panel = $("panel");
  const view = state.view;
  destroyCharts();
  writeHash();
  if (!view) return;
  const generation = ++state.generation;
  const range = currentRange();
  const filter = currentFilter();
  const ctx = {
    projectId: state.projectId, range, filter, hasBudget: state.hasBudget,
    requestFilter: { ...filter, from: range.from, to: range.to },
    api: (query, variables) => graphql(query, variables, view.id),
    isCurrent: () => generation === state.generation,
    rerender: () => renderView(),
    downloads: downloadsFor(range, filter),
  };
  panel.dataset.view = view.id;
  panel.dataset.ready = "false";
  panel.setAttribute("aria-busy", "true");
  panel.setAttribute("aria-labelledby", `tab-${view.id}`);
  panel.replaceChildren(h("p", { class: "loading" }, `Loading ${view.title.toLowerCase()}…`));
  performance.mark(`view-start:${view.id}:${generation}`);
  try {
    await view.render(panel, ctx);
  } catch (error) {
    if (generation !== state.generation) return;
    const code = error instanceof ApiError ? error.code : "CLIENT_ERROR";
    panel.replaceChildren(h("p", { class: "error", role: "alert", dataset: { code } }, `${error.message} (${code})`));
  }
  if (generation !== state.generation) return;
  panel.removeAttribute("aria-busy");
  panel.dataset.ready = "true";
  performance.mark(`view-ready:${view.id}:${generation}`);
}

function showTabs(selectedId) {
  const allowed = VIEWS.filter((v) => state.permissions.includes(v.permission));
  const tabs = $("tabs");
  tabs.replaceChildren(...allowed.map((v) => h("button", {
    type: "button", role: "tab", id: `tab-${v.id}`, "aria-controls": "panel", dataset: { tab: v.id },
    "aria-selected": String(v.id === selectedId), tabindex: v.id === selectedId ? 0 : -1,
    onclick: () => selectView(v.id, false),
  }, v.title)));
  $("no-views").hidden = allowed.length > 0;
  $("panel").hidden = allowed.length === 0;
  const form = $("controls");
  for (const control of form.querySelectorAll(":scope > label, :scope > fieldset")) {
    if (!control.contains(form.project)) control.hidden = allowed.length === 0;
  }
  $("no-views").textContent = "Your roles in this project open no dashboard view: the usage, request and "
    + "user figures are for project members and administrators.";
  return allowed;
}

function selectView(id, focus) {
  const allowed = showTabs(id);
  state.view = allowed.find((v) => v.id === id) || allowed[0] || null;
  if (state.view && state.view.id !== id) showTabs(state.view.id);
  if (focus && state.view) $(`tab-${state.view.id}`).focus();
  renderView();
}

async function openProject(projectId, wanted) {
  state.projectId = projectId;
  const meta = await graphql(PROJECT_QUERY, { project: projectId });
  state.permissions = meta.project.viewerPermissions;
  const form = $("controls");
  if (state.permissions.includes("read_all_assistants")) {
    const choices = await graphql(CHOICES_QUERY(state.permissions.includes("read_api_tokens")), { project: projectId });
    setOptions(form.assistant, choices.project.assistants.map((a) => [a.id, a.name]), wanted.assistant, "Any");
    setOptions(form.model, choices.models.map((m) => [m.id, m.name]), wanted.model, "Any");
    setOptions(form.apiToken, (choices.project.apiTokens || []).map((t) => [t.id, t.name]), wanted.apiToken, "Any");
  }
  selectView(wanted.view || "usage", false);
}

async function signIn(wanted) {
  const data = await graphql(SIGN_IN_QUERY, {});
  state.hasBudget = data.projectType.fields.some((f) => f.name === "budget");
  $("viewer").textContent = `${data.viewer.name} <${data.viewer.email}>`;
  document.body.dataset.state = "signed-in";
  $("sign-in").hidden = true;
  $("app").hidden = false;
  $("sign-out").hidden = false;
  const projects = data.projects.edges.map((e) => [e.node.id, e.node.name]);
  if (!projects.length) {
    $("no-views").hidden = false;
    $("no-views").textContent = "This token holds no role in any project.";
    $("panel").hidden = true;
    return;
  }
  const form = $("controls");
  const project = projects.some(([id]) => id === wanted.project) ? wanted.project : projects[0][0];
  setOptions(form.project, projects, project);
  await openProject(project, wanted);
}

function setUpControls(wanted) {
  const form = $("controls");
  setOptions(form.timezone, zones().map((z) => [z, z]), wanted.tz || browserZone());
  if (wanted.preset) form.preset.value = wanted.preset;
  if (wanted.g) form.granularity.value = wanted.g;
  if (wanted.status) form.status.value = wanted.status;
  applyPreset();
  if (form.preset.value === "custom" && wanted.from && wanted.to) {
    form.from.value = wanted.from;
    form.to.value = wanted.to;
  }
  form.addEventListener("submit", (e) => e.preventDefault());
  form.addEventListener("change", (event) => {
    const name = event.target.name;
    if (name === "project") {
      openProject(form.project.value, { view: state.view && state.view.id }).catch(showFatal);
      return;
    }
    if (name === "preset" || name === "timezone") applyPreset();
    if ((name === "from" || name === "to") && form.from.value > form.to.value) return;
    renderView();
  });
  $("tabs").addEventListener("keydown", (event) => {
    const tabs = [...$("tabs").querySelectorAll("[role=tab]")];
    const at = tabs.indexOf(document.activeElement);
    if (at < 0) return;
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    let next = null;
    if (step) next = tabs[(at + step + tabs.length) % tabs.length];
    else if (event.key === "Home") next = tabs[0];
    else if (event.key === "End") next = tabs[tabs.length - 1];
    if (!next) return;
    event.preventDefault();
    selectView(next.dataset.tab, true);
  });
}

function showFatal(error) {
  const box = $("sign-in-error");
  if (error instanceof ApiError && error.code === "UNAUTHENTICATED") {
    forgetToken();
    $("app").hidden = true;
    $("sign-in").hidden = false;
    document.body.dataset.state = "signed-out";
  }
  box.hidden = false;
  box.textContent = `${error.message} (${error.code || "CLIENT_ERROR"})`;
  if ($("app").hidden) $("token").focus();
  else {
    $("no-views").hidden = false;
    $("no-views").textContent = box.textContent;
  }
}

function start() {
  const wanted = readHash();
  setUpControls(wanted);
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveToken($("token").value.trim().replace(/^Bearer\s+/i, ""));
    $("token").value = "";
    $("sign-in-error").hidden = true;
    signIn(readHash()).catch(showFatal);
  });
  $("sign-out").addEventListener("click", () => {
    forgetToken();
    window.location.hash = "";
    window.location.reload();
  });
  if (savedToken()) signIn(wanted).catch(showFatal);
  else $("token").focus();
}

start();
