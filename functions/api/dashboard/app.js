// Carrier dashboard: a hash-routed single page over the public API. Views are plain functions of the route.
import { ApiError, deliveries, eventTypes, session, vocabularies, webhooks } from "./api.js";
import { adoptSessionFromUrl, changing, loadAccess } from "./portal.js";
import {
  alertBox,
  announce,
  badge,
  busy,
  clearErrors,
  confirm,
  empty,
  field,
  h,
  json,
  loading,
  main,
  note,
  show,
  showErrors,
  showSecret,
  table,
  when,
} from "./ui.js";
import { replayPanel, statsPanel } from "./health.js";

let VOCABULARY = { formats: [], schemes: [], statuses: [] }; // from the API's OpenAPI document, before any view
const REFRESH_MS = 3000;
const ID = /^[\w-]{1,64}$/; // webhook and delivery ids: nothing that could change the API path it is put in

let renders = 0; // each navigation's number: a slower, older view never paints over a newer one

// ---- routes --------------------------------------------------------------------------------------

const ROUTES = [
  [/^#\/webhooks\/new$/, () => webhookForm()],
  [/^#\/webhooks\/([^/]+)\/edit$/, (id) => editWebhook(id)],
  [/^#\/webhooks\/([^/]+)\/deliveries\/([^/]+)$/, (id, deliveryId) => deliveryView(id, deliveryId)],
  [/^#\/webhooks\/([^/]+)$/, (id) => webhookView(id)],
  [/^#\/event-types$/, () => eventTypesView()],
  [/^#\/webhooks$/, () => webhookList()],
];

async function route() {
  adoptSessionFromUrl(); // <api>/dashboard#session=<token>: signed in by the URL (portal.js)
  if (!session.get()) return signIn();
  document.getElementById("nav").hidden = false;
  const hash = location.hash || "#/webhooks";
  for (const link of document.querySelectorAll("nav a")) {
    link.toggleAttribute("aria-current", hash.startsWith(link.getAttribute("href")));
    if (link.hasAttribute("aria-current")) link.setAttribute("aria-current", "page");
  }
  for (const [pattern, view] of ROUTES) {
    const match = hash.match(pattern);
    const ids = match?.slice(1).map(decodeURIComponent);
    if (ids?.every((id) => ID.test(id))) return render(() => view(...ids));
  }
  location.hash = "#/webhooks";
}

// Views return their content; it is shown unless the user has gone elsewhere meanwhile. A failed load
// shows the API's message where the page would be; a 401 sends the user back to the key.
async function render(view) {
  const token = ++renders;
  try {
    VOCABULARY = await vocabularies();
    await loadAccess(); // what this credential may do: a read-only session sees no control that changes things
    const brand = document.querySelector(".brand");
    if (brand) brand.title = `profile: ${VOCABULARY.profile}`; // the deployment's profile (profiles/<name>.yaml)
    const content = await view();
    if (token === renders) show(...content);
  } catch (error) {
    if (token !== renders) return;
    if (error instanceof ApiError && error.status === 401) {
      session.clear();
      return signIn("That API key was refused. Paste a valid key.");
    }
    if (!(error instanceof ApiError)) console.error(error); // a bug of the page: its text is not for the user
    show(h("h1", {}, error.status === 404 ? "Not found" : "Something went wrong"),
      alertBox(error instanceof ApiError ? error.text : "This page could not be shown. Reload to try again."),
      h("p", {}, h("a", { href: "#/webhooks" }, "Back to webhooks")));
  }
}

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// ---- sign in -------------------------------------------------------------------------------------

function signIn(problem) {
  renders++;
  document.getElementById("nav").hidden = true;
  const input = h("input", { type: "password", autocomplete: "off", spellcheck: "false", required: true });
  const form = h(
    "form",
    {
      class: "panel",
      onsubmit: async (event) => {
        event.preventDefault();
        clearErrors(form);
        session.set(input.value);
        try {
          await busy(form.querySelector("button"), () => webhooks.list());
          go(location.hash && location.hash !== "#/" ? location.hash : "#/webhooks");
        } catch (error) {
          session.clear();
          showErrors(form, new ApiError(error.status, { field: "key", message: error.status === 401 ? "This key was refused." : error.message }));
        }
      },
    },
    field("API key", "key", input, "A tenant key (ck_…). It is kept in this tab's session storage only."),
    h("div", { class: "form-error", tabindex: "-1" }),
    h("button", { class: "primary", type: "submit" }, "Open dashboard"),
  );
  show(h("h1", {}, "Sign in"), problem ? alertBox(problem) : null, form);
  input.focus();
}

// ---- webhooks ------------------------------------------------------------------------------------

async function webhookList(cursor, shown = []) {
  if (!cursor) loading("webhooks");
  const page = await webhooks.list(cursor);
  const rows = [...shown, ...page.data];
  return [
    h("div", { class: "row spread" }, h("h1", {}, "Webhooks"), changing(h("a", { class: "button primary", href: "#/webhooks/new" }, "New webhook"))),
    rows.length
      ? table("Webhooks", [
          ["URL", (w) => h("a", { href: `#/webhooks/${encodeURIComponent(w.id)}`, title: w.url }, w.url), "url"],
          ["Status", (w) => badge(w.status)],
          ["Events", (w) => w.events.join(", ")],
          ["Last call", (w) => callSummary(w.last_call)],
          ["Last error", (w) => callSummary(w.last_error)],
        ], rows)
      : empty("No webhooks yet. Create one to start receiving events."),
    page.next_cursor ? h("p", {}, h("button", { type: "button", onclick: () => render(() => webhookList(page.next_cursor, rows)) }, "More webhooks")) : null,
  ];
}

function callSummary(call) {
  if (!call) return "—";
  return h("span", {}, call.status_code ? `${call.status_code} ` : "", call.message ? `${call.message} · ` : "", when(call.date));
}

function webhookForm(existing) {
  const control = {
    url: h("input", { type: "url", required: true, inputmode: "url", placeholder: "https://example.com/webhook" }),
    description: h("input", { type: "text", maxlength: 500 }),
    events: h("input", { type: "text", required: true, list: "event-type-names", placeholder: "model.trained, detection.*" }),
    payload_format: h("select", {}, VOCABULARY.formats.map((f) => h("option", { value: f }, f))),
    scheme: h("select", {}, VOCABULARY.schemes.map((s) => h("option", { value: s }, s))),
    signature_header: h("input", { type: "text", spellcheck: "false", placeholder: "X-Webhook-Signature" }),
    rate_limit: h("input", { type: "number", min: 1, max: 10000, inputmode: "numeric" }),
    headers: h("textarea", { rows: 3, placeholder: "X-Team: search" }),
    filters: h("textarea", { rows: 3, placeholder: '{"project_id": "p1"}' }),
    clear_headers: h("input", { type: "checkbox" }),
  };
  const names = h("datalist", { id: "event-type-names" });
  eventTypes().then((types) => names.replaceChildren(...types.map((t) => h("option", { value: t.name }))), () => {});
  if (existing) {
    control.url.value = existing.url;
    control.description.value = existing.description || "";
    control.events.value = existing.events.join(", ");
    control.payload_format.value = existing.payload_format;
    control.scheme.value = existing.signature.scheme;
    control.signature_header.value = existing.signature.header || "";
    control.rate_limit.value = existing.rate_limit ?? "";
    control.filters.value = Object.keys(existing.filters || {}).length ? JSON.stringify(existing.filters) : "";
  }
  const headerHint = existing && Object.keys(existing.headers || {}).length
    ? `Current: ${Object.keys(existing.headers).join(", ")} (values hidden). Leave empty to keep them; write them all to replace them.`
    : "One per line, Name: value. Sent with every delivery; values are stored as secrets and never shown again.";
  const form = h(
    "form",
    { novalidate: true, onsubmit: submitting(save) },
    field("Endpoint URL", "url", control.url, "Where events are POSTed. https only, public addresses only."),
    field("Description", "description", control.description),
    field("Events", "events", control.events, "Comma-separated event types; prefix.* and * match many."),
    names,
    field("Payload format", "payload_format", control.payload_format),
    field("Signature scheme", "signature", control.scheme),
    field("Signature header", "signature.header", control.signature_header,
      "Schemes with one signature header only: the header it goes in. Empty for the scheme's default."),
    field("Rate limit (deliveries per second)", "rate_limit", control.rate_limit, "Empty for no limit."),
    field("Custom headers", "headers", control.headers, headerHint),
    existing && Object.keys(existing.headers || {}).length
      ? h("div", { class: "field" }, h("label", {}, control.clear_headers, " Remove all custom headers"))
      : null,
    field("Filters (JSON)", "filters", control.filters, "Only events whose data matches every key are sent."),
    h("div", { class: "form-error", tabindex: "-1" }),
    h("div", { class: "row" },
      h("button", { class: "primary", type: "submit" }, existing ? "Save changes" : "Create webhook"),
      h("a", { class: "button", href: existing ? `#/webhooks/${encodeURIComponent(existing.id)}` : "#/webhooks" }, "Cancel")),
  );

  async function save() {
    const body = readForm(control, existing);
    if (existing) {
      await webhooks.patch(existing.id, body);
      announce("Webhook saved.");
      go(`#/webhooks/${encodeURIComponent(existing.id)}`);
    } else {
      const created = await webhooks.create(body);
      await showSecret("Webhook created: its signing secret", created.secret);
      go(`#/webhooks/${encodeURIComponent(created.id)}`);
    }
  }

  return [h("h1", {}, existing ? "Edit webhook" : "New webhook"), form];
}

// The form's values as the API's body; a value the browser can already tell is wrong names its field.
function readForm(control, existing) {
  const body = {
    url: control.url.value.trim(),
    description: control.description.value,
    events: control.events.value.split(",").map((e) => e.trim()).filter(Boolean),
    payload_format: control.payload_format.value,
    signature: { scheme: control.scheme.value },
    rate_limit: control.rate_limit.value === "" ? null : Number(control.rate_limit.value),
  };
  const signatureHeader = control.signature_header.value.trim();
  if (signatureHeader) body.signature.header = signatureHeader; // a scheme with fixed headers answers 422 here
  const headerText = control.headers.value.trim();
  if (headerText || !existing || control.clear_headers.checked) {
    body.headers = {};
    for (const line of headerText.split("\n").map((l) => l.trim()).filter(Boolean)) {
      const colon = line.indexOf(":");
      if (colon < 1) throw new ApiError(422, { field: "headers", message: `"${line}" is not Name: value` });
      body.headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
    }
  }
  const filterText = control.filters.value.trim();
  if (filterText || existing) {
    try {
      body.filters = filterText ? JSON.parse(filterText) : {};
    } catch {
      throw new ApiError(422, { field: "filters", message: "filters must be a JSON object" });
    }
  }
  return body;
}

async function editWebhook(id) {
  loading("the webhook");
  return webhookForm(await webhooks.get(id));
}

async function webhookView(id) {
  loading("the webhook");
  const [hook, types] = await Promise.all([webhooks.get(id), eventTypes().catch(() => [])]);
  const base = `#/webhooks/${encodeURIComponent(id)}`;
  const status = h("div", {});
  const report = (node) => status.replaceChildren(node);
  const stats = statsPanel(id, failed);

  const toggle = h(
    "button",
    {
      type: "button",
      onclick: () =>
        act(toggle, report, async () => {
          await (hook.status === "active" ? webhooks.disable(id) : webhooks.enable(id));
          announce(hook.status === "active" ? "Webhook disabled." : "Webhook enabled.");
          go(base);
        }),
    },
    hook.status === "active" ? "Disable" : "Enable",
  );
  const rotate = h(
    "button",
    {
      type: "button",
      onclick: async () => {
        const ok = await confirm("Rotate the signing secret?",
          "A new secret is made now. The old one keeps signing beside it for 24 hours, so your receiver can switch over.",
          "Rotate secret", "primary");
        if (!ok) return;
        await act(rotate, report, async () => {
          const rotated = await webhooks.rotate(id);
          await showSecret("New signing secret", rotated.secret);
          const until = rotated.previous_secret_expires_at;
          report(alertBox(`Secret rotated.${until ? ` The old secret signs beside it until ${new Date(until).toLocaleString()}.` : ""}`, "ok"));
        });
        rotate.focus(); // the dialog closed while the button was busy: give the focus back
      },
    },
    "Rotate secret",
  );
  const remove = h(
    "button",
    {
      type: "button",
      class: "danger",
      onclick: async () => {
        const ok = await confirm("Delete this webhook?", `${hook.url} stops receiving events and its secret is deleted. This cannot be undone.`, "Delete webhook");
        if (!ok) return;
        await act(remove, report, async () => {
          await webhooks.remove(id);
          announce("Webhook deleted.");
          go("#/webhooks");
        });
      },
    },
    "Delete",
  );

  return [
    h("div", { class: "row spread" }, h("h1", {}, hook.description || hook.url), badge(hook.status)),
    hook.status === "disabled"
      ? note(`Disabled${hook.disabled_reason ? `: ${hook.disabled_reason}` : ""}. Nothing new is sent until it is enabled.`, "warn")
      : null,
    h("div", { class: "row" }, changing(h("a", { class: "button", href: `${base}/edit` }, "Edit"), toggle, rotate, remove)),
    status,
    h("section", { class: "panel", "aria-labelledby": "details-title" },
      h("h2", { id: "details-title" }, "Details"),
      h("dl", { class: "props" },
        prop("ID", h("span", { class: "mono" }, hook.id)),
        prop("URL", h("span", { class: "wrap-url" }, hook.url)),
        prop("Events", hook.events.join(", ")),
        prop("Payload format", hook.payload_format),
        prop("Signature", `${hook.signature.scheme}${hook.signature.header ? ` (${hook.signature.header})` : ""}`),
        prop("Custom headers", Object.keys(hook.headers).join(", ") || "—"),
        prop("Filters", Object.keys(hook.filters).length ? JSON.stringify(hook.filters) : "—"),
        prop("Rate limit", hook.rate_limit ? `${hook.rate_limit}/s` : "—"),
        prop("Last call", callSummary(hook.last_call)),
        prop("Last error", callSummary(hook.last_error)),
        prop("Created", when(hook.created_at)),
      )),
    stats,
    changing(testPanel(id, types), recoverPanel(id)),
    changing(replayPanel(id, submitting, () => stats.refresh())),
    deliveryLog(id, types),
  ];
}

function prop(name, value) {
  return [h("dt", {}, name), h("dd", {}, value)];
}

// An action's failure: a refused key goes back to sign-in; any other API error is shown by `report`.
function failed(error, report) {
  if (!(error instanceof ApiError)) throw error;
  if (error.status === 401) {
    session.clear();
    return signIn("That API key was refused. Paste a valid key.");
  }
  report(error);
}

// Run a button's action; an API error is shown in the page's status slot instead of the page.
async function act(button, report, action) {
  try {
    await busy(button, action);
  } catch (error) {
    failed(error, (e) => report(alertBox(e.text)));
  }
}

// A form's submit handler: its submit button busy while `action` runs; the API's 4xx (or a check of the
// browser's own, thrown as an ApiError) go next to the fields they name.
function submitting(action) {
  return async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    clearErrors(form);
    try {
      await busy(form.querySelector("button[type=submit]"), action);
    } catch (error) {
      failed(error, (e) => showErrors(form, e));
    }
  };
}

function testPanel(id, types) {
  const select = h("select", {}, (types.length ? types : [{ name: "webhook.test" }]).map((t) => h("option", { value: t.name }, t.name)));
  select.value = "webhook.test";
  const result = h("div", { "aria-live": "polite" });
  const send = h("button", { type: "submit", class: "primary" }, "Send test event");
  const form = h(
    "form",
    {
      class: "inline",
      onsubmit: submitting(async () => {
        result.replaceChildren(h("p", { class: "muted" }, "Sending…"));
        try {
          result.replaceChildren(sendResult(await webhooks.test(id, select.value)));
        } catch (error) {
          result.replaceChildren();
          throw error;
        }
      }),
    },
    field("Event type", "event_type", select),
    send,
    h("div", { class: "form-error", tabindex: "-1" }),
  );
  return h("section", { class: "panel", "aria-labelledby": "test-title" },
    h("h2", { id: "test-title" }, "Send a test event"),
    h("p", { class: "hint" }, "The type's example payload is signed and sent now; the receiver's answer is shown here and logged."),
    form, result);
}

function sendResult(sent) {
  const summary = sent.delivered
    ? `Delivered: ${sent.status_code} in ${sent.response_time_ms} ms`
    : `Failed: ${sent.status_code ?? "no answer"}${sent.error ? ` (${sent.error})` : ""} after ${sent.response_time_ms} ms`;
  return h("div", { "data-testid": "send-result" },
    alertBox(summary, sent.delivered ? "ok" : ""),
    sent.response_body ? h("details", {}, h("summary", {}, "Response body"), json(sent.response_body)) : null);
}

function recoverPanel(id) {
  const input = h("input", { type: "datetime-local", required: true, step: 1 });
  const since = new Date(Date.now() - 24 * 3600 * 1000);
  input.value = new Date(since.getTime() - since.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
  const result = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "submit" }, "Recover failed deliveries");
  const form = h(
    "form",
    {
      class: "inline",
      onsubmit: submitting(async () => {
        const local = new Date(input.value);
        if (Number.isNaN(local.getTime())) throw new ApiError(422, { field: "since", message: "pick a date and time" });
        const done = await webhooks.recover(id, local.toISOString());
        result.replaceChildren(alertBox(
          `${done.recovered} re-sent: ${done.delivered} delivered, ${done.failed} failed${done.skipped ? `, ${done.skipped} already being retried` : ""}${done.has_more ? ". More remain: recover again." : "."}`,
          "ok"));
      }),
    },
    field("Since", "since", input, "Failed, exhausted and skipped deliveries created since then are sent again, now."),
    button,
    h("div", { class: "form-error", tabindex: "-1" }),
  );
  return h("section", { class: "panel", "aria-labelledby": "recover-title" }, h("h2", { id: "recover-title" }, "Recover failures"), form, result);
}

// ---- the delivery log ----------------------------------------------------------------------------

function deliveryLog(id, types) {
  // cursors: one per page seen, so "Newer" goes back; loads are numbered so a slow one never paints over a newer.
  const state = { status: "", event_type: "", cursors: [null], loads: 0, newest: undefined, shown: "" };
  const statusSelect = h("select", {}, h("option", { value: "" }, "All"), VOCABULARY.statuses.map((s) => h("option", { value: s }, s)));
  const typeSelect = h("select", {}, h("option", { value: "" }, "All"), types.map((t) => h("option", { value: t.name }, t.name)));
  const live = h("input", { type: "checkbox", checked: true });
  const heading = h("h2", { id: "log-title", tabindex: "-1" }, "Delivery log");
  const body = h("div", { "aria-busy": "true" }, h("p", { class: "muted" }, "Loading deliveries…"));
  const pager = h("div", { class: "row" });
  const report = (error) => failed(error, (e) => body.replaceChildren(alertBox(e.text)));

  async function load(cursors = state.cursors, { quiet = false } = {}) {
    const seq = ++state.loads;
    body.setAttribute("aria-busy", "true");
    const cursor = cursors[cursors.length - 1];
    const page = await deliveries.list(id, { limit: 25, cursor, status: state.status, event_type: state.event_type });
    if (seq !== state.loads) return;
    state.cursors = cursors;
    body.setAttribute("aria-busy", "false");
    // An unchanged page is left alone: no flicker, no lost selection, no link replaced under a pointer.
    const shown = JSON.stringify([cursors, state.status, state.event_type, page]);
    if (shown === state.shown) return;
    state.shown = shown;
    const newest = page.deliveries[0]?.delivery_id;
    if (quiet && newest !== state.newest) announce("New deliveries in the log.");
    state.newest = cursors.length === 1 ? newest : state.newest;
    body.replaceChildren(
      page.deliveries.length
        ? table("Deliveries", [
            ["Created", (d) => h("a", { href: `#/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(d.delivery_id)}` }, when(d.created_at))],
            ["Event type", (d) => d.event_type],
            ["Status", (d) => badge(d.status)],
            ["Response", (d) => (d.status_code ? String(d.status_code) : "—")],
            ["Time", (d) => (d.response_time_ms != null ? `${d.response_time_ms} ms` : "—")],
            ["Attempts", (d) => String(d.attempts)],
            ["Next attempt", (d) => when(d.next_attempt_at)],
          ], page.deliveries)
        : empty(state.status || state.event_type ? "No deliveries match these filters." : "No deliveries yet. Send a test event or publish one."),
    );
    const turn = (next) => load(next).then(() => heading.focus(), report); // the clicked button is replaced
    pager.replaceChildren(
      ...[
        cursors.length > 1 ? h("button", { type: "button", onclick: () => turn(cursors.slice(0, -1)) }, "Newer") : null,
        page.next_cursor ? h("button", { type: "button", onclick: () => turn([...cursors, page.next_cursor]) }, "Older") : null,
      ].filter(Boolean),
    );
  }

  function refilter() {
    state.status = statusSelect.value;
    state.event_type = typeSelect.value;
    load([null]).catch(report);
  }
  statusSelect.addEventListener("change", refilter);
  typeSelect.addEventListener("change", refilter);
  load().catch(report);
  // New deliveries appear on their own while the first page is shown, unless the keyboard is inside the log
  // (replacing the rows would take the focus away).
  const timer = setInterval(() => {
    if (!body.isConnected) return clearInterval(timer); // the user left this page
    const focused = body.contains(document.activeElement) || pager.contains(document.activeElement);
    if (live.checked && !focused && state.cursors.length === 1 && document.visibilityState === "visible") {
      load(state.cursors, { quiet: true }).catch(() => {});
    }
  }, REFRESH_MS);

  return h("section", { "aria-labelledby": "log-title" },
    heading,
    h("form", { class: "inline", onsubmit: (e) => e.preventDefault() },
      field("Status", "status", statusSelect),
      field("Event type", "event_type", typeSelect),
      h("div", { class: "field" }, h("label", {}, live, " Refresh automatically"))),
    body, pager);
}

async function deliveryView(id, deliveryId, sent) {
  if (!sent) loading("the delivery");
  const delivery = await deliveries.get(id, deliveryId);
  const base = `#/webhooks/${encodeURIComponent(id)}`;
  const result = h("div", { "aria-live": "polite" }, sent ? sendResult(sent) : null);
  const retry = h(
    "button",
    {
      type: "button",
      class: "primary",
      onclick: () =>
        act(retry, (node) => result.replaceChildren(node), async () => {
          const sent = await deliveries.retry(id, deliveryId);
          announce(sent.delivered ? "Delivered." : "The retry failed.");
          await render(() => deliveryView(id, deliveryId, sent));
        }),
    },
    "Retry now",
  );
  return [
    h("p", {}, h("a", { href: base }, "← Back to the webhook")),
    h("div", { class: "row spread" }, h("h1", {}, `${delivery.event_type} delivery`), badge(delivery.status)),
    h("div", { class: "row" }, changing(retry)),
    result,
    h("section", { class: "panel" },
      h("dl", { class: "props" },
        prop("Delivery", h("span", { class: "mono" }, delivery.delivery_id)),
        prop("Event", h("span", { class: "mono" }, delivery.event_id)),
        prop("URL", delivery.url ? h("span", { class: "wrap-url", "data-testid": "delivery-url" }, delivery.url) : "—"),
        prop("Created", when(delivery.created_at)),
        prop("Attempts", String(delivery.attempts)),
        prop("Next attempt", when(delivery.next_attempt_at)),
        delivery.failure ? prop("Why it ended", h("span", { "data-testid": "delivery-failure" },
          `${delivery.failure.reason} (${delivery.failure.by === "carrier" ? "Carrier's side" : "the receiver"})`)) : null,
        delivery.skipped_reason ? prop("Skipped", delivery.skipped_reason) : null)),
    h("h2", { id: "attempts-title" }, "Attempts, newest first"),
    delivery.attempt_log.length
      ? h("ol", { class: "attempts", "aria-labelledby": "attempts-title" }, [...delivery.attempt_log].reverse().map(attemptItem))
      : empty("No attempt yet."),
  ];
}

function attemptItem(attempt) {
  const headline = `#${attempt.n} ${attempt.trigger} · ${attempt.outcome} · ${attempt.status_code ?? "no answer"} · ${attempt.response_time_ms ?? "—"} ms`;
  return h("li", { "data-testid": "attempt" },
    h("details", {},
      h("summary", {}, headline, " · ", when(attempt.at)),
      attempt.error ? note(attempt.error) : null,
      attempt.url ? h("p", {}, "Sent to ", h("span", { class: "wrap-url mono" }, attempt.url)) : null,
      h("h3", {}, "Request headers"),
      h("dl", { class: "props" }, Object.entries(attempt.request_headers || {}).map(([name, value]) => prop(name, h("span", { class: "mono" }, value)))),
      h("h3", {}, "Response body"),
      attempt.response_body ? json(attempt.response_body) : h("p", { class: "muted" }, "(empty)")));
}

// ---- event types ---------------------------------------------------------------------------------

async function eventTypesView() {
  loading("event types");
  const types = await eventTypes();
  return [
    h("h1", {}, "Event types"),
    h("p", { class: "hint" }, "What a webhook can subscribe to, with the example payload a test send uses."),
    types.length
      ? types.map((t) => h("details", {}, h("summary", {}, h("code", {}, t.name), " — ", t.description), json(t.example)))
      : empty("The catalog is empty."),
  ];
}

// ---- start ---------------------------------------------------------------------------------------

// The skip link moves the focus; following "#main" would be a route change.
document.getElementById("skip").addEventListener("click", (event) => {
  event.preventDefault();
  main().focus();
});
document.getElementById("sign-out").addEventListener("click", () => {
  session.clear();
  location.hash = "";
  route();
});
window.addEventListener("hashchange", route);
route();
