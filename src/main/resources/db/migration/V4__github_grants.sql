-- GitHub access tokens of live sessions whose provider re-checks membership, sealed under the
-- master key, with the organizations and teams the session was granted and when to look again.
CREATE TABLE github_grants (
  sid          VARCHAR(64) PRIMARY KEY,
  idp          VARCHAR(64) NOT NULL,
  sealed_token TEXT        NOT NULL,
  orgs         TEXT        NOT NULL,
  teams        TEXT        NOT NULL,
  next_check   BIGINT      NOT NULL,
  expires_at   BIGINT      NOT NULL
);
CREATE INDEX github_grants_next_check ON github_grants (next_check);
