// Companies: search by name, pages of results, and a company's page with its details,
// numbers and contacts.

import { graphql } from "./api.js";
import { details, fill, fullName, h, numbers, pager, searchScreen, showError } from "./dom.js";
import { transferPanel } from "./transfers.js";

const PAGE_SIZE = 20;

const COMPANIES = `query SearchCompanies($text: String, $first: Int, $after: String) {
  companies(filter: {text: $text}, first: $first, after: $after) {
    nodes { id name website phones { number } }
    pageInfo { endCursor hasNextPage }
  }
}`;

const COMPANY = `query CompanyPage($id: ID!, $first: Int, $after: String) {
  company(id: $id) {
    id name website address owner { firstName lastName }
    phones { number e164 kind extension }
    contacts(first: $first, after: $after) {
      nodes { id firstName lastName jobTitle email }
      pageInfo { endCursor hasNextPage }
    }
  }
}`;

/** The companies screen: a search box and a page of results. `params`: q, after. */
export function companiesScreen(root, params) {
  const query = params.get("q") || "";
  const after = params.get("after");
  const results = searchScreen(root, {
    title: "Companies",
    label: "Search companies",
    id: "company-search",
    base: "#/companies",
    query,
  });
  const load = () =>
    graphql(COMPANIES, { text: query || null, first: PAGE_SIZE, after })
      .then(({ companies }) =>
        fill(
          results,
          companies.nodes.length
            ? h(
                "ul",
                { class: "contacts" },
                companies.nodes.map((company) =>
                  h(
                    "li",
                    {},
                    h("a", { href: `#/companies/${company.id}` }, company.name),
                    company.phones.length ? ` · ${company.phones[0].number}` : "",
                    company.website ? ` · ${company.website}` : "",
                  ),
                ),
              )
            : h("p", {}, "No companies found."),
          pager("Pages", "#/companies", { after, pageInfo: companies.pageInfo }, ["First page", "Next page"], {
            q: query,
          }),
        ),
      )
      .catch(showError(results));
  const { panel, stop } = transferPanel("companies", load);
  results.before(panel);
  load();
  return stop;
}

/** A company's page: details, numbers (its main line first) and its contacts. */
export function companyScreen(root, id, params) {
  const after = params.get("after");
  fill(root, h("p", {}, "Loading…"));
  graphql(COMPANY, { id, first: PAGE_SIZE, after })
    .then(({ company }) => {
      fill(
        root,
        h("p", {}, h("a", { href: "#/companies" }, "← Companies")),
        h("h1", {}, company.name),
        details([
          ["Website", company.website],
          ["Address", company.address],
          ["Owner", company.owner ? fullName(company.owner) : ""],
        ]),
        h("h2", {}, "Numbers"),
        numbers(company.phones),
        h("h2", {}, "Contacts"),
        company.contacts.nodes.length
          ? h(
              "ul",
              { class: "contacts" },
              company.contacts.nodes.map((contact) =>
                h(
                  "li",
                  {},
                  h("a", { href: `#/contacts/${contact.id}` }, fullName(contact)),
                  contact.jobTitle ? ` · ${contact.jobTitle}` : "",
                  contact.email ? ` · ${contact.email}` : "",
                ),
              ),
            )
          : h("p", {}, "No contacts."),
        pager("Pages of contacts", `#/companies/${company.id}`, { after, pageInfo: company.contacts.pageInfo }, [
          "First contacts",
          "More contacts",
        ]),
      );
    })
    .catch(showError(root));
  return () => {};
}
