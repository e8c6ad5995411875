DROP TRIGGER IF EXISTS wallets_journalentry_append_only ON wallets_journalentry;
DROP TRIGGER IF EXISTS wallets_posting_append_only ON wallets_posting;
DROP TRIGGER IF EXISTS wallets_posting_currency ON wallets_posting;
DROP TRIGGER IF EXISTS wallets_posting_entry_balances ON wallets_posting;
DROP FUNCTION IF EXISTS wallets_refuse_change();
DROP FUNCTION IF EXISTS wallets_posting_currency_matches();
DROP FUNCTION IF EXISTS wallets_entry_must_balance();
