// Admin: API keys and OAuth2 clients. List them (revoked ones too), create one (its secret is
// shown once, with a copy button), revoke one after a confirmation.

import { graphql } from "./api.js";
import { clearFieldErrors, confirmButton, fill, h, showError, showFieldErrors, when } from "./dom.js";

/** What each scope lets a credential do, in the words the forms show. */
export const SCOPE_WORDS = {
  ringotel: "Ringotel's hooks under /ringotel/v1/ and its webhook: all Ringotel needs, nothing else.",
  "crm:read": "GraphQL queries: read contacts, companies, calls and recordings.",
  "crm:write": "GraphQL mutations: create and change contacts, companies and calls.",
  admin: "Manage users, credentials and webhooks.",
};
const DEFAULT_SCOPES = ["ringotel", "crm:read", "crm:write"];

const KEY_FIELDS = "id name scopes createdAt revokedAt";
const CLIENT_FIELDS = "id name redirectUris scopes createdAt revokedAt";
const API_KEYS = `query ApiKeys { apiKeys { ${KEY_FIELDS} } }`;
const CLIENTS = `query OAuthClients { oauthClients { ${CLIENT_FIELDS} } }`;
const CREATE_KEY = `mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { key apiKey { ${KEY_FIELDS} } }
}`;
const CREATE_CLIENT = `mutation CreateOAuthClient($input: CreateOAuthClientInput!) {
  createOAuthClient(input: $input) { secret client { ${CLIENT_FIELDS} } }
}`;
const REVOKE_KEY = `mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`;
const REVOKE_CLIENT = `mutation RevokeOAuthClient($id: ID!) {
  revokeOAuthClient(id: $id) { id revokedAt }
}`;

/** A new API key: `{key, apiKey}`. */
export async function createApiKey(name, scopes) {
  return (await graphql(CREATE_KEY, { input: { name, scopes } })).createApiKey;
}

/** A new OAuth2 client: `{secret, client}`. */
export async function createOAuthClient(name, redirectUris, scopes) {
  return (await graphql(CREATE_CLIENT, { input: { name, redirectUris, scopes } })).createOAuthClient;
}

/** A secret shown this once: the value, ready to copy, and the warning that it will not be
 * shown again. `label` names what it is ("API key", "Client secret"). */
export function secretShown(label, value, id) {
  const box = h("input", { id, type: "text", readonly: true, value, class: "secret", spellcheck: "false" });
  const copied = h("span", { class: "copied", role: "status" });
  const copy = h(
    "button",
    {
      type: "button",
      onclick: async () => {
        box.select();
        try {
          await navigator.clipboard.writeText(value);
          fill(copied, "Copied.");
        } catch {
          fill(copied, "Selected: press Ctrl+C (⌘C) to copy.");
        }
      },
    },
    `Copy the ${label.replace(/^[A-Z](?=[a-z])/, (first) => first.toLowerCase())}`,
  );
  return h(
    "div",
    { class: "secret-shown" },
    h("label", { for: id }, label),
    h("div", { class: "secret-row" }, box, copy),
    copied,
    h("p", { class: "warning" }, "Copy it now: you will not see it again. The CRM keeps only a hash of it."),
  );
}

/** Scope checkboxes, each with what it means; `name` groups them. */
export function scopeChoices(name, checked = DEFAULT_SCOPES) {
  return h(
    "fieldset",
    { class: "scopes", id: `${name}-scopes`, tabindex: "-1" },
    h("legend", {}, "Scopes"),
    Object.entries(SCOPE_WORDS).map(([scope, words]) => {
      const id = `${name}-scope-${scope.replace(":", "-")}`;
      return h(
        "div",
        { class: "scope" },
        h("input", { type: "checkbox", id, name, value: scope, checked: checked.includes(scope) }),
        h("label", { for: id }, h("code", {}, scope), " ", h("span", { class: "help" }, words)),
      );
    }),
  );
}

function checkedScopes(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((box) => box.value);
}

function stateOf(row) {
  return row.revokedAt ? `revoked ${when(row.revokedAt)}` : "active";
}

function credentialTable(kind, rows, columns, revoke) {
  if (!rows.length) return h("p", {}, `No ${kind}s yet.`);
  const heads = ["Name", "ID", ...columns.map(([title]) => title), "Scopes", "Created", "State", ""];
  return h(
    "table",
    { class: "credentials" },
    h("thead", {}, h("tr", {}, heads.map((title) => h("th", { scope: "col" }, title)))),
    h(
      "tbody",
      {},
      rows.map((row) =>
        h(
          "tr",
          { class: row.revokedAt ? "revoked" : null },
          h("td", { "data-label": "Name" }, row.name),
          h("td", { "data-label": "ID" }, h("code", {}, row.id)),
          columns.map(([title, value]) => h("td", { "data-label": title }, value(row))),
          h("td", { "data-label": "Scopes" }, row.scopes.join(" ")),
          h("td", { "data-label": "Created" }, when(row.createdAt)),
          h("td", { "data-label": "State" }, stateOf(row)),
          h(
            "td",
            {},
            row.revokedAt
              ? ""
              : confirmButton(
                  "Revoke",
                  `Revoke ${row.name}`,
                  `Revoke ${row.name}? Whatever uses it is refused at once.`,
                  () => revoke(row),
                ),
          ),
        ),
      ),
    ),
  );
}

/** A create form: `fields` (nodes), scope choices, and `create(form)` giving what to show. */
function createForm({ label, prefix, fields, create, fieldIds }) {
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "create-credential", "aria-label": label },
    h("h2", {}, label),
    fields,
    scopeChoices(`${prefix}-scope`),
    problem,
    h("button", { type: "submit" }, label),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    problem.hidden = true;
    try {
      await create(form, checkedScopes(form, `${prefix}-scope`));
    } catch (error) {
      const inputFor = (field) => {
        const id = fieldIds(field);
        return id ? form.querySelector(`#${id}`) : null;
      };
      showFieldErrors(form, error, inputFor, problem);
    }
  });
  return form;
}

function nameField(prefix) {
  return [
    h("label", { for: `${prefix}-name` }, "Name"),
    h("input", { id: `${prefix}-name`, name: "name", autocomplete: "off", required: true, maxlength: 200 }),
  ];
}

/** The API keys screen (admins only: the API refuses anyone else). */
export function apiKeysScreen(root) {
  const shown = h("div", { class: "shown", "aria-live": "polite" });
  const list = h("div", {}, "Loading…");
  async function reload() {
    const { apiKeys } = await graphql(API_KEYS);
    fill(
      list,
      credentialTable("API key", apiKeys, [], async (row) => {
        await graphql(REVOKE_KEY, { id: row.id });
        await reload();
      }),
    );
  }
  const form = createForm({
    label: "Create an API key",
    prefix: "key",
    fields: nameField("key"),
    fieldIds: (field) => ({ name: "key-name", scopes: "key-scope-scopes" })[field],
    create: async (form, scopes) => {
      const made = await createApiKey(form.elements.namedItem("name").value, scopes);
      form.reset();
      fill(
        shown,
        h("h2", {}, `API key “${made.apiKey.name}” created`),
        secretShown("API key", made.key, "new-api-key"),
        h("p", {}, "Send it as ", h("code", {}, "Authorization: Bearer <the key>"), "."),
      );
      await reload();
      shown.querySelector("input").focus();
    },
  });
  fill(
    root,
    h("h1", {}, "API keys"),
    h("p", {}, "A key is a Bearer token for the REST facade, GraphQL or Ringotel's webhook."),
    shown,
    list,
    form,
  );
  reload().catch(showError(list));
  return () => {};
}

/** The OAuth clients screen (admins only). */
export function oauthClientsScreen(root) {
  const shown = h("div", { class: "shown", "aria-live": "polite" });
  const list = h("div", {}, "Loading…");
  async function reload() {
    const { oauthClients } = await graphql(CLIENTS);
    const uris = (row) => (row.redirectUris.length ? row.redirectUris.join(" ") : "—");
    fill(
      list,
      credentialTable("OAuth client", oauthClients, [["Redirect URIs", uris]], async (row) => {
        await graphql(REVOKE_CLIENT, { id: row.id });
        await reload();
      }),
    );
  }
  const form = createForm({
    label: "Create an OAuth client",
    prefix: "client",
    fields: [
      nameField("client"),
      h("label", { for: "client-uris" }, "Redirect URIs"),
      h("textarea", { id: "client-uris", name: "uris", rows: 2, "aria-describedby": "client-uris-help" }),
      h(
        "p",
        { id: "client-uris-help", class: "help" },
        "One per line, matched exactly; only for the authorization-code flow (Ringotel's OAuth2 mode). ",
        "Leave empty for client credentials and Basic.",
      ),
    ],
    fieldIds: (field) =>
      field.startsWith("redirectUris") ? "client-uris" : { name: "client-name", scopes: "client-scope-scopes" }[field],
    create: async (form, scopes) => {
      const uris = form.elements
        .namedItem("uris")
        .value.split("\n")
        .map((uri) => uri.trim())
        .filter(Boolean);
      const made = await createOAuthClient(form.elements.namedItem("name").value, uris, scopes);
      form.reset();
      fill(shown, h("h2", {}, `OAuth client “${made.client.name}” created`), clientShown(made));
      await reload();
      shown.querySelector("input").focus();
    },
  });
  fill(
    root,
    h("h1", {}, "OAuth clients"),
    h(
      "p",
      {},
      "A client gets access tokens at /oauth/token (client credentials, or a person's consent), ",
      "and its id and secret also serve as HTTP Basic credentials.",
    ),
    shown,
    list,
    form,
  );
  reload().catch(showError(list));
  return () => {};
}

/** A new client's id and secret, the secret shown once. */
export function clientShown(made) {
  return [
    h("dl", { class: "details" }, h("dt", {}, "Client ID"), h("dd", {}, h("code", { class: "client-id" }, made.client.id))),
    secretShown("Client secret", made.secret, "new-client-secret"),
  ];
}
