// The agent desk's behaviour: sign-in with the agent's own key (kept in this tab's sessionStorage
// only), the customer's one view, the next best actions, and the outcomes the agent records.
"use strict";

const CHANNEL = "CALL_CENTER";
const SLOTS = 3;
const KEY_ITEM = "offerloop.agentKey";
// Roles whose keys the desk refuses to hold: a page must never carry a services or admin key.
const PRIVILEGED_ROLES = ["services", "admin"];

const $ = (id) => document.getElementById(id);

/// An answer the gateway refused (problem+json), or no answer at all (status 0).
class GatewayError extends Error {
  constructor(status, code, detail) {
    super(detail);
    this.status = status;
    this.code = code;
  }
}

const state = {
  identity: null,   // {kind, value} of the customer on screen
  view: null,       // their CustomerView
  names: {},        // offer id -> name, from every offer shown in this tab (the suppressed list names them)
};

// ---------------------------------------------------------------------------------------------
// The gateway

/// Calls /v1/`path` (relative to the page, so the desk works behind a path prefix too).
async function api(method, path, body, key = sessionStorage.getItem(KEY_ITEM)) {
  const headers = { Accept: "application/json" };
  if (key) headers.Authorization = "Bearer " + key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(new URL("../v1/" + path, location.href), {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new GatewayError(0, "UNREACHABLE", "the gateway cannot be reached");
  }
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : {}; } catch { /* not JSON: the status says enough */ }
  if (!response.ok) {
    throw new GatewayError(response.status, (json && json.code) || "", (json && json.detail) || text || response.statusText);
  }
  return json;
}

const path = (identity) => `customers/${encodeURIComponent(identity.kind)}/${encodeURIComponent(identity.value)}`;

/// What went wrong, in words an agent can act on.
function plainWords(error) {
  if (!(error instanceof GatewayError)) return `The page failed: ${error.message}. Reload it and try again.`;
  const detail = error.message ? ` (${error.message})` : "";
  if (error.status === 0) return "The gateway cannot be reached: check your connection and try again.";
  switch (error.code) {
    case "NOT_FOUND": return `Not found${detail}.`;
    case "INVALID_ARGUMENT": case "MALFORMED": return `The request was refused${detail}.`;
    case "UNAUTHORIZED": return `Your key may not do this${detail}. Ask your operator.`;
    case "DEADLINE_EXCEEDED": case "UNAVAILABLE": case "NO_WORKERS": case "OVERLOADED": case "SHUTTING_DOWN":
      return `The system did not answer in time${detail}. Try again in a moment.`;
    case "OUT_OF_WINDOW": return `Too late to record this outcome: the offer's response window has closed${detail}.`;
    default: return `The system reported a problem${detail}. Try again; if it persists, tell your supervisor.`;
  }
}

function say(text, kind = "error") {
  const box = $("message");
  box.textContent = text;
  box.className = kind;
  box.hidden = !text;
}

/// Runs `work`, showing its failure in plain words. A 401 is either a key no longer accepted
/// (the agent is signed out) or a call the agent's role may not make: whoami tells which.
async function guarded(work) {
  try {
    await work();
  } catch (error) {
    if (error instanceof GatewayError && error.status === 401) {
      const known = await api("GET", "whoami").then(() => true, () => false);
      if (!known) {
        signOut();
        return say("Your key was not accepted: sign in again with the key your operator gave you.");
      }
    }
    say(plainWords(error));
  }
}

// A random event id: crypto.randomUUID exists only in secure contexts (HTTPS, localhost), and
// a desk served over plain HTTP on an office network is not one.
function eventId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Signing in

/// Asks the gateway whose `key` this is; keeps it only if it is an agent's (role clients), or
/// enters without one when the gateway runs open (no keys: the demo).
async function signIn(key) {
  const who = await api("GET", "whoami", undefined, key);
  if (PRIVILEGED_ROLES.includes(who.role)) {
    sessionStorage.removeItem(KEY_ITEM);
    throw new Error(`Not signed in: this is ${who.role === "admin" ? "an administrator's" : "a service's"} key ` +
      `(${who.name || "unnamed"}, role ${who.role}), not an agent's, and the desk never holds one. ` +
      "Ask your operator for an agent key (role clients).");
  }
  if (key) sessionStorage.setItem(KEY_ITEM, key);
  $("agent-name").textContent = who.role === "open" ? "open gateway (no keys)" : `${who.name} (${who.role})`;
  $("agent").hidden = false;
  $("sign-in").hidden = true;
  $("desk").hidden = false;
  $("key").value = "";
  say("");
  $("value").focus();
}

function signOut() {
  sessionStorage.removeItem(KEY_ITEM);
  Object.assign(state, { identity: null, view: null });
  $("agent").hidden = true;
  $("desk").hidden = true;
  $("customer").hidden = true;
  $("sign-in").hidden = false;
  $("key").focus();
}

// ---------------------------------------------------------------------------------------------
// Rendering (text only: nothing from the gateway is ever parsed as HTML)

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "className") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function fill(id, children) { $(id).replaceChildren(...children); }

const amount = (value) => Number(value || 0).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percent = (value) => `${Math.round(Number(value || 0) * 100)}%`;
const when = (ms) => (Number(ms) ? new Date(Number(ms)).toLocaleString() : "");
const channelName = (channel) => String(channel || "").toLowerCase().replace("_", " ");
// A card number shown as its last four digits: the agent needs to confirm it, not to read it out.
const shownIdentity = (identity) => `${identity.kind} ${identity.kind === "card" ? "••••" + identity.value.slice(-4) : identity.value}`;
const optedOutOfCalls = (view) => (view.optedOut || []).includes(CHANNEL);

function renderView(view) {
  const attributes = view.attributes || {};
  const name = [attributes.first_name, attributes.last_name].filter(Boolean).join(" ");
  $("customer-id").textContent = name ? `${name} (${view.customerId})` : view.customerId || "";
  $("opted-out").hidden = !optedOutOfCalls(view);
  $("segment").textContent = view.segment || "not valued yet";
  $("clv").textContent = amount(view.clv);
  $("p-alive").textContent = percent(view.pAlive);
  $("churn-risk").textContent = percent(view.churnRisk);
  $("opt-outs").textContent = (view.optedOut || []).map(channelName).join(", ") || "none";
  $("identities").textContent = (view.identities || []).map(shownIdentity).join(", ");
  const reasons = view.churnReasons || [];
  fill("churn-reasons", reasons.length ? reasons.map((reason) => element("li", {}, reason)) : [element("li", { className: "empty" }, "none given")]);

  const details = view.holdingDetails || [];
  const holdings = details.length ? details : (view.holdings || []).map((product) => ({ product }));
  $("holdings").tBodies[0].replaceChildren(...(holdings.length
    ? holdings.map((h) => element("tr", {}, element("td", {}, h.product), element("td", { className: "number" }, h.balance === undefined ? "" : amount(h.balance)),
      element("td", {}, h.openedUnixMs ? new Date(Number(h.openedUnixMs)).toLocaleDateString() : "")))
    : [element("tr", {}, element("td", { colspan: "3", className: "empty" }, "no products held"))]));

  const contacts = view.contacts || [];
  $("contacts").tBodies[0].replaceChildren(...(contacts.length
    ? contacts.map((c) => element("tr", { "data-offer-id": c.offerId, "data-kind": c.kind },
      element("td", {}, when(c.timeUnixMs)), element("td", {}, state.names[c.offerId] || c.offerId),
      element("td", {}, c.category || ""), element("td", {}, channelName(c.channel)), element("td", { className: "kind " + c.kind }, c.kind)))
    : [element("tr", {}, element("td", { colspan: "5", className: "empty" }, "no contacts in the last 180 days"))]));
  $("customer").hidden = false;
}

// An explanation line about one offer: "offer_id: why"; general lines have spaces before the colon.
const OFFER_LINE = /^([\w.-]+): (.*)$/;
// The contact policy's reasons (DecisionCore's ContactPolicy.suppression): "declined on web 2
// day(s) ago (suppressed for 30)", "accepted fee_waiver (retention) 0 day(s) ago (cool-down 90)".
const CONTACT_POLICY = / \((suppressed for|cool-down) \d+\)$/;

function renderDecision(reply, view) {
  const offers = reply.offers || [];
  for (const offer of offers) state.names[offer.offerId] = offer.name;
  const lines = reply.explanation || [];
  // The decision's own reason for making none (a contact cap, an opt-out, no view of the customer).
  const why = lines.filter((line) => !OFFER_LINE.test(line) && /no offer/.test(line));

  let note = "";
  if (optedOutOfCalls(view)) note = "No offer may be made: the customer opted out of call-center offers.";
  else if (reply.degraded) note = `A safe fallback answer (the system is degraded: ${reply.degradedReason || "unknown reason"}).`;
  else if (reply.control) note = "This customer is in the control group: no targeted offer today (it measures what the offers add).";
  else if (!offers.length) note = `No offer for this customer now${why.length ? ": " + why.join("; ") : " (see below why each is held back)"}.`;
  $("decision-note").textContent = note;
  $("decision-note").hidden = !note;

  fill("offers", offers.map((offer) => renderOffer(reply, offer)));

  const suppressed = lines.map((line) => line.match(OFFER_LINE)).filter((m) => m && CONTACT_POLICY.test(m[2]));
  fill("suppressed", suppressed.map((m) => element("li", { "data-offer-id": m[1] },
    element("strong", {}, state.names[m[1]] || m[1]), " — " + m[2])));
  $("suppressed-box").hidden = !suppressed.length;
  fill("explanation", lines.map((line) => element("li", {}, line)));
}

function renderOffer(reply, offer) {
  const treatment = offer.treatment || {};
  const points = treatment.talkingPoints || [];
  const status = element("p", { className: "status", role: "status" });
  const item = element("li", { className: "offer", "data-offer-id": offer.offerId },
    element("h3", {}, offer.name || offer.offerId, " ", element("span", { className: "category" }, offer.category || "")),
    element("p", { className: "script" }, treatment.channelText || ""),
    points.length ? element("ul", { className: "talking-points" }, ...points.map((point) => element("li", {}, point))) : "",
    offer.reason ? element("p", { className: "reason" }, "Why: " + offer.reason) : "",
    element("div", { className: "buttons" },
      element("button", { type: "button", className: "accept", onclick: () => guarded(() => record(reply, offer, "ACCEPT", item, status)) }, "Accepted"),
      element("button", { type: "button", className: "decline", onclick: () => guarded(() => record(reply, offer, "DECLINE", item, status)) }, "Declined")),
    status);
  return item;
}

// ---------------------------------------------------------------------------------------------
// Look-up, decisions, outcomes

async function decide() {
  return api("POST", "decisions", { identity: state.identity, channel: CHANNEL, slots: SLOTS, explain: true });
}

/// The customer's view and next best actions, fetched again and shown.
async function refresh() {
  const view = await api("GET", path(state.identity));
  state.view = view;
  renderView(view);
  renderDecision(await decide(), view);
}

const contactCount = (view, offerId, kind) => (view.contacts || []).filter((c) => c.offerId === offerId && c.kind === kind).length;

/// Records what the customer said to `offer`, then shows the customer again once the outcome
/// has reached their history: the contact listed, and the offer held back by the contact policy.
async function record(reply, offer, type, item, status) {
  const buttons = item.querySelectorAll("button");
  buttons.forEach((button) => { button.disabled = true; });
  // The same event ids when the agent retries after an error: the gateway counts an outcome once.
  offer.eventIds = offer.eventIds || { IMPRESSION: eventId() };
  offer.eventIds[type] = offer.eventIds[type] || eventId();
  // The impression goes with the answer, not with the screen: on a call an offer reaches the
  // customer when the agent presents it, and the contact caps count only offers presented
  // (showing three on screen would use the day's call-center cap before a word is said).
  const outcomes = ["IMPRESSION", type].map((kind) => ({
    eventId: offer.eventIds[kind], decisionId: reply.decisionId, offerId: offer.offerId, type: kind, channel: CHANNEL,
  }));
  const kind = type === "ACCEPT" ? "accepted" : "declined";
  const before = contactCount(state.view, offer.offerId, kind);
  try {
    const answer = await api("POST", "outcomes", { outcomes });
    const refused = (answer.results || []).find((result) => result.error);
    if (refused) throw new GatewayError(422, refused.error.code || "", refused.error.message || "");
  } catch (error) {
    buttons.forEach((button) => { button.disabled = false; });
    throw error;
  }
  status.textContent = `${kind[0].toUpperCase() + kind.slice(1)}: recorded. Updating the customer…`;
  item.classList.add(kind);
  await showAfter(offer, kind, before);
}

/// Reads the view until the outcome is among the contacts, then decides until the decision
/// service has it too (it follows the profile stream, a moment behind), within about 5 s each.
async function showAfter(offer, kind, before) {
  const offerId = offer.offerId;
  let view = state.view;
  for (let attempt = 0; attempt < 25 && contactCount(view, offerId, kind) <= before; attempt++) {
    await pause(200);
    view = await api("GET", path(state.identity));
  }
  state.view = view;
  renderView(view);
  let reply = await decide();
  for (let attempt = 0; attempt < 25 && (reply.offers || []).some((o) => o.offerId === offerId); attempt++) {
    await pause(200);
    reply = await decide();
  }
  renderDecision(reply, view);
  say(contactCount(view, offerId, kind) > before ? `${offer.name || offerId}: ${kind}, recorded.`
    : "The outcome is recorded, but the customer's history has not caught up yet: look the customer up again in a moment.", "info");
}

// ---------------------------------------------------------------------------------------------
// Wiring

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("key").value.trim();
    signIn(key).catch((error) => say(!(error instanceof GatewayError) ? error.message
      : error.status === 401 ? `This key was not accepted (${error.message}): check it, or ask your operator for one.` : plainWords(error)));
  });
  $("sign-out").addEventListener("click", () => { signOut(); say(""); });
  $("find-form").addEventListener("submit", (event) => {
    event.preventDefault();
    say("");
    $("customer").hidden = true;
    state.identity = { kind: $("kind").value, value: $("value").value.trim() };
    guarded(refresh);
  });
  // A key kept by this tab signs in again on reload; without one, an open gateway (the demo)
  // needs none, and a guarded one asks for it.
  signIn(sessionStorage.getItem(KEY_ITEM) || "").catch(() => {
    sessionStorage.removeItem(KEY_ITEM);
    $("sign-in").hidden = false;
    $("key").focus();
  });
});
