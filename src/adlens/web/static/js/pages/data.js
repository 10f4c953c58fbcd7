// Data: every load with its quality score; one load's recommendations and rejected rows;
// and (analysts and admins) an upload area with progress and the quality report.
import { accessToken, api, refresh as refreshTokens } from "../api.js";
import { platformLabel } from "../filters.js";
import { canDo, el, errorText, jsonLink, renderTable, setState } from "../ui.js";

const PAGE_SIZE = 25;
const REJECTS_PAGE = 20;

export async function start({ me, fmt }) {
  let offset = 0;
  let selected = null;
  let rejectsOffset = 0;

  async function ingests() {
    setState("ingests-state", "");
    let answer;
    try {
      answer = await api("/ingests", { query: { limit: PAGE_SIZE, offset } });
    } catch (exc) {
      setState("ingests-state", errorText(exc, "the loads"), "error");
      throw exc;
    }
    jsonLink("ingests-json", `/ingests?limit=${PAGE_SIZE}&offset=${offset}`, answer);
    const rows = answer.data || [];
    const columns = [
      { key: "ingest_id", label: "Load", num: true },
      { key: "source_file", label: "File", render: (r) => el("button", { type: "button", class: "button ghost", onclick: () => detail(r.ingest_id), "aria-label": `Show load ${r.ingest_id}` }, baseName(r.source_file)), sort: (r) => baseName(r.source_file) },
      { key: "platform", label: "Platform", render: (r) => platformLabel(r.platform) },
      { key: "rows_loaded", label: "Rows loaded", num: true, render: (r) => fmt.integer(r.rows_loaded) },
      { key: "rows_rejected", label: "Rejected", num: true, render: (r) => fmt.integer(r.rows_rejected) },
      { key: "period_start", label: "Period", render: (r) => (r.period_start ? fmt.days(r.period_start, r.period_end) : "–") },
      { key: "quality_score", label: "Quality", num: true, render: (r) => scoreBadge(r.quality_score ?? (r.quality && r.quality.score)) },
      { key: "finished_at", label: "Loaded", render: (r) => fmt.dateTime(r.finished_at) },
    ];
    renderTable(document.getElementById("ingests-table"), columns, rows, {
      onRow: (tr, row) => {
        tr.dataset.ingest = String(row.ingest_id);
        tr.classList.toggle("selected", row.ingest_id === selected);
      },
    });
    if (!rows.length) setState("ingests-state", canDo(me.role, "analyst") ? "Nothing loaded yet. Upload an export above, or run `adlens ingest FILE`." : "Nothing loaded yet. An analyst can upload exports here.");
    pager(answer.total ?? rows.length);
  }

  function pager(total) {
    const node = document.getElementById("ingests-pager");
    if (total <= PAGE_SIZE) return node.replaceChildren();
    node.replaceChildren(
      el("button", { type: "button", class: "button", disabled: offset === 0, onclick: () => ((offset = Math.max(0, offset - PAGE_SIZE)), ingests()) }, "Newer"),
      el("span", { class: "muted", text: `${offset + 1}–${Math.min(total, offset + PAGE_SIZE)} of ${fmt.integer(total)}` }),
      el("button", { type: "button", class: "button", disabled: offset + PAGE_SIZE >= total, onclick: () => ((offset += PAGE_SIZE), ingests()) }, "Older"),
    );
  }

  async function detail(id, keepRejects = false) {
    selected = id;
    if (!keepRejects) rejectsOffset = 0;
    const section = document.getElementById("ingest-detail");
    const body = document.getElementById("ingest-detail-body");
    section.hidden = false;
    const query = { rejects_limit: REJECTS_PAGE, rejects_offset: rejectsOffset };
    let answer;
    try {
      answer = await api(`/ingests/${encodeURIComponent(id)}`, { query });
    } catch (exc) {
      body.replaceChildren(el("p", { class: "state error", text: errorText(exc, `load ${id}`) }));
      return;
    }
    jsonLink("ingest-json", `/ingests/${id}?rejects_limit=${REJECTS_PAGE}&rejects_offset=${rejectsOffset}`, answer);
    const ingest = answer.ingest || {};
    document.getElementById("ingest-detail-title").textContent = `Load ${id}: ${baseName(ingest.source_file)}`;
    const rejects = answer.rejects || { data: [], total: 0 };
    const table = el("table", { class: "data-table", id: "rejects-table" }, el("caption", { class: "sr-only", text: "Rejected rows" }), el("thead"), el("tbody"));
    body.replaceChildren(
      qualityReport(answer.quality, fmt),
      el("h3", { text: `Rejected rows (${fmt.integer(rejects.total)})` }),
      rejects.total ? el("div", { class: "table-wrap", tabindex: "0" }, table) : el("p", { class: "muted", text: "Every row of this file was loaded." }),
      rejectsPager(rejects.total, id),
    );
    renderTable(table, [
      { key: "source_row", label: "Line", num: true, render: (r) => r.source_row ?? r.row ?? r.line },
      { key: "reason", label: "Reason", wrap: true },
      { key: "raw", label: "Row as exported", wrap: true, render: (r) => el("code", { text: r.raw ?? r.raw_text ?? r.text ?? "" }) },
    ], rejects.data || []);
    for (const tr of document.querySelectorAll("#ingests-table tbody tr")) tr.classList.toggle("selected", tr.dataset.ingest === String(id));
  }

  function rejectsPager(total, id) {
    if (total <= REJECTS_PAGE) return el("span");
    return el(
      "div",
      { class: "pager" },
      el("button", { type: "button", class: "button", disabled: rejectsOffset === 0, onclick: () => ((rejectsOffset = Math.max(0, rejectsOffset - REJECTS_PAGE)), detail(id, true)) }, "Previous"),
      el("span", { class: "muted", text: `${rejectsOffset + 1}–${Math.min(total, rejectsOffset + REJECTS_PAGE)} of ${fmt.integer(total)}` }),
      el("button", { type: "button", class: "button", disabled: rejectsOffset + REJECTS_PAGE >= total, onclick: () => ((rejectsOffset += REJECTS_PAGE), detail(id, true)) }, "Next"),
    );
  }

  if (canDo(me.role, "analyst")) setupUpload(fmt, async (report) => {
    await ingests();
    if (report.ingest_id) await detail(report.ingest_id);
  });

  async function refresh() {
    await ingests();
    if (selected !== null) await detail(selected, true);
  }
  await refresh().catch(() => {});
  return { refresh };
}

function rows(fmt, count) {
  return `${fmt.integer(count)} ${count === 1 ? "row" : "rows"}`;
}

function baseName(path) {
  return String(path || "").split(/[\\/]/).pop() || "–";
}

function scoreBadge(score) {
  if (score === null || score === undefined) return "–";
  const kind = score >= 90 ? "good" : score >= 70 ? "warn" : "bad";
  return el("span", { class: `score ${kind}`, text: `${Math.round(score)}/100` });
}

function qualityReport(quality, fmt) {
  if (!quality || quality.score === undefined) return el("p", { class: "muted", text: "No quality report for this load." });
  const dims = Object.entries(quality.dimensions || {});
  const recs = quality.recommendations || [];
  return el(
    "div",
    { class: "quality" },
    el("p", {}, "Quality score ", scoreBadge(quality.score)),
    el("ul", { class: "dimensions" }, ...dims.map(([name, value]) => el("li", {}, el("span", { class: "muted small", text: name }), el("br"), scoreBadge(value)))),
    el("h3", { text: "Recommendations" }),
    recs.length
      ? el("ul", { class: "recommendations" }, ...recs.map((r) => el("li", {}, el("span", { class: `badge ${r.severity === "info" ? "perf" : "data"}`, text: r.dimension }), " ", r.message)))
      : el("p", { class: "muted", text: "Nothing to fix." }),
  );
}

function setupUpload(fmt, done) {
  const zone = document.getElementById("dropzone");
  const input = document.getElementById("upload-input");
  const wrap = document.getElementById("upload-progress-wrap");
  const bar = document.getElementById("upload-progress");
  const label = document.getElementById("upload-progress-label");
  const result = document.getElementById("upload-result");

  // Several files (or a ZIP of several exports) load one after the other, each on its own:
  // one that fails leaves the others loaded, and each gets its report or its reason.
  async function uploadAll(files) {
    result.replaceChildren();
    let last = null;
    for (const file of files) last = (await upload(file)) || last;
    if (last) await done(last);
  }

  async function upload(file) {
    wrap.hidden = false;
    bar.value = 0;
    label.textContent = `Uploading ${file.name}`;
    try {
      const answer = await send(file, (fraction) => {
        bar.value = Math.round(fraction * 100);
        if (fraction >= 1) label.textContent = `Checking and loading ${file.name}…`;
      });
      bar.value = 100;
      label.textContent = `${file.name} processed`;
      const reports = answer.status === "archive" ? answer.reports : [answer];
      for (const report of reports) result.append(uploadReport(report, fmt));
      for (const problem of answer.errors || []) {
        result.append(el("p", { class: "state error", text: `${problem.detail}${problem.hint ? `. What to do: ${problem.hint}` : ""}` }));
      }
      return reports[reports.length - 1] || null;
    } catch (exc) {
      label.textContent = `${file.name} was not loaded`;
      // the server names the file first ("x.csv: has a header..."); said once is enough
      if (exc.message && exc.message.startsWith(`${file.name}: `)) exc.message = exc.message.slice(file.name.length + 2);
      result.append(el("p", { class: "state error", text: errorText(exc, file.name) }));
      return null;
    }
  }

  input.addEventListener("change", () => input.files.length && uploadAll([...input.files]).finally(() => (input.value = "")));
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const files = [...event.dataTransfer.files];
    if (files.length) uploadAll(files);
  });
}

// XMLHttpRequest, because fetch cannot report upload progress.
async function send(file, progress, retried = false) {
  const status = await new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/data/upload/file");
    xhr.setRequestHeader("Authorization", `Bearer ${accessToken()}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (event) => event.lengthComputable && progress(event.loaded / event.total);
    xhr.onload = () => resolve({ code: xhr.status, text: xhr.responseText });
    xhr.onerror = () => reject(Object.assign(new Error("the upload was interrupted"), { status: 0 }));
    const form = new FormData();
    form.append("file", file);
    xhr.send(form);
  });
  if (status.code === 401 && !retried) {
    await refreshTokens();
    return send(file, progress, true);
  }
  let body = null;
  try {
    body = JSON.parse(status.text);
  } catch {
    body = { detail: status.text.slice(0, 200) };
  }
  if (status.code < 200 || status.code >= 300) throw Object.assign(new Error((body && (body.detail || body.title)) || `the server answered ${status.code}`), { status: status.code });
  return body;
}

function uploadReport(report, fmt) {
  const loaded = report.status === "duplicate"
    ? `Already loaded as load ${report.duplicate_of}; nothing was added.`
    : `${rows(fmt, report.rows_loaded)} loaded, ${fmt.integer(report.rows_rejected)} rejected${report.rows_replaced ? `, ${fmt.integer(report.rows_replaced)} replaced` : ""}.`;
  return el(
    "div",
    { class: "upload-report" },
    el("p", {}, el("strong", { text: `${report.file}: ` }), `${platformLabel(report.platform)} → ${report.target_table}. `, loaded),
    report.period_start ? el("p", { class: "muted", text: `Period ${fmt.days(report.period_start, report.period_end)}` }) : null,
    qualityReport(report.quality, fmt),
    (report.first_rejects || []).length
      ? el("ul", {}, ...report.first_rejects.map((r) => el("li", { text: `line ${r.source_row ?? r.line ?? r.row}: ${r.reason}` })))
      : null,
  );
}
