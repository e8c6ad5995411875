"""A posting's entry is checked by the commit-time trigger instead of a foreign key.

The foreign key from postings to their entry made every posting lock its (just
inserted) entry row FOR KEY SHARE at commit, which rewrote that row and, under load,
cost more than a third of the database's work for a transfer. Entries are never
deleted or changed (the append-only trigger of 0002), so a plain look at commit that the
entry exists is as strong: the deferred trigger of 0002, which runs for every posting,
now refuses a posting whose entry does not exist (foreign_key_violation), and reads the
entry's postings once instead of twice (the unbalanced currencies and the count, with
the same refusals and messages). Other databases: the ORM writes both in one transaction.
"""

from django.db import migrations, models

ONE_QUERY = """
CREATE OR REPLACE FUNCTION wallets_entry_must_balance() RETURNS trigger AS $$
DECLARE
    postings bigint;
    offending text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM wallets_journalentry WHERE id = NEW.entry_id) THEN
        RAISE EXCEPTION 'posting % refers to journal entry %, which does not exist', NEW.id, NEW.entry_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
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
    operations = [
        migrations.RunPython(_run(ONE_QUERY), _run(TWO_QUERIES)),
        migrations.AlterField(
            model_name="posting",
            name="entry",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=models.deletion.PROTECT,
                related_name="postings",
                to="wallets.journalentry",
            ),
        ),
    ]
