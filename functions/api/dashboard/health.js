// A webhook's health (GET .../stats: numbers and a bar per status, an inline SVG) and the replay of what it
// missed (POST .../replay, called page after page until `next_cursor` is null, with its progress shown).
import { ApiError, webhooks } from "./api.js";
import { alertBox, field, h, when } from "./ui.js";

const WINDOWS = [["1h", "Last hour"], ["24h", "Last 24 hours"], ["7d", "Last 7 days"]];
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  for (const child of children) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

// ---- stats -----------------------------------------------------------------------------------------

export function statsPanel(id, report) {
  const select = h("select", {}, WINDOWS.map(([value, label]) => h("option", { value }, label)));
  select.value = "24h";
  const body = h("div", { "aria-live": "polite", "aria-busy": "true" }, h("p", { class: "muted" }, "Loading health…"));
  const load = async () => {
    body.setAttribute("aria-busy", "true");
    try {
      const stats = await webhooks.stats(id, select.value);
      if (stats.window === select.value) body.replaceChildren(...statsView(stats).filter(Boolean));
    } catch (error) {
      report(error, (e) => body.replaceChildren(alertBox(e.text)));
    } finally {
      body.setAttribute("aria-busy", "false");
    }
  };
  select.addEventListener("change", load);
  load();
  const section = h("section", { class: "panel", "aria-labelledby": "health-title", "data-testid": "stats" },
    h("div", { class: "row spread" },
      h("h2", { id: "health-title" }, "Health"),
      h("form", { class: "inline", onsubmit: (e) => e.preventDefault() }, field("Window", "window", select))),
    body);
  section.refresh = load; // a replay's sends change the numbers
  return section;
}

function percent(rate) {
  return rate == null ? "—" : `${(rate * 100).toFixed(rate === 1 || rate === 0 ? 0 : 1)}%`;
}

function ms(value) {
  return value == null ? "—" : `${value} ms`;
}

function statsView(stats) {
  const numbers = [
    ["Deliveries", String(stats.total)],
    ["Success rate", percent(stats.success_rate)],
    ["Response time p50", ms(stats.response_time_ms_p50)],
    ["Response time p95", ms(stats.response_time_ms_p95)],
    ["Last success", stats.last_success_at ? when(stats.last_success_at) : "—"],
    ["Consecutive failures", String(stats.consecutive_failures)],
  ];
  return [
    h("dl", { class: "stats" }, numbers.map(([name, value]) =>
      h("div", { class: "stat", "data-stat": name }, h("dt", {}, name), h("dd", {}, value)))),
    stats.total ? bars(stats.counts) : h("p", { class: "muted" }, "No deliveries in this window."),
    stats.sampled ? h("p", { class: "hint" }, "Over 5,000 deliveries in this window: the numbers are of the newest 5,000.") : null,
  ];
}

// One horizontal bar per status, its length the status's share of the window's deliveries.
function bars(counts) {
  const most = Math.max(1, ...counts.map((c) => c.count));
  const row = 22;
  const label = 90;
  const width = 360;
  const summary = counts.map((c) => `${c.status} ${c.count}`).join(", ");
  return svg(
    "svg",
    { class: "bars", role: "img", "aria-label": `Deliveries in this window: ${summary}`, viewBox: `0 0 ${label + width + 60} ${counts.length * row}`, width: "100%", "data-testid": "stats-chart" },
    ...counts.map((c, i) => {
      const length = c.count ? Math.max(2, Math.round((c.count / most) * width)) : 0;
      return svg("g", { class: `bar ${c.status}`, transform: `translate(0 ${i * row})` },
        svg("title", {}, `${c.status}: ${c.count}`),
        svg("text", { x: 0, y: 15, class: "bar-label" }, c.status),
        svg("rect", { x: label, y: 4, height: 14, width: length, rx: 2 }),
        svg("text", { x: label + length + 6, y: 15, class: "bar-count" }, String(c.count)));
    }),
  );
}

// ---- replay ----------------------------------------------------------------------------------------

function localInput(date) {
  const input = h("input", { type: "datetime-local", step: 1 });
  if (date) input.value = new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
  return input;
}

function isoOf(input, name, required) {
  if (!input.value) {
    if (required) throw new ApiError(422, { field: name, message: "pick a date and time" });
    return undefined;
  }
  const date = new Date(input.value);
  if (Number.isNaN(date.getTime())) throw new ApiError(422, { field: name, message: "pick a date and time" });
  return date.toISOString();
}

const COUNTS = ["examined", "sent", "delivered", "failed", "already_delivered", "in_progress", "not_matching", "deferred"];

// `submitting(action)` is the page's form handler (busy button, the API's 4xx next to its field, 401 to sign-in).
export function replayPanel(id, submitting, onDone) {
  const since = localInput(new Date(Date.now() - 24 * 3600 * 1000));
  since.required = true;
  const until = localInput(null);
  const progress = h("p", { class: "muted", role: "status", "data-testid": "replay-progress" });
  const result = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    {
      class: "inline",
      onsubmit: submitting(async () => {
        result.replaceChildren();
        const totals = Object.fromEntries(COUNTS.map((k) => [k, 0]));
        let body = { since: isoOf(since, "since", true), until: isoOf(until, "until", false) };
        let calls = 0;
        for (;;) {
          const page = await webhooks.replay(id, body);
          calls += 1;
          for (const key of COUNTS) totals[key] += page[key] || 0;
          progress.textContent = `Replaying… ${totals.examined} events examined, ${totals.sent} sent (${calls} ${calls === 1 ? "call" : "calls"}).`;
          if (!page.next_cursor) break;
          body = { since: page.since, until: page.until, cursor: page.next_cursor }; // the same window, pinned
        }
        progress.textContent = "";
        result.replaceChildren(alertBox(summary(totals), "ok"));
        onDone?.();
      }),
    },
    field("Since", "since", since, "Events published since then that this webhook matches and never received are sent now."),
    field("Until", "until", until, "Empty for now."),
    h("button", { type: "submit" }, "Replay"),
    h("div", { class: "form-error", tabindex: "-1" }),
  );
  return h("section", { class: "panel", "aria-labelledby": "replay-title" },
    h("h2", { id: "replay-title" }, "Replay missed events"),
    h("p", { class: "hint" }, "For events from before the webhook existed, skipped while it was disabled, or whose retries ran out. Each event is sent once, never twice."),
    form, progress, result);
}

function summary(t) {
  const parts = [
    `${t.sent} sent (${t.delivered} delivered, ${t.failed} failed)`,
    `${t.already_delivered} already delivered`,
    `${t.not_matching} not matching`,
  ];
  if (t.in_progress) parts.push(`${t.in_progress} being retried now`);
  return `Replay done: ${t.examined} events examined; ${parts.join(", ")}.`;
}
