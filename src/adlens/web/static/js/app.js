// Bootstraps a signed-in page: who is here (GET /me), theme, role, then the page's module,
// which is refreshed whenever new data is loaded.
import { api, hasSession, logout, toLogin } from "./api.js";
import { formatter } from "./format.js";
import { watchVersion } from "./live.js";
import { carryFilters } from "./state.js";
import { applyRole, errorText, setupTheme, showPageError } from "./ui.js";

async function main() {
  setupTheme();
  if (!hasSession()) return toLogin();
  document.body.dataset.state = "loading";
  const pageModule = import(`./pages/${document.body.dataset.page}.js`);
  let me;
  try {
    me = await api("/me");
  } catch (exc) {
    if (exc.status !== 401) showPageError(errorText(exc, "your account"));
    return;
  }
  document.getElementById("user-name").textContent = me.username;
  document.getElementById("user-role").textContent = me.role;
  document.getElementById("user-menu").hidden = false;
  document.getElementById("logout").addEventListener("click", () => logout());
  applyRole(me.role);
  carryFilters();

  const page = await pageModule;
  const context = { me, fmt: formatter(me) };
  const view = await page.start(context);
  document.body.dataset.state = "ready";
  let renders = 1;
  document.body.dataset.renders = String(renders);

  // One refresh at a time; a version seen meanwhile triggers one more.
  let running = null;
  let again = false;
  const live = watchVersion(async () => {
    if (running) {
      again = true;
      return;
    }
    do {
      again = false;
      running = view.refresh();
      await running.catch((exc) => showPageError(errorText(exc, "the new data")));
      running = null;
    } while (again);
    renders += 1;
    document.body.dataset.renders = String(renders);
    live.updated();
  }, document.getElementById("live-status"));
}

main().catch((exc) => {
  showPageError(errorText(exc, "this page"));
  document.body.dataset.state = "error";
});
