DROP TRIGGER IF EXISTS audit_securityevent_append_only ON audit_securityevent;
DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS blockscore_refuse_change();
