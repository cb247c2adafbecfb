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

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `the API answered ${status}`);
    this.status = status;
    this.field = body?.field || null;
    this.errors = Array.isArray(body?.errors) ? body.errors : [];
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
  } catch (error) {
    throw new ApiError(0, { message: `the API could not be reached (${error.message})` });
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text.slice(0, 300) };
    }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
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
