-- The books, guarded by the database itself (PostgreSQL), so that no bug in Python can
-- corrupt them.

-- 1. Every journal entry balances per currency, checked at commit (deferred: the
--    postings of an entry are inserted one statement at a time).
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

CREATE CONSTRAINT TRIGGER wallets_posting_entry_balances
    AFTER INSERT ON wallets_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION wallets_entry_must_balance();

-- 2. A posting's currency is its account's currency.
CREATE OR REPLACE FUNCTION wallets_posting_currency_matches() RETURNS trigger AS $$
BEGIN
    IF NEW.currency <> (SELECT currency FROM wallets_ledgeraccount WHERE id = NEW.account_id) THEN
        RAISE EXCEPTION 'posting currency % differs from its account''s', NEW.currency
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER wallets_posting_currency
    BEFORE INSERT ON wallets_posting
    FOR EACH ROW EXECUTE FUNCTION wallets_posting_currency_matches();

-- 3. Posted entries and postings are immutable: corrections are reversing entries.
CREATE OR REPLACE FUNCTION wallets_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % refused (post a reversing entry)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER wallets_posting_append_only
    BEFORE UPDATE OR DELETE ON wallets_posting
    FOR EACH ROW EXECUTE FUNCTION wallets_refuse_change();

CREATE TRIGGER wallets_journalentry_append_only
    BEFORE UPDATE OR DELETE ON wallets_journalentry
    FOR EACH ROW EXECUTE FUNCTION wallets_refuse_change();
