-- Audit events stay append-only, with one exception: an event written unchained (by the
-- ledger's hot path) gets its sequence, prev_hash and hash exactly once, by the chainer,
-- right after its transaction commits. The trigger allows that update and nothing else:
-- the three fields go from NULL to values, every other column stays as it was. A chained
-- event can never change again, and no event can be deleted.
CREATE OR REPLACE FUNCTION audit_auditevent_chain_once() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.sequence IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
       AND NEW.sequence IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
       AND to_jsonb(NEW) - ARRAY['sequence', 'prev_hash', 'hash'] = to_jsonb(OLD) - ARRAY['sequence', 'prev_hash', 'hash']
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER audit_auditevent_append_only ON audit_auditevent;
CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_chain_once();
