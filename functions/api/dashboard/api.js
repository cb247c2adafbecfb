// The dashboard's only door to Carrier: the same public API as every other client, with the tenant's key.
// The key lives in sessionStorage only: it is gone when the tab closes and never sent anywhere but this API.

const KEY = "carrier.apiKey";

// The API's root: this module is served at <root>/dashboard/api.js, so ".." of it is the root.
export const apiRoot = new URL("..", import.meta.url);

export const session = {
  get: () => sessionStorage.getItem(KEY),
  set: (key) => sessionStorage.setItem(KEY, key.trim()),
  clear: () => sessionStorage.removeItem(KEY),
};

// A 422's problems by their `type`, in the words a person uses (the API's own wording is a validator's).
const PLAIN = {
  int_parsing: "must be a whole number",
  int_type: "must be a whole number",
  float_parsing: "must be a number",
  float_type: "must be a number",
  bool_parsing: "must be true or false",
  bool_type: "must be true or false",
  string_type: "must be text",
  list_type: "must be a list",
  dict_type: "must be an object of name: value pairs",
  json_invalid: "is not valid JSON",
  missing: "is required",
};

function plain(problem) {
  return { ...problem, message: PLAIN[problem.type] || problem.message };
}

export class ApiError extends Error {
  constructor(status, body) {
    const errors = Array.isArray(body?.errors) ? body.errors.map(plain) : [];
    const first = errors[0];
    super(first && PLAIN[first.type] ? `${first.field}: ${first.message}` : body?.message || `the API answered ${status}`);
    this.status = status;
    this.field = body?.field || null;
    this.errors = errors;
  }

  // What a person reads: the API's message, and the field it names when the message does not.
  get text() {
    return this.field && !this.message.includes(this.field) ? `${this.message} (field: ${this.field})` : this.message;
  }
}

export async function api(method, path, { body, query } = {}) {
  const url = new URL(path.replace(/^\//, ""), apiRoot);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  // Carrier-View: the dashboard reads Carrier's own field names and statuses, whatever the deployment's profile
  // makes the public API spell (a profile's renames are for the clients its published docs describe).
  const headers = { Authorization: `Bearer ${session.get() || ""}`, Accept: "application/json", "Carrier-View": "carrier" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { message: "The API could not be reached. Check the connection and try again." });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // Not the API's JSON (a proxy's page, a crash's text): say what happened, never show the text itself.
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, typeof data?.message === "string" ? data : { message: failure(response) });
  return data;
}

function failure(response) {
  const what = response.status >= 500 ? "The API failed" : "The API refused the request";
  return `${what} (HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}). Try again; if it persists, tell the operator.`;
}

// The API's own vocabularies (payload formats, signature schemes, delivery statuses), read once from its
// OpenAPI document: the dashboard keeps no copy of them, so a scheme added to Carrier appears here by itself.
let vocabulary = null;
export function vocabularies() {
  vocabulary ??= api("GET", "/openapi.json").then(
    (doc) => {
      const schemas = doc?.components?.schemas || {};
      const values = (name) => schemas[name]?.enum || [];
      return {
        formats: values("PayloadFormat"),
        schemes: values("SignatureScheme"),
        statuses: values("DeliveryStatus"),
        profile: doc?.info?.["x-carrier-profile"] || "carrier",
      };
    },
    (error) => {
      vocabulary = null; // try again on the next page
      throw error;
    },
  );
  return vocabulary;
}

// Routes of the public API, named once.
export const webhooks = {
  list: (cursor) => api("GET", "/v1/webhooks", { query: { limit: 50, cursor } }),
  get: (id) => api("GET", `/v1/webhooks/${encodeURIComponent(id)}`),
  create: (body) => api("POST", "/v1/webhooks", { body }),
  patch: (id, body) => api("PATCH", `/v1/webhooks/${encodeURIComponent(id)}`, { body }),
  remove: (id) => api("DELETE", `/v1/webhooks/${encodeURIComponent(id)}`),
  enable: (id) => api("POST", `/v1/webhooks/${encodeURIComponent(id)}/enable`),
  disable: (id) => api("POST", `/v1/webhooks/${encodeURIComponent(id)}/disable`),
  test: (id, eventType) => api("POST", `/v1/webhooks/${encodeURIComponent(id)}/test`, { body: { event_type: eventType } }),
  rotate: (id) => api("POST", `/v1/webhooks/${encodeURIComponent(id)}/secret/rotate`),
  recover: (id, since) => api("POST", `/v1/webhooks/${encodeURIComponent(id)}/recover`, { body: { since } }),
  // {since, until?, cursor?}: one bounded page of the window; call again with `next_cursor` until it is null
  replay: (id, body) => api("POST", `/v1/webhooks/${encodeURIComponent(id)}/replay`, { body }),
  stats: (id, window) => api("GET", `/v1/webhooks/${encodeURIComponent(id)}/stats`, { query: { window } }),
};

export const deliveries = {
  list: (webhookId, query) => api("GET", `/v1/webhooks/${encodeURIComponent(webhookId)}/deliveries`, { query }),
  get: (webhookId, id) =>
    api("GET", `/v1/webhooks/${encodeURIComponent(webhookId)}/deliveries/${encodeURIComponent(id)}`),
  retry: (webhookId, id) =>
    api("POST", `/v1/webhooks/${encodeURIComponent(webhookId)}/deliveries/${encodeURIComponent(id)}/retry`),
};

let catalog = null;
export async function eventTypes() {
  catalog = catalog || (await api("GET", "/v1/event-types")).data;
  return catalog;
}
