"""GraphiQL's page at `/graphql` (when `CRM_GRAPHIQL` is on), drawn from our own template.

Strawberry's page loads React and GraphiQL from a CDN; this one loads the vendored copies
(`facade/assets.py`), so it works offline under a CSP of `'self'`. It opens on a query that
runs and a headers editor holding an `Authorization` hint to replace with an API key.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from facade.assets import script, script_json, stylesheet

TEMPLATE = Path(__file__).resolve().parent / "pages" / "graphiql.html"

AUTHORIZATION_HINT = "Bearer <paste an API key>"
"""What the headers editor holds until a key is pasted (`crm apikey create`)."""

EXAMPLE_QUERY = """\
# Paste an API key (`crm apikey create --name graphiql --scope crm:read`)
# into the Authorization header below, then run this query (Ctrl-Enter).
query Contacts {
  contacts(first: 10) {
    nodes {
      firstName
      lastName
      email
      company {
        name
      }
      phones {
        number
        kind
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
"""


@cache
def graphiql_html() -> str:
    """The page: the same text every time, so its CSP hash is computed once."""
    settings = {"query": EXAMPLE_QUERY, "authorizationHint": AUTHORIZATION_HINT}
    scripts = "\n    ".join(
        [
            script("react", "umd/react.production.min.js"),
            script("react-dom", "umd/react-dom.production.min.js"),
            script("graphiql", "graphiql.min.js"),
        ]
    )
    return (
        TEMPLATE.read_text(encoding="utf-8")
        .replace("<!-- stylesheet -->", stylesheet("graphiql", "graphiql.min.css"))
        .replace("<!-- scripts -->", scripts)
        .replace("SETTINGS", script_json(settings))
    )
