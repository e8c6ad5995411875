"""Settings, split by environment.

- ``base``: everything, read from the environment with safe local defaults.
- ``local``: the embedded default used by ``manage.py`` (SQLite, no Redis needed).
- ``production``: refuses to start without its secrets; HTTPS-only cookies, HSTS.
- ``test``: fast password hashing, in-memory e-mail.
"""
