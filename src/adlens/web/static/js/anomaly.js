// Anomalies shared by the Overview and Anomalies pages: loading them and explaining one.
import { ApiError, api } from "./api.js";
import { MEASURES } from "./format.js";
import { platformLabel } from "./filters.js";
import { el } from "./ui.js";

// {rows, available, message}: available is false when the server has no /anomalies route.
export async function loadAnomalies(view) {
  const query = { start: view.from || undefined, end: view.to || undefined, platform: view.filters.platform };
  try {
    const answer = await api("/anomalies", { query });
    let rows = answer.data || [];
    if (view.filters.account_id) rows = rows.filter((r) => !r.account_id || r.account_id === view.filters.account_id);
    return { rows, available: true, answer, query };
  } catch (exc) {
    if (exc instanceof ApiError && exc.status === 404) return { rows: [], available: false, answer: null, query };
    throw exc;
  }
}

export function metricLabel(metric) {
  return (MEASURES[metric] || {}).label || metric;
}

export function entity(row) {
  return [row.platform && platformLabel(row.platform), row.account_id, row.campaign_name].filter(Boolean).join(" · ") || "all platforms";
}

export function summary(row, fmt) {
  return `${metricLabel(row.metric)} ${fmt.measure(row.metric, row.actual)} on ${fmt.date(String(row.period_start).slice(0, 10))} (${entity(row)})`;
}

// A period of days is stored as midnight timestamps (the last day included): it reads as
// days, whatever the browser's time zone. Hourly incidents keep their hours.
const MIDNIGHT = /^\d{4}-\d{2}-\d{2}(T00:00(:00(\.0+)?)?)?$/;

export function period(row, fmt) {
  const start = String(row.period_start || "");
  const end = String(row.period_end || start);
  if (MIDNIGHT.test(start) && MIDNIGHT.test(end)) {
    return fmt.days(start.slice(0, 10), end.slice(0, 10));
  }
  return end !== start ? `${fmt.dateTime(start)} – ${fmt.dateTime(end)}` : fmt.dateTime(start);
}

// The expected range, or the one value expected when the history never varied.
export function expectedRange(row, fmt) {
  const low = fmt.measure(row.metric, row.expected_low);
  const high = fmt.measure(row.metric, row.expected_high);
  return low === high ? low : `${low} – ${high}`;
}

// A chart marker's words: what happened and the range it was expected in.
export function markerText(row, fmt) {
  return `${summary(row, fmt)}; expected ${expectedRange(row, fmt)}`;
}

export function triageBadge(triage) {
  const data = triage === "data problem";
  return el("span", { class: `badge ${data ? "data" : "perf"}`, text: triage || "unlabelled" });
}

export function explain(row, fmt) {
  const dialog = document.getElementById("anomaly-dialog");
  document.getElementById("anomaly-dialog-title").textContent = `${metricLabel(row.metric)} anomaly`;
  const range = expectedRange(row, fmt);
  const facts = [
    ["What", entity(row)],
    ["When", period(row, fmt)],
    ["Actual", fmt.measure(row.metric, row.actual)],
    ["Expected range", range],
    ["Severity", fmt.percent(row.severity)],
    ["Money at stake", fmt.money(row.money_at_stake)],
    ["Main driver", row.driver || "not identified"],
    ["Triage", triageBadge(row.triage)],
  ];
  document.getElementById("anomaly-dialog-content").replaceChildren(
    el("p", { class: "explanation", text: row.explanation || "No explanation was recorded for this anomaly." }),
    el("dl", { class: "facts" }, ...facts.flatMap(([term, value]) => [el("dt", { text: term }), el("dd", {}, value)])),
  );
  dialog.showModal();
}
