-- Service tokens: client id + secret pairs for machines. Times are Unix epoch milliseconds.
-- The secret is kept only as a hash (see dev.portcullis.machine.ServiceTokens).
--
-- A revoked row stays for the record, so a name is unique only among unrevoked tokens: after
-- `token revoke NAME` a new token may take the name again. The partial index works unchanged
-- on SQLite and PostgreSQL.
CREATE TABLE service_tokens (
  client_id            VARCHAR(128) PRIMARY KEY,
  name                 VARCHAR(64)  NOT NULL,
  secret_hash          VARCHAR(128) NOT NULL,
  -- After a rotation: the replaced secret's hash, honoured until previous_valid_until.
  previous_secret_hash VARCHAR(128),
  previous_valid_until BIGINT,
  created_at           BIGINT       NOT NULL,
  expires_at           BIGINT       NOT NULL,
  rotated_at           BIGINT,
  revoked_at           BIGINT,
  last_used_at         BIGINT
);
CREATE UNIQUE INDEX service_tokens_live_name ON service_tokens (name) WHERE revoked_at IS NULL;
