/* libFuzzer target for the blob reader and the resume path (checklist
 * fuzz target 5). The input's first byte picks the mode:
 *
 *   even: the rest is a blob file (format 1 or 2), read to the end with read
 *         sizes derived from the first byte; it must fail cleanly or return
 *         exactly blob_reader_size() bytes. With bit 4 set, blob_reseal()
 *         then runs on it: when it converts, the result must be format 2
 *         and read back to the same size.
 *   odd:  [u32 BE committed offset][u32 BE staging length][staging file]
 *         [sealed tail = the rest]; blob_writer_resume() on that file, and if
 *         it resumes, append, checkpoint, finish and read the result back.
 *
 * A fixed file id and DEK are used so that seeds made with -DBLOBREAD_GEN
 * (a main() that writes valid blobs and staging files into a directory) stay
 * valid. The seeds blob-* and resume-* are format 1 (made before format 2,
 * kept so the fuzzer keeps reaching the format-1 paths); v2-* are format 2
 * (what the generator writes now). Files live in a private mkdtemp directory
 * under /tmp.
 *
 * Build: clang -std=c17 -g -O1 -fsanitize=fuzzer,address,undefined -Iserver \
 *          server/store/blobfmt.c tests/fuzz/fuzz_blobread.c -lsodium
 * Seeds: clang -std=c17 -DBLOBREAD_GEN -Iserver server/store/blobfmt.c \
 *          tests/fuzz/fuzz_blobread.c -lsodium -o gen && ./gen tests/fuzz/corpus/blobread */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "store/blobfmt.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const unsigned char FID[BLOB_ID_LEN] = "fuzz-file-id-16"; /* + NUL = 16 */
static const unsigned char DEK[BLOB_DEK_LEN] = "fuzz-dek-0123456789abcdef-01234"; /* + NUL = 32 */

static char g_dir[64], g_blob[96], g_staging[96], g_final[96], g_tmp[112];
static unsigned char *g_buf;

static void fuzz_init(void) {
  if (g_buf) return;
  if (sodium_init() < 0) abort();
  snprintf(g_dir, sizeof g_dir, "/tmp/fuzz_blobread.XXXXXX");
  if (!mkdtemp(g_dir)) abort();
  snprintf(g_blob, sizeof g_blob, "%s/blob", g_dir);
  snprintf(g_staging, sizeof g_staging, "%s/staging", g_dir);
  snprintf(g_final, sizeof g_final, "%s/final", g_dir);
  snprintf(g_tmp, sizeof g_tmp, "%s/blob.reseal", g_dir);
  g_buf = malloc(2 * BLOB_RECORD + 7);
  if (!g_buf) abort();
}

static void cleanup(void) {
  unlink(g_blob);
  unlink(g_staging);
  unlink(g_final);
  unlink(g_tmp);
  rmdir(g_dir);
}

static int put_file(const char *path, const uint8_t *data, size_t len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  size_t off = 0;
  while (off < len) {
    ssize_t n = write(fd, data + off, len - off);
    if (n <= 0) {
      close(fd);
      return -1;
    }
    off += (size_t)n;
  }
  close(fd);
  return 0;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads the whole blob; checks the size contract when it verifies. Returns
 * the size when the end verified, else -1. */
static int64_t read_all(const char *path, size_t step) {
  struct blob_reader *r = NULL;
  char err[128];
  int64_t rc = -1;
  if (blob_reader_open(path, FID, DEK, &r, err, sizeof err) != 0) return -1;
  uint64_t total = 0, size = blob_reader_size(r);
  for (;;) {
    ssize_t n = blob_reader_read(r, g_buf, step, err, sizeof err);
    if (n < 0) {
      /* Failure is sticky. */
      if (blob_reader_read(r, g_buf, step, err, sizeof err) != -1) abort();
      break;
    }
    if (n == 0) {
      if (total != size) abort();
      rc = (int64_t)size;
      break;
    }
    if ((size_t)n > step) abort();
    total += (uint64_t)n;
    if (total > size) abort();
  }
  blob_reader_close(r);
  return rc;
}

static void mode_read(const uint8_t *data, size_t size, uint8_t sel) {
  static const size_t steps[] = {1, 7, 4096, BLOB_RECORD - 1, BLOB_RECORD, BLOB_RECORD + 1,
                                 2 * BLOB_RECORD + 7};
  if (put_file(g_blob, data, size) != 0) return;
  int64_t plain = read_all(g_blob, steps[(sel >> 1) % (sizeof steps / sizeof steps[0])]);
  if (sel & 0x10) {
    char err[128];
    uint64_t n = 0;
    uint32_t f = 0;
    int rc = blob_reseal(g_blob, g_tmp, FID, DEK, &n, err, sizeof err);
    if (access(g_tmp, F_OK) == 0) abort(); /* never leaves its temp file */
    if (rc == 0) {
      /* only a file that read fully is converted, to the same plaintext size */
      if (plain < 0 || n != (uint64_t)plain) abort();
      if (blob_file_format(g_blob, &f, err, sizeof err) != 0 || f != BLOB_FORMAT_V2) abort();
      if (read_all(g_blob, BLOB_RECORD) != plain) abort();
    }
  }
  unlink(g_blob);
}

static void mode_resume(const uint8_t *data, size_t size, uint8_t sel) {
  struct blob_writer *w = NULL;
  unsigned char *tail = NULL;
  size_t tail_len = 0;
  char err[128];
  if (size < 8) return;
  uint64_t offset = be32(data);
  size_t flen = be32(data + 4);
  data += 8;
  size -= 8;
  if (flen > size) flen = size;
  if (put_file(g_staging, data, flen) != 0) return;
  const uint8_t *st = data + flen;
  size_t st_len = size - flen;
  if (blob_writer_resume(g_staging, FID, DEK, offset, st_len ? st : NULL, st_len, &w, err,
                         sizeof err) == 0) {
    if (blob_writer_offset(w) != offset) abort();
    size_t more = (size_t)(sel >> 1) * 1031u % (BLOB_RECORD + 7);
    memset(g_buf, 'x', more);
    if (blob_writer_append(w, g_buf, more, err, sizeof err) != 0) abort();
    if (blob_writer_checkpoint(w, &tail, &tail_len, err, sizeof err) != 0) abort();
    free(tail);
    uint64_t plain = blob_writer_offset(w);
    if (blob_writer_finish(w, g_final, err, sizeof err) == 0) {
      struct blob_reader *r = NULL;
      if (blob_reader_open(g_final, FID, DEK, &r, err, sizeof err) != 0) abort();
      if (blob_reader_size(r) != plain) abort();
      blob_reader_close(r);
      read_all(g_final, BLOB_RECORD);
      unlink(g_final);
    }
  }
  unlink(g_staging);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_init();
  if (size < 1) return 0;
  if (data[0] & 1) mode_resume(data + 1, size - 1, data[0]);
  else mode_read(data + 1, size - 1, data[0]);
  return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_init();
  atexit(cleanup);
  return 0;
}

#ifdef BLOBREAD_GEN
/* Writes valid seeds (fixed id and DEK) into argv[1]. */
static int slurp(const char *path, unsigned char **out, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  *out = malloc((size_t)n + 1);
  *len = fread(*out, 1, (size_t)n, f);
  fclose(f);
  return 0;
}

static void seed_blob(const char *dir, const char *name, size_t plain) {
  struct blob_writer *w = NULL;
  char err[128], path[512];
  unsigned char *raw = NULL;
  size_t raw_len = 0;
  memset(g_buf, 'A', plain);
  if (blob_writer_create(g_staging, FID, DEK, &w, err, sizeof err) != 0 ||
      blob_writer_append(w, g_buf, plain, err, sizeof err) != 0 ||
      blob_writer_finish(w, g_blob, err, sizeof err) != 0 || slurp(g_blob, &raw, &raw_len) != 0) {
    fprintf(stderr, "seed %s: %s\n", name, err);
    exit(1);
  }
  unsigned char *in = malloc(raw_len + 1);
  in[0] = 0x06; /* even: read mode, step 4096 */
  memcpy(in + 1, raw, raw_len);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (put_file(path, in, raw_len + 1) != 0) exit(1);
  unlink(g_blob);
  free(raw);
  free(in);
}

static void seed_staging(const char *dir, const char *name, size_t plain) {
  struct blob_writer *w = NULL;
  char err[128], path[512];
  unsigned char *raw = NULL, *tail = NULL;
  size_t raw_len = 0, tail_len = 0;
  memset(g_buf, 'B', plain);
  if (blob_writer_create(g_staging, FID, DEK, &w, err, sizeof err) != 0 ||
      blob_writer_append(w, g_buf, plain, err, sizeof err) != 0 ||
      blob_writer_checkpoint(w, &tail, &tail_len, err, sizeof err) != 0) {
    fprintf(stderr, "seed %s: %s\n", name, err);
    exit(1);
  }
  blob_writer_abort(w);
  if (slurp(g_staging, &raw, &raw_len) != 0) exit(1);
  size_t n = 1 + 8 + raw_len + tail_len;
  unsigned char *in = malloc(n);
  in[0] = 0x0b; /* odd: resume mode */
  unsigned char *p = in + 1;
  p[0] = (unsigned char)(plain >> 24), p[1] = (unsigned char)(plain >> 16);
  p[2] = (unsigned char)(plain >> 8), p[3] = (unsigned char)plain;
  p[4] = (unsigned char)(raw_len >> 24), p[5] = (unsigned char)(raw_len >> 16);
  p[6] = (unsigned char)(raw_len >> 8), p[7] = (unsigned char)raw_len;
  memcpy(p + 8, raw, raw_len);
  memcpy(p + 8 + raw_len, tail, tail_len);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (put_file(path, in, n) != 0) exit(1);
  unlink(g_staging);
  free(raw);
  free(tail);
  free(in);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s corpus-dir\n", argv[0]);
    return 2;
  }
  fuzz_init();
  seed_blob(argv[1], "v2-blob-empty", 0);
  seed_blob(argv[1], "v2-blob-100", 100);
  seed_blob(argv[1], "v2-blob-65537", BLOB_RECORD + 1);
  seed_staging(argv[1], "v2-resume-0", 0);
  seed_staging(argv[1], "v2-resume-300", 300);
  seed_staging(argv[1], "v2-resume-65540", BLOB_RECORD + 4);
  cleanup();
  return 0;
}
#endif
