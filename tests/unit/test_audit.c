/* Proves the audit trail's pure parts: the chain hash matches vectors
 * computed independently (Python hashlib.blake2b over the canonical form
 * documented in server/core/audit.c), CSV cells are quoted and protected
 * against formula injection, dates are validated, and the admin page renders
 * rows and errors with every value escaped. */
#include <ClearSilver.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "http/reply.h"
#include "t.h"

static void hex(const unsigned char *b, char out[65]) { sodium_bin2hex(out, 65, b, 32); }

static void hash_matches_independent_vectors(void) {
  struct audit_entry e = {0};
  e.id = 1;
  e.at_us = 1700000000123456LL;
  e.actor_role = "anonymous";
  e.action = "login.failure";
  e.outcome = "failed";
  e.ip = "192.0.2.1";
  e.request_id = "r1";
  unsigned char h1[32];
  char x[65];
  audit_row_hash(&e, h1);
  hex(h1, x);
  T_EQ_STR(x, "a325a489f88e69a806feb35d1ff218afe3c65e41a926ee691d89582a71f8d30b");

  struct audit_entry f = {0};
  f.id = 2;
  f.at_us = 1700000000999999LL;
  f.has_actor_id = true;
  f.actor_id = 42;
  f.actor_role = "staff";
  f.action = "request.view";
  f.object_type = "request";
  f.object_id = "A-1";
  f.has_patient_id = true;
  f.patient_id = 7;
  f.outcome = "ok";
  f.ip = "";
  f.request_id = "cli";
  f.detail = "{\"a\": \"\xc3\xa9\"}";
  f.has_prev = true;
  memcpy(f.prev_hash, h1, 32);
  unsigned char h2[32];
  audit_row_hash(&f, h2);
  hex(h2, x);
  T_EQ_STR(x, "db3bd3f0e432b09ce3b370e4bda388717bfe05327421f9510d86df45671c4019");

  /* NULL and "" differ; so does any single changed field */
  f.object_type = NULL;
  unsigned char h3[32];
  audit_row_hash(&f, h3);
  T_CHECK(memcmp(h2, h3, 32) != 0);
  f.object_type = "";
  audit_row_hash(&f, h3);
  T_CHECK(memcmp(h2, h3, 32) != 0);
}

/* CSV field for s, as a malloc'd string. */
static char *csv_of(const char *s) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  audit_csv_field(f, s);
  fclose(f);
  return buf;
}

static void csv_quotes_and_defuses_formulas(void) {
  struct {
    const char *in, *out;
  } cases[] = {
      {"plain", "plain"},
      {"a,b", "\"a,b\""},
      {"say \"hi\"", "\"say \"\"hi\"\"\""},
      {"line\nbreak", "\"line\nbreak\""},
      {"=1+1", "\"'=1+1\""},
      {"+1", "\"'+1\""},
      {"-2", "\"'-2\""},
      {"@SUM(A1)", "\"'@SUM(A1)\""},
      {"=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""},
      {"a=b", "a=b"},
      {"", ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *got = csv_of(cases[i].in);
    T_EQ_STR(got, cases[i].out);
    free(got);
  }
  char *got = csv_of(NULL);
  T_EQ_STR(got, "");
  free(got);
}

static void dates_are_validated(void) {
  T_CHECK(audit_date_valid("2025-01-31"));
  T_CHECK(audit_date_valid("2024-02-29"));
  T_CHECK(!audit_date_valid("2025-02-29"));
  T_CHECK(!audit_date_valid("2025-13-01"));
  T_CHECK(!audit_date_valid("2025-1-01"));
  T_CHECK(!audit_date_valid("2025-01-01x"));
  T_CHECK(!audit_date_valid("yesterday"));
  T_CHECK(!audit_date_valid(""));
  T_CHECK(!audit_date_valid(NULL));
}

static void admin_page_renders_rows_escaped(void) {
  HDF *hdf = NULL;
  hdf_init(&hdf);
  hdf_set_value(hdf, "Page.Title", "Audit log");
  hdf_set_value(hdf, "Audit.Total", "1");
  hdf_set_int_value(hdf, "Audit.Count", 1);
  hdf_set_value(hdf, "Audit.Rows.0.Id", "17");
  hdf_set_value(hdf, "Audit.Rows.0.ActorId", "3");
  hdf_set_value(hdf, "Audit.Rows.0.ActorName", "<img src=x onerror=alert(1)>");
  hdf_set_value(hdf, "Audit.Rows.0.Action", "request.view");
  hdf_set_value(hdf, "Audit.Rows.0.ObjectType", "request");
  hdf_set_value(hdf, "Audit.Rows.0.ObjectId", "\"><script>");
  hdf_set_value(hdf, "Audit.CsvUrl", "/admin/audit.csv?action=request.view");
  char *html = render_template(hdf, "admin_audit.cs");
  T_CHECK(html != NULL);
  if (html) {
    T_CHECK(strstr(html, "<img src=x") == NULL);
    T_CHECK(strstr(html, "&lt;img src=x onerror=alert(1)&gt;") != NULL);
    T_CHECK(strstr(html, "<script>") == NULL);
    T_CHECK(strstr(html, "#17") != NULL);
    T_CHECK(strstr(html, "1 matching rows") != NULL);
    T_CHECK(strstr(html, "href=\"/admin/audit.csv?action=request.view\"") != NULL);
  }
  free(html);
  hdf_destroy(&hdf);

  hdf_init(&hdf);
  hdf_set_int_value(hdf, "Audit.Invalid", 1);
  hdf_set_value(hdf, "Form.Values.since", "2025-13-01");
  hdf_set_value(hdf, "Form.Errors.since", "Enter a date written year-month-day, like 2025-01-31.");
  html = render_template(hdf, "admin_audit.cs");
  T_CHECK(html != NULL);
  if (html) {
    T_CHECK(strstr(html, "id=\"since-error\"") != NULL);
    T_CHECK(strstr(html, "value=\"2025-13-01\"") != NULL);
    T_CHECK(strstr(html, "aria-invalid=\"true\"") != NULL);
    T_CHECK(strstr(html, "Download these rows") == NULL);
    T_CHECK(strstr(html, "nothing was searched") != NULL);
  }
  free(html);
  hdf_destroy(&hdf);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  NEOERR *err = nerr_init();
  if (err) nerr_ignore(&err);
  const char *share = getenv("SECONDOP_SHARE_DIR");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/templates", share ? share : ".");
  T_CHECK(templates_load(dir) > 0);
  T_RUN(hash_matches_independent_vectors);
  T_RUN(csv_quotes_and_defuses_formulas);
  T_RUN(dates_are_validated);
  T_RUN(admin_page_renders_rows_escaped);
  templates_free();
  return t_done();
}
