"""Payment rails: one thin client module per external system that moves money in or out.

``lightning`` talks to LNbits; ``lnbits_server`` starts a local LNbits for tests and
development. Nothing here touches the database: the wallet services do.
"""
