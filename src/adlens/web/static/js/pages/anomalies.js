// Anomalies: the incidents of the period, each with its expected range, driver, triage
// label and explanation, and a chart of the metric with a marker per incident.
import { entity, expectedRange, explain, loadAnomalies, markerText, metricLabel, period, summary, triageBadge } from "../anomaly.js";
import { drawLine } from "../charts.js";
import { setupFilters } from "../filters.js";
import { MEASURES } from "../format.js";
import { load, seriesQuery, timeKey } from "../query.js";
import { writeView } from "../state.js";
import { el, errorText, jsonLink, renderTable, setState } from "../ui.js";

export async function start({ fmt }) {
  const view = setupFilters(() => refresh());
  const measureSelect = document.getElementById("an-measure");
  let rows = [];

  measureSelect.addEventListener("change", () => {
    view.measure = measureSelect.value;
    writeView(view);
    chart().catch(() => {});
  });

  async function list() {
    setState("anomalies-state", "");
    let result;
    try {
      result = await loadAnomalies(view);
    } catch (exc) {
      setState("anomalies-state", errorText(exc, "the anomalies"), "error");
      throw exc;
    }
    rows = result.rows;
    if (result.answer) jsonLink("anomalies-json", `/anomalies${queryText(result.query)}`, result.answer);
    const columns = [
      { key: "period_start", label: "When", wrap: true, render: (r) => period(r, fmt) },
      { key: "metric", label: "Metric", render: (r) => metricLabel(r.metric) },
      { key: "entity", label: "Where", wrap: true, render: entity, sort: entity },
      { key: "actual", label: "Actual", num: true, render: (r) => fmt.measure(r.metric, r.actual) },
      { key: "expected_low", label: "Expected range", num: true, render: (r) => expectedRange(r, fmt) },
      { key: "severity", label: "Severity", num: true, render: (r) => fmt.percent(r.severity) },
      { key: "money_at_stake", label: "Money at stake", num: true, render: (r) => fmt.money(r.money_at_stake) },
      { key: "triage", label: "Triage", render: (r) => triageBadge(r.triage) },
      { key: "explanation", label: "Explanation", sortable: false, render: (r) => el("button", { type: "button", class: "button ghost", onclick: () => explain(r, fmt), "aria-label": `Explain: ${summary(r, fmt)}` }, "Explain") },
    ];
    const table = document.getElementById("anomalies-table");
    if (!table._sort || !table._sort.key) table._sort = { key: "severity", dir: "descending" };
    renderTable(table, columns, rows);
    if (!result.available) {
      setState("anomalies-state", "Anomaly detection is not available on this server (GET /anomalies answered 404). Once it runs, the incidents it finds are listed here.");
    } else if (!rows.length) {
      setState("anomalies-state", "No anomalies in this period: every metric stayed inside its expected range, or detection has not run on the latest data yet.");
    }
    if (view.filters.channel && rows.length) {
      setState("anomalies-state", "Anomalies are found per platform, account and campaign: the channel filter does not narrow this list.");
    }
    const metrics = [...new Set(["spend", ...rows.map((r) => r.metric).filter((m) => m in MEASURES)])];
    const chosen = metrics.includes(view.measure) ? view.measure : metrics.includes(rows[0]?.metric) ? rows[0].metric : "spend";
    measureSelect.replaceChildren(...metrics.map((m) => el("option", { value: m, text: metricLabel(m) })));
    measureSelect.value = chosen;
    view.measure = chosen;
  }

  async function chart() {
    const measure = view.measure;
    const answer = await load(seriesQuery(view, measure, "day"));
    const key = timeKey(answer);
    const data = [...answer.data].sort((a, b) => String(a[key]).localeCompare(String(b[key])));
    const labels = data.map((r) => String(r[key]));
    const markers = [];
    for (const item of rows.filter((r) => r.metric === measure)) {
      const index = labels.indexOf(String(item.period_start).slice(0, 10));
      if (index >= 0) markers.push({ index, item, summary: markerText(item, fmt) });
    }
    document.getElementById("an-chart-title").textContent = `Daily ${metricLabel(measure).toLowerCase()} with anomalies`;
    drawLine(document.getElementById("anomaly-chart"), {
      labels,
      values: data.map((r) => r[measure]),
      label: metricLabel(measure),
      formatValue: (v) => fmt.measure(measure, v),
      formatTick: (v) => fmt.short(measure, v),
      tickLabel: (label) => fmt.date(label.slice(0, 10)),
      markers,
      onMarker: (marker) => explain(marker.item, fmt),
    });
  }

  async function refresh() {
    await list();
    await chart();
  }

  await Promise.all([refresh().catch(() => {}), view.optionsReady]);
  return { refresh };
}

function queryText(query) {
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v));
  const text = params.toString();
  return text ? `?${text}` : "";
}
