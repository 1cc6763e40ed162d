// Requests: the filtered log, newest first, a page at a time by keyset cursor, and one
// request's detail (input and output included) on Enter or click.
import { h, section, table } from "../dom.js";
import { show } from "../format.js";
import { instantLabel } from "../time.js";

const PAGE = 25;

export const REQUESTS_QUERY = `query DashboardRequests($project: ID!, $filter: RequestFilter, $first: Int, $after: String) {
  project(id: $project) {
    requests(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id createdAt status durationMs inputTokens outputTokens cost
        assistant { name } model { name } user { name } apiToken { name } } }
    }
  }
}`;

export const REQUEST_QUERY = `query DashboardRequest($project: ID!, $id: ID!) {
  project(id: $project) {
    request(id: $id) {
      id externalId createdAt status durationMs inputTokens outputTokens cost input output errorMessage
      assistant { name } model { name provider } user { name email } apiToken { name prefix }
    }
  }
}`;

function detail(r, timezone) {
  const pre = (text) => (text === null || text === undefined ? h("em", {}, "not stored") : h("pre", {}, text));
  return section(`Request ${r.id}`, h("dl", { dataset: { request: r.id } },
    h("dt", {}, "Created"), h("dd", { dataset: { field: "createdAt" } }, instantLabel(r.createdAt, timezone), ` (${r.createdAt})`),
    h("dt", {}, "Status"), h("dd", { dataset: { field: "status" } }, r.status),
    h("dt", {}, "Model"), h("dd", { dataset: { field: "model" } }, `${r.model.name} (${r.model.provider})`),
    h("dt", {}, "Assistant"), h("dd", {}, r.assistant ? r.assistant.name : "—"),
    h("dt", {}, "User"), h("dd", {}, r.user ? `${r.user.name} <${r.user.email}>` : "—"),
    h("dt", {}, "API token"), h("dd", {}, r.apiToken ? `${r.apiToken.name} (${r.apiToken.prefix}…)` : "—"),
    h("dt", {}, "Cost"), h("dd", { dataset: { field: "cost", value: r.cost } }, show(r.cost, "usdSmall")),
    h("dt", {}, "Tokens"), h("dd", { dataset: { field: "tokens" } }, `${r.inputTokens} in, ${r.outputTokens} out`),
    h("dt", {}, "Duration"), h("dd", {}, show(r.durationMs, "ms")),
    h("dt", {}, "External id"), h("dd", {}, r.externalId || "—"),
    r.errorMessage ? [h("dt", {}, "Error"), h("dd", {}, pre(r.errorMessage))] : null,
    h("dt", {}, "Input"), h("dd", { dataset: { field: "input" } }, pre(r.input)),
    h("dt", {}, "Output"), h("dd", { dataset: { field: "output" } }, pre(r.output))));
}

export default {
  id: "requests",
  title: "Requests",
  permission: "read_requests",
  cursors: [null],
  filterKey: null,
  async render(panel, ctx) {
    const key = JSON.stringify([ctx.projectId, ctx.requestFilter]);
    if (key !== this.filterKey) {
      this.filterKey = key;
      this.cursors = [null];
    }
    const after = this.cursors[this.cursors.length - 1];
    const data = await ctx.api(REQUESTS_QUERY, { project: ctx.projectId, filter: ctx.requestFilter, first: PAGE, after });
    if (!ctx.isCurrent()) return;
    const page = data.project.requests;
    const rows = page.edges.map((e) => e.node);
    const tz = ctx.range.timezone;
    const detailBox = h("div", { class: "detail", "aria-live": "polite" });
    const open = async (row, tr) => {
      for (const other of tr.parentElement.children) other.removeAttribute("aria-selected");
      tr.setAttribute("aria-selected", "true");
      detailBox.replaceChildren(h("p", { class: "loading" }, "Loading the request…"));
      try {
        const one = await ctx.api(REQUEST_QUERY, { project: ctx.projectId, id: row.id });
        detailBox.replaceChildren(detail(one.project.request, tz));
      } catch (error) {
        detailBox.replaceChildren(h("p", { class: "error", role: "alert" }, `${error.message} (${error.code})`));
      }
    };
    const grid = table([
      { label: "Time", value: (r) => instantLabel(r.createdAt, tz) },
      { label: "Status", value: (r) => r.status },
      { label: "Assistant", value: (r) => (r.assistant ? r.assistant.name : "—") },
      { label: "Model", value: (r) => r.model.name },
      { label: "User", value: (r) => (r.user ? r.user.name : "—") },
      { label: "API token", value: (r) => (r.apiToken ? r.apiToken.name : "—") },
      { label: "In", value: (r) => r.inputTokens, format: "int", num: true },
      { label: "Out", value: (r) => r.outputTokens, format: "int", num: true },
      { label: "Cost", value: (r) => r.cost, format: "usdSmall", num: true },
      { label: "Duration", value: (r) => r.durationMs, format: "ms", num: true },
    ], rows, {
      rowAttrs: (row) => ({
        tabindex: 0,
        dataset: { requestId: row.id },
        "aria-label": `Request ${row.id}, open its detail`,
        onclick: (e) => open(row, e.currentTarget),
        onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(row, e.currentTarget); } },
      }),
    });
    const pageNumber = this.cursors.length;
    panel.replaceChildren(
      h("p", { dataset: { totalCount: page.totalCount } }, `${show(page.totalCount, "int")} requests match. Page ${pageNumber}.`),
      h("div", { class: "scroll" }, grid),
      h("div", { class: "pager" },
        h("button", { type: "button", class: "secondary", id: "previous-page", disabled: pageNumber === 1,
          onclick: () => { this.cursors.pop(); ctx.rerender(); } }, "Previous page"),
        h("button", { type: "button", class: "secondary", id: "next-page", disabled: !page.pageInfo.hasNextPage,
          onclick: () => { this.cursors.push(page.pageInfo.endCursor); ctx.rerender(); } }, "Next page")),
      detailBox,
      ctx.downloads([["requests", "Requests CSV"], ["requests-with-content", "Requests CSV with input and output"]]));
  },
};
