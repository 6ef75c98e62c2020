// Admin: the CRM users with their extensions; create one, deactivate or reactivate one.

import { graphql } from "./api.js";
import { fill, fullName, h, pager, showError } from "./dom.js";

const PAGE_SIZE = 50;
const USERS = `query Users($first: Int, $after: String) {
  users(first: $first, after: $after) {
    nodes { id email firstName lastName extension isActive isAdmin }
    pageInfo { endCursor hasNextPage }
  }
}`;
const CREATE = `mutation CreateUser($input: CreateUserInput!) { createUser(input: $input) { id } }`;
const SET_ACTIVE = `mutation SetUserActive($id: ID!, $active: Boolean!) {
  updateUser(id: $id, input: {isActive: $active}) { id isActive }
}`;

/** The users screen (admins only: the API refuses anyone else). `params`: after. */
export function usersScreen(root, params, me) {
  const after = params.get("after");
  fill(root, h("h1", {}, "Users"), h("p", {}, "Loading…"));
  const reload = () => usersScreen(root, params, me);
  graphql(USERS, { first: PAGE_SIZE, after })
    .then(({ users }) =>
      fill(
        root,
        h("h1", {}, "Users"),
        h(
          "table",
          { class: "users" },
          h("thead", {}, h("tr", {}, ["Name", "Email", "Extension", "Role", "State", ""].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, users.nodes.map((user) => userRow(user, me, reload))),
        ),
        pager("Pages of users", "#/users", { after, pageInfo: users.pageInfo }, ["First page", "Next page"]),
        createForm(reload),
      ),
    )
    .catch(showError(root));
  return () => {};
}

function userRow(user, me, reload) {
  const toggle =
    user.id === me.id
      ? ""
      : h(
          "button",
          {
            type: "button",
            "aria-label": `${user.isActive ? "Deactivate" : "Reactivate"} ${user.email}`,
            onclick: async () => {
              await graphql(SET_ACTIVE, { id: user.id, active: !user.isActive });
              reload();
            },
          },
          user.isActive ? "Deactivate" : "Reactivate",
        );
  return h(
    "tr",
    {},
    h("td", {}, fullName(user)),
    h("td", {}, user.email),
    h("td", {}, user.extension || ""),
    h("td", {}, user.isAdmin ? "admin" : "agent"),
    h("td", {}, user.isActive ? "active" : "deactivated"),
    h("td", {}, toggle),
  );
}

function createForm(reload) {
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const field = (name, label, props = {}) => [
    h("label", { for: `user-${name}` }, label),
    h("input", { id: `user-${name}`, name, autocomplete: "off", ...props }),
  ];
  const form = h(
    "form",
    { class: "create-user", "aria-label": "Create a user" },
    h("h2", {}, "New user"),
    field("email", "Email", { type: "email", required: true }),
    field("password", "Password", { type: "password", required: true, autocomplete: "new-password" }),
    field("firstName", "First name"),
    field("lastName", "Last name"),
    field("extension", "Extension", { inputmode: "numeric" }),
    h("label", {}, h("input", { type: "checkbox", name: "isAdmin" }), " Admin"),
    problem,
    h("button", { type: "submit" }, "Create user"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = (name) => form.elements.namedItem(name).value.trim() || null;
    const input = {
      email: value("email"),
      password: form.elements.namedItem("password").value,
      firstName: value("firstName"),
      lastName: value("lastName"),
      extension: value("extension"),
      isAdmin: form.elements.namedItem("isAdmin").checked,
    };
    try {
      await graphql(CREATE, { input });
      reload();
    } catch (error) {
      problem.hidden = false;
      fill(problem, error.message);
    }
  });
  return form;
}
