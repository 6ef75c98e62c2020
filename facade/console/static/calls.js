// Live calls: the calls ringing and in progress (mine; everyone's for an admin), kept live
// by the callEvents subscription, and the caller's card when a call for me starts.

import { graphql, LiveSubscription } from "./api.js";
import {
  duration,
  fill,
  fullName,
  h,
  MATCH_WORDS,
  otherNumber,
  STATUS_WORDS,
  when,
} from "./dom.js";

export const CALL_FIELDS = `
  id callId direction status fromNumber toNumber startedAt answeredAt callerMatch
  user { id firstName lastName extension }
  contact { id firstName lastName }
  company { id name }`;

const IN_PROGRESS = `query CallsInProgress($user: ID, $since: DateTime) {
  ringing: activities(filter: {status: RINGING, userId: $user, startedAfter: $since}, first: 50) {
    nodes { ${CALL_FIELDS} }
  }
  answered: activities(filter: {status: ANSWERED, userId: $user, startedAfter: $since}, first: 50) {
    nodes { ${CALL_FIELDS} }
  }
}`;

const EVENTS = `subscription CallEvents($mine: Boolean) {
  callEvents(mine: $mine) { type at activity { ${CALL_FIELDS} } }
}`;

const CONTACT_CARD = `query CallerCard($id: ID!) {
  contact(id: $id) {
    id firstName lastName email jobTitle company { id name }
    activities(first: 6) { nodes { id direction status startedAt duration } }
  }
}`;

const CREATE_CONTACT = `mutation CreateCallerContact($input: CreateContactInput!) {
  createContact(input: $input) { contact { id } }
}`;

export const ASSIGN = `mutation LinkCall($id: ID!, $contact: ID!) {
  assignActivity(id: $id, contactId: $contact) { id }
}`;

const LIVE_STATUSES = new Set(["RINGING", "ANSWERED"]);
const OLDEST_LIVE_CALL_H = 12; // a call that never ended is not "in progress" for ever

/** The live calls screen, for `me`; returns the function that tears it down. */
export function callsScreen(root, me) {
  const calls = new Map();
  const state = h("span", { class: "live-state", role: "status" }, "connecting…");
  const list = h("ul", { class: "calls", "aria-live": "polite" });
  const card = h("section", { class: "caller-card", "aria-label": "Caller", hidden: true });
  fill(
    root,
    h("h1", {}, me.isAdmin ? "Live calls (everyone's)" : "My live calls"),
    h("p", { class: "live" }, "Connection: ", state),
    h("div", { class: "calls-layout" }, h("div", {}, list), card),
  );

  function render() {
    const sorted = [...calls.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    if (!sorted.length) {
      fill(list, h("li", { class: "empty" }, "No calls in progress."));
      return;
    }
    fill(list, sorted.map((call) => callRow(call, () => showCard(card, call, me))));
  }

  async function reload() {
    const since = new Date(Date.now() - OLDEST_LIVE_CALL_H * 3600 * 1000).toISOString();
    const data = await graphql(IN_PROGRESS, { user: me.isAdmin ? null : me.id, since });
    calls.clear();
    for (const call of [...data.ringing.nodes, ...data.answered.nodes]) calls.set(call.id, call);
    render();
  }

  const live = new LiveSubscription(EVENTS, { mine: !me.isAdmin }, {
    onConnected: () => reload().catch(() => {}),
    onState: (words) => fill(state, words === "live" ? "live" : `${words}…`),
    onEvent: (data) => {
      const event = data.callEvents;
      const call = event.activity;
      if (!call) return;
      if (LIVE_STATUSES.has(call.status)) calls.set(call.id, call);
      else calls.delete(call.id);
      render();
      const forMe = call.user && call.user.id === me.id;
      if (event.type === "STARTED" && forMe) showCard(card, call, me);
      else if (card.dataset.call === call.id && event.type === "ASSIGNED") showCard(card, call, me);
    },
  });
  reload().catch(() => {});
  live.start();
  return () => live.stop();
}

function callRow(call, open) {
  const number = otherNumber(call) || "unknown number";
  const who = call.contact ? fullName(call.contact) : call.company ? call.company.name : number;
  return h(
    "li",
    { class: `call ${call.status.toLowerCase()}` },
    h(
      "button",
      { type: "button", class: "call-open", onclick: open },
      h("strong", {}, who),
      who === number ? "" : [" ", h("span", { class: "number" }, number)],
      " ",
      h("span", { class: "status" }, STATUS_WORDS[call.status] || call.status),
      call.user ? h("span", { class: "agent" }, ` · ext. ${call.user.extension || "?"}`) : null,
      h("span", { class: "started" }, ` · ${when(call.startedAt)}`),
    ),
  );
}

/** The caller's card for `call`: who it is and why, the last calls, a link; or, for an
 * unknown number, a form to create the contact with the number filled in. */
export async function showCard(card, call, me) {
  card.hidden = false;
  card.dataset.call = call.id;
  const number = otherNumber(call) || "";
  const heading = h("h2", { id: "caller-name" }, "Caller");
  if (!call.contact) {
    fill(
      card,
      heading,
      h("p", { class: "number" }, number || "No number"),
      call.company
        ? [h("p", { class: "company" }, call.company.name), h("p", { class: "why" }, MATCH_WORDS.MAIN_LINE)]
        : h("p", { class: "why" }, "Unknown number."),
      createContactForm(call, number, (contactId) => {
        card.dataset.call = "";
        showCard(card, { ...call, contact: { id: contactId }, callerMatch: "LINKED" }, me);
      }),
    );
    return;
  }
  fill(card, heading, h("p", {}, "Loading…"));
  const data = await graphql(CONTACT_CARD, { id: call.contact.id });
  if (card.dataset.call !== call.id) return; // another call took the card meanwhile
  const contact = data.contact;
  const earlier = contact.activities.nodes.filter((other) => other.id !== call.id).slice(0, 5);
  fill(
    card,
    h("h2", { id: "caller-name" }, fullName(contact)),
    contact.company ? h("p", { class: "company" }, contact.company.name) : null,
    contact.jobTitle ? h("p", { class: "job" }, contact.jobTitle) : null,
    h("p", { class: "number" }, number),
    h("p", { class: "why" }, MATCH_WORDS[call.callerMatch] || "Linked to this contact."),
    h("h3", {}, "Last calls"),
    earlier.length
      ? h(
          "ul",
          { class: "last-calls" },
          earlier.map((other) =>
            h(
              "li",
              {},
              `${when(other.startedAt)} · ${other.direction === "INBOUND" ? "in" : "out"} · `,
              `${STATUS_WORDS[other.status] || other.status}`,
              other.duration ? ` · ${duration(other.duration)}` : "",
            ),
          ),
        )
      : h("p", {}, "No earlier calls."),
    h("a", { href: `#/contacts/${contact.id}`, class: "contact-link" }, "Open the contact"),
  );
}

/** A form that creates the contact of `call`'s number and links the call to it. */
export function createContactForm(call, number, created) {
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  // Ids of their own: several of these forms may be open at once (unassigned calls).
  const field = (name, label, props = {}) => [
    h("label", { for: `${name}-${call.id}` }, label),
    h("input", { id: `${name}-${call.id}`, name, ...props }),
  ];
  const form = h(
    "form",
    { class: "create-contact", "aria-label": "Create a contact" },
    h("h3", {}, "New contact"),
    field("new-first-name", "First name", { autocomplete: "off" }),
    field("new-last-name", "Last name", { autocomplete: "off" }),
    field("new-email", "Email", { type: "email", autocomplete: "off" }),
    field("new-phone", "Phone", { value: number, required: true }),
    call.company ? null : field("new-company", "Company", { autocomplete: "off" }),
    problem,
    h("button", { type: "submit" }, "Create contact"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = (name) => form.elements.namedItem(name)?.value.trim() || null;
    const input = {
      firstName: value("new-first-name"),
      lastName: value("new-last-name"),
      email: value("new-email"),
      phones: [{ number: value("new-phone") }],
    };
    if (call.company) input.companyId = call.company.id;
    else if (value("new-company")) input.companyName = value("new-company");
    try {
      const data = await graphql(CREATE_CONTACT, { input });
      const id = data.createContact.contact.id;
      await graphql(ASSIGN, { id: call.id, contact: id });
      created(id);
    } catch (error) {
      problem.hidden = false;
      fill(problem, error.message);
    }
  });
  return form;
}
