-- Cheaper per byte (issue 16 item 8): the integrity digest of a new file is the records digest
-- (BLAKE2b-256 over every record's nonce and AEAD tag, its count and the plaintext size; the
-- definition is in server/store/blobfmt.h) instead of BLAKE2b-256 of the whole plaintext. The
-- kind is recorded per row so that files stored before (kind 1) are still checked, by
-- verify-store and before every download, against the digest they were stored with. The
-- default stays 1 so that a row written by code that hashes the plaintext says so.
ALTER TABLE uploads ADD COLUMN digest_kind smallint NOT NULL DEFAULT 1 CHECK (digest_kind IN (1, 2));
ALTER TABLE documents ADD COLUMN digest_kind smallint NOT NULL DEFAULT 1 CHECK (digest_kind IN (1, 2));
COMMENT ON COLUMN uploads.digest_kind IS
  'What blake2b holds: 1 = BLAKE2b-256 of the whole plaintext (rows before 0032, STOW-RS parts); 2 = the records digest of the sealed file (BLAKE2b-256 over each record''s nonce and tag, the record count and the plaintext size; server/store/blobfmt.h).';
COMMENT ON COLUMN documents.digest_kind IS
  'What blake2b holds: 1 = BLAKE2b-256 (hex) of the plaintext; 2 = the records digest (hex) of the sealed file (server/store/blobfmt.h). Checked again before a download and by verify-store.';
COMMENT ON COLUMN uploads.digest_state IS
  'nonce(24) || XChaCha20-Poly1305 of the running digest state at "offset" under the file''s key (AD: "state", "digest", file_id, offset): the records digest over the full records in the staging file, and the SHA-256 of the plaintext only when the client declared one. NULL when unknown (then it is computed from the file at completion).';
