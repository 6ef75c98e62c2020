"""The Ringotel REST facade: one declarative route table, from which both the
Litestar routes and the integration JSON that describes them are generated."""
