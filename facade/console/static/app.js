// The console: who is signed in, a header with the screens, and the screen the address
// names (#/calls, #/contacts, #/contacts/<id>, #/companies, #/companies/<id>,
// #/unassigned, #/users, #/api-keys, #/oauth-clients, #/ringotel, #/webhooks,
// #/webhooks/<id>). Plain ES modules, no build step.

import { graphql, signOut } from "./api.js";
import { callsScreen } from "./calls.js";
import { companiesScreen, companyScreen } from "./companies.js";
import { contactScreen, contactsScreen, newContactScreen } from "./contacts.js";
import { apiKeysScreen, oauthClientsScreen } from "./credentials.js";
import { fill, fullName, h } from "./dom.js";
import { ringotelScreen } from "./ringotel.js";
import { unassignedScreen } from "./unassigned.js";
import { usersScreen } from "./users.js";
import { webhookDeliveriesScreen, webhooksScreen } from "./webhooks.js";

const ME = "query Me { me { id firstName lastName email extension isAdmin } }";

function route(hash) {
  const [path, query] = (hash.replace(/^#/, "") || "/calls").split("?");
  return { parts: path.split("/").filter(Boolean), params: new URLSearchParams(query || "") };
}

async function start() {
  const app = document.getElementById("app");
  const { me } = await graphql(ME);
  if (!me) {
    window.location.assign("/");
    return;
  }
  const main = h("main", { id: "main", tabindex: "-1" });
  const links = [
    ["#/calls", "Live calls"],
    ["#/contacts", "Contacts"],
    ["#/companies", "Companies"],
    ["#/unassigned", "Unassigned calls"],
    ...(me.isAdmin
      ? [
          ["#/users", "Users"],
          ["#/api-keys", "API keys"],
          ["#/oauth-clients", "OAuth clients"],
          ["#/ringotel", "Ringotel"],
          ["#/webhooks", "Webhooks"],
        ]
      : []),
  ];
  const nav = h(
    "nav",
    { "aria-label": "Screens" },
    links.map(([href, words]) => h("a", { href }, words)),
  );
  fill(
    app,
    h("a", { href: "#main", class: "skip" }, "Skip to content"),
    h(
      "header",
      {},
      h("span", { class: "brand" }, "CRM"),
      nav,
      h(
        "span",
        { class: "who" },
        fullName(me),
        me.extension ? ` · ext. ${me.extension}` : "",
        me.isAdmin ? " · admin" : "",
      ),
      h("button", { type: "button", id: "sign-out", onclick: () => stop().then(signOut) }, "Sign out"),
    ),
    main,
  );
  let teardown = () => {};
  async function stop() {
    teardown();
    teardown = () => {};
  }
  function show() {
    teardown();
    const { parts, params } = route(window.location.hash);
    for (const link of nav.querySelectorAll("a")) {
      const current = window.location.hash.startsWith(link.getAttribute("href"));
      if (current) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    if (parts[0] === "contacts" && parts[1] === "new") teardown = newContactScreen(main);
    else if (parts[0] === "contacts" && parts[1]) teardown = contactScreen(main, parts[1], params);
    else if (parts[0] === "contacts") teardown = contactsScreen(main, params);
    else if (parts[0] === "companies" && parts[1]) teardown = companyScreen(main, parts[1], params);
    else if (parts[0] === "companies") teardown = companiesScreen(main, params);
    else if (parts[0] === "unassigned") teardown = unassignedScreen(main, params);
    else if (parts[0] === "users") teardown = usersScreen(main, params, me);
    else if (parts[0] === "api-keys") teardown = apiKeysScreen(main);
    else if (parts[0] === "oauth-clients") teardown = oauthClientsScreen(main);
    else if (parts[0] === "ringotel") teardown = ringotelScreen(main, params);
    else if (parts[0] === "webhooks" && parts[1]) teardown = webhookDeliveriesScreen(main, parts[1]);
    else if (parts[0] === "webhooks") teardown = webhooksScreen(main);
    else teardown = callsScreen(main, me);
  }
  window.addEventListener("hashchange", show);
  show();
}

start().catch((error) => {
  fill(document.getElementById("app"), h("p", { class: "error", role: "alert" }, error.message));
});
