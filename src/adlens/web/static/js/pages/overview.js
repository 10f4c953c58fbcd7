// Overview: key figures with change vs the previous period, a time series with anomaly
// markers, and breakdowns by platform, channel and campaign.
import { explain, loadAnomalies, markerText, metricLabel, triageBadge } from "../anomaly.js";
import { drawBars, drawLine } from "../charts.js";
import { setupFilters, platformLabel } from "../filters.js";
import { MEASURES } from "../format.js";
import { breakdownQuery, exclusionNote, kpiQuery, load, seriesQuery, timeKey, KPI_MEASURES } from "../query.js";
import { writeView } from "../state.js";
import { el, errorText, jsonLink, renderTable, setState } from "../ui.js";

const SUB_DAY = new Set(["1m", "5m", "15m", "hour"]);

export async function start({ fmt }) {
  const view = setupFilters(() => refresh());
  const measureSelect = document.getElementById("series-measure");
  measureSelect.value = view.measure in MEASURES ? view.measure : "spend";
  const radios = document.querySelectorAll('#granularity input[name="granularity"]');
  for (const radio of radios) radio.checked = radio.value === view.granularity;
  if (![...radios].some((r) => r.checked)) document.getElementById("g-day").checked = true;
  const tabs = [...document.querySelectorAll("#breakdown-tabs [role=tab]")];

  measureSelect.addEventListener("change", () => {
    view.measure = measureSelect.value;
    writeView(view);
    series().catch(() => {});
  });
  for (const radio of radios) {
    radio.addEventListener("change", () => {
      view.granularity = radio.value;
      writeView(view);
      series().catch(() => {});
    });
  }
  const selectTab = (tab) => {
    for (const t of tabs) {
      t.setAttribute("aria-selected", String(t === tab));
      t.tabIndex = t === tab ? 0 : -1;
    }
    view.by = tab.dataset.dimension;
  };
  selectTab(tabs.find((t) => t.dataset.dimension === view.by) || tabs[0]);
  for (const tab of tabs) {
    tab.addEventListener("click", () => {
      selectTab(tab);
      writeView(view);
      breakdown().catch(() => {});
    });
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
      next.focus();
      next.click();
    });
  }

  async function kpis() {
    const query = kpiQuery(view);
    setState("kpi-state", "");
    let answer;
    try {
      answer = await load(query);
    } catch (exc) {
      setState("kpi-state", errorText(exc, "the key figures"), "error");
      throw exc;
    }
    jsonLink("kpi-json", "/v1/load", answer, query);
    const row = answer.data[0] || {};
    const meta = answer.metadata || {};
    // A comparison period that starts before the first loaded day holds fewer days of data:
    // its change is shown, but as partial, never coloured as growth or decline.
    const firstDay = meta.data_span?.first_day;
    const partial = meta.compare_covered === false && firstDay ? `data only from ${fmt.date(firstDay)}` : "";
    for (const tile of document.querySelectorAll(".kpi")) {
      const key = tile.dataset.measure;
      const shown = tile.querySelector("[data-value]");
      shown.textContent = fmt.tile(key, row[key]);
      shown.title = fmt.measure(key, row[key]);
      shown.dataset.raw = row[key] ?? "";
      const change = tile.querySelector("[data-change]");
      const value = row[`${key}_change`];
      change.className = "kpi-change";
      if (value === undefined) change.textContent = "";
      else if (value === null) change.textContent = row[`${key}_previous`] ? "no change" : "no previous data";
      else if (partial) {
        change.classList.add("partial");
        change.textContent = `${fmt.change(value)} vs partial previous`;
        change.title = `Previous period: ${fmt.measure(key, row[`${key}_previous`])}, ${partial}: it covers fewer days than this one`;
      } else {
        const better = MEASURES[key].better;
        const good = better === "up" ? value > 0 : better === "down" ? value < 0 : null;
        if (good !== null && value !== 0) change.classList.add(good ? "up" : "down");
        change.textContent = `${fmt.change(value)} vs previous`;
        change.title = `Previous period: ${fmt.measure(key, row[`${key}_previous`])}`;
      }
    }
    const compare = meta.compare_range;
    const against = compare ? `compared with ${describeRange(compare, fmt)}` : "";
    document.getElementById("kpi-compare").textContent = partial ? `${against} (${partial})` : against;
    const loaded = meta.last_load ? `Data loaded ${fmt.dateTime(meta.last_load)}` : "No data loaded yet";
    document.getElementById("freshness").textContent = `${loaded} · data version ${meta.data_version ?? "–"}`;
    const empty = KPI_MEASURES.every((k) => !row[k]);
    if (empty) {
      const where = view.from ? `between ${fmt.date(view.from)} and ${fmt.date(view.to)}` : "in the store";
      const filtered = Object.keys(view.filters).length ? " with these filters" : "";
      setState("kpi-state", `No ad data ${where}${filtered}. Choose "All data" as the period, clear the filters, or load exports on the Data page.`);
    } else setState("kpi-state", exclusionNote(meta, fmt));
  }

  async function series() {
    const measure = view.measure in MEASURES ? view.measure : "spend";
    const query = seriesQuery(view, measure, view.granularity, fmt.weekStart);
    setState("series-state", "");
    let answer;
    let anomalies;
    try {
      [answer, anomalies] = await Promise.all([load(query), loadAnomalies(view).catch(() => ({ rows: [] }))]);
    } catch (exc) {
      setState("series-state", errorText(exc, "the time series"), "error");
      throw exc;
    }
    jsonLink("series-json", "/v1/load", answer, query);
    const key = timeKey(answer);
    const rows = [...answer.data].sort((a, b) => String(a[key]).localeCompare(String(b[key])));
    const labels = rows.map((r) => String(r[key]));
    const values = rows.map((r) => r[measure]);
    const markers = placeMarkers(labels, anomalies.rows).map((m) => ({ ...m, summary: markerText(m.item, fmt) }));
    const tickLabel = (label) => (SUB_DAY.has(view.granularity) ? label.replace("T", " ").slice(0, 16) : fmt.date(label.slice(0, 10)));
    drawLine(document.getElementById("series-chart"), {
      labels,
      values,
      label: metricLabel(measure),
      formatValue: (v) => fmt.measure(measure, v),
      formatTick: (v) => fmt.short(measure, v),
      tickLabel,
      markers,
      onMarker: (marker) => explain(marker.item, fmt),
    });
    if (!rows.length) setState("series-state", `No ${metricLabel(measure).toLowerCase()} in this period at this granularity.`);
    document.getElementById("series-note").textContent = exclusionNote(answer.metadata, fmt);
    document.getElementById("series-markers").replaceChildren(
      ...markers.map((m) =>
        el("li", {}, el("button", { type: "button", class: "button ghost marker-button", onclick: () => explain(m.item, fmt) }, "▲ ", m.summary, " ", triageBadge(m.item.triage))),
      ),
    );
  }

  async function breakdown() {
    const dimension = view.by;
    const query = breakdownQuery(view, dimension);
    setState("breakdown-state", "");
    let answer;
    try {
      answer = await load(query);
    } catch (exc) {
      setState("breakdown-state", errorText(exc, "the breakdown"), "error");
      throw exc;
    }
    jsonLink("breakdown-json", "/v1/load", answer, query);
    const rows = answer.data.filter((r) => KPI_MEASURES.some((k) => r[k]));
    const name = (row) => (row[dimension] === null ? "(not set)" : dimension === "platform" ? platformLabel(row[dimension]) : row[dimension]);
    const top = rows.filter((r) => r.spend).slice(0, 12);
    drawBars(document.getElementById("breakdown-chart"), {
      labels: top.map(name),
      values: top.map((r) => r.spend),
      label: "Spend",
      formatValue: (v) => fmt.money(v),
      formatTick: (v) => fmt.short("spend", v),
    });
    const label = document.querySelector(`#breakdown-tabs [data-dimension="${dimension}"]`).textContent;
    const columns = [
      { key: dimension, label, render: name, sort: name },
      ...KPI_MEASURES.map((key) => ({ key, label: MEASURES[key].label, num: true, render: (r) => fmt.measure(key, r[key]) })),
      { key: "spend_share", label: "Share of spend", num: true, render: (r) => fmt.percent(r.spend_share) },
    ];
    renderTable(document.getElementById("breakdown-table"), columns, rows);
    if (!rows.length) setState("breakdown-state", "Nothing to break down in this period with these filters.");
  }

  async function refresh() {
    const results = await Promise.allSettled([kpis(), series(), breakdown()]);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  await Promise.all([refresh().catch(() => {}), view.optionsReady]);
  return { refresh };
}

// Each anomaly goes on the bucket that holds its start (labels are sorted ISO strings).
function placeMarkers(labels, anomalies) {
  const markers = [];
  for (const item of anomalies) {
    const start = String(item.period_start || "");
    let index = -1;
    for (let i = 0; i < labels.length && labels[i] <= start; i += 1) index = i;
    if (index >= 0 && start.slice(0, 10) <= nextBucketBound(labels, index)) markers.push({ index, item });
  }
  return markers;
}

function nextBucketBound(labels, index) {
  return index + 1 < labels.length ? labels[index + 1] : "9999-12-31";
}

// A resolved range is [start, end): a midnight end means the day before is the last one.
function describeRange(range, fmt) {
  if (!range || !range.start) return "the previous period";
  const end = String(range.end);
  let last = end.slice(0, 10);
  if (end.slice(11, 19) === "00:00:00") {
    const day = new Date(`${last}T00:00:00Z`);
    day.setUTCDate(day.getUTCDate() - 1);
    last = day.toISOString().slice(0, 10);
  }
  return `${fmt.date(String(range.start).slice(0, 10))} – ${fmt.date(last)}`;
}
