// Users (administrators): who is active, the top spenders, and the users × columns pivot.
import { chartBox, h, kpi, section, table } from "../dom.js";
import { barChart, lineChart } from "../charts.js";
import { bucketLabel } from "../time.js";

const TOP = "user { id name email } totalCost totalRequests totalTokens";

export const USERS_QUERY = `query DashboardUsers($project: ID!, $range: TimeRange!, $filter: UsageFilter,
    $columns: PivotDimension!, $measure: PivotMeasure!) {
  project(id: $project) {
    userActivity(range: $range, filter: $filter) {
      activeUsers averageCostPerUser averageRequestsPerUser
      topUsersByCost(limit: 10) { ${TOP} }
      topUsersByRequests(limit: 10) { ${TOP} }
      timeline { start activeUsers averageCostPerUser averageRequestsPerUser }
      pivot(columns: $columns, measure: $measure) { columns { key label } rows { user { id name email } values total } }
    }
  }
}`;

const MEASURE_FORMAT = { COST: "usd", REQUESTS: "int", TOKENS: "int" };

function topTable(rows) {
  return table([
    { label: "User", value: (r) => r.user.name },
    { label: "Email", value: (r) => r.user.email },
    { label: "Cost", value: (r) => r.totalCost, format: "usd", num: true },
    { label: "Requests", value: (r) => r.totalRequests, format: "int", num: true },
    { label: "Tokens", value: (r) => r.totalTokens, format: "int", num: true },
  ], rows, { rowAttrs: (r) => ({ dataset: { user: r.user.id } }) });
}

function pivotTable(pivot, measure) {
  const format = MEASURE_FORMAT[measure];
  const columns = [
    { label: "User", value: (r) => r.user.name },
    ...pivot.columns.map((c, i) => ({ label: c.label, value: (r) => r.values[i], format, num: true })),
    { label: "Total", value: (r) => r.total, format, num: true },
  ];
  return h("div", { class: "scroll", tabindex: 0, "aria-label": "Pivot table" }, table(columns, pivot.rows));
}

export default {
  id: "users",
  title: "Users",
  permission: "read_user_activity",
  csv: [["users-timeline", "Timeline CSV"], ["users-top-by-cost", "Top by cost CSV"], ["users-top-by-requests", "Top by requests CSV"], ["users-pivot", "Pivot CSV"]],
  columns: "ASSISTANT",
  measure: "COST",
  async render(panel, ctx) {
    const variables = { project: ctx.projectId, range: ctx.range, filter: ctx.filter, columns: this.columns, measure: this.measure };
    const data = await ctx.api(USERS_QUERY, variables);
    if (!ctx.isCurrent()) return;
    const a = data.project.userActivity;
    const labels = a.timeline.map((b) => bucketLabel(b.start, ctx.range.timezone, ctx.range.granularity));
    const active = chartBox("active-users", "Active users over time");
    const averages = chartBox("user-averages", "Per-user averages over time");
    const topCost = chartBox("top-cost", "Top 10 users by cost");
    const pick = (name, value, options, onChange) => h("label", {}, name,
      h("select", { dataset: { pivot: name.toLowerCase() }, onchange: (e) => onChange(e.target.value) },
        options.map(([v, text]) => h("option", { value: v, selected: v === value }, text))));
    const rerender = () => ctx.rerender();
    panel.replaceChildren(
      h("div", { class: "kpis" },
        kpi("activeUsers", "Active users", a.activeUsers, "int"),
        kpi("averageCostPerUser", "Average cost per user", a.averageCostPerUser, "usd"),
        kpi("averageRequestsPerUser", "Average requests per user", a.averageRequestsPerUser, "dec1")),
      h("div", { class: "grid2" }, active.box, averages.box, topCost.box,
        section("Top 10 users by requests", topTable(a.topUsersByRequests))),
      section("Top 10 users by cost", topTable(a.topUsersByCost)),
      section("Pivot",
        h("div", { class: "row" },
          pick("Columns", this.columns, [["ASSISTANT", "Assistants"], ["MODEL", "Models"], ["DAY", "Days"]], (v) => { this.columns = v; rerender(); }),
          pick("Measure", this.measure, [["COST", "Cost"], ["REQUESTS", "Requests"], ["TOKENS", "Tokens"]], (v) => { this.measure = v; rerender(); })),
        pivotTable(a.pivot, this.measure)),
      ctx.downloads(this.csv, { columns: this.columns, measure: this.measure }));
    lineChart(active.canvas, labels, [{ label: "Active users", data: a.timeline.map((b) => b.activeUsers) }]);
    lineChart(averages.canvas, labels, [
      { label: "Average cost per user (USD)", data: a.timeline.map((b) => b.averageCostPerUser) },
      { label: "Average requests per user", data: a.timeline.map((b) => b.averageRequestsPerUser), axis: "y2" },
    ]);
    barChart(topCost.canvas, a.topUsersByCost.map((r) => r.user.name), [{ label: "Cost (USD)", data: a.topUsersByCost.map((r) => r.totalCost) }], { horizontal: true });
  },
};
