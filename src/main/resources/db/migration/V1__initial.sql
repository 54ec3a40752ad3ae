-- Times are Unix epoch milliseconds. Secrets are stored only as hashes or sealed (encrypted).

CREATE TABLE signing_keys (
  kid         VARCHAR(64) PRIMARY KEY,
  algorithm   VARCHAR(16) NOT NULL,
  sealed_jwk  TEXT        NOT NULL,
  created_at  BIGINT      NOT NULL
);

CREATE TABLE users (
  id          VARCHAR(64)  PRIMARY KEY,
  email       VARCHAR(320) NOT NULL UNIQUE,
  created_at  BIGINT       NOT NULL
);

CREATE TABLE sessions (
  sid         VARCHAR(64)  PRIMARY KEY,
  user_id     VARCHAR(64)  NOT NULL REFERENCES users (id),
  email       VARCHAR(320) NOT NULL,
  idp         VARCHAR(64)  NOT NULL,
  created_at  BIGINT       NOT NULL,
  expires_at  BIGINT       NOT NULL,
  revoked_at  BIGINT
);
CREATE INDEX sessions_revoked ON sessions (revoked_at);

-- One live code per email: a new code replaces the previous one.
CREATE TABLE one_time_pins (
  email       VARCHAR(320) PRIMARY KEY,
  code_hash   VARCHAR(128) NOT NULL,
  application VARCHAR(64)  NOT NULL,
  attempts    INTEGER      NOT NULL,
  expires_at  BIGINT       NOT NULL
);

-- One-use codes that hand a session from the auth domain to one application's host.
CREATE TABLE handoff_codes (
  code_hash   VARCHAR(128) PRIMARY KEY,
  sid         VARCHAR(64)  NOT NULL,
  application VARCHAR(64)  NOT NULL,
  target_path TEXT         NOT NULL,
  expires_at  BIGINT       NOT NULL
);
