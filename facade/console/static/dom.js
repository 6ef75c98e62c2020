// Small DOM helpers: elements built from data, never from HTML strings (no injection).

/** An element `tag` with `props` (attributes, `on*` listeners) and `children` (nodes or text). */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

/** Make `child` what `node` holds, unless it already is: moving a subtree would take the
 * focus from a field being typed in. */
export function showOnly(node, child) {
  if (node.childNodes.length !== 1 || node.firstChild !== child) fill(node, child);
  return node;
}

/** Replace what `node` holds with `children`. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/**
 * The links between pages of a connection at `base` (a `#/...` address): back to the first
 * page when on a later one, and on to the next when there is one. `words`: [first, next].
 */
export function pager(label, base, { after, pageInfo }, words, params = {}) {
  const next = new URLSearchParams({ ...params, after: pageInfo.endCursor || "" });
  const first = new URLSearchParams(params).toString();
  return h(
    "nav",
    { class: "pages", "aria-label": label },
    after ? h("a", { href: first ? `${base}?${first}` : base }, words[0]) : null,
    pageInfo.hasNextPage ? h("a", { href: `${base}?${next}`, rel: "next" }, words[1]) : null,
  );
}

/**
 * A search screen in `root`: its heading, a search form that goes to `base?q=...`, and the
 * element (returned) where the results go.
 */
export function searchScreen(root, { title, label, id, help, base, query }) {
  const box = h("input", {
    id,
    name: "q",
    type: "search",
    value: query,
    autocomplete: "off",
    "aria-describedby": help ? `${id}-help` : null,
  });
  const form = h(
    "form",
    { class: "search", role: "search" },
    h("label", { for: id }, label),
    box,
    h("button", { type: "submit" }, "Search"),
    help ? h("p", { id: `${id}-help`, class: "help" }, help) : null,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    window.location.hash = `${base}?${new URLSearchParams({ q: box.value.trim() })}`;
  });
  const results = h("div", { class: "results", "aria-live": "polite" }, "Loading…");
  fill(root, h("h1", {}, title), form, results);
  box.focus();
  return results;
}

/** Show `error` in `node`, as an alert. */
export function showError(node) {
  return (error) => fill(node, h("p", { class: "error", role: "alert" }, error.message));
}

/** A list of terms and their values, leaving out those with no value. */
export function details(pairs) {
  const shown = pairs.filter(([, value]) => value);
  return h("dl", { class: "details" }, shown.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

/** A contact's or company's numbers, each with its extension, kind and international form. */
export function numbers(phones) {
  if (!phones.length) return h("p", {}, "No numbers.");
  return h(
    "ul",
    { class: "numbers" },
    phones.map((phone) =>
      h(
        "li",
        {},
        phone.number,
        phone.extension ? ` ext. ${phone.extension}` : "",
        ` · ${phone.kind.toLowerCase()}`,
        phone.e164 && phone.e164 !== phone.number ? ` · ${phone.e164}` : "",
      ),
    ),
  );
}

/** A person's name, or a placeholder when both parts are empty. */
export function fullName(person) {
  const name = [person.firstName, person.lastName].filter(Boolean).join(" ");
  return name || "(no name)";
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A moment (ISO 8601) in the reader's own words. */
export function when(iso) {
  return iso ? timeFormat.format(new Date(iso)) : "";
}

/** Seconds as m:ss (or h:mm:ss). */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const s = Math.max(0, Math.round(seconds));
  const parts = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const [hours, minutes, secs] = parts;
  const pad = (n) => String(n).padStart(2, "0");
  return hours ? `${hours}:${pad(minutes)}:${pad(secs)}` : `${minutes}:${pad(secs)}`;
}

/** The other party's number of a call: the caller on an inbound call, the called otherwise. */
export function otherNumber(call) {
  return call.direction === "INBOUND" ? call.fromNumber : call.toNumber;
}

export const CALL_PAGES = ["Newest calls", "Older calls"];

export const STATUS_WORDS = {
  RINGING: "ringing",
  ANSWERED: "in progress",
  COMPLETED: "completed",
  MISSED: "missed",
  BUSY: "busy",
  FAILED: "failed",
  CANCELLED: "cancelled",
  VOICEMAIL: "voicemail",
};

export const MATCH_WORDS = {
  CONTACT_NUMBER: "The number is one of this contact's own.",
  MAIN_LINE: "The number is the company's main line: the company is known, not who in it.",
  LINKED: "Linked to this contact with the call or afterwards.",
};

/** Drop the errors `showFieldErrors` put in `form`. */
export function clearFieldErrors(form) {
  for (const note of form.querySelectorAll(".field-error")) note.remove();
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    const described = (input.getAttribute("aria-describedby") || "")
      .split(" ")
      .filter((id) => id && id !== `${input.id}-error`);
    if (described.length) input.setAttribute("aria-describedby", described.join(" "));
    else input.removeAttribute("aria-describedby");
  }
}

/**
 * Show an API error in `form`, each message beside the field it names: `inputFor(field)`
 * gives the input of a GraphQL field (`email`, `phones.1.number`), or nothing; messages of
 * no known field go to `general`. The first field in error takes the focus.
 */
export function showFieldErrors(form, error, inputFor, general) {
  clearFieldErrors(form);
  const items = error.errors && error.errors.length ? error.errors : [{ message: error.message }];
  const rest = [];
  let first = null;
  for (const item of items) {
    const field = (item.extensions || {}).field;
    const input = field ? inputFor(field) : null;
    if (!input) {
      rest.push(field ? `${field}: ${item.message}` : item.message);
      continue;
    }
    const note = h("p", { class: "field-error error", id: `${input.id}-error` }, item.message);
    input.setAttribute("aria-invalid", "true");
    const described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", described ? `${described} ${note.id}` : note.id);
    input.after(note);
    first = first || input;
  }
  general.hidden = !rest.length;
  fill(general, rest.join("; "));
  if (first) first.focus();
}

/**
 * A button that asks before it acts: `label` (its accessible name `name`) turns into
 * `question` with a button that does `act` and one that takes it back.
 */
export function confirmButton(label, name, question, act) {
  const holder = h("span", { class: "confirm" });
  const ask = h("button", { type: "button", "aria-label": name, onclick: () => asking() }, label);
  const settle = () => {
    fill(holder, ask);
    ask.focus();
  };
  function asking() {
    const yes = h(
      "button",
      {
        type: "button",
        class: "danger",
        onclick: async () => {
          yes.disabled = true;
          try {
            await act();
          } catch (error) {
            fill(holder, h("span", { class: "error", role: "alert" }, error.message), " ", ask);
          }
        },
      },
      `Yes, ${label.toLowerCase()}`,
    );
    fill(
      holder,
      h("span", { role: "alert" }, question),
      " ",
      yes,
      " ",
      h("button", { type: "button", onclick: settle }, "Cancel"),
    );
    yes.focus();
  }
  return fill(holder, ask);
}

/**
 * Make `list`'s items those of `rows` (calls, each item's `data-call` its id), in order. An
 * item already there for a row is kept while `fresh(item, row)` says so (an open form, a
 * recording playing stay as they are), and items of no row stay when `keep(item)`.
 */
export function syncCalls(list, rows, build, { fresh = () => true, keep = () => false } = {}) {
  const current = [...list.children];
  const byCall = new Map(current.map((item) => [item.dataset.call, item]));
  const ids = new Set(rows.map((row) => row.id));
  const items = rows.map((row) => {
    const old = byCall.get(row.id);
    return old && fresh(old, row) ? old : build(row);
  });
  items.push(...current.filter((item) => !ids.has(item.dataset.call) && keep(item)));
  // Only what is new or out of place is inserted: an item left where it is keeps the focus.
  items.forEach((item, index) => {
    if (list.children[index] !== item) list.insertBefore(item, list.children[index] || null);
  });
  while (list.children.length > items.length) list.lastElementChild.remove();
}
