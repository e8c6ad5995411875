"""PostgreSQL: the deferred balance check reads an entry's postings once instead of twice.

The trigger of 0002 (one per posting, at commit) ran two queries: the unbalanced
currencies, then the posting count. This function answers both from one scan of the
entry's postings, with the same refusals and messages. Other databases: nothing to do.
"""

from django.db import migrations

ONE_QUERY = """
CREATE OR REPLACE FUNCTION wallets_entry_must_balance() RETURNS trigger AS $$
DECLARE
    postings bigint;
    offending text;
BEGIN
    SELECT SUM(n), string_agg(CASE WHEN total <> 0 THEN currency || ' ' || total::text END, ', ')
    INTO postings, offending
    FROM (
        SELECT currency, SUM(amount_minor) AS total, COUNT(*) AS n FROM wallets_posting
        WHERE entry_id = NEW.entry_id GROUP BY currency
    ) AS per_currency;
    IF offending IS NOT NULL THEN
        RAISE EXCEPTION 'journal entry % does not balance: %', NEW.entry_id, offending
            USING ERRCODE = 'check_violation';
    END IF;
    IF COALESCE(postings, 0) < 2 THEN
        RAISE EXCEPTION 'journal entry % has fewer than two postings', NEW.entry_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

TWO_QUERIES = """
CREATE OR REPLACE FUNCTION wallets_entry_must_balance() RETURNS trigger AS $$
DECLARE
    offending text;
BEGIN
    SELECT string_agg(currency || ' ' || total::text, ', ') INTO offending
    FROM (
        SELECT currency, SUM(amount_minor) AS total FROM wallets_posting
        WHERE entry_id = NEW.entry_id GROUP BY currency HAVING SUM(amount_minor) <> 0
    ) AS unbalanced;
    IF offending IS NOT NULL THEN
        RAISE EXCEPTION 'journal entry % does not balance: %', NEW.entry_id, offending
            USING ERRCODE = 'check_violation';
    END IF;
    IF (SELECT COUNT(*) FROM wallets_posting WHERE entry_id = NEW.entry_id) < 2 THEN
        RAISE EXCEPTION 'journal entry % has fewer than two postings', NEW.entry_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def _run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("wallets", "0017_lean_indexes")]
    operations = [migrations.RunPython(_run(ONE_QUERY), _run(TWO_QUERIES))]
