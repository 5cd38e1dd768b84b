/* "Send to our PACS" (core/pacs_wire.h), the pure parts: what a STOW-RS answer means for each
 * instance of the batch (the table below, written before the code), how many instances go in
 * one POST, and the back-off schedule of the job queue. */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/jobs.h"
#include "core/pacs_wire.h"
#include "t.h"

#define S1 "1.2.3.1"
#define S2 "1.2.3.2"
#define REF(uid) "{\"00081150\":{\"vr\":\"UI\",\"Value\":[\"1.2.840.10008.5.1.4.1.1.1.2\"]},\"00081155\":{\"vr\":\"UI\",\"Value\":[\"" uid "\"]}}"
#define REFW(uid, w) "{\"00081155\":{\"vr\":\"UI\",\"Value\":[\"" uid "\"]},\"00081196\":{\"vr\":\"US\",\"Value\":[" #w "]}}"
#define FAIL(uid, r) "{\"00081155\":{\"vr\":\"UI\",\"Value\":[\"" uid "\"]},\"00081197\":{\"vr\":\"US\",\"Value\":[" #r "]}}"
#define REFSEQ(...) "\"00081199\":{\"vr\":\"SQ\",\"Value\":[" __VA_ARGS__ "]}"
#define FAILSEQ(...) "\"00081198\":{\"vr\":\"SQ\",\"Value\":[" __VA_ARGS__ "]}"

/* The table: HTTP status (0: no answer, the connection failed), the body, and what follows:
 * the verdict and each instance's outcome ("R" referenced, "W:n" warning n, "F:n" failed with
 * FailureReason n, "F:-1" failed without one: the PACS did not mention it). */
static const struct row {
  long http;
  const char *body;
  enum pw_verdict verdict;
  const char *outcomes; /* for S1,S2; "" when the verdict is not PW_ANSWERED */
} table[] = {
    {0, "", PW_RETRY, ""},                                                         /* refused, reset, timed out */
    {200, "{" REFSEQ(REF(S1) "," REF(S2)) "}", PW_ANSWERED, "R,R"},                /* everything stored */
    {200, "[{" REFSEQ(REF(S2) "," REF(S1)) "}]", PW_ANSWERED, "R,R"},              /* wrapped in an array, any order */
    {202, "{" REFSEQ(REF(S1)) "," FAILSEQ(FAIL(S2, 42752)) "}", PW_ANSWERED, "R,F:42752"}, /* some stored */
    {200, "{" REFSEQ(REFW(S1, 45056) "," REF(S2)) "}", PW_ANSWERED, "W:45056,R"},  /* coerced: a warning */
    {409, "{" FAILSEQ(FAIL(S1, 273) "," FAIL(S2, 49152)) "}", PW_ANSWERED, "F:273,F:49152"}, /* none stored */
    {400, "{" FAILSEQ(FAIL(S1, 43264)) "}", PW_ANSWERED, "F:43264,F:-1"},          /* listed failures count */
    {202, "{" REFSEQ(REF(S1)) "}", PW_ANSWERED, "R,F:-1"},                         /* S2 not mentioned */
    {200, "{" REFSEQ(REF(S1) "," REF(S2) "," REF("9.9.9")) "}", PW_ANSWERED, "R,R"}, /* a stranger is ignored */
    {200, "{" FAILSEQ("{\"00081155\":{\"vr\":\"UI\",\"Value\":[\"" S1 "\"]}}") "," REFSEQ(REF(S2)) "}", PW_ANSWERED,
     "F:-1,R"},                                                                   /* a failure without its reason */
    {503, "", PW_RETRY, ""},                                                       /* busy */
    {503, "{" FAILSEQ(FAIL(S1, 42752)) "}", PW_RETRY, ""},                         /* busy, whatever it lists */
    {500, "oops", PW_RETRY, ""},
    {502, "", PW_RETRY, ""},
    {504, "", PW_RETRY, ""},
    {408, "", PW_RETRY, ""},
    {429, "", PW_RETRY, ""},
    {401, "", PW_CREDENTIALS, ""},
    {403, "{" FAILSEQ(FAIL(S1, 273)) "}", PW_CREDENTIALS, ""},
    {404, "", PW_REFUSED, ""},                                                     /* no STOW-RS at this address */
    {405, "", PW_REFUSED, ""},
    {415, "not application/dicom", PW_REFUSED, ""},
    {409, "{}", PW_REFUSED, ""},                                                   /* names no instance */
    {200, "", PW_REFUSED, ""},                                                     /* stored? it does not say */
    {200, "<html>ok</html>", PW_REFUSED, ""},
    {200, "{\"00081199\":{\"vr\":\"SQ\"}}", PW_REFUSED, ""},                       /* an empty sequence */
    {302, "", PW_REFUSED, ""},                                                     /* redirects are not followed */
    {100, "", PW_REFUSED, ""},
};

static void outcomes_text(const struct pw_item *it, size_t n, char *out, size_t cap) {
  out[0] = 0;
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(out);
    const char *sep = i ? "," : "";
    switch (it[i].outcome) {
    case PWO_REFERENCED: snprintf(out + l, cap - l, "%sR", sep); break;
    case PWO_WARNING: snprintf(out + l, cap - l, "%sW:%d", sep, it[i].reason); break;
    case PWO_FAILED: snprintf(out + l, cap - l, "%sF:%d", sep, it[i].reason); break;
    case PWO_NONE: snprintf(out + l, cap - l, "%s?", sep); break;
    }
  }
}

static void test_table(void) {
  const char *sops[] = {S1, S2};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    const struct row *t = &table[i];
    struct pw_item it[2];
    char why[300] = "", got[64];
    enum pw_verdict v = pw_classify(t->http, t->body, strlen(t->body), sops, 2, it, why, sizeof why);
    if (v != t->verdict) fprintf(stderr, "  table row %zu (HTTP %ld)\n", i, t->http);
    T_EQ_INT(v, t->verdict);
    if (v == PW_ANSWERED && t->verdict == PW_ANSWERED) {
      outcomes_text(it, 2, got, sizeof got);
      if (strcmp(got, t->outcomes) != 0) fprintf(stderr, "  table row %zu (HTTP %ld)\n", i, t->http);
      T_EQ_STR(got, t->outcomes);
    } else if (v != PW_ANSWERED) {
      T_CHECK(why[0] != 0); /* every stop or retry says why, in words */
    }
  }
}

static void test_words(void) {
  char why[300];
  struct pw_item it[1];
  const char *sops[] = {S1};
  pw_classify(401, "", 0, sops, 1, it, why, sizeof why);
  T_CHECK(strstr(why, "user name") != NULL && strstr(why, "401") != NULL);
  pw_classify(0, "", 0, sops, 1, it, why, sizeof why);
  T_CHECK(strstr(why, "could not be reached") != NULL);
  T_CHECK(strstr(pw_reason_words(0x0111), "already") != NULL);
  T_CHECK(strstr(pw_reason_words(0xA700), "storage") != NULL || strstr(pw_reason_words(0xA700), "space") != NULL);
  T_CHECK(pw_reason_words(-1)[0] != 0);
  T_CHECK(pw_reason_words(12345)[0] != 0);
}

static void test_batches(void) {
  uint64_t s[] = {10, 10, 10, 10};
  T_EQ_INT(pw_batch_take(s, 4, 2, 1000), 2);      /* by count */
  T_EQ_INT(pw_batch_take(s, 4, 10, 25), 2);       /* by bytes */
  T_EQ_INT(pw_batch_take(s, 4, 10, 40), 4);       /* exactly the limit */
  T_EQ_INT(pw_batch_take(s, 3, 10, 1000), 3);     /* what there is */
  uint64_t big[] = {500, 10};
  T_EQ_INT(pw_batch_take(big, 2, 10, 100), 1);    /* one file over the limit still goes, alone */
  uint64_t small_then_big[] = {10, 500};
  T_EQ_INT(pw_batch_take(small_then_big, 2, 10, 100), 1);
  T_EQ_INT(pw_batch_take(s, 0, 10, 100), 0);
  T_EQ_INT(pw_batch_take(s, 4, 0, 100), 1);       /* a zero count limit still sends one */
}

static void test_backoff(void) {
  /* the job queue's schedule (core/jobs.c): base, doubling per attempt, stops doubling past an hour */
  T_EQ_INT(jobs_backoff_delay(5, 1), 5);
  T_EQ_INT(jobs_backoff_delay(5, 2), 10);
  T_EQ_INT(jobs_backoff_delay(5, 3), 20);
  T_EQ_INT(jobs_backoff_delay(5, 10), 2560);
  T_EQ_INT(jobs_backoff_delay(5, 11), 5120);
  T_EQ_INT(jobs_backoff_delay(5, 40), 5120);
  T_EQ_INT(jobs_backoff_delay(1, 3), 4);
  T_EQ_INT(jobs_backoff_delay(0, 7), 0);
  T_EQ_INT(jobs_backoff_delay(5, 0), 5);
}

/* Who may still have her images sent (issue 14 item 3, written before the code): the request's
 * status and whether the patient revoked her HIPAA authorization (and signed none since) decide
 * whether a send may start, and whether a queued or retrying one may go on. A withdrawn request
 * or a revoked authorization stops everything; a declined request was never taken on; a closed
 * request (its report released) may still go to the center's own PACS, where the reading
 * radiologist's record is kept. */
static const struct gate_row {
  const char *status;
  int revoked;
  enum pw_gate gate;
} gate_rows[] = {
    {"draft", 0, PWG_DRAFT},          {"submitted", 0, PWG_MAY},        {"triage", 0, PWG_MAY},
    {"needs_info", 0, PWG_MAY},       {"accepted", 0, PWG_MAY},         {"scheduled", 0, PWG_MAY},
    {"in_review", 0, PWG_MAY},        {"report_ready", 0, PWG_MAY},     {"closed", 0, PWG_MAY},
    {"declined", 0, PWG_DECLINED},    {"withdrawn", 0, PWG_WITHDRAWN},  {"withdrawn", 1, PWG_WITHDRAWN},
    {"triage", 1, PWG_REVOKED},       {"in_review", 1, PWG_REVOKED},    {"closed", 1, PWG_REVOKED},
    {"report_ready", 1, PWG_REVOKED}, {"", 0, PWG_DRAFT},               {"something_new", 0, PWG_DRAFT},
};

static void test_gate(void) {
  for (size_t i = 0; i < sizeof gate_rows / sizeof gate_rows[0]; i++) {
    const struct gate_row *g = &gate_rows[i];
    enum pw_gate got = pw_send_gate(g->status, g->revoked);
    if (got != g->gate) fprintf(stderr, "row %zu (%s, revoked %d): %d\n", i, g->status, g->revoked, (int)got);
    T_EQ_INT(got, g->gate);
    T_CHECK(pw_gate_words(got) != NULL);
  }
  T_CHECK(strstr(pw_gate_words(PWG_WITHDRAWN), "withdrew") != NULL);
  T_CHECK(strstr(pw_gate_words(PWG_REVOKED), "revoked") != NULL);
  T_CHECK(strcmp(pw_gate_words(PWG_MAY), "") == 0);
}

/* The headers of a POST (one holds the bearer token) are wiped before curl frees them: every
 * byte of every header's copy is zero, the list still walks. */
static void test_headers_wipe(void) {
  struct curl_slist *h = curl_slist_append(NULL, "Accept: application/dicom+json");
  h = curl_slist_append(h, "Authorization: Bearer s3cret-token-value");
  T_CHECK(h != NULL && h->next != NULL);
  size_t len[2] = {strlen(h->data), strlen(h->next->data)};
  pw_headers_wipe(h);
  size_t k = 0;
  for (struct curl_slist *n = h; n; n = n->next, k++)
    for (size_t i = 0; i < len[k]; i++) T_CHECK(n->data[i] == 0);
  T_EQ_INT(k, 2);
  pw_headers_wipe(NULL); /* nothing to wipe */
  curl_slist_free_all(h);
}

int main(void) {
  T_RUN(test_headers_wipe);
  T_RUN(test_gate);
  T_RUN(test_table);
  T_RUN(test_words);
  T_RUN(test_batches);
  T_RUN(test_backoff);
  return t_done();
}
