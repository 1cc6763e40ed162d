// Small DOM builders: text goes in as text, never as HTML.
import { change, show } from "./format.js";

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// A KPI card; `better` says which direction of change is good ("down" for cost, errors).
export function kpi(id, label, value, format, previous, better = "down") {
  const delta = previous === undefined ? undefined : change(value, previous);
  let changeText = null;
  if (delta !== undefined) {
    changeText = delta === null
      ? "no previous figure"
      : `${delta >= 0 ? "▲" : "▼"} ${Math.abs(delta).toFixed(1)} % vs previous period`;
  }
  const direction = delta ? (delta > 0 === (better === "down") ? "up" : "down") : "";
  return h("div", { class: "kpi", dataset: { kpi: id, value: value ?? "null" } },
    h("div", { class: "label" }, label),
    h("div", { class: "value" }, show(value, format)),
    changeText && h("div", { class: `change ${direction}`, dataset: { change: delta ?? "null" } }, changeText));
}

export function chartBox(id, title) {
  const canvas = h("canvas", { role: "img", "aria-label": title });
  const box = h("figure", { class: "chart", dataset: { chart: id } },
    h("h3", {}, title), h("div", { class: "canvas" }, canvas));
  return { box, canvas };
}

// A table from column specs {label, value(row), format?, num?}.
export function table(columns, rows, { caption, rowAttrs } = {}) {
  return h("table", {},
    caption && h("caption", { class: "sr-only" }, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.label)))),
    h("tbody", {}, rows.map((row, index) => h("tr", rowAttrs ? rowAttrs(row, index) : {},
      columns.map((c) => {
        const raw = c.value(row);
        return h("td", { class: c.num ? "num" : null, dataset: c.format ? { value: raw ?? "null" } : {} },
          c.format ? show(raw, c.format) : raw);
      })))));
}

export function section(title, ...children) {
  return h("section", { class: "block" }, h("h3", {}, title), ...children);
}
