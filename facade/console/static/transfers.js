// Import and export of a list screen (contacts, companies) as CSV files, in the format of
// `crm import` and `crm export`. The files go up and down over plain HTTP (a download is a
// link to this server); the import then runs in the server, and its progress is read
// through GraphQL until it ends.

import { graphql } from "./api.js";
import { fill, h } from "./dom.js";

const POLL_MS = 500;

const JOB_FIELDS = "id status fileName total done imported merged rejected error rejectsUrl";

const JOB = `query ImportJob($id: ID!) { importJob(id: $id) { ${JOB_FIELDS} } }`;

const LATEST = `query LatestImport($kind: ImportKind) {
  importJobs(kind: $kind, first: 1) { ${JOB_FIELDS} }
}`;

/**
 * The export link and the import form of `noun` ("contacts", "companies"); `onImported` is
 * called when an import ends, so the screen shows what came in. Returns the element and
 * the function that stops watching an import (when the screen is left).
 */
export function transferPanel(noun, onImported) {
  let timer = null;
  let stopped = false;
  const status = h("div", { class: "import-status", "aria-live": "polite" });
  const file = h("input", { id: `import-${noun}`, name: "file", type: "file", accept: ".csv,text/csv", required: true });
  const button = h("button", { type: "submit" }, "Start the import");
  const form = h(
    "form",
    { class: "import", "aria-label": `Import ${noun}` },
    h("label", { for: `import-${noun}` }, `Import ${noun} from a CSV file`),
    file,
    button,
  );

  function show(job) {
    if (job.status === "RUNNING") {
      fill(
        status,
        h("progress", { max: Math.max(job.total, 1), value: job.done, "aria-label": "Import progress" }),
        h("span", { class: "progress-text" }, ` Importing ${job.fileName}: ${job.done} of ${job.total} rows`),
      );
      return;
    }
    if (job.status === "FAILED") {
      fill(status, h("p", { class: "error", role: "alert" }, `The import of ${job.fileName} failed: ${job.error}`));
      return;
    }
    fill(
      status,
      h(
        "p",
        { class: "import-summary" },
        `${job.fileName}: ${job.imported} imported, ${job.merged} merged, ${job.rejected} rejected.`,
      ),
      job.rejected
        ? h("p", {}, h("a", { href: job.rejectsUrl, download: "" }, "Download the rejected rows"))
        : null,
    );
  }

  async function watch(id) {
    if (stopped) return;
    let job;
    try {
      ({ importJob: job } = await graphql(JOB, { id }));
    } catch (error) {
      fill(status, h("p", { class: "error", role: "alert" }, error.message));
      button.disabled = false;
      return;
    }
    if (stopped) return;
    show(job);
    if (job.status === "RUNNING") {
      timer = setTimeout(() => watch(id), POLL_MS);
      return;
    }
    button.disabled = false;
    onImported();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!file.files.length) return;
    const body = new FormData();
    body.append("file", file.files[0]);
    button.disabled = true;
    fill(status, h("p", {}, `Sending ${file.files[0].name}…`));
    try {
      const response = await fetch(`/import/${noun}`, {
        method: "POST",
        credentials: "same-origin",
        // The header proves the request comes from the console (see facade/auth/session.py).
        headers: { "X-CRM-Console": "1" },
        body,
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) {
        fill(status, h("p", { class: "error", role: "alert" }, answer.message || `The upload failed (${response.status}).`));
        button.disabled = false;
        return;
      }
      form.reset();
      watch(answer.id);
    } catch (error) {
      fill(status, h("p", { class: "error", role: "alert" }, error.message));
      button.disabled = false;
    }
  });

  // An import already running (started here earlier, or by someone else) is shown as well.
  graphql(LATEST, { kind: noun.toUpperCase() })
    .then(({ importJobs }) => {
      if (importJobs.length && importJobs[0].status === "RUNNING") {
        button.disabled = true;
        watch(importJobs[0].id);
      }
    })
    .catch(() => {});

  const panel = h(
    "section",
    { class: "transfers", "aria-label": `Import and export ${noun}` },
    h("p", {}, h("a", { href: `/export/${noun}`, download: "" }, `Export ${noun} (CSV)`)),
    form,
    status,
  );
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
  };
  return { panel, stop };
}
