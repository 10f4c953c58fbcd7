// Charts drawn with the vendored Chart.js (window.Chart), coloured from the theme's CSS.
import { cssVar } from "./ui.js";

const Chart = window.Chart;

function palette() {
  return {
    text: cssVar("--muted"),
    grid: cssVar("--border"),
    line: cssVar("--series-1"),
    bar: cssVar("--series-1"),
    marker: cssVar("--bad"),
    surface: cssVar("--surface"),
  };
}

function baseOptions(colors) {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: { legend: { display: false } },
    scales: {
      x: { ticks: { color: colors.text, maxRotation: 0, autoSkipPadding: 12 }, grid: { color: colors.grid } },
      y: { ticks: { color: colors.text }, grid: { color: colors.grid }, beginAtZero: true },
    },
  };
}

// A metric over time; markers ({index, item}) are drawn as triangles and can be clicked.
export function drawLine(canvas, { labels, values, label, formatValue, formatTick, tickLabel, markers = [], onMarker }) {
  const colors = palette();
  const byIndex = new Map(markers.map((m) => [m.index, m]));
  const markerData = labels.map((_, i) => (byIndex.has(i) ? values[i] ?? 0 : null));
  const options = baseOptions(colors);
  options.scales.y.ticks.callback = (value) => formatTick(value);
  options.scales.x.ticks.callback = function (value) {
    return tickLabel(this.getLabelForValue(value));
  };
  options.interaction = { mode: "nearest", intersect: false };
  options.plugins.tooltip = {
    callbacks: {
      title: (items) => (items.length ? tickLabel(items[0].label) : ""),
      label: (item) => {
        if (item.datasetIndex === 1) {
          const marker = byIndex.get(item.dataIndex);
          return marker ? `Anomaly: ${marker.summary}` : "";
        }
        return `${label}: ${formatValue(item.raw)}`;
      },
    },
  };
  options.onClick = (event, elements, chart) => {
    const hits = chart.getElementsAtEventForMode(event, "nearest", { intersect: true }, true);
    const hit = hits.find((h) => h.datasetIndex === 1);
    if (hit && onMarker) onMarker(byIndex.get(hit.index));
  };
  const data = {
    labels,
    datasets: [
      { label, data: values, borderColor: colors.line, backgroundColor: colors.line, pointRadius: labels.length > 60 ? 0 : 2, borderWidth: 2, tension: 0.2, spanGaps: true },
      { label: "Anomalies", data: markerData, showLine: false, pointStyle: "triangle", pointRadius: 8, pointHoverRadius: 10, borderColor: colors.marker, backgroundColor: colors.marker },
    ],
  };
  return replace(canvas, { type: "line", data, options });
}

// Horizontal bars, largest first.
export function drawBars(canvas, { labels, values, label, formatValue, formatTick }) {
  const colors = palette();
  const options = baseOptions(colors);
  options.indexAxis = "y";
  options.scales.x.ticks.callback = (value) => formatTick(value);
  options.scales.x.beginAtZero = true;
  options.scales.y.ticks.callback = function (value) {
    const text = this.getLabelForValue(value);
    return text.length > 24 ? `${text.slice(0, 23)}…` : text;
  };
  options.plugins.tooltip = { callbacks: { label: (item) => `${label}: ${formatValue(item.raw)}` } };
  canvas.parentElement.style.height = `${Math.max(220, labels.length * 28 + 60)}px`;
  const data = { labels, datasets: [{ label, data: values, backgroundColor: colors.bar, borderRadius: 4 }] };
  return replace(canvas, { type: "bar", data, options });
}

function replace(canvas, config) {
  const existing = Chart.getChart(canvas);
  if (existing) existing.destroy();
  return new Chart(canvas, config);
}
