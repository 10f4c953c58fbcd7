// Campaigns: one row per canonical campaign across platforms (blended CPA and ROAS, GA4
// reconciliation) and the review of how platform campaign names were matched.
import { ApiError, api } from "../api.js";
import { setupFilters, platformLabel } from "../filters.js";
import { el, canDo, errorText, jsonLink, renderTable, setState } from "../ui.js";

export async function start({ me, fmt }) {
  const view = setupFilters(() => refresh());
  const canEdit = canDo(me.role, "analyst");

  async function consolidated() {
    setState("consolidated-state", "");
    const query = { start: view.from || undefined, end: view.to || undefined };
    let answer;
    try {
      answer = await api("/campaigns/consolidated", { query });
    } catch (exc) {
      renderTable(document.getElementById("consolidated-table"), [], []);
      if (exc instanceof ApiError && exc.status === 404) {
        setState("consolidated-state", "The cross-platform campaign view is not available on this server (GET /campaigns/consolidated answered 404).");
        return;
      }
      setState("consolidated-state", errorText(exc, "the campaigns"), "error");
      throw exc;
    }
    jsonLink("consolidated-json", `/campaigns/consolidated${qs(query)}`, answer);
    let rows = answer.data || [];
    if (view.filters.platform) rows = rows.filter((r) => (r.platforms || []).includes(view.filters.platform));
    const gap = (r) => {
      if (r.click_session_gap === null || r.click_session_gap === undefined) return el("span", { class: "muted", text: "no clicks" });
      const text = fmt.change(r.click_session_gap);
      return r.gap_flag ? el("span", { class: "badge bad", title: r.gap_explanation || "", text: `${text} ⚠` }) : text;
    };
    const columns = [
      { key: "canonical_campaign", label: "Campaign", wrap: true },
      { key: "platforms", label: "Platforms", wrap: true, render: (r) => (r.platforms || []).map(platformLabel).join(", "), sort: (r) => (r.platforms || []).length },
      { key: "spend", label: "Spend", num: true, render: (r) => fmt.money(r.spend) },
      { key: "clicks", label: "Clicks", num: true, render: (r) => fmt.integer(r.clicks) },
      { key: "conversions", label: "Conversions", num: true, render: (r) => fmt.number(r.conversions) },
      { key: "blended_cpa", label: "Blended CPA", num: true, render: (r) => fmt.money(r.blended_cpa) },
      { key: "blended_roas", label: "Blended ROAS", num: true, render: (r) => fmt.ratio(r.blended_roas) },
      { key: "sessions", label: "GA4 sessions", num: true, render: (r) => fmt.integer(r.sessions) },
      { key: "ga4_conversions", label: "GA4 conversions", num: true, render: (r) => fmt.number(r.ga4_conversions) },
      { key: "ga4_revenue", label: "GA4 revenue", num: true, render: (r) => fmt.money(r.ga4_revenue) },
      { key: "click_session_gap", label: "Sessions vs clicks", num: true, render: gap },
    ];
    const table = document.getElementById("consolidated-table");
    if (!table._sort || !table._sort.key) table._sort = { key: "spend", dir: "descending" };
    const note = (r) => (r.gap_flag && r.gap_explanation ? el("p", { class: "small muted gap-note", text: `⚠ ${r.gap_explanation}` }) : null);
    renderTable(table, columns, rows, { detail: note });
    if (view.filters.channel || view.filters.account_id) {
      setState("consolidated-state", "Campaigns are consolidated across accounts and channels: the account and channel filters do not narrow this table.");
    }
    if (!rows.length) setState("consolidated-state", "No campaigns in this period. Load ad exports (and GA4 for the reconciliation) on the Data page.");
  }

  async function map() {
    setState("map-state", "");
    let answer;
    try {
      answer = await api("/campaign-map");
    } catch (exc) {
      renderTable(document.getElementById("map-table"), [], []);
      if (exc instanceof ApiError && exc.status === 404) {
        setState("map-state", "Campaign matching is not available on this server (GET /campaign-map answered 404).");
        return;
      }
      setState("map-state", errorText(exc, "the campaign map"), "error");
      throw exc;
    }
    jsonLink("map-json", "/campaign-map", answer);
    let rows = answer.data || [];
    if (view.filters.platform) rows = rows.filter((r) => r.platform === view.filters.platform);
    const names = [...new Set(rows.map((r) => r.canonical_campaign))].sort();
    document.getElementById("canonical-names").replaceChildren(...names.map((n) => el("option", { value: n })));
    const columns = [
      { key: "platform", label: "Platform", render: (r) => platformLabel(r.platform) },
      { key: "campaign_name", label: "Name on the platform" },
      { key: "canonical_campaign", label: "Matched campaign" },
      { key: "confidence", label: "Confidence", num: true, render: (r) => fmt.percent(r.confidence) },
      { key: "method", label: "Method", render: (r) => el("span", { class: `badge ${r.method === "override" ? "good" : "perf"}`, text: r.method === "override" ? "confirmed" : "automatic" }) },
    ];
    if (canEdit) columns.push({ key: "actions", label: "Review", sortable: false, render: (r) => reviewControls(r) });
    const table = document.getElementById("map-table");
    if (!table._sort || !table._sort.key) table._sort = { key: "confidence", dir: "ascending" };
    renderTable(table, columns, rows);
    if (!rows.length) setState("map-state", "No campaign names have been matched yet.");
  }

  function reviewControls(row) {
    const id = `ov-${row.platform}-${row.campaign_name}`.replace(/[^A-Za-z0-9_-]/g, "_");
    const input = el("input", { id, list: "canonical-names", value: row.canonical_campaign, "aria-label": `Campaign for ${row.campaign_name} on ${platformLabel(row.platform)}` });
    const message = el("span", { class: "small muted", role: "status" });
    const save = async (canonical) => {
      message.textContent = "Saving…";
      try {
        await api("/campaign-map", { method: "PUT", body: { platform: row.platform, campaign_name: row.campaign_name, canonical_campaign: canonical } });
        await Promise.all([map(), consolidated()]);
      } catch (exc) {
        message.textContent = errorText(exc, "the change");
      }
    };
    return el(
      "div",
      { class: "override" },
      row.method === "override" ? null : el("button", { type: "button", class: "button", onclick: () => save(row.canonical_campaign), "aria-label": `Accept match of ${row.campaign_name}` }, "Accept"),
      input,
      el("button", { type: "button", class: "button ghost", onclick: () => input.value.trim() && save(input.value.trim()), "aria-label": `Override match of ${row.campaign_name}` }, "Override"),
      message,
    );
  }

  async function refresh() {
    const results = await Promise.allSettled([consolidated(), map()]);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  await Promise.all([refresh().catch(() => {}), view.optionsReady]);
  return { refresh };
}

function qs(query) {
  const text = new URLSearchParams(Object.entries(query).filter(([, v]) => v)).toString();
  return text ? `?${text}` : "";
}
