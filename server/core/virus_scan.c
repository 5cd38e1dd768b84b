/* ClamAV clamd INSTREAM hook (see virus_scan.h). */
#include "core/virus_scan.h"

#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/audit.h"
#include "store/blobstore.h"
#include "util/log.h"

#define CLAMD_TIMEOUT_S 120 /* per send or receive: clamd answers a stream within its own limits */

static char clamd_path[108];

void content_scan_init(const char *socket_path) {
  clamd_path[0] = '\0';
  if (!socket_path || !*socket_path) return;
  snprintf(clamd_path, sizeof clamd_path, "%s", socket_path);
  LOG_I("virus scanning: every finished upload goes to clamd at %s before intake", clamd_path);
}

static int send_all(int fd, const void *buf, size_t n) {
  const unsigned char *p = buf;
  while (n > 0) {
    ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

static void put_be32(unsigned char *b, uint32_t v) {
  b[0] = (unsigned char)(v >> 24);
  b[1] = (unsigned char)(v >> 16);
  b[2] = (unsigned char)(v >> 8);
  b[3] = (unsigned char)v;
}

int clamd_instream(const char *socket_path, struct blob_reader *r, char *virus, size_t cap) {
  int rc = -1, fd = -1;
  unsigned char *buf = NULL;
  virus[0] = '\0';
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(socket_path) >= sizeof sa.sun_path) {
    snprintf(virus, cap, "socket path too long");
    goto done;
  }
  memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) goto done;
  struct timeval tv = {.tv_sec = CLAMD_TIMEOUT_S};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    snprintf(virus, cap, "cannot connect: %s", strerror(errno));
    goto done;
  }
  buf = malloc(4 + CLAMD_CHUNK);
  if (!buf || send_all(fd, "zINSTREAM", 10) != 0) goto done;
  char err[200];
  for (;;) {
    ssize_t n = blob_reader_read(r, buf + 4, CLAMD_CHUNK, err, sizeof err);
    if (n < 0) {
      snprintf(virus, cap, "reading the file: %s", err);
      goto done;
    }
    put_be32(buf, (uint32_t)n);
    if (send_all(fd, buf, 4 + (size_t)n) != 0) {
      /* clamd closes the stream when it exceeds its StreamMaxLength: read why below */
      break;
    }
    if (n == 0) break;
  }
  char reply[512];
  size_t got = 0;
  while (got < sizeof reply - 1) {
    ssize_t k = recv(fd, reply + got, sizeof reply - 1 - got, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    got += (size_t)k;
    if (memchr(reply, '\0', got)) break;
  }
  reply[got] = '\0';
  reply[strcspn(reply, "\r\n")] = '\0';
  /* "stream: OK", "stream: NAME FOUND", or "... ERROR" */
  const char *body = strncmp(reply, "stream: ", 8) == 0 ? reply + 8 : reply;
  size_t bl = strlen(body);
  if (strcmp(body, "OK") == 0) {
    rc = 0;
  } else if (bl > 6 && strcmp(body + bl - 6, " FOUND") == 0) {
    snprintf(virus, cap, "%.*s", (int)(bl - 6), body);
    for (char *p = virus; *p; p++)
      if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) *p = '?';
    rc = 1;
  } else {
    snprintf(virus, cap, "clamd answered: %.200s", got ? body : "(nothing)");
  }
done:
  if (fd >= 0) close(fd);
  if (buf) {
    sodium_memzero(buf, 4 + CLAMD_CHUNK);
    free(buf);
  }
  return rc;
}

enum scan_verdict content_scan_file(const struct actor *who, struct upload_row *u,
                                    const unsigned char dek[BLOB_DEK_LEN]) {
  if (!clamd_path[0]) return SCAN_CLEAN;
  struct blob_reader *r = NULL;
  char err[200], finding[256];
  int rc = -1;
  if (blobstore_open(u->file_id, dek, &r, err, sizeof err) != 0) {
    snprintf(finding, sizeof finding, "cannot open the file: %s", err);
  } else {
    rc = clamd_instream(clamd_path, r, finding, sizeof finding);
    blob_reader_close(r);
  }
  if (rc == 0) {
    if (u->scan_pending) uploads_set_scan_pending(u->id, 0);
    return SCAN_CLEAN;
  }
  if (rc < 0) {
    LOG_W("upload %s waits for the virus scanner (%s); it will be retried", u->id, finding);
    if (!u->scan_pending) {
      uploads_set_scan_pending(u->id, 1);
      u->scan_pending = 1;
      struct audit_event ev = {"upload.scan_wait", "upload", u->id, u->patient_id, "failed",
                               "{\"reason\":\"virus scanner unavailable\"}"};
      if (audit_write(who, &ev) != ERR_OK) LOG_W("audit write failed for upload.scan_wait");
    }
    return SCAN_WAIT;
  }
  LOG_W("upload %s quarantined: the virus scanner reported %s", u->id, finding);
  uploads_quarantine(u->id, VIRUS_MESSAGE, finding);
  char detail[400];
  char esc[300];
  size_t j = 0;
  for (const char *p = finding; *p && j < sizeof esc - 2; p++)
    if (*p != '"' && *p != '\\') esc[j++] = *p;
  esc[j] = '\0';
  snprintf(detail, sizeof detail, "{\"request_id\":%lld,\"virus\":\"%s\"}", u->request_id, esc);
  struct audit_event ev = {"upload.quarantine", "upload", u->id, u->patient_id, "denied", detail};
  if (audit_write(who, &ev) != ERR_OK) LOG_W("audit write failed for upload.quarantine");
  return SCAN_QUARANTINED;
}
