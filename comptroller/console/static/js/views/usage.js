// Usage: the KPIs against the previous period, cost and requests over time, who spends it.
import { chartBox, h, kpi, section, table } from "../dom.js";
import { barChart, doughnutChart, lineChart } from "../charts.js";
import { show } from "../format.js";
import { bucketLabel } from "../time.js";

const TOTALS = "totalCost averageCostPerRequest averageRequestTimeMs totalRequests totalErrors errorRate";
const SHARE = "id name totalCost totalRequests costShare requestShare";

export const USAGE_QUERY = `query DashboardUsage($project: ID!, $range: TimeRange!, $filter: UsageFilter) {
  project(id: $project) {
    usage(range: $range, filter: $filter) {
      ${TOTALS}
      previousPeriod { ${TOTALS} }
      timeline { start totalCost totalRequests totalErrors }
      byAssistant { ${SHARE} }
      byModel { ${SHARE} }
    }
  }
}`;

const BUDGET_QUERY = `query DashboardBudget($project: ID!) {
  project(id: $project) { budget { periodStart spent budget percentUsed forecast thresholdsReached } }
}`;

function budgetBlock(status) {
  if (!status || status.budget === null || status.budget === undefined) {
    return section("Budget this month", h("p", { dataset: { budget: "none" } },
      `No monthly budget is set. Spent so far: ${show(status ? status.spent : null, "usd")}.`));
  }
  const used = Math.min(100, status.percentUsed || 0);
  return section("Budget this month",
    h("div", { class: "budget", dataset: { budget: status.budget } },
      h("p", {}, `${show(status.spent, "usd")} of ${show(status.budget, "usd")} (${show(status.percentUsed, "percent")})`,
        status.forecast !== null ? ` · forecast ${show(status.forecast, "usd")}` : ""),
      h("div", { class: "meter", role: "meter", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": used.toFixed(1), "aria-label": "Budget used" },
        h("span", { style: `width:${used}%` }))));
}

function shares(title, rows, id) {
  const { box, canvas } = chartBox(id, title);
  const columns = [
    { label: "Name", value: (r) => r.name },
    { label: "Cost", value: (r) => r.totalCost, format: "usd", num: true },
    { label: "Cost share", value: (r) => r.costShare, format: "percent", num: true },
    { label: "Requests", value: (r) => r.totalRequests, format: "int", num: true },
  ];
  box.append(table(columns, rows, { rowAttrs: (r) => ({ dataset: { share: r.id } }) }));
  return { box, draw: () => doughnutChart(canvas, rows.map((r) => r.name), rows.map((r) => r.totalCost)) };
}

export default {
  id: "usage",
  title: "Usage",
  permission: "read_usage",
  csv: [["usage-timeline", "Timeline CSV"], ["usage-by-assistant", "By assistant CSV"], ["usage-by-model", "By model CSV"]],
  async render(panel, ctx) {
    const calls = [ctx.api(USAGE_QUERY, { project: ctx.projectId, range: ctx.range, filter: ctx.filter })];
    if (ctx.hasBudget) calls.push(ctx.api(BUDGET_QUERY, { project: ctx.projectId }));
    const [data, budget] = await Promise.all(calls);
    if (!ctx.isCurrent()) return;
    const u = data.project.usage;
    const p = u.previousPeriod;
    const labels = u.timeline.map((b) => bucketLabel(b.start, ctx.range.timezone, ctx.range.granularity));
    const over = chartBox("cost-requests", "Cost and requests over time");
    const errors = chartBox("errors", "Errors over time");
    const byAssistant = shares("Contribution by assistant", u.byAssistant, "by-assistant");
    const byModel = shares("Contribution by model", u.byModel, "by-model");
    panel.replaceChildren(
      h("div", { class: "kpis" },
        kpi("totalCost", "Total cost", u.totalCost, "usd", p.totalCost),
        kpi("averageCostPerRequest", "Average cost per request", u.averageCostPerRequest, "usdSmall", p.averageCostPerRequest),
        kpi("averageRequestTimeMs", "Average request time", u.averageRequestTimeMs, "ms", p.averageRequestTimeMs),
        kpi("totalRequests", "Requests", u.totalRequests, "int", p.totalRequests, "up"),
        kpi("totalErrors", "Errors", u.totalErrors, "int", p.totalErrors),
        kpi("errorRate", "Error rate", u.errorRate, "percent", p.errorRate)),
      h("div", { class: "grid2" }, over.box, errors.box, byAssistant.box, byModel.box),
      ...(ctx.hasBudget ? [budgetBlock(budget.project.budget)] : []),
      ctx.downloads(this.csv));
    lineChart(over.canvas, labels, [
      { label: "Cost (USD)", data: u.timeline.map((b) => b.totalCost) },
      { label: "Requests", data: u.timeline.map((b) => b.totalRequests), axis: "y2" },
    ]);
    barChart(errors.canvas, labels, [{ label: "Errors", data: u.timeline.map((b) => b.totalErrors) }]);
    byAssistant.draw();
    byModel.draw();
  },
};
