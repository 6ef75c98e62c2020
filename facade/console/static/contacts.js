// Contacts: search by name, email or a number in any format, pages of results, and a
// contact's page with details, numbers and the timeline of calls with their recordings, kept
// live by the callEvents subscription; a contact is created, edited and deleted here too.

import { graphql, LiveSubscription } from "./api.js";
import { contactForm } from "./contact_form.js";
import {
  CALL_PAGES,
  confirmButton,
  details,
  duration,
  fill,
  fullName,
  h,
  MATCH_WORDS,
  numbers,
  pager,
  searchScreen,
  showError,
  showOnly,
  STATUS_WORDS,
  syncCalls,
  when,
} from "./dom.js";
import { transferPanel } from "./transfers.js";

const PAGE_SIZE = 20;
const CONTACT_FIELDS = "id firstName lastName email jobTitle company { id name }";

const SEARCH = `query SearchContacts($text: String, $first: Int, $after: String) {
  contacts(filter: {text: $text}, first: $first, after: $after) {
    nodes { ${CONTACT_FIELDS} phones { number } }
    pageInfo { endCursor hasNextPage }
  }
}`;

const BY_NUMBER = `query ContactsByNumber($phone: String!) {
  lookupContacts(phone: $phone) {
    entity number mainLine
    contact { ${CONTACT_FIELDS} phones { number } }
    company { id name }
  }
}`;

const TIMELINE_FIELDS = `id direction status fromNumber toNumber startedAt duration callerMatch
  user { firstName lastName extension }
  recording { contentType size downloadUrl }`;

const CONTACT = `query ContactPage($id: ID!, $first: Int, $after: String) {
  contact(id: $id) {
    ${CONTACT_FIELDS} notes owner { firstName lastName }
    phones { number e164 kind extension }
    activities(first: $first, after: $after) {
      nodes { ${TIMELINE_FIELDS} }
      pageInfo { endCursor hasNextPage }
    }
  }
}`;

const CALL_EVENTS = `subscription ContactCallEvents {
  callEvents { type activity { ${TIMELINE_FIELDS} contact { id } } }
}`;

const DELETE = `mutation DeleteContact($id: ID!) { deleteContact(id: $id) }`;

/** Whether a search reads as a phone number: digits, with the punctuation numbers carry. */
export function looksLikeNumber(text) {
  return /^[+(]?[\d\s().\-/]{3,}$/.test(text) && (text.match(/\d/g) || []).length >= 3;
}

/** The contacts screen: a search box and a page of results. `params`: q, after. */
export function contactsScreen(root, params) {
  const query = params.get("q") || "";
  const results = searchScreen(root, {
    title: "Contacts",
    label: "Search contacts",
    id: "search",
    help: "A name, an email, or a number in any format.",
    base: "#/contacts",
    query,
  });
  const load = () => showResults(results, query, params.get("after")).catch(showError(results));
  const { panel, stop } = transferPanel("contacts", load);
  results.before(h("p", { class: "page-actions" }, h("a", { href: "#/contacts/new" }, "New contact")), panel);
  load();
  return stop;
}

async function showResults(results, query, after) {
  if (query && looksLikeNumber(query)) {
    const data = await graphql(BY_NUMBER, { phone: query });
    const matches = data.lookupContacts;
    fill(
      results,
      matches.length
        ? h(
            "ul",
            { class: "contacts" },
            matches.map((match) =>
              match.contact
                ? contactItem(match.contact, `matched ${match.number}`)
                : h("li", {}, h("strong", {}, match.company.name), ` · main line ${match.number}`),
            ),
          )
        : h("p", {}, "No contact or company has this number."),
    );
    return;
  }
  const data = await graphql(SEARCH, { text: query || null, first: PAGE_SIZE, after });
  const page = data.contacts;
  fill(
    results,
    page.nodes.length
      ? h("ul", { class: "contacts" }, page.nodes.map((contact) => contactItem(contact)))
      : h("p", {}, "No contacts found."),
    pager("Pages", "#/contacts", { after, pageInfo: page.pageInfo }, ["First page", "Next page"], {
      q: query,
    }),
  );
}

function contactItem(contact, note) {
  return h(
    "li",
    {},
    h("a", { href: `#/contacts/${contact.id}` }, fullName(contact)),
    contact.company ? ` · ${contact.company.name}` : "",
    contact.email ? ` · ${contact.email}` : "",
    contact.phones && contact.phones.length ? ` · ${contact.phones.map((p) => p.number).join(", ")}` : "",
    note ? h("span", { class: "note" }, ` (${note})`) : null,
  );
}

/** A new contact's form; once created, its page. */
export function newContactScreen(root) {
  fill(
    root,
    h("p", {}, h("a", { href: "#/contacts" }, "← Contacts")),
    h("h1", {}, "New contact"),
    contactForm(null, (contact) => {
      window.location.hash = `#/contacts/${contact.id}`;
    }),
  );
  root.querySelector("input").focus();
  return () => {};
}

/** A contact's page: details, numbers, and the calls, newest first, a page at a time; calls
 * reported while it is open come into the timeline as the callEvents subscription tells. */
export function contactScreen(root, id, params) {
  fill(root, h("p", {}, "Loading…"));
  const after = params.get("after");
  let timeline = null;
  const load = () => graphql(CONTACT, { id, first: PAGE_SIZE, after });
  const display = (data) => {
    const page = contactPage(data.contact, after, () => load().then(display));
    timeline = page.timeline;
    fill(root, page.nodes);
  };
  load().then(display).catch(showError(root));
  const live = new LiveSubscription(CALL_EVENTS, {}, {
    // Reconnected: what happened meanwhile is read again.
    onConnected: () => {
      if (timeline) load().then((data) => timeline.replace(data.contact.activities.nodes)).catch(() => {});
    },
    onEvent: (data) => {
      const call = data.callEvents.activity;
      if (call && timeline) timeline.update(call, Boolean(call.contact && call.contact.id === id));
    },
  });
  live.start();
  return () => live.stop();
}

function contactPage(contact, after, reload) {
  const calls = contact.activities;
  const timeline = liveTimeline(calls.nodes, !after);
  const view = h("div", { class: "contact-view" });
  const edit = h("button", { type: "button", onclick: () => editing() }, "Edit");
  const actions = h(
    "div",
    { class: "page-actions" },
    edit,
    confirmButton(
      "Delete",
      `Delete ${fullName(contact)}`,
      `Delete ${fullName(contact)} and their numbers? Their calls stay, unassigned.`,
      async () => {
        await graphql(DELETE, { id: contact.id });
        window.location.hash = "#/contacts";
      },
    ),
  );
  const viewing = () => {
    fill(view, contactDetails(contact));
    edit.hidden = false;
  };
  function editing() {
    edit.hidden = true;
    fill(
      view,
      contactForm(contact, () => reload(), () => {
        viewing();
        edit.focus();
      }),
    );
    view.querySelector("input").focus();
  }
  viewing();
  return {
    timeline,
    nodes: [
      h("p", {}, h("a", { href: "#/contacts" }, "← Contacts")),
      h("h1", {}, fullName(contact)),
      actions,
      view,
      h("h2", {}, "Calls"),
      timeline.node,
      pager("Pages of calls", `#/contacts/${contact.id}`, { after, pageInfo: calls.pageInfo }, CALL_PAGES),
    ],
  };
}

function contactDetails(contact) {
  return [
    details([
      [
        "Company",
        contact.company ? h("a", { href: `#/companies/${contact.company.id}` }, contact.company.name) : "",
      ],
      ["Job title", contact.jobTitle],
      ["Email", contact.email],
      ["Owner", contact.owner ? fullName(contact.owner) : ""],
      ["Notes", contact.notes],
    ]),
    h("h2", {}, "Numbers"),
    numbers(contact.phones),
  ];
}

/** The timeline of calls: `update(call, ours)` puts a reported call in place (new calls on
 * top, on the first page only), or takes it out once it belongs to another contact. */
function liveTimeline(calls, firstPage) {
  const node = h("div", { class: "timeline-holder", "aria-live": "polite" });
  const list = h("ol", { class: "timeline" });
  const empty = h("p", {}, "No calls yet.");
  const render = () => showOnly(node, list.children.length ? list : empty);
  const replace = (rows) => {
    // A call shown as it still is stays (its recording may be playing).
    syncCalls(list, rows, timelineItem, { fresh: (item, row) => item.dataset.shown === shown(row) });
    render();
  };
  const update = (call, ours) => {
    const old = [...list.children].find((item) => item.dataset.call === call.id);
    if (!ours) old?.remove();
    else if (old && old.dataset.shown !== shown(call)) old.replaceWith(timelineItem(call));
    else if (firstPage) list.prepend(timelineItem(call));
    render();
  };
  replace(calls);
  return { node, replace, update };
}

/** What a timeline item shows of a call, to tell whether it changed. */
function shown(call) {
  const { contact, ...rest } = call;
  return JSON.stringify(rest);
}

function timelineItem(call) {
  const agent = call.user ? ` · ${fullName(call.user)}` : "";
  return h(
    "li",
    { class: `call ${call.status.toLowerCase()}`, "data-call": call.id, "data-shown": shown(call) },
    h("time", { datetime: call.startedAt }, when(call.startedAt)),
    ` · ${call.direction === "INBOUND" ? "inbound" : "outbound"} · `,
    STATUS_WORDS[call.status] || call.status,
    call.duration ? ` · ${duration(call.duration)}` : "",
    agent,
    call.callerMatch ? h("span", { class: "why" }, ` · ${MATCH_WORDS[call.callerMatch]}`) : null,
    call.recording
      ? h(
          "div",
          { class: "recording" },
          h("audio", {
            controls: true,
            preload: "metadata",
            src: call.recording.downloadUrl,
            "aria-label": `Recording of the call of ${when(call.startedAt)}`,
          }),
        )
      : null,
  );
}

/** The contacts a search names (a number in any format, else a name or an email), at most
 * a page of them: for picking one. */
export async function findContacts(query) {
  if (looksLikeNumber(query)) {
    const data = await graphql(BY_NUMBER, { phone: query });
    return data.lookupContacts.map((match) => match.contact).filter(Boolean);
  }
  const data = await graphql(SEARCH, { text: query, first: PAGE_SIZE, after: null });
  return data.contacts.nodes;
}
