// Admin: connect Ringotel. Pick the auth mode, create its credential with the `ringotel` scope,
// download the integration JSON for that mode, and read what to type into each field of
// Ringotel's admin portal, the values filled in; then the Webhook integration beside it.
//
// The integration JSON is the document the CRM serves at /ringotel/integration.json (built
// from the REST facade's own routes, holding no secret); the page reads it for the values it
// shows, so what it says and what Ringotel loads are the same.

import { clientShown, createApiKey, createOAuthClient, secretShown } from "./credentials.js";
import { clearFieldErrors, fill, h, showError, showFieldErrors } from "./dom.js";

const MODES = {
  bearer: {
    title: "Bearer: an API key",
    help: "The simplest: one key, sent as a Bearer token.",
    credential: "API key",
  },
  basic: {
    title: "Basic: a client's id and secret",
    help: "An OAuth client whose id and secret are the user name and password.",
    credential: "OAuth client",
  },
  oauth2: {
    title: "OAuth2: Ringotel signs in through the CRM",
    help: "An OAuth client with Ringotel's callback URL; a CRM user allows access once.",
    credential: "OAuth client",
  },
};

/** Which credential value each placeholder of the document's auth block takes. */
const FILLED_BY = {
  token: "key",
  username: "clientId",
  password: "secret",
  client_id: "clientId",
  client_secret: "secret",
};

export function documentUrl(mode) {
  return `/ringotel/integration.json?auth=${mode}`;
}

async function integration(mode) {
  const response = await fetch(documentUrl(mode), { credentials: "same-origin" });
  if (!response.ok) throw new Error(`the integration JSON did not load (${response.status})`);
  return response.json();
}

/** The document's form fields, each with the credential value it takes. */
function portalFields(spec, made) {
  const auth = spec.auth || spec.OAuth2 || {};
  const byLabel = {};
  for (const [key, value] of Object.entries(auth)) {
    const label = typeof value === "string" && /^\$(.+)\$$/.exec(value);
    if (label && FILLED_BY[key]) byLabel[label[1]] = FILLED_BY[key];
  }
  return spec.properties.map((label) => [label, made ? made[byLabel[label]] : null]);
}

/** The Ringotel page (admins only). `params`: auth (the mode). */
export function ringotelScreen(root, params) {
  const mode = MODES[params.get("auth")] ? params.get("auth") : "bearer";
  fill(root, h("h1", {}, "Connecting Ringotel"), h("p", {}, "Loading…"));
  integration(mode)
    .then((spec) => {
      fill(root, page(mode, spec));
      // A mode picked with the keyboard keeps the focus on its choice.
      if (params.has("auth")) root.querySelector(`#auth-${mode}`).focus();
    })
    .catch(showError(root));
  return () => {};
}

function page(mode, spec) {
  const fields = h("div", { class: "portal-fields" }, fieldTable(portalFields(spec, null)));
  const created = h("div", { class: "shown", "aria-live": "polite" });
  const made = (values, shown) => {
    fill(created, shown);
    fill(fields, fieldTable(portalFields(spec, values)));
    created.querySelector("input").focus();
  };
  return [
    h("h1", {}, "Connecting Ringotel"),
    h(
      "p",
      {},
      "Ringotel calls this CRM at ",
      h("code", {}, spec.url),
      " (CRM_PUBLIC_URL), over HTTPS in production, with a credential holding the ",
      h("code", {}, "ringotel"),
      " scope: every hook, and no other API.",
    ),
    modeChoice(mode),
    h("h2", {}, `1. Create the ${MODES[mode].credential}`),
    credentialForm(mode, made),
    created,
    h("h2", {}, "2. Download the integration JSON"),
    h(
      "p",
      {},
      h(
        "a",
        { href: documentUrl(mode), download: `ringotel-${mode}.json`, class: "download" },
        `Download the integration JSON (${mode})`,
      ),
      " — the same document as ",
      h("code", {}, `crm ringotel-json --auth ${mode}`),
      "; it holds no secret.",
    ),
    h("h2", {}, "3. In Ringotel's admin portal"),
    h(
      "ol",
      {},
      h("li", {}, "Add a CRM integration and give it the downloaded document."),
      h("li", {}, `Ringotel shows “${spec.name}” and asks for these fields:`),
    ),
    fields,
    mode === "oauth2" ? oauthSteps(spec) : null,
    h(
      "p",
      {},
      "Ringotel then calls Users to map its users onto CRM users (by extension), and the other ",
      "hooks during calls.",
    ),
    webhookSection(spec),
  ];
}

function modeChoice(current) {
  return h(
    "fieldset",
    { class: "modes" },
    h("legend", {}, "How Ringotel authenticates"),
    Object.entries(MODES).map(([mode, words]) =>
      h(
        "div",
        { class: "mode" },
        h("input", {
          type: "radio",
          name: "auth",
          id: `auth-${mode}`,
          value: mode,
          checked: mode === current,
          onchange: () => {
            window.location.hash = `#/ringotel?auth=${mode}`;
          },
        }),
        h("label", { for: `auth-${mode}` }, words.title, " ", h("span", { class: "help" }, words.help)),
      ),
    ),
  );
}

function fieldTable(rows) {
  return h(
    "table",
    { class: "fields" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Field"), h("th", { scope: "col" }, "What to type"))),
    h(
      "tbody",
      {},
      rows.map(([label, value]) =>
        h(
          "tr",
          {},
          h("th", { scope: "row" }, label),
          h("td", {}, value ? h("code", {}, value) : h("span", { class: "help" }, "created in step 1")),
        ),
      ),
    ),
  );
}

function credentialForm(mode, made) {
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "create-credential", "aria-label": `Create the ${MODES[mode].credential}` },
    h("label", { for: "ringotel-name" }, "Name"),
    h("input", { id: "ringotel-name", name: "name", value: "Ringotel", required: true, maxlength: 200 }),
    mode === "oauth2"
      ? [
          h("label", { for: "ringotel-callback" }, "Ringotel's callback URL"),
          h("input", {
            id: "ringotel-callback",
            name: "callback",
            type: "url",
            required: true,
            "aria-describedby": "ringotel-callback-help",
          }),
          h(
            "p",
            { id: "ringotel-callback-help", class: "help" },
            "The redirect URI Ringotel's portal shows for the OAuth2 sign-in; matched exactly.",
          ),
        ]
      : null,
    h("p", { class: "help" }, "Scope: ", h("code", {}, "ringotel"), " alone."),
    problem,
    h("button", { type: "submit" }, `Create the ${MODES[mode].credential}`),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    problem.hidden = true;
    const name = form.elements.namedItem("name").value;
    try {
      if (mode === "bearer") {
        const key = await createApiKey(name, ["ringotel"]);
        made({ key: key.key }, secretShown("API key", key.key, "new-api-key"));
      } else {
        const uris = mode === "oauth2" ? [form.elements.namedItem("callback").value.trim()] : [];
        const client = await createOAuthClient(name, uris, ["ringotel"]);
        made({ clientId: client.client.id, secret: client.secret }, clientShown(client));
      }
    } catch (error) {
      const ids = { name: "ringotel-name", "redirectUris.0": "ringotel-callback" };
      showFieldErrors(form, error, (field) => form.querySelector(`#${ids[field]}`), problem);
    }
  });
  return form;
}

function oauthSteps(spec) {
  const oauth = spec.OAuth2;
  return h(
    "p",
    {},
    "Ringotel then sends you to ",
    h("code", {}, oauth.authorization_endpoint),
    " to sign in as a CRM user and allow it the ",
    h("code", {}, "ringotel"),
    " scope; it gets its tokens from ",
    h("code", {}, oauth.token_endpoint),
    ".",
  );
}

function webhookSection(spec) {
  const shown = h("div", { class: "shown", "aria-live": "polite" });
  const token = h("td", {}, h("span", { class: "help" }, "an API key with the ringotel scope"));
  const create = h(
    "button",
    {
      type: "button",
      onclick: async () => {
        try {
          const key = await createApiKey("Ringotel webhook", ["ringotel"]);
          fill(shown, secretShown("Webhook API token", key.key, "new-webhook-key"));
          fill(token, h("code", {}, key.key));
          shown.querySelector("input").focus();
        } catch (error) {
          fill(shown, h("p", { class: "error", role: "alert" }, error.message));
        }
      },
    },
    "Create a key for the webhook",
  );
  return h(
    "section",
    { "aria-labelledby": "webhook-heading" },
    h("h2", { id: "webhook-heading" }, "Ringotel's Webhook integration (real time)"),
    h(
      "p",
      {},
      "Beside the JSON framework, Ringotel can report each call as it starts and ends. Both log ",
      "the same call once, keyed by Ringotel's call id. In the admin portal: Organization → ",
      "Integrations → Webhook → Enable Integration, then:",
    ),
    h(
      "table",
      { class: "fields" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Field"), h("th", { scope: "col" }, "What to type"))),
      h(
        "tbody",
        {},
        h("tr", {}, h("th", { scope: "row" }, "Webhook URL"), h("td", {}, h("code", {}, `${spec.url}/ringotel/webhook`))),
        h("tr", {}, h("th", { scope: "row" }, "API token"), token),
      ),
    ),
    h("p", {}, create, " (or use the Bearer mode's key)."),
    shown,
  );
}
