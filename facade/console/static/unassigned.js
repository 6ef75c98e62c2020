// Unassigned calls: the calls linked to no contact, newest first, each linkable to a
// contact found by name, email or number, or to a new one. New unassigned calls come in as
// the callEvents subscription reports them, and calls linked elsewhere leave.

import { graphql, LiveSubscription } from "./api.js";
import { ASSIGN, CALL_FIELDS, createContactForm } from "./calls.js";
import { findContacts } from "./contacts.js";
import {
  CALL_PAGES,
  duration,
  fill,
  fullName,
  h,
  otherNumber,
  pager,
  showError,
  showOnly,
  STATUS_WORDS,
  syncCalls,
  when,
} from "./dom.js";

const PAGE_SIZE = 20;
const UNASSIGNED = `query UnassignedCalls($first: Int, $after: String) {
  activities(filter: {unassigned: true}, first: $first, after: $after) {
    nodes { ${CALL_FIELDS} duration }
    pageInfo { endCursor hasNextPage }
  }
}`;

const EVENTS = `subscription UnassignedCallEvents {
  callEvents { type activity { ${CALL_FIELDS} duration } }
}`;

/** The unassigned calls screen. `params`: after (the page). */
export function unassignedScreen(root, params) {
  const after = params.get("after");
  const list = h("ul", { class: "unassigned" });
  const holder = h("div", { "aria-live": "polite" }, "Loading…");
  let loaded = false;
  const empty = h("p", {}, "Every call is linked to a contact.");
  const render = () => showOnly(holder, list.children.length ? list : empty);
  const load = () =>
    graphql(UNASSIGNED, { first: PAGE_SIZE, after }).then((data) => {
      const page = data.activities;
      // Calls already shown stay as they are, and those being linked here stay.
      syncCalls(list, page.nodes, unassignedItem, { keep: busy });
      render();
      fill(pages, pager("Pages of calls", "#/unassigned", { after, pageInfo: page.pageInfo }, CALL_PAGES));
      loaded = true;
    });
  const pages = h("div");
  fill(root, h("h1", {}, "Unassigned calls"), holder, pages);
  load().catch(showError(holder));
  const live = new LiveSubscription(EVENTS, {}, {
    onConnected: () => {
      if (loaded) load().catch(() => {});
    },
    onEvent: (data) => {
      const call = data.callEvents.activity;
      if (!call || !loaded) return;
      const old = find(list, call.id);
      if (old && busy(old)) return;
      if (call.contact) old?.remove();
      else if (!old && !after) list.prepend(unassignedItem(call));
      render();
    },
  });
  live.start();
  return () => live.stop();
}

/** Whether someone is at work on this item (a form open: its link may be on its way, and
 * its event may come before the answer), or linked it here: it stays until the page is left. */
function busy(item) {
  return Boolean(item.dataset.linked || item.querySelector("form"));
}

function find(list, callId) {
  return [...list.children].find((item) => item.dataset.call === callId);
}

function unassignedItem(call) {
  const number = otherNumber(call) || "";
  const item = h("li", { class: "call", "data-call": call.id });
  const tools = h("div", { class: "link-tools" });
  const linked = (contactId) => {
    item.dataset.linked = "1";
    fill(
      item,
      h("strong", {}, number || "unknown number"),
      ` · ${when(call.startedAt)}: linked to `,
      h("a", { href: `#/contacts/${contactId}` }, "the contact"),
      ".",
    );
  };
  const pick = h("button", { type: "button", onclick: () => fill(tools, linkForm(call, linked)) }, "Link to a contact");
  const create = h(
    "button",
    { type: "button", onclick: () => fill(tools, createContactForm(call, number, linked)) },
    "New contact",
  );
  return fill(
    item,
    h("strong", {}, number || "unknown number"),
    ` · ${when(call.startedAt)} · ${call.direction === "INBOUND" ? "inbound" : "outbound"} · `,
    STATUS_WORDS[call.status] || call.status,
    call.duration ? ` · ${duration(call.duration)}` : "",
    call.company ? ` · ${call.company.name} (main line)` : "",
    call.user ? ` · ${fullName(call.user)}` : "",
    h("div", { class: "actions" }, pick, " ", create),
    tools,
  );
}

function linkForm(call, linked) {
  const id = `find-${call.id}`;
  const box = h("input", { id, type: "search", autocomplete: "off" });
  const found = h("ul", { class: "contacts", "aria-live": "polite" });
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "search", role: "search" },
    h("label", { for: id }, "Find the contact"),
    box,
    h("button", { type: "submit" }, "Find"),
    problem,
    found,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const contacts = await findContacts(box.value.trim());
      fill(
        found,
        contacts.length
          ? contacts.map((contact) =>
              h(
                "li",
                {},
                fullName(contact),
                contact.company ? ` · ${contact.company.name}` : "",
                " ",
                h(
                  "button",
                  {
                    type: "button",
                    "aria-label": `Link to ${fullName(contact)}`,
                    onclick: async () => {
                      await graphql(ASSIGN, { id: call.id, contact: contact.id });
                      linked(contact.id);
                    },
                  },
                  "Link",
                ),
              ),
            )
          : h("li", {}, "No contact found."),
      );
    } catch (error) {
      problem.hidden = false;
      fill(problem, error.message);
    }
  });
  setTimeout(() => box.focus());
  return form;
}
