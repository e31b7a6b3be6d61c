-- The server's additions to Message DB's schema, run at every start: each
-- statement must be idempotent.

-- An index on the metadata's `commandId` served no query once command ids
-- came from the tip cache (cache.rs, built from the stream), and every
-- insert paid for it: dropped where an earlier start made it.
DROP INDEX IF EXISTS message_store.ledger_messages_command_id;

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

-- Many appends in one statement, so one transaction and one WAL flush
-- (the server's group commit, batch.rs). The messages of append k are
-- those with `appends[i] = k`, in order and contiguous; each append is all
-- or nothing on its own (a subtransaction): the answer has, per append, NULL
-- when written, 'conflict N' when its stream was not at the expected
-- version (N: the stream's version now, -1 for none), or the error's text.
CREATE OR REPLACE FUNCTION message_store.ledger_write_batch(
  appends integer[], ids text[], streams text[], types text[], data text[], metadata text[], expected bigint[]
) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
  total integer := coalesce(array_length(ids, 1), 0);
  outcomes text[] := array_fill(NULL::text, ARRAY[coalesce(appends[total], 0)]);
  i integer := 1;
  current integer;
BEGIN
  WHILE i <= total LOOP
    current := appends[i];
    BEGIN
      WHILE i <= total AND appends[i] = current LOOP
        PERFORM message_store.write_message(ids[i], streams[i], types[i], data[i]::jsonb, metadata[i]::jsonb, expected[i]);
        i := i + 1;
      END LOOP;
    EXCEPTION WHEN OTHERS THEN
      IF SQLERRM LIKE 'Wrong expected version%' THEN
        outcomes[current] := 'conflict ' || coalesce(message_store.stream_version(streams[i]), -1);
      ELSE
        outcomes[current] := SQLERRM;
      END IF;
      WHILE i <= total AND appends[i] = current LOOP
        i := i + 1;
      END LOOP;
    END;
  END LOOP;
  RETURN outcomes;
END;
$$;
