// The filter bar (period, platform, account, channel) shared by the pages; it keeps the URL
// in step so that the view can be shared as a link and survives a reload.
import { api } from "./api.js";
import { FILTER_DIMENSIONS, presetRange, readView, writeView } from "./state.js";
import { el } from "./ui.js";

const LABELS = { meta: "Meta", google_ads: "Google Ads", tiktok: "TikTok", linkedin: "LinkedIn", microsoft: "Microsoft Ads", ga4: "GA4", generic: "Other" };

export function platformLabel(value) {
  return LABELS[value] || value;
}

export function setupFilters(onChange) {
  const form = document.getElementById("filters");
  const view = readView();
  const preset = form.elements.preset;
  const from = form.elements.from;
  const to = form.elements.to;
  const show = () => {
    preset.value = view.preset;
    from.value = view.from;
    to.value = view.to;
    for (const dimension of FILTER_DIMENSIONS) form.elements[dimension].value = view.filters[dimension] || "";
  };
  const changed = () => {
    writeView(view);
    onChange(view);
  };
  // Until the option lists arrive (they come from the data, alongside the page's own
  // queries), a value from the URL is offered as itself.
  for (const [dimension, value] of Object.entries(view.filters)) {
    form.elements[dimension].append(el("option", { value, text: value }));
  }
  show();
  view.optionsReady = fillOptions(form, view).then(show);

  preset.addEventListener("change", () => {
    view.preset = preset.value;
    if (view.preset !== "custom") Object.assign(view, presetRange(view.preset));
    show();
    changed();
  });
  for (const input of [from, to]) {
    input.addEventListener("change", () => {
      if (!from.value || !to.value) return;
      if (from.value > to.value) [from.value, to.value] = [to.value, from.value];
      Object.assign(view, { preset: "custom", from: from.value, to: to.value });
      show();
      changed();
    });
  }
  for (const dimension of FILTER_DIMENSIONS) {
    form.elements[dimension].addEventListener("change", (event) => {
      if (event.target.value) view.filters[dimension] = event.target.value;
      else delete view.filters[dimension];
      changed();
    });
  }
  document.getElementById("f-clear").addEventListener("click", () => {
    view.filters = {};
    show();
    changed();
  });
  document.getElementById("f-share").addEventListener("click", async (event) => {
    try {
      await navigator.clipboard.writeText(location.href);
      event.target.textContent = "Link copied";
    } catch {
      event.target.textContent = "Copy the address bar";
    }
    setTimeout(() => (event.target.textContent = "Copy link"), 2000);
  });
  return view;
}

// Option lists come from the data itself: every value with any spend or impressions.
async function fillOptions(form, view) {
  const requests = FILTER_DIMENSIONS.map((dimension) => {
    const dimensions = dimension === "account_id" ? ["account_id", "account_name"] : [dimension];
    return api("/v1/load", { method: "POST", body: { measures: ["spend"], dimensions, order: { spend: "desc" }, limit: 500 } })
      .then((answer) => [dimension, answer.data])
      .catch(() => [dimension, []]);
  });
  for (const [dimension, rows] of await Promise.all(requests)) {
    const select = form.elements[dimension];
    const options = [el("option", { value: "", text: "All" })];
    const seen = new Set();
    for (const row of rows) {
      const value = row[dimension];
      if (value === null || value === undefined || seen.has(value)) continue;
      seen.add(value);
      const text = dimension === "platform" ? platformLabel(value) : dimension === "account_id" && row.account_name ? `${row.account_name} (${value})` : value;
      options.push(el("option", { value, text }));
    }
    const chosen = view.filters[dimension];
    if (chosen && !seen.has(chosen)) options.push(el("option", { value: chosen, text: `${chosen} (no data)` }));
    select.replaceChildren(...options);
  }
}
