// Unassigned calls: the calls linked to no contact, newest first, each linkable to a
// contact found by name, email or number, or to a new one.

import { graphql } from "./api.js";
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
  STATUS_WORDS,
  when,
} from "./dom.js";

const PAGE_SIZE = 20;
const UNASSIGNED = `query UnassignedCalls($first: Int, $after: String) {
  activities(filter: {unassigned: true}, first: $first, after: $after) {
    nodes { ${CALL_FIELDS} duration }
    pageInfo { endCursor hasNextPage }
  }
}`;

/** The unassigned calls screen. `params`: after (the page). */
export function unassignedScreen(root, params) {
  const after = params.get("after");
  fill(root, h("h1", {}, "Unassigned calls"), h("p", {}, "Loading…"));
  graphql(UNASSIGNED, { first: PAGE_SIZE, after })
    .then((data) => {
      const page = data.activities;
      fill(
        root,
        h("h1", {}, "Unassigned calls"),
        page.nodes.length
          ? h("ul", { class: "unassigned" }, page.nodes.map(unassignedItem))
          : h("p", {}, "Every call is linked to a contact."),
        pager("Pages of calls", "#/unassigned", { after, pageInfo: page.pageInfo }, CALL_PAGES),
      );
    })
    .catch(showError(root));
  return () => {};
}

function unassignedItem(call) {
  const number = otherNumber(call) || "";
  const item = h("li", { class: "call" });
  const tools = h("div", { class: "link-tools" });
  const linked = (contactId) =>
    fill(
      item,
      h("strong", {}, number || "unknown number"),
      ` · ${when(call.startedAt)}: linked to `,
      h("a", { href: `#/contacts/${contactId}` }, "the contact"),
      ".",
    );
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
