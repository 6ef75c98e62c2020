"""Named queries, one module per noun: every database access the domain services make.

A service states the rule and owns the transaction; the query module of its noun holds
the statements (Piccolo's builder, or SQL text where a hot path needs it).
"""
