// Chart.js (served from /vendor/chart.js) with the page's defaults: no animation, so a view is
// complete when its data is drawn and screenshots are stable.
const PALETTE = ["#2458d6", "#e8590c", "#2f9e44", "#ae3ec9", "#f08c00", "#1098ad", "#c2255c", "#5c940d", "#495057", "#7048e8"];

let live = [];

export function destroyCharts() {
  for (const chart of live) chart.destroy();
  live = [];
}

function make(canvas, config) {
  config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
  const chart = new window.Chart(canvas, config);
  live.push(chart);
  return chart;
}

// Two series over time on two axes (e.g. cost and requests).
export function lineChart(canvas, labels, series) {
  return make(canvas, {
    type: "line",
    data: {
      labels,
      datasets: series.map((s, i) => ({
        label: s.label, data: s.data, yAxisID: s.axis || "y", borderColor: PALETTE[i], backgroundColor: PALETTE[i],
        pointRadius: labels.length > 60 ? 0 : 2, tension: 0.2,
      })),
    },
    options: {
      interaction: { mode: "index", intersect: false },
      scales: {
        y: { beginAtZero: true, position: "left" },
        ...(series.some((s) => s.axis === "y2") ? { y2: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } } } : {}),
      },
    },
  });
}

export function barChart(canvas, labels, series, { stacked = false, horizontal = false } = {}) {
  return make(canvas, {
    type: "bar",
    data: { labels, datasets: series.map((s, i) => ({ label: s.label, data: s.data, backgroundColor: PALETTE[i % PALETTE.length] })) },
    options: {
      indexAxis: horizontal ? "y" : "x",
      scales: { x: { stacked }, y: { stacked, beginAtZero: true } },
      plugins: { legend: { display: series.length > 1 } },
    },
  });
}

export function doughnutChart(canvas, labels, data) {
  return make(canvas, {
    type: "doughnut",
    data: { labels, datasets: [{ data, backgroundColor: labels.map((_, i) => PALETTE[i % PALETTE.length]) }] },
    options: { plugins: { legend: { position: "right" } } },
  });
}
