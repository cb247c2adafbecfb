// DOM helpers. Every text goes in through textContent (never innerHTML): a webhook's description or a
// receiver's response body is data, not markup.

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export const main = () => document.getElementById("main");

// Replace the page's content; the heading takes the focus so keyboard and screen-reader users land on it.
export function show(...children) {
  const root = main();
  root.replaceChildren();
  append(root, children);
  root.setAttribute("aria-busy", "false");
  const heading = root.querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: false });
    document.title = `${heading.textContent} · Carrier`;
  }
}

export function loading(what) {
  const root = main();
  root.setAttribute("aria-busy", "true");
  root.replaceChildren(h("p", { class: "muted" }, `Loading ${what}…`));
}

export function announce(message) {
  const region = document.getElementById("announcer");
  region.textContent = "";
  setTimeout(() => (region.textContent = message), 50);
}

export function alertBox(message, kind = "") {
  return h("div", { class: `alert ${kind}`, role: kind === "ok" ? "status" : "alert" }, message);
}

// The same box for what is on the page from the start (a state, a recorded error): no live announcement.
export function note(message, kind = "") {
  return h("div", { class: `alert ${kind}` }, message);
}

export function badge(status) {
  return h("span", { class: `badge ${status}` }, status);
}

export function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return h("time", { datetime: iso, title: iso }, Number.isNaN(date.getTime()) ? iso : date.toLocaleString());
}

export function json(value) {
  return h("pre", {}, typeof value === "string" ? value : JSON.stringify(value, null, 2));
}

export function empty(message) {
  return h("p", { class: "empty" }, message);
}

// A labelled table that turns into cards at a phone's width: each cell carries its column's label.
export function table(label, columns, rows) {
  // Explicit roles: at a phone's width the cells are display:block, which drops the implicit table roles.
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { class: "cards", "aria-label": label, role: "table" },
      h("thead", { role: "rowgroup" }, h("tr", { role: "row" }, columns.map(([name]) => h("th", { scope: "col", role: "columnheader" }, name)))),
      h(
        "tbody",
        { role: "rowgroup" },
        rows.map((row) =>
          h(
            "tr",
            { role: "row" },
            columns.map(([name, cell, cls]) => h("td", { "data-label": name, class: cls, role: "cell" }, cell(row))),
          ),
        ),
      ),
    ),
  );
}

// A form field: label, control, hint and an error slot the API's 4xx message goes into.
let fieldSeq = 0;
export function field(label, name, control, hint) {
  const id = `f-${name.replace(/\W/g, "-")}-${++fieldSeq}`;
  control.id = id;
  control.name = name;
  const described = [];
  const hintNode = hint ? h("span", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintNode) described.push(hintNode.id);
  const error = h("span", { class: "field-error", id: `${id}-error`, "data-error-for": name });
  described.push(error.id);
  control.setAttribute("aria-describedby", described.join(" "));
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hintNode, error);
}

export function clearErrors(form) {
  for (const slot of form.querySelectorAll("[data-error-for]")) slot.textContent = "";
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  form.querySelector(".form-error")?.replaceChildren();
}

// Put each of the API's errors next to the field it names (`url`, `events`, `signature.scheme`...);
// an error naming no field of this form goes in the form's own error slot.
export function showErrors(form, error) {
  clearErrors(form);
  const errors = error.errors?.length ? error.errors : [{ field: error.field, message: error.message }];
  let first = null;
  for (const item of errors) {
    const slot = slotFor(form, item.field);
    const message = item.message || error.message;
    if (slot) {
      slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
      const control = form.elements.namedItem(slot.dataset.errorFor);
      if (control) {
        control.setAttribute("aria-invalid", "true");
        first = first || control;
      }
    } else {
      form.querySelector(".form-error")?.replaceChildren(alertBox(item.field && !message.includes(item.field) ? `${message} (field: ${item.field})` : message));
    }
  }
  (first || form.querySelector(".form-error"))?.focus?.();
}

function slotFor(form, name) {
  if (!name) return null;
  const parts = String(name).split(".");
  for (let n = parts.length; n > 0; n--) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(parts.slice(0, n).join("."))}"]`);
    if (slot) return slot;
  }
  return null;
}

// Run an action with its button disabled, so a double click sends once.
export async function busy(button, action) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

// A modal dialog (native <dialog>: focus is trapped, Escape closes). Resolves with the button's value.
export function dialog(title, body, buttons) {
  const element = document.getElementById("dialog");
  return new Promise((resolve) => {
    element.replaceChildren(
      h("h2", { id: "dialog-title" }, title),
      body,
      h(
        "form",
        { method: "dialog", class: "row" },
        buttons.map(([label, value, cls]) => h("button", { value, class: cls, type: "submit" }, label)),
      ),
    );
    element.addEventListener("close", () => resolve(element.returnValue), { once: true });
    element.returnValue = "";
    element.showModal();
  });
}

export function confirm(title, message, action, cls = "danger") {
  return dialog(title, h("p", {}, message), [
    ["Cancel", "cancel", ""],
    [action, "ok", cls],
  ]).then((value) => value === "ok");
}

// Show a secret once, with a copy button and the warning that it will not be shown again.
export function showSecret(title, secret) {
  const code = h("code", { class: "secret", "data-testid": "secret" }, secret);
  const status = h("span", { role: "status", class: "hint" });
  const copy = h(
    "button",
    {
      type: "button",
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(secret);
        } catch {
          const range = document.createRange();
          range.selectNodeContents(code);
          getSelection().removeAllRanges();
          getSelection().addRange(range);
          document.execCommand("copy");
        }
        status.textContent = "Copied.";
      },
    },
    "Copy secret",
  );
  return dialog(
    title,
    h(
      "div",
      {},
      alertBox("This is the only time the secret is shown. Copy it now and store it where your receiver reads it.", "warn"),
      code,
      h("p", { class: "row" }, copy, status),
    ),
    [["I have stored it", "ok", "primary"]],
  );
}
