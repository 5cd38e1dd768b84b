/* The vocabularies (server/core/vocab.c), pinned row by row against the
 * tables below, written from the words the pages showed before the module
 * existed: every key, every label, the patient and staff words of each
 * status, unknown keys refused. Then the guard: no other C file under
 * server/ spells a vocabulary key as a string literal (outside comments);
 * the store's SQL (server/store/) keeps its own lists, as the migrations'
 * CHECK constraints do. A copy that comes back fails here. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/vocab.h"
#include "t.h"

#define N_OF(x) (sizeof(x) / sizeof((x)[0]))

static void roles(void) {
  static const struct {
    const char *key, *label;
    unsigned bit;
  } want[] = {
      {"patient", "patient", 1u << 0},
      {"staff", "center staff", 1u << 1},
      {"reviewer", "reviewing radiologist", 1u << 2},
      {"admin", "administrator", 1u << 3},
  };
  T_EQ_INT(VOCAB_N_ROLES, N_OF(want));
  for (size_t i = 0; i < N_OF(want); i++) {
    T_EQ_STR(VOCAB_ROLES[i].key, want[i].key);
    T_EQ_STR(VOCAB_ROLES[i].label, want[i].label);
    T_EQ_STR(vocab_role_label(want[i].key), want[i].label);
    T_EQ_INT(vocab_role_bit(want[i].key), want[i].bit);
    T_EQ_STR(vocab_role_key(want[i].bit), want[i].key);
    T_CHECK(vocab_role_valid(want[i].key));
  }
  T_EQ_INT(VOCAB_ROLE_PATIENT | VOCAB_ROLE_STAFF | VOCAB_ROLE_REVIEWER | VOCAB_ROLE_ADMIN, 15);
  const char *bad[] = {NULL, "", "Reviewer", "system", "anonymous", "staff ", "caregiver"};
  for (size_t i = 0; i < N_OF(bad); i++) {
    T_EQ_INT(vocab_role_bit(bad[i]), 0);
    T_CHECK(vocab_role_label(bad[i]) == NULL);
    T_CHECK(!vocab_role_valid(bad[i]));
  }
  T_CHECK(vocab_role_key(0) == NULL);
  T_CHECK(vocab_role_key(3) == NULL); /* two roles at once name none */
  T_CHECK(vocab_role_key(1u << 8) == NULL);
}

static void statuses(void) {
  static const char *const want[][4] = {
      /* key, the patient's words, the center's page word, the queue filter's word */
      {"draft", "Draft: not sent yet", "Draft", "Draft"},
      {"submitted", "Sent: waiting for the center", "New", "Submitted"},
      {"triage", "The center is checking your request", "In triage", "In triage"},
      {"needs_info", "Information needed from you", "Waiting for the patient", "Needs information"},
      {"accepted", "Accepted", "Accepted", "Accepted"},
      {"scheduled", "Consultation scheduled", "Consultation scheduled", "Scheduled"},
      {"in_review", "The specialist is reviewing your images", "In review", "In review"},
      {"report_ready", "Your report is ready", "Report signed", "Report ready"},
      {"closed", "Closed", "Closed", "Closed"},
      {"declined", "Declined", "Declined", "Declined"},
      {"withdrawn", "Withdrawn", "Withdrawn", "Withdrawn"},
  };
  T_EQ_INT(VOCAB_N_STATUSES, N_OF(want));
  T_EQ_INT(VOCAB_N_STATUS_FILTER, N_OF(want) + 1);
  T_EQ_STR(VOCAB_STATUS_FILTER[0].key, "all");
  T_EQ_STR(VOCAB_STATUS_FILTER[0].label, "Everything");
  for (size_t i = 0; i < N_OF(want); i++) {
    T_EQ_STR(VOCAB_STATUSES[i].key, want[i][0]);
    T_EQ_STR(VOCAB_STATUSES[i].patient, want[i][1]);
    T_EQ_STR(VOCAB_STATUSES[i].staff, want[i][2]);
    T_EQ_STR(VOCAB_STATUSES[i].filter, want[i][3]);
    T_EQ_STR(vocab_status_patient(want[i][0]), want[i][1]);
    T_EQ_STR(vocab_status_staff(want[i][0]), want[i][2]);
    T_EQ_STR(VOCAB_STATUS_STAFF_WORDS[i].key, want[i][0]);
    T_EQ_STR(VOCAB_STATUS_STAFF_WORDS[i].label, want[i][2]);
    T_EQ_STR(VOCAB_STATUS_FILTER[i + 1].key, want[i][0]);
    T_EQ_STR(VOCAB_STATUS_FILTER[i + 1].label, want[i][3]);
    T_EQ_INT(vocab_status_index(want[i][0]), i);
    T_CHECK(vocab_status_valid(want[i][0]));
  }
  const char *bad[] = {NULL, "", "all", "Draft", "unknown", "report ready"};
  for (size_t i = 0; i < N_OF(bad); i++) {
    T_EQ_INT(vocab_status_index(bad[i]), -1);
    T_CHECK(vocab_status_patient(bad[i]) == NULL);
    T_CHECK(vocab_status_staff(bad[i]) == NULL);
    T_CHECK(!vocab_status_valid(bad[i]));
  }
}

static void exam_types(void) {
  static const char *const want[][2] = {
      {"screening_mammogram", "Screening mammogram"},   {"diagnostic_mammogram", "Diagnostic mammogram"},
      {"tomosynthesis", "Tomosynthesis (3D mammogram)"}, {"ultrasound", "Breast ultrasound"},
      {"mri", "Breast MRI"},
  };
  T_EQ_INT(VOCAB_N_EXAM_TYPES, N_OF(want));
  for (size_t i = 0; i < N_OF(want); i++) {
    T_EQ_STR(VOCAB_EXAM_TYPES[i].key, want[i][0]);
    T_EQ_STR(VOCAB_EXAM_TYPES[i].label, want[i][1]);
    T_EQ_STR(vocab_exam_label(want[i][0]), want[i][1]);
  }
  T_CHECK(vocab_exam_label(NULL) == NULL);
  T_CHECK(vocab_exam_label("ct") == NULL);
  T_CHECK(vocab_exam_label("MRI") == NULL);
}

static void recommendations(void) {
  static const char *const want[][4] = {
      {"routine_screening", "Routine screening", "routine screening at your usual interval", "Routine screening"},
      {"short_interval_followup", "Short-interval follow-up imaging (usually in 6 months)",
       "a follow-up exam in about 6 months", "Short-interval follow-up"},
      {"additional_imaging", "Additional imaging", "more imaging", "Additional imaging"},
      {"biopsy", "Biopsy", "a biopsy", "Biopsy"},
      {"surgical_consultation", "Consultation with a breast surgeon", "a consultation with a breast surgeon",
       "Surgical consultation"},
      {"oncology_consultation", "Consultation with an oncologist", "a consultation with an oncologist",
       "Oncology consultation"},
  };
  T_EQ_INT(VOCAB_N_RECOMMENDATIONS, N_OF(want));
  for (size_t i = 0; i < N_OF(want); i++) {
    T_EQ_STR(VOCAB_RECOMMENDATIONS[i].key, want[i][0]);
    T_EQ_STR(VOCAB_RECOMMENDATIONS[i].label, want[i][1]);
    T_EQ_STR(VOCAB_RECOMMENDATIONS[i].patient, want[i][2]);
    T_EQ_STR(VOCAB_RECOMMENDATIONS[i].choice, want[i][3]);
    T_EQ_STR(VOCAB_RECOMMENDATION_WORDS[i].key, want[i][0]);
    T_EQ_STR(VOCAB_RECOMMENDATION_WORDS[i].label, want[i][1]);
    T_EQ_STR(vocab_recommendation_label(want[i][0]), want[i][1]);
    T_EQ_INT(vocab_recommendation_index(want[i][0]), i);
  }
  /* "unknown" follows the list for the first read's "not stated", but is no recommendation */
  T_EQ_STR(VOCAB_RECOMMENDATION_WORDS[N_OF(want)].key, "unknown");
  T_EQ_STR(VOCAB_RECOMMENDATION_WORDS[N_OF(want)].label, "Not stated");
  T_EQ_INT(vocab_recommendation_index("unknown"), -1);
  T_CHECK(vocab_recommendation_label("unknown") == NULL);
  T_EQ_INT(vocab_recommendation_index(NULL), -1);
  T_EQ_INT(vocab_recommendation_index("Biopsy"), -1);
}

static void biopsy(void) {
  static const char *const want[][2] = {
      {"none", "No biopsy"},
      {"benign", "Benign"},
      {"malignant", "Malignant (cancer)"},
      {"pending", "Biopsy done, result pending"},
  };
  T_EQ_INT(VOCAB_N_BIOPSY, N_OF(want));
  for (size_t i = 0; i < N_OF(want); i++) {
    T_EQ_STR(VOCAB_BIOPSY[i].key, want[i][0]);
    T_EQ_STR(VOCAB_BIOPSY[i].label, want[i][1]);
    T_EQ_STR(vocab_biopsy_label(want[i][0]), want[i][1]);
  }
  T_CHECK(vocab_biopsy_label(NULL) == NULL);
  T_CHECK(vocab_biopsy_label("unknown") == NULL);
  T_CHECK(vocab_biopsy_label("true") == NULL);
}

static void documents(void) {
  /* key, the patient's list, the upload choice, what to do when missing, the center's word, what staff ask
   * for, the reviewer's word */
  static const char *const want[][7] = {
      {"images", "Images", "Images (CD, DVD, ZIP or ISO)", "Upload your images (the original data from your disc)",
       "Current images (original DICOM data)", "Images",
       "Current images (original DICOM data)"},
      {"prior_images", "Earlier images", "Earlier images, for comparison", "Upload earlier images for comparison",
       "Earlier images for comparison", "Earlier images", "Earlier images for comparison"},
      {"radiology_report", "Radiology report", "Radiology report", "Upload your radiology report",
       "Radiology report of the first read", "Radiology report", "original radiology report"},
      {"pathology_report", "Pathology report", "Pathology report", "Upload your pathology report", "Pathology report",
       "Pathology report", "pathology report"},
      {"referral", "Referral", "Referral", "Upload your referral", "Referral", "Referral", "Referral"},
      {"insurance_card", "Insurance card", "Insurance card", "Upload your insurance card", "Insurance card",
       "Insurance card", "Insurance card"},
      {"photo_id", "Photo ID", "Photo ID", "Upload a photo ID", "Photo ID", "Photo ID", "Photo ID"},
      {"authorization", "Signed authorization form (paper)", "Signed authorization form (paper)", "Sign the release",
       "Signed authorization", "Signed authorization", "Signed authorization"},
      {"other", "Other", "Something else", NULL, "Something else (see the message)", "Something else",
       "Something else (see the message)"},
      {"authority_document", "Document giving you authority",
       "Document giving you authority (power of attorney, guardianship…)",
       "Upload the document that gives you authority to act", "Representative's authority document", NULL,
       "Representative's authority document"},
  };
#define SAME(a, b) T_CHECK((a) == NULL ? (b) == NULL : (b) != NULL && strcmp((a), (b)) == 0)
  T_EQ_INT(VOCAB_N_DOCUMENTS, N_OF(want));
  size_t asked = 0;
  for (size_t i = 0; i < N_OF(want); i++) {
    const struct vocab_document *d = vocab_document(want[i][0]);
    T_CHECK(d == &VOCAB_DOCUMENTS[i]);
    if (!d) continue;
    T_EQ_STR(d->key, want[i][0]);
    T_EQ_STR(d->patient, want[i][1]);
    T_EQ_STR(d->upload, want[i][2]);
    SAME(d->todo, want[i][3]);
    T_EQ_STR(d->staff, want[i][4]);
    SAME(d->ask, want[i][5]);
    T_EQ_STR(d->reviewer, want[i][6]);
    T_CHECK(vocab_document_valid(want[i][0]));
    if (want[i][5]) {
      T_CHECK(asked < VOCAB_N_DOCUMENT_ASK);
      if (asked < VOCAB_N_DOCUMENT_ASK) {
        T_EQ_STR(VOCAB_DOCUMENT_ASK_WORDS[asked].key, want[i][0]);
        T_EQ_STR(VOCAB_DOCUMENT_ASK_WORDS[asked].label, want[i][5]);
      }
      asked++;
    }
  }
  T_EQ_INT(asked, VOCAB_N_DOCUMENT_ASK);
  const char *bad[] = {NULL, "", "image", "Images", "exam", "coverage"};
  for (size_t i = 0; i < N_OF(bad); i++) {
    T_CHECK(vocab_document(bad[i]) == NULL);
    T_CHECK(!vocab_document_valid(bad[i]));
  }
}

/* ---- the guard against copies ---- */

/* Keys that only the module may spell (each a whole string literal). Not
 * "admin" (also a route's name) nor "withdrawn" (also a PACS send refusal
 * code), nor the short keys that are words elsewhere ("draft", "images"). */
static const char *const guarded[] = {
    "reviewer",          "staff",
    "needs_info",        "report_ready",         "in_review",
    "screening_mammogram", "diagnostic_mammogram", "tomosynthesis",
    "routine_screening", "short_interval_followup", "additional_imaging",
    "surgical_consultation", "oncology_consultation",
    "benign",            "malignant",
    "prior_images",      "radiology_report",     "pathology_report",
    "insurance_card",    "photo_id",             "authority_document",
};

static bool allowed(const char *path) {
  return strcmp(path, "server/core/vocab.c") == 0 || strcmp(path, "server/core/vocab.h") == 0 ||
         strncmp(path, "server/store/", 13) == 0; /* SQL keeps its own lists, like the CHECK constraints */
}

static size_t found; /* copies found */
static size_t files; /* files read */

/* Reports each guarded key written as a string literal outside comments. */
static void scan_file(const char *path) {
  FILE *f = fopen(path, "rb");
  T_CHECK(f != NULL);
  if (!f) return;
  files++;
  char lit[256];
  size_t n = 0, line = 1;
  int c, prev = 0;
  enum { CODE, STR, CHR, LINE_C, BLOCK_C } st = CODE;
  bool trunc = false;
  while ((c = fgetc(f)) != EOF) {
    if (c == '\n') line++;
    switch (st) {
    case CODE:
      if (c == '"') st = STR, n = 0, trunc = false;
      else if (c == '\'') st = CHR;
      else if (prev == '/' && c == '/') st = LINE_C;
      else if (prev == '/' && c == '*') st = BLOCK_C, c = 0;
      break;
    case STR:
      if (c == '\\') {
        int d = fgetc(f);
        if (d == '\n') line++;
        if (n + 2 < sizeof lit) lit[n++] = (char)c, lit[n++] = (char)d;
        else trunc = true;
        c = 0;
      } else if (c == '"') {
        lit[n] = 0;
        for (size_t k = 0; !trunc && k < N_OF(guarded); k++)
          if (strcmp(lit, guarded[k]) == 0) {
            fprintf(stderr, "  copy of \"%s\" at %s:%zu: ask core/vocab.h instead\n", lit, path, line);
            found++;
          }
        st = CODE;
        c = 0;
      } else if (n + 1 < sizeof lit) lit[n++] = (char)c;
      else trunc = true;
      break;
    case CHR:
      if (c == '\\') (void)fgetc(f), c = 0;
      else if (c == '\'') st = CODE, c = 0;
      break;
    case LINE_C:
      if (c == '\n') st = CODE;
      break;
    case BLOCK_C:
      if (prev == '*' && c == '/') st = CODE, c = 0;
      break;
    }
    prev = c;
  }
  fclose(f);
}

static void scan_dir(const char *dir) {
  DIR *d = opendir(dir);
  T_CHECK(d != NULL);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat sb;
    if (stat(path, &sb) != 0) continue;
    size_t l = strlen(e->d_name);
    if (S_ISDIR(sb.st_mode)) scan_dir(path);
    else if (l > 2 && (strcmp(e->d_name + l - 2, ".c") == 0 || strcmp(e->d_name + l - 2, ".h") == 0) && !allowed(path))
      scan_file(path);
  }
  closedir(d);
}

static void no_copies(void) {
  /* the unit tests run in the source tree (tests/meson.build: workdir) */
  found = files = 0;
  scan_dir("server");
  T_CHECK(files > 100); /* the tree was really read */
  T_EQ_INT(found, 0);
}

/* The scanner itself: a literal in code is found, one in a comment is not. */
static void scanner_finds_a_copy(void) {
  char tmpl[] = "/tmp/test_vocab_XXXXXX.c";
  int fd = mkstemps(tmpl, 2);
  T_CHECK(fd >= 0);
  if (fd < 0) return;
  FILE *f = fdopen(fd, "w");
  fputs("/* \"reviewer\" in a comment */\n// \"staff\" too\nchar q = '\"';\n"
        "const char *s = \"a \\\"quoted\\\" word\";\nconst char *k = \"malignant\";\n",
        f);
  fclose(f);
  found = 0;
  scan_file(tmpl);
  T_EQ_INT(found, 1);
  remove(tmpl);
}

int main(void) {
  T_RUN(roles);
  T_RUN(statuses);
  T_RUN(exam_types);
  T_RUN(recommendations);
  T_RUN(biopsy);
  T_RUN(documents);
  T_RUN(scanner_finds_a_copy);
  T_RUN(no_copies);
  return t_done();
}
