// How figures are shown; each element also carries the raw figure in data-value.
const usd = (digits) => new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: digits, maximumFractionDigits: digits });
const USD2 = usd(2);
const USD6 = usd(6);
const INT = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const DEC1 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const DEC2 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const FORMATS = {
  usd: (v) => USD2.format(v),
  usdSmall: (v) => USD6.format(v),
  int: (v) => INT.format(v),
  ms: (v) => `${INT.format(v)} ms`,
  percent: (v) => `${DEC2.format(v)} %`,
  dec1: (v) => DEC1.format(v),
  dec2: (v) => DEC2.format(v),
};

export function show(value, format) {
  if (value === null || value === undefined) return "—";
  return FORMATS[format](Number(value));
}

// Change against the previous period, in percent; null when there is nothing to compare to.
export function change(current, previous) {
  if (current === null || previous === null || current === undefined || previous === undefined) return null;
  if (Number(previous) === 0) return null;
  return ((Number(current) - Number(previous)) / Math.abs(Number(previous))) * 100;
}

export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
