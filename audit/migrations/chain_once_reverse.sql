-- Back to refusing every UPDATE (events must all be chained before going back).
DROP TRIGGER audit_auditevent_append_only ON audit_auditevent;
CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION blockscore_refuse_change();
DROP FUNCTION audit_auditevent_chain_once();
