/* See pacs_wire.h. */
#include "core/pacs_wire.h"
#include "core/vocab.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* The first string of a DICOM JSON element's Value, or NULL. */
static const char *first_string(json_t *item, const char *tag) {
  json_t *v = json_object_get(json_object_get(item, tag), "Value");
  json_t *s = json_array_get(v, 0);
  return json_is_string(s) ? json_string_value(s) : NULL;
}

/* The first number of a DICOM JSON element's Value, or -1. */
static int first_number(json_t *item, const char *tag) {
  json_t *v = json_object_get(json_object_get(item, tag), "Value");
  json_t *s = json_array_get(v, 0);
  if (json_is_integer(s) && json_integer_value(s) >= 0 && json_integer_value(s) <= 65535)
    return (int)json_integer_value(s);
  return -1;
}

/* Applies the items of one sequence to the batch; returns how many named one of ours. */
static size_t apply_sequence(json_t *root, const char *tag, int failed, const char *const *sops, size_t n,
                             struct pw_item *out) {
  json_t *items = json_object_get(json_object_get(root, tag), "Value");
  size_t k, hits = 0;
  json_t *item;
  json_array_foreach(items, k, item) {
    const char *uid = first_string(item, "00081155");
    if (!uid) continue;
    for (size_t i = 0; i < n; i++) {
      if (strcmp(sops[i], uid) != 0) continue;
      if (failed) {
        out[i].outcome = PWO_FAILED;
        out[i].reason = first_number(item, "00081197");
      } else {
        int w = first_number(item, "00081196");
        out[i].outcome = w >= 0 ? PWO_WARNING : PWO_REFERENCED;
        out[i].reason = w;
      }
      hits++;
    }
  }
  return hits;
}

enum pw_verdict pw_classify(long http, const char *body, size_t len, const char *const *sops, size_t n,
                            struct pw_item *out, char *why, size_t whylen) {
  for (size_t i = 0; i < n; i++) out[i] = (struct pw_item){PWO_NONE, -1};
  if (whylen) why[0] = 0;
  if (http == 0) {
    snprintf(why, whylen, "The PACS could not be reached (no answer to the connection).");
    return PW_RETRY;
  }
  if (http == 503 || http == 429 || http == 408) {
    snprintf(why, whylen, "The PACS is busy (HTTP %ld).", http);
    return PW_RETRY;
  }
  if (http >= 500 && http <= 599) {
    snprintf(why, whylen, "The PACS had a problem of its own (HTTP %ld).", http);
    return PW_RETRY;
  }
  if (http == 401 || http == 403) {
    snprintf(why, whylen,
             "The PACS refused our credentials (HTTP %ld): an administrator should check the user name and "
             "password (or token) of this destination.",
             http);
    return PW_CREDENTIALS;
  }
  if (http == 404 || http == 405) {
    snprintf(why, whylen, "The PACS has no STOW-RS service at this address (HTTP %ld): check the base URL.", http);
    return PW_REFUSED;
  }
  if (http < 200 || (http >= 300 && http < 400)) {
    snprintf(why, whylen, "The PACS gave an answer we do not follow (HTTP %ld).", http);
    return PW_REFUSED;
  }
  /* 2xx and the other 4xx: the answer lists each instance, or it says nothing we can use */
  json_t *root = body && len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
  if (json_is_array(root)) {
    json_t *first = json_incref(json_array_get(root, 0));
    json_decref(root);
    root = first;
  }
  size_t hits = 0;
  if (json_is_object(root)) {
    hits += apply_sequence(root, "00081199", 0, sops, n, out);
    hits += apply_sequence(root, "00081198", 1, sops, n, out);
  }
  json_decref(root);
  if (hits == 0) {
    if (http < 300)
      snprintf(why, whylen, "The PACS answered (HTTP %ld) without saying which images it stored.", http);
    else
      snprintf(why, whylen, "The PACS refused the images (HTTP %ld).", http);
    return PW_REFUSED;
  }
  for (size_t i = 0; i < n; i++)
    if (out[i].outcome == PWO_NONE) out[i] = (struct pw_item){PWO_FAILED, -1};
  return PW_ANSWERED;
}

size_t pw_batch_take(const uint64_t *sizes, size_t n, size_t max_n, uint64_t max_bytes) {
  if (n == 0) return 0;
  size_t k = 1;
  uint64_t bytes = sizes[0];
  while (k < n && k < max_n && bytes + sizes[k] <= max_bytes) bytes += sizes[k++];
  return k;
}

const char *pw_reason_words(int reason) {
  switch (reason) {
  case -1: return "the PACS gave no reason";
  case 0x0110: return "the PACS could not process it";
  case 0x0111: return "the PACS already holds a different image with this identifier";
  case 0x0112: return "the PACS does not take this kind of image";
  case 0x0122: return "the PACS does not take this kind of image";
  case 0x0124: return "the PACS does not allow us to send it";
  case 0xA700: return "the PACS is out of storage space";
  case 0xA770: return "the PACS is out of storage space";
  case 0xA900: return "the PACS says the image does not match its type";
  case 0xC000: return "the PACS could not read the image";
  case 0xB000: return "stored, with some details changed by the PACS";
  case 0xB006: return "stored, with some details left out by the PACS";
  case 0xB007: return "stored, although it does not match its type";
  default:
    if (reason >= 0xA700 && reason <= 0xA7FF) return "the PACS is out of resources";
    if (reason >= 0xA900 && reason <= 0xA9FF) return "the PACS says the image does not match its type";
    if (reason >= 0xC000 && reason <= 0xCFFF) return "the PACS could not read the image";
    if (reason >= 0xB000 && reason <= 0xBFFF) return "stored, with a warning from the PACS";
    return "the PACS refused it";
  }
}

enum pw_gate pw_send_gate(const char *status, int auth_revoked) {
  /* every status after the draft and up to closed is open (core/vocab.h, in
   * enum req_status order: draft, submitted … closed, declined, withdrawn) */
  int i = vocab_status_index(status);
  if (i == VOCAB_N_STATUSES - 1) return PWG_WITHDRAWN;
  if (i == VOCAB_N_STATUSES - 2) return PWG_DECLINED;
  if (i <= 0) return PWG_DRAFT;
  return auth_revoked ? PWG_REVOKED : PWG_MAY;
}

const char *pw_gate_words(enum pw_gate g) {
  switch (g) {
  case PWG_MAY: return "";
  case PWG_DRAFT: return "the request has not been sent to the center";
  case PWG_DECLINED: return "the center declined the request";
  case PWG_WITHDRAWN: return "the patient withdrew the request";
  case PWG_REVOKED: return "the patient revoked the authorization to share the records";
  }
  return "the request cannot be sent";
}

void pw_headers_wipe(struct curl_slist *h) {
  for (; h; h = h->next)
    if (h->data) sodium_memzero(h->data, strlen(h->data));
}
