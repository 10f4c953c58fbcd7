// The page's view lives in the URL (period, filters, granularity...), so a link shares it.

export const FILTER_DIMENSIONS = ["platform", "account_id", "channel"];
const PRESETS = { 7: 7, 30: 30, 90: 90 };

export function isoDate(date) {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 10);
}

export function readView() {
  const params = new URLSearchParams(location.search);
  const view = {
    preset: params.get("preset") || (params.get("from") || params.get("to") ? "custom" : "30"),
    from: params.get("from") || "",
    to: params.get("to") || "",
    granularity: params.get("granularity") || "day",
    measure: params.get("measure") || "spend",
    by: params.get("by") || "platform",
    filters: {},
  };
  for (const dimension of FILTER_DIMENSIONS) {
    const value = params.get(dimension);
    if (value) view.filters[dimension] = value;
  }
  if (view.preset !== "custom") Object.assign(view, presetRange(view.preset));
  return view;
}

// The dates of a preset period ending today; "all" has no bounds.
export function presetRange(preset) {
  if (!(preset in PRESETS)) return { from: "", to: "" };
  const to = new Date();
  const from = new Date(to.getTime() - (PRESETS[preset] - 1) * 86_400_000);
  return { from: isoDate(from), to: isoDate(to) };
}

export function writeView(view) {
  const params = new URLSearchParams();
  if (view.preset && view.preset !== "30") params.set("preset", view.preset);
  if (view.preset === "custom") {
    if (view.from) params.set("from", view.from);
    if (view.to) params.set("to", view.to);
  }
  for (const [key, value] of Object.entries(view.filters)) if (value) params.set(key, value);
  if (view.granularity && view.granularity !== "day") params.set("granularity", view.granularity);
  if (view.measure && view.measure !== "spend") params.set("measure", view.measure);
  if (view.by && view.by !== "platform") params.set("by", view.by);
  const text = params.toString();
  history.replaceState(null, "", text ? `${location.pathname}?${text}` : location.pathname);
  carryFilters();
}

// Navigation keeps the period and filters when moving between pages.
export function carryFilters() {
  const params = new URLSearchParams(location.search);
  const kept = new URLSearchParams();
  for (const key of ["preset", "from", "to", ...FILTER_DIMENSIONS]) if (params.get(key)) kept.set(key, params.get(key));
  const text = kept.toString();
  for (const link of document.querySelectorAll("a[data-keep-filters]")) {
    const path = new URL(link.href, location.href).pathname;
    link.href = text ? `${path}?${text}` : path;
  }
}

// Cube filters and the time dimension of a view.
export function cubeFilters(view) {
  return Object.entries(view.filters).map(([member, value]) => ({ member, operator: "equals", values: [value] }));
}

export function dateRange(view) {
  return view.from && view.to ? [view.from, view.to] : undefined;
}
