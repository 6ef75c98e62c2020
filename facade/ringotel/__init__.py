"""The Ringotel REST facade: one module per CRM object holding its routes, and the
integration JSON generated from their declarations."""
