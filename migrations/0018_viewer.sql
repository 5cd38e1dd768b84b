-- The viewer (issue 13): what each image needs to be hung and measured, read at
-- intake so listing a request's images never opens a file, and the renditions a
-- background job prepares (a small preview and the full-resolution frames), each
-- sealed in the blob store like the originals and deleted with their document.
ALTER TABLE documents ADD COLUMN image_info jsonb;
COMMENT ON COLUMN documents.image_info IS
  'Viewer metadata of a DICOM image read at intake (server/core/viewer.c viewer_image_info): view, orientation, spacing, '
  'matrix, bits, photometric, rescale, windows, VOI LUT function. NULL for other documents and for rows from before '
  'this migration (the render job fills those in).';

CREATE TABLE renditions (
  document_id      bigint PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
  state            text NOT NULL CHECK (state IN ('preparing', 'ready', 'not_decodable')),
  why              text,
  preview_file_id  bytea,
  preview_wrapped  bytea,
  preview_kek      integer,
  preview_size     bigint,
  frames_file_id   bytea,
  frames_wrapped   bytea,
  frames_kek       integer,
  frames_size      bigint,
  frame_count      integer,
  frame_bytes      bigint,
  rows             integer,
  columns          integer,
  samples          integer,
  bytes_per_sample integer,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (state <> 'ready' OR (preview_file_id IS NOT NULL AND frames_file_id IS NOT NULL))
);
COMMENT ON TABLE renditions IS
  'Prepared forms of an image document for the viewer. preview: one PNG (8-bit, long side <= 512); frames: every frame '
  'at full resolution, stored values little-endian, back to back (frame n at n * frame_bytes). Both sealed blobs with '
  'their own data keys; the blobs are removed when the document is (server/core/records.c).';
COMMENT ON COLUMN renditions.why IS 'When not_decodable: a sentence for people saying why the image cannot be shown.';
