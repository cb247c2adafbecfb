// Portal sessions. A platform embeds <api>/dashboard#session=<token> (POST /v1/portal-sessions): opening it signs
// the dashboard in as that tenant with no key pasted. And what the credential may do, read from the API
// (GET /v1/portal-sessions/current), never guessed: a read-only session sees no control that changes anything.
import { api, session } from "./api.js";

const FROM_URL = /^#session=(cks_[\w-]{43})$/;

// A session token in the URL is kept as a pasted key is (this tab's session storage) and taken out of the
// address bar and the history at once, so it is not bookmarked, shared or sent as a referrer.
export function adoptSessionFromUrl() {
  const found = location.hash.match(FROM_URL);
  if (!found) return false;
  session.set(found[1]);
  history.replaceState(null, "", `${location.pathname}${location.search}#/webhooks`);
  return true;
}

let known = { credential: null, access: null };

// Who the current credential is ({tenant_id, role, read_only, expires_at}), asked once per credential.
export async function loadAccess() {
  const credential = session.get();
  if (known.credential !== credential || !known.access) {
    known = { credential, access: await api("GET", "/v1/portal-sessions/current") };
  }
  return known.access;
}

export const readOnly = () => Boolean(known.access?.read_only) && known.credential === session.get();

// Controls that change something: shown unless the session is read-only (the API refuses those anyway: 403).
export function changing(...controls) {
  return readOnly() ? null : controls;
}
