// Tokens: totals and averages, tokens over time, and which assistant spends them on which model.
import { chartBox, h, kpi, section, table } from "../dom.js";
import { barChart } from "../charts.js";
import { bucketLabel } from "../time.js";

const SUMS = "inputTokens outputTokens totalTokens";

export const TOKENS_QUERY = `query DashboardTokens($project: ID!, $range: TimeRange!, $filter: UsageFilter) {
  project(id: $project) {
    tokenUsage(range: $range, filter: $filter) {
      ${SUMS} averageInputTokensPerRequest averageOutputTokensPerResponse
      timeline { start ${SUMS} }
      byAssistant { assistant { id name } ${SUMS} byModel { model { id name } ${SUMS} } }
    }
  }
}`;

export default {
  id: "tokens",
  title: "Tokens",
  permission: "read_usage",
  csv: [["tokens-timeline", "Timeline CSV"], ["tokens-by-assistant", "By assistant × model CSV"]],
  async render(panel, ctx) {
    const data = await ctx.api(TOKENS_QUERY, { project: ctx.projectId, range: ctx.range, filter: ctx.filter });
    if (!ctx.isCurrent()) return;
    const t = data.project.tokenUsage;
    const labels = t.timeline.map((b) => bucketLabel(b.start, ctx.range.timezone, ctx.range.granularity));
    const over = chartBox("tokens-over-time", "Tokens over time");
    const split = chartBox("tokens-by-assistant", "Tokens by assistant and model");
    const pairs = t.byAssistant.flatMap((a) => a.byModel.map((m) => ({ ...m, assistant: a.assistant ? a.assistant.name : "(no assistant)", model: m.model.name })));
    const models = [...new Set(pairs.map((p) => p.model))];
    const assistants = t.byAssistant.map((a) => (a.assistant ? a.assistant.name : "(no assistant)"));
    panel.replaceChildren(
      h("div", { class: "kpis" },
        kpi("totalTokens", "Total tokens", t.totalTokens, "int"),
        kpi("inputTokens", "Input tokens", t.inputTokens, "int"),
        kpi("outputTokens", "Output tokens", t.outputTokens, "int"),
        kpi("averageInputTokensPerRequest", "Average input tokens per request", t.averageInputTokensPerRequest, "dec1"),
        kpi("averageOutputTokensPerResponse", "Average output tokens per response", t.averageOutputTokensPerResponse, "dec1")),
      h("div", { class: "grid2" }, over.box, split.box),
      section("By assistant × model", h("div", { class: "scroll", tabindex: 0, "aria-label": "Tokens by assistant and model" }, table([
        { label: "Assistant", value: (r) => r.assistant },
        { label: "Model", value: (r) => r.model },
        { label: "Input", value: (r) => r.inputTokens, format: "int", num: true },
        { label: "Output", value: (r) => r.outputTokens, format: "int", num: true },
        { label: "Total", value: (r) => r.totalTokens, format: "int", num: true },
      ], pairs))),
      ctx.downloads(this.csv));
    barChart(over.canvas, labels, [
      { label: "Input tokens", data: t.timeline.map((b) => b.inputTokens) },
      { label: "Output tokens", data: t.timeline.map((b) => b.outputTokens) },
    ], { stacked: true });
    barChart(split.canvas, assistants, models.map((model) => ({
      label: model,
      data: t.byAssistant.map((a) => (a.byModel.find((m) => m.model.name === model) || { totalTokens: 0 }).totalTokens),
    })), { stacked: true, horizontal: true });
  },
};
