"""The agent console at `/`: its pages, sign-in and sign-out, and its own scripts.

The console is plain HTML and ES modules, with no build step and no library: a few
hundred lines of JavaScript a small team can read whole, served from
`facade/console/static/`. Everything it shows it reads and writes through `/graphql`,
signed in by the session cookie (`facade.auth.session`).
"""
