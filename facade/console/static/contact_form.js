// A contact's form: names, email, job title, company and the numbers (add, change the kind,
// remove), for a new contact or to change one. Errors are shown beside the field they name.

import { graphql } from "./api.js";
import { clearFieldErrors, fill, h, showFieldErrors } from "./dom.js";

const RESULT = "id firstName lastName email jobTitle company { id name } phones { number e164 kind }";
const CREATE = `mutation CreateContact($input: CreateContactInput!) {
  createContact(input: $input) { contact { ${RESULT} } }
}`;
const UPDATE = `mutation UpdateContact($id: ID!, $input: UpdateContactInput!) {
  updateContact(id: $id, input: $input) { ${RESULT} }
}`;

const KINDS = ["WORK", "MOBILE", "HOME", "OTHER", "FAX"];
const TEXT_FIELDS = [
  ["firstName", "First name", {}],
  ["lastName", "Last name", {}],
  ["email", "Email", { type: "email" }],
  ["jobTitle", "Job title", {}],
];

let rowsMade = 0;

function phoneRow(phone, list) {
  rowsMade += 1;
  const id = `contact-phone-${rowsMade}`;
  const kinds = phone.kind && !KINDS.includes(phone.kind) ? [...KINDS, phone.kind] : KINDS;
  const row = h(
    "li",
    { class: "phone-row" },
    h(
      "div",
      {},
      h("label", { for: id, class: "visually-hidden" }, "Number"),
      h("input", { id, class: "phone-number", value: phone.number || "", inputmode: "tel", autocomplete: "off" }),
    ),
    h("label", { for: `${id}-kind`, class: "visually-hidden" }, "Kind"),
    h(
      "select",
      { id: `${id}-kind`, class: "phone-kind" },
      kinds.map((kind) => h("option", { value: kind, selected: kind === (phone.kind || "WORK") }, kind.toLowerCase())),
    ),
    h(
      "button",
      {
        type: "button",
        class: "remove-phone",
        onclick: () => {
          row.remove();
          list.dispatchEvent(new Event("change"));
        },
      },
      "Remove",
    ),
  );
  return row;
}

/**
 * The form for `contact` (null: a new one). `saved(contact)` is called with what the API
 * answered; `cancel`, when given, adds a button that leaves the form.
 */
export function contactForm(contact, saved, cancel) {
  const prefix = contact ? "contact" : "new-contact";
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const list = h("ul", { class: "phone-rows" });
  for (const phone of contact ? contact.phones : [{}]) list.append(phoneRow(phone, list));
  const field = ([name, label, props]) => [
    h("label", { for: `${prefix}-${name}` }, label),
    h("input", {
      id: `${prefix}-${name}`,
      name,
      autocomplete: "off",
      value: contact ? contact[name] || "" : "",
      ...props,
    }),
  ];
  const company = contact && contact.company ? contact.company.name : "";
  const form = h(
    "form",
    { class: "edit-contact", novalidate: true, "aria-label": contact ? "Edit the contact" : "New contact" },
    TEXT_FIELDS.map(field),
    h("label", { for: `${prefix}-companyName` }, "Company"),
    h("input", {
      id: `${prefix}-companyName`,
      name: "companyName",
      value: company,
      autocomplete: "off",
      "aria-describedby": `${prefix}-company-help`,
    }),
    h("p", { id: `${prefix}-company-help`, class: "help" }, "A company's name; a new name creates the company."),
    h(
      "fieldset",
      { class: "phones" },
      h("legend", {}, "Numbers"),
      h("p", { class: "help" }, "In any format: +44 20 7946 0018, (212) 555-0134 x12, 00 49 30 901820."),
      list,
      h("button", { type: "button", onclick: () => add() }, "Add a number"),
    ),
    problem,
    h(
      "div",
      { class: "page-actions" },
      h("button", { type: "submit" }, contact ? "Save" : "Create contact"),
      cancel ? h("button", { type: "button", onclick: cancel }, "Cancel") : null,
    ),
  );
  function add() {
    const row = phoneRow({}, list);
    list.append(row);
    row.querySelector("input").focus();
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    problem.hidden = true;
    const value = (name) => form.elements.namedItem(name).value.trim() || null;
    const input = {};
    for (const [name] of TEXT_FIELDS) input[name] = value(name);
    if (!contact || (value("companyName") || "") !== company) input.companyName = value("companyName");
    const rows = [...list.children].filter((row) => row.querySelector(".phone-number").value.trim());
    input.phones = rows.map((row) => ({
      number: row.querySelector(".phone-number").value.trim(),
      kind: row.querySelector(".phone-kind").value,
    }));
    const inputFor = (name) => {
      const phone = /^phones\.(\d+)(?:\.(\w+))?$/.exec(name);
      if (phone) {
        const row = rows[Number(phone[1])];
        return row ? row.querySelector(phone[2] === "kind" ? ".phone-kind" : ".phone-number") : null;
      }
      if (name === "companyId" || name === "companyName") return form.querySelector(`#${prefix}-companyName`);
      const known = TEXT_FIELDS.some(([field]) => field === name);
      return known ? form.querySelector(`#${prefix}-${name}`) : null;
    };
    try {
      const data = contact
        ? (await graphql(UPDATE, { id: contact.id, input })).updateContact
        : (await graphql(CREATE, { input })).createContact.contact;
      saved(data);
    } catch (error) {
      showFieldErrors(form, error, inputFor, problem);
    }
  });
  return form;
}
