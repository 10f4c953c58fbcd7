// Small DOM helpers shared by the pages: elements, states, sortable tables, JSON links, theme.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A section's status line: "" hides it; `kind` "error" marks it as a problem.
export function setState(id, text, kind = "") {
  const node = document.getElementById(id);
  if (!node) return;
  node.textContent = text || "";
  node.classList.toggle("error", kind === "error");
}

export function errorText(exc, what) {
  if (exc && exc.status === 403) return `You do not have access to ${what}; ask an admin for a role that does.`;
  if (exc && exc.status === 0) return `Could not reach the server for ${what}; check that adlens serve is running.`;
  const detail = exc && exc.message ? exc.message : String(exc);
  return `Could not load ${what}: ${detail}`;
}

export function showPageError(text) {
  const node = document.getElementById("page-error");
  node.textContent = text;
  node.hidden = !text;
}

// Fill a table. columns: [{key, label, num, render(row) -> Node|string, sort(row) -> value}]
// ``detail(row)``: a node shown on a full-width line under the row (a note too long for a cell).
export function renderTable(table, columns, rows, { onRow, detail } = {}) {
  const state = table._sort || { key: null, dir: "descending" };
  table._sort = state;
  table._columns = columns;
  table._rows = rows;
  const head = el("tr");
  for (const column of columns) {
    const th = el("th", { scope: "col", class: column.num ? "num" : "" });
    if (column.sortable === false) th.textContent = column.label;
    else {
      th.setAttribute("aria-sort", state.key === column.key ? state.dir : "none");
      th.append(el("button", { type: "button", text: column.label, onclick: () => sortBy(table, column.key, onRow) }));
    }
    head.append(th);
  }
  table.tHead.replaceChildren(head);
  const sorted = sortRows(rows, columns, state);
  table._detail = detail;
  table.tBodies[0].replaceChildren(
    ...sorted.flatMap((row) => {
      const tr = el("tr");
      for (const column of columns) {
        const value = column.render ? column.render(row) : row[column.key];
        const td = el("td", { class: [column.num ? "num" : "", column.wrap ? "wrap" : ""].join(" ").trim() || null });
        td.append(value instanceof Node ? value : document.createTextNode(value ?? "–"));
        tr.append(td);
      }
      if (onRow) onRow(tr, row);
      const note = detail ? detail(row) : null;
      if (!note) return [tr];
      tr.classList.add("has-note");
      return [tr, el("tr", { class: "note-row" }, el("td", { colspan: String(columns.length) }, note))];
    }),
  );
}

function sortBy(table, key, onRow) {
  const state = table._sort;
  state.dir = state.key === key && state.dir === "descending" ? "ascending" : "descending";
  state.key = key;
  renderTable(table, table._columns, table._rows, { onRow, detail: table._detail });
  const button = [...table.tHead.querySelectorAll("th button")].find((b) => b.parentElement.getAttribute("aria-sort") !== "none");
  if (button) button.focus();
}

function sortRows(rows, columns, state) {
  if (!state.key) return rows;
  const column = columns.find((c) => c.key === state.key);
  if (!column) return rows;
  const value = column.sort || ((row) => row[column.key]);
  const sign = state.dir === "ascending" ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    if (x === y) return 0;
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y))) * sign;
  });
}

// "JSON" links: the href names the API call; a click opens the exact answer shown.
export function jsonLink(id, url, payload, request) {
  const link = document.getElementById(id);
  if (!link) return;
  link.href = url;
  link.title = request ? `POST ${url} ${JSON.stringify(request)}` : `GET ${url}`;
  link.onclick = (event) => {
    event.preventDefault();
    const body = request ? { request, response: payload } : payload;
    const blob = new Blob([JSON.stringify(body, null, 2)], { type: "application/json" });
    window.open(URL.createObjectURL(blob), "_blank", "noopener");
  };
}

export function setupTheme() {
  const button = document.getElementById("theme-toggle");
  const media = window.matchMedia("(prefers-color-scheme: dark)");
  const current = () => document.documentElement.dataset.theme || (media.matches ? "dark" : "light");
  const label = () => {
    if (!button) return;
    const next = current() === "dark" ? "light" : "dark";
    button.setAttribute("aria-label", `Switch to ${next} theme`);
    button.title = `Switch to ${next} theme`;
  };
  label();
  media.addEventListener("change", () => {
    label();
    document.dispatchEvent(new CustomEvent("themechange"));
  });
  if (!button) return;
  button.addEventListener("click", () => {
    const next = current() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem("adlens-theme", next);
    } catch { /* the choice lasts for this page only */ }
    label();
    document.dispatchEvent(new CustomEvent("themechange"));
  });
}

export function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

const RANK = { viewer: 0, analyst: 1, admin: 2 };

export function canDo(role, needed) {
  return (RANK[role] ?? -1) >= RANK[needed];
}

// Elements marked data-min-role="analyst" appear only for that role and above.
export function applyRole(role) {
  for (const node of document.querySelectorAll("[data-min-role]")) {
    node.hidden = !canDo(role, node.dataset.minRole);
  }
}
