-- Streaming digests for resumable uploads (issue 4 follow-up): the running
-- BLAKE2b-256 (and SHA-256 when the client declared one) state of the bytes
-- received so far, sealed under the file's data key and committed together
-- with "offset" and sealed_tail, so a resume after a crash continues the same
-- digest instead of reading the finished file back.
ALTER TABLE uploads ADD COLUMN digest_state bytea;
COMMENT ON COLUMN uploads.digest_state IS
  'nonce(24) || XChaCha20-Poly1305 of the running digest state at "offset" under the file''s key (AD: "state", "digest", file_id, offset). NULL when unknown (then the digest is computed by reading the file back at completion); cleared when the upload is complete or failed.';
COMMENT ON COLUMN uploads.blake2b IS
  'BLAKE2b-256 of the whole plaintext, computed while the bytes arrive (continued across resumes through digest_state) and set at completion; the internal integrity digest checked again at download.';
