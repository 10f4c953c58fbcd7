// Live updates: the page refreshes itself when new data is loaded.
//
// Listens to the server-sent events of GET /v1/events through fetch (EventSource cannot
// send the Authorization header, and tokens never go in URLs); if the stream is not
// available, polls GET /v1/version instead.
import { api, authFetch } from "./api.js";

const POLL_MS = 5_000;
const RETRY_MS = 3_000;

export function watchVersion(onChange, status) {
  let known = null;
  const seen = (version) => {
    if (version === undefined || version === null) return;
    if (known !== null && version !== known) {
      known = version;
      onChange(version);
    } else known = version;
  };
  const say = (text, updated = false) => {
    if (!status) return;
    status.hidden = false;
    status.textContent = text;
    status.classList.toggle("updated", updated);
  };

  async function poll() {
    say("Checking for new data every few seconds");
    for (;;) {
      try {
        const answer = await api("/v1/version");
        seen(answer.data_version);
      } catch { /* a missed poll is retried */ }
      await sleep(POLL_MS);
    }
  }

  async function stream() {
    for (let failures = 0; failures < 3; ) {
      let response;
      try {
        response = await authFetch("/v1/events", { headers: { Accept: "text/event-stream" } });
      } catch {
        failures += 1;
        await sleep(RETRY_MS);
        continue;
      }
      if (!response.ok || !response.body) return poll();
      say("Live");
      failures = 0;
      await readEvents(response.body, (event, data) => {
        if (event !== "version") return;
        try {
          const payload = JSON.parse(data);
          seen(typeof payload === "object" && payload !== null ? payload.data_version : payload);
        } catch {
          seen(data);
        }
      }).catch(() => {});
      await sleep(RETRY_MS);
    }
    return poll();
  }

  api("/v1/version").then((answer) => seen(answer.data_version)).catch(() => {});
  stream();
  return {
    updated() {
      say(`Updated ${new Date().toLocaleTimeString()}`, true);
    },
  };
}

// Parse a text/event-stream body: calls handle(event, data) per dispatched event.
async function readEvents(body, handle) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut;
    while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
      let event = "message";
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) handle(event, data.join("\n"));
    }
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
