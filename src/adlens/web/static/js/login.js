// The sign-in form: exchanges username and password for tokens, then goes where it was sent.
import { login, hasSession } from "./api.js";
import { setupTheme } from "./ui.js";

setupTheme();
const form = document.getElementById("login-form");
const error = document.getElementById("login-error");
const submit = document.getElementById("login-submit");

function destination() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  // Only paths of this site: never an absolute or protocol-relative URL.
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

if (hasSession()) location.replace(destination());

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const username = form.username.value.trim();
  const password = form.password.value;
  if (!username || !password) {
    error.textContent = "Enter your username and password.";
    error.hidden = false;
    return;
  }
  submit.disabled = true;
  submit.textContent = "Signing in…";
  try {
    await login(username, password);
    location.assign(destination());
  } catch (exc) {
    error.textContent =
      exc.status === 401 || exc.status === 400
        ? "That username and password do not match an account."
        : exc.status === 429
          ? "Too many attempts; wait a minute and try again."
          : `Sign-in failed: ${exc.message}`;
    error.hidden = false;
    submit.disabled = false;
    submit.textContent = "Sign in";
  }
});
document.body.dataset.state = "ready";
