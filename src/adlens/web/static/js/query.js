// Cube-style queries the pages send to POST /v1/load, built from the view in the URL.
import { api } from "./api.js";
import { cubeFilters, dateRange } from "./state.js";

export const KPI_MEASURES = ["spend", "impressions", "clicks", "conversions", "conversion_value", "ctr", "cpc", "cpa", "roas"];

export function kpiQuery(view) {
  const range = dateRange(view);
  const query = { measures: KPI_MEASURES, filters: cubeFilters(view) };
  if (range) {
    query.timeDimensions = [{ dimension: "ts", dateRange: range }];
    query.compare = "previous_period";
  }
  return query;
}

export function seriesQuery(view, measure, granularity, weekStart) {
  const timeDimension = { dimension: "ts", granularity };
  const range = dateRange(view);
  if (range) timeDimension.dateRange = range;
  const query = { measures: [measure], timeDimensions: [timeDimension], filters: cubeFilters(view), limit: 50000 };
  if (granularity === "week" && weekStart) query.weekStart = weekStart;
  return query;
}

export function breakdownQuery(view, dimension) {
  const query = {
    measures: KPI_MEASURES,
    dimensions: [dimension],
    filters: cubeFilters(view),
    order: { spend: "desc" },
    limit: 500,
    share: ["spend"],
  };
  const range = dateRange(view);
  if (range) query.timeDimensions = [{ dimension: "ts", dateRange: range }];
  return query;
}

export function load(query) {
  return api("/v1/load", { method: "POST", body: query });
}

// The result key of the time dimension ("ts.day", "ts.hour"...), from the answer's metadata.
export function timeKey(answer) {
  const notes = (answer.metadata && answer.metadata.annotation) || {};
  const key = Object.keys(notes).find((k) => notes[k].type === "time");
  if (key) return key;
  const row = answer.data[0] || {};
  return Object.keys(row).find((k) => k.startsWith("ts")) || "ts";
}

// Words for rows a query could not count (range rows, coarser rows in a fine series).
export function exclusionNote(metadata, fmt) {
  const notes = [];
  for (const key of ["range_rows_excluded", "grain_rows_excluded"]) {
    const item = metadata && metadata[key];
    if (item && item.count) notes.push(`${fmt.integer(item.count)} rows not shown: ${item.reason}.`);
  }
  return notes.join(" ");
}
