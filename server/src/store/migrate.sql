-- The server's additions to Message DB's schema, run at every start: each
-- statement must be idempotent.

-- A command id's events in a stream, without reading the stream (the
-- metadata's `commandId`).
CREATE INDEX IF NOT EXISTS ledger_messages_command_id
  ON message_store.messages (stream_name, (metadata->>'commandId'));

-- The server's id: made once per database, so a client can tell a reset
-- or another server from the one it synced with.
CREATE TABLE IF NOT EXISTS message_store.ledger_server (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  one boolean NOT NULL DEFAULT true UNIQUE CHECK (one)
);
INSERT INTO message_store.ledger_server DEFAULT VALUES ON CONFLICT (one) DO NOTHING;

-- News of every message written, delivered when its transaction commits:
-- `{category} {global position}` on the channel the server listens to
-- (store/feed.rs).
CREATE OR REPLACE FUNCTION message_store.ledger_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('ledger_messages', split_part(NEW.stream_name, '-', 1) || ' ' || NEW.global_position);
  RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER ledger_notify AFTER INSERT ON message_store.messages
  FOR EACH ROW EXECUTE FUNCTION message_store.ledger_notify();
