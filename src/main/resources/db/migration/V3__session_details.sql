-- What an identity provider said beyond the email (GitHub organizations and teams, groups,
-- claims), as JSON, so that application tokens minted later carry the same facts.
ALTER TABLE sessions ADD COLUMN details TEXT;
