// Admin: outbound webhook endpoints (create with the secret shown once, pause, rotate the
// secret, delete) and, per endpoint, its deliveries with every attempt; replay a failed one.

import { graphql } from "./api.js";
import { fill, h, showError } from "./dom.js";

const ENDPOINT_FIELDS = "id url description eventTypes enabled oldSecretSignsUntil";
const ENDPOINTS = `query WebhookEndpoints {
  webhookEndpoints { ${ENDPOINT_FIELDS} }
  __type(name: "WebhookEventType") { enumValues { name } }
}`;
const CREATE = `mutation CreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { secret endpoint { id url } }
}`;
const SET_ENABLED = `mutation SetWebhookEnabled($id: ID!, $enabled: Boolean!) {
  updateWebhookEndpoint(id: $id, input: {enabled: $enabled}) { id enabled }
}`;
const ROTATE = `mutation RotateWebhookSecret($id: ID!) {
  rotateWebhookSecret(id: $id) { secret endpoint { id url oldSecretSignsUntil } }
}`;
const DELETE = `mutation DeleteWebhookEndpoint($id: ID!) { deleteWebhookEndpoint(id: $id) }`;
const DELIVERIES = `query WebhookDeliveries($endpointId: ID!) {
  webhookEndpoints { id url }
  webhookDeliveries(endpointId: $endpointId, first: 100) {
    id webhookId eventType state attemptCount nextAttemptAt deliveredAt lastError createdAt
    attempts { at statusCode latencyMs error responseExcerpt }
  }
}`;
const REPLAY = `mutation ReplayWebhookDelivery($id: ID!) {
  retryWebhookDelivery(id: $id) { id state }
}`;

/** `CALL_STARTED` as the payload's `type` has it: `call.started`. */
function eventName(value) {
  return value.toLowerCase().replace("_", ".");
}

function when(moment) {
  return moment ? new Date(moment).toLocaleString() : "";
}

function table(className, label, headings, rows) {
  return h(
    "table",
    { class: `webhooks ${className}`, "aria-label": label },
    h("thead", {}, h("tr", {}, headings.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows),
  );
}

/** Where a secret is shown, the once it is given. */
function secretNotice() {
  return h("div", { class: "secret-shown", role: "status", "aria-live": "polite" });
}

function showSecret(notice, url, secret, rotated) {
  fill(
    notice,
    h("p", {}, rotated ? `New signing secret of ${url}` : `Signing secret of ${url}`, " (shown only now; copy it):"),
    h("code", { class: "secret" }, secret),
    rotated ? h("p", { class: "note" }, "The old secret keeps signing too for 24 hours.") : null,
  );
}

/** The endpoints screen (admins only: the API refuses anyone else). */
export function webhooksScreen(root) {
  const notice = secretNotice();
  fill(root, h("h1", {}, "Webhooks"), notice, h("p", {}, "Loading…"));
  const reload = () => load(root, notice);
  reload();
  return () => {};
}

function load(root, notice) {
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const act = (work) => async () => {
    try {
      await work();
      load(root, notice);
    } catch (error) {
      problem.hidden = false;
      fill(problem, error.message);
    }
  };
  graphql(ENDPOINTS)
    .then(({ webhookEndpoints, __type }) =>
      fill(
        root,
        h("h1", {}, "Webhooks"),
        notice,
        problem,
        webhookEndpoints.length
          ? table(
              "endpoints",
              "Webhook endpoints",
              ["URL", "Events", "State", ""],
              webhookEndpoints.map((endpoint) => endpointRow(endpoint, notice, act)),
            )
          : h("p", {}, "No endpoints yet."),
        createForm(
          __type.enumValues.map((value) => value.name),
          notice,
          () => load(root, notice),
        ),
      ),
    )
    .catch(showError(root));
}

function endpointRow(endpoint, notice, act) {
  const button = (words, label, onclick) =>
    h("button", { type: "button", "aria-label": `${label} ${endpoint.url}`, onclick }, words);
  const state = endpoint.enabled ? "active" : "paused";
  return h(
    "tr",
    {},
    h(
      "td",
      {},
      h("a", { href: `#/webhooks/${encodeURIComponent(endpoint.id)}` }, endpoint.url),
      endpoint.description ? h("div", { class: "note" }, endpoint.description) : null,
    ),
    h("td", {}, endpoint.eventTypes.map(eventName).join(", ")),
    h(
      "td",
      {},
      state,
      endpoint.oldSecretSignsUntil
        ? h("div", { class: "note" }, `old secret signs until ${when(endpoint.oldSecretSignsUntil)}`)
        : null,
    ),
    h(
      "td",
      { class: "row-actions" },
      button(
        endpoint.enabled ? "Pause" : "Resume",
        endpoint.enabled ? "Pause" : "Resume",
        act(() => graphql(SET_ENABLED, { id: endpoint.id, enabled: !endpoint.enabled })),
      ),
      button(
        "Rotate secret",
        "Rotate the secret of",
        act(async () => {
          const { rotateWebhookSecret } = await graphql(ROTATE, { id: endpoint.id });
          showSecret(notice, endpoint.url, rotateWebhookSecret.secret, true);
        }),
      ),
      button(
        "Delete",
        "Delete",
        act(async () => {
          if (!window.confirm(`Delete ${endpoint.url} and its undelivered webhooks?`)) return;
          await graphql(DELETE, { id: endpoint.id });
          fill(notice);
        }),
      ),
    ),
  );
}

function createForm(eventTypes, notice, reload) {
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "create-webhook", "aria-label": "Create a webhook endpoint" },
    h("h2", {}, "New endpoint"),
    h("label", { for: "webhook-url" }, "URL"),
    h("input", { id: "webhook-url", name: "url", type: "url", required: true, autocomplete: "off" }),
    h("label", { for: "webhook-description" }, "Description"),
    h("input", { id: "webhook-description", name: "description", autocomplete: "off" }),
    h(
      "fieldset",
      {},
      h("legend", {}, "Events"),
      eventTypes.map((value) =>
        h("label", {}, h("input", { type: "checkbox", name: "eventTypes", value }), " ", eventName(value)),
      ),
    ),
    problem,
    h("button", { type: "submit" }, "Create endpoint"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const checked = [...form.querySelectorAll("input[name=eventTypes]:checked")];
    const input = {
      url: form.elements.namedItem("url").value.trim(),
      description: form.elements.namedItem("description").value.trim() || null,
      eventTypes: checked.map((box) => box.value),
    };
    try {
      const { createWebhookEndpoint } = await graphql(CREATE, { input });
      showSecret(notice, createWebhookEndpoint.endpoint.url, createWebhookEndpoint.secret, false);
      reload();
    } catch (error) {
      problem.hidden = false;
      fill(problem, error.message);
    }
  });
  return form;
}

/** One endpoint's deliveries, newest first, each with its attempts. */
export function webhookDeliveriesScreen(root, endpointId) {
  fill(root, h("h1", {}, "Webhook deliveries"), h("p", {}, "Loading…"));
  const reload = () => webhookDeliveriesScreen(root, endpointId);
  graphql(DELIVERIES, { endpointId })
    .then(({ webhookEndpoints, webhookDeliveries }) => {
      const endpoint = webhookEndpoints.find((found) => found.id === endpointId);
      fill(
        root,
        h("h1", {}, "Webhook deliveries"),
        h("p", {}, h("a", { href: "#/webhooks" }, "All endpoints"), endpoint ? ` · ${endpoint.url}` : ""),
        h("button", { type: "button", onclick: reload }, "Refresh"),
        webhookDeliveries.length
          ? h("ol", { class: "deliveries" }, webhookDeliveries.map((delivery) => deliveryItem(delivery, reload)))
          : h("p", {}, "Nothing sent yet."),
      );
    })
    .catch(showError(root));
  return () => {};
}

function deliveryItem(delivery, reload) {
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const replay =
    delivery.state === "FAILED"
      ? h(
          "button",
          {
            type: "button",
            "aria-label": `Replay ${delivery.webhookId}`,
            onclick: async () => {
              try {
                await graphql(REPLAY, { id: delivery.id });
                reload();
              } catch (error) {
                problem.hidden = false;
                fill(problem, error.message);
              }
            },
          },
          "Replay",
        )
      : null;
  const status =
    delivery.state === "DELIVERED"
      ? `delivered ${when(delivery.deliveredAt)}`
      : delivery.state === "PENDING" && delivery.nextAttemptAt
        ? `next attempt ${when(delivery.nextAttemptAt)}`
        : "";
  return h(
    "li",
    { class: "delivery", "aria-label": `${eventName(delivery.eventType)} ${delivery.webhookId}` },
    h("h2", {}, eventName(delivery.eventType), " ", h("span", { class: `state ${delivery.state.toLowerCase()}` }, delivery.state)),
    h("p", { class: "note" }, `${delivery.webhookId} · recorded ${when(delivery.createdAt)} `, status),
    replay,
    problem,
    delivery.attempts.length
      ? table(
          "attempts",
          `Attempts of ${delivery.webhookId}`,
          ["Time", "Status", "Latency", "Error"],
          delivery.attempts.map((attempt) =>
            h(
              "tr",
              {},
              h("td", {}, when(attempt.at)),
              h("td", {}, attempt.statusCode === null ? "no answer" : String(attempt.statusCode)),
              h("td", {}, `${attempt.latencyMs} ms`),
              h("td", { class: "excerpt" }, attempt.error || "", attempt.responseExcerpt ? h("div", { class: "note" }, attempt.responseExcerpt) : null),
            ),
          ),
        )
      : h("p", { class: "note" }, "No attempt yet."),
  );
}
