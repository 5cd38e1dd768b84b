/* The reviewer's report: see reports.h. */
#include "core/reports.h"
#include "core/vocab.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/audit.h"
#include "core/center.h"
#include "core/comm_tasks.h"
#include "core/password.h"
#include "core/secrets.h"
#include "core/totp.h"
#include "core/birads.h"
#include "core/concordance.h"
#include "core/form.h"
#include "core/requests.h"
#include "store/accounts.h"
#include "store/db.h"
#include "store/reauth.h"
#include "store/reports.h"
#include "store/requests.h"
#include "util/arena.h"
#include "util/log.h"

#define R_PATIENT (1u << 0)
#define R_STAFF (1u << 1)
#define R_REVIEWER (1u << 2)

/* Subkey purpose of the app key for report findings (secrets.h lists 1–4,
 * the request workflow uses 16 and up; 32 is reserved for reports). */
#define SEALED_TOTP ((size_t)TOTP_SECRET_BYTES + SECRETS_SEAL_OVERHEAD)

static void add_err(struct report_errors *errs, const char *field, const char *msg) {
  if (errs && errs->n < sizeof errs->e / sizeof errs->e[0]) {
    errs->e[errs->n].field = field;
    errs->e[errs->n].message = msg;
    errs->n++;
  }
}

static enum err audit_req(const struct actor *who, const char *action, long long id, long long patient,
                          const char *outcome, const char *detail) {
  char oid[24];
  snprintf(oid, sizeof oid, "%lld", id);
  struct audit_event ev = {action, "request", oid, patient, outcome, detail};
  return audit_write(who, &ev);
}

/* ---- sealing findings ---- */

/* Seals text for request id and side into hex (arena); "" for empty text; NULL on failure. */
static const char *seal(struct arena *a, long long id, const char *side, const char *text) {
  if (!text || !*text) return "";
  size_t n = strlen(text);
  char ad[64];
  int adl = snprintf(ad, sizeof ad, "report:%lld:%s", id, side);
  unsigned char *out = arena_alloc(a, n + SECRETS_SEAL_OVERHEAD);
  char *hex = arena_alloc(a, 2 * (n + SECRETS_SEAL_OVERHEAD) + 1);
  if (!out || !hex || adl < 0) return NULL;
  if (secrets_seal(SECRET_REPORT, (const unsigned char *)text, n, (const unsigned char *)ad, (size_t)adl, out) != 0)
    return NULL;
  sodium_bin2hex(hex, 2 * (n + SECRETS_SEAL_OVERHEAD) + 1, out, n + SECRETS_SEAL_OVERHEAD);
  return hex;
}

/* Opens what seal() made; "" for "", NULL when it cannot be opened. */
static const char *unseal(struct arena *a, long long id, const char *side, const char *hex) {
  size_t hl = strlen(hex);
  if (hl == 0) return "";
  size_t bl = hl / 2;
  if (bl < SECRETS_SEAL_OVERHEAD) return NULL;
  unsigned char *bin = arena_alloc(a, bl);
  char *plain = arena_alloc(a, bl - SECRETS_SEAL_OVERHEAD + 1);
  size_t got = 0;
  if (!bin || !plain || sodium_hex2bin(bin, bl, hex, hl, NULL, &got, NULL) != 0 || got != bl) return NULL;
  char ad[64];
  int adl = snprintf(ad, sizeof ad, "report:%lld:%s", id, side);
  if (adl < 0 || secrets_open(SECRET_REPORT, bin, bl, (const unsigned char *)ad, (size_t)adl, (unsigned char *)plain) != 0)
    return NULL;
  plain[bl - SECRETS_SEAL_OVERHEAD] = '\0';
  return plain;
}

/* ---- re-authentication ---- */

enum err reports_reauth(struct arena *a, const struct actor *who, const char *credential) {
  if (!who || who->user_id <= 0 || !credential || !*credential || strlen(credential) > PW_INPUT_MAX_BYTES)
    return ERR_UNAUTHENTICATED;
  struct st_user u;
  enum err e = st_user_by_id(a, who->user_id, &u);
  if (e != ERR_OK) return e == ERR_NOT_FOUND ? ERR_UNAUTHENTICATED : e;
  if (!u.active) return ERR_UNAUTHENTICATED;
  /* six digits (spaces allowed): a TOTP code */
  size_t digits = 0, other = 0;
  for (const char *p = credential; *p; p++) {
    if (*p >= '0' && *p <= '9')
      digits++;
    else if (*p != ' ')
      other++;
  }
  if (digits == TOTP_DIGITS && other == 0 && u.totp_enabled) {
    unsigned char sealed[SEALED_TOTP], secret[TOTP_SECRET_BYTES];
    size_t bl = 0;
    char ad[32];
    int adl = snprintf(ad, sizeof ad, "user:%lld", u.id);
    if (strlen(u.totp_secret_hex) != 2 * SEALED_TOTP ||
        sodium_hex2bin(sealed, sizeof sealed, u.totp_secret_hex, 2 * SEALED_TOTP, NULL, &bl, NULL) != 0 ||
        bl != sizeof sealed ||
        secrets_open(SECRET_TOTP_SEAL, sealed, sizeof sealed, (const unsigned char *)ad, (size_t)adl, secret) != 0) {
      LOG_E("the TOTP secret of user %lld cannot be opened", u.id);
      return ERR_INTERNAL;
    }
    long long step = totp_check(secret, sizeof secret, credential, time(NULL), u.totp_last_step);
    sodium_memzero(secret, sizeof secret);
    if (step < 0) return ERR_UNAUTHENTICATED;
    e = st_user_advance_step(a, u.id, step);
    return e == ERR_CONFLICT ? ERR_UNAUTHENTICATED : e;
  }
  if (!u.password_hash[0]) return ERR_UNAUTHENTICATED;
  char *norm = pw_normalize(credential, strlen(credential));
  if (!norm) return ERR_UNAUTHENTICATED;
  if (pw_slot_acquire(10000) != 0) {
    pw_free(norm);
    return ERR_UNAVAILABLE;
  }
  int rc = pw_verify(u.password_hash, norm, crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE, NULL);
  pw_slot_release();
  pw_free(norm);
  return rc == 0 ? ERR_OK : ERR_UNAUTHENTICATED;
}

/* Wrong credentials allowed within REAUTH_WINDOW_S before signing pauses for
 * REAUTH_LOCK_S after the last of them (password guessing through the
 * signing form). Counted from the audit rows written below. */
#define REAUTH_MAX_FAILURES 5
#define REAUTH_WINDOW_S 900
#define REAUTH_LOCK_S 900

int reports_reauth_wait(struct arena *a, const struct actor *who) {
  int failures = 0, wait = 0;
  if (!who || who->user_id <= 0) return 0;
  if (st_reauth_failures(a, who->user_id, REAUTH_WINDOW_S, REAUTH_LOCK_S, &failures, &wait) != ERR_OK) return 0;
  return failures >= REAUTH_MAX_FAILURES ? wait : 0;
}

/* Checks the credential unless the actor is in a signing pause: then
 * ERR_TOO_MANY with a message in errs, audited as action denied (reason
 * throttled), and the credential is not checked. A wrong credential is
 * audited denied (reason credential; these rows are what the pause counts)
 * and gives ERR_UNAUTHENTICATED with wrong_msg in errs. Otherwise as
 * reports_reauth. */
static enum err reauth_checked(struct arena *a, const struct actor *who, const char *credential, const char *action,
                               long long id, long long patient, const char *wrong_msg, struct report_errors *errs) {
  int failures = 0, wait = 0;
  if (!who || who->user_id <= 0) return ERR_UNAUTHENTICATED;
  enum err e = st_reauth_failures(a, who->user_id, REAUTH_WINDOW_S, REAUTH_LOCK_S, &failures, &wait);
  if (e != ERR_OK) return e; /* fail closed: nothing is signed without the count */
  if (failures >= REAUTH_MAX_FAILURES && wait > 0) {
    audit_req(who, action, id, patient, "denied", "{\"reason\":\"throttled\"}");
    int minutes = (wait + 59) / 60;
    add_err(errs, "credential",
            arena_printf(a,
                         "Too many attempts with a wrong password or code. For your security, signing is paused "
                         "for 15 minutes; please try again in %d minute%s. Nothing was signed.",
                         minutes, minutes == 1 ? "" : "s"));
    return ERR_TOO_MANY;
  }
  e = reports_reauth(a, who, credential);
  if (e != ERR_OK) {
    audit_req(who, action, id, patient, "denied", "{\"reason\":\"credential\"}");
    if (e == ERR_UNAUTHENTICATED) add_err(errs, "credential", wrong_msg);
  }
  return e;
}

/* ---- loading ---- */

static void fill_view(struct arena *a, long long request_id, const struct rowset *rp, struct report_view *out) {
  out->exists = true;
  out->id = rs_ll(rp, 0, "id");
  out->is_signed = strcmp(rs_get(rp, 0, "status"), "signed") == 0;
  out->released = *rs_get(rp, 0, "released_at") != '\0';
  const char *l = unseal(a, request_id, "left", rs_get(rp, 0, "left_hex"));
  const char *r = unseal(a, request_id, "right", rs_get(rp, 0, "right_hex"));
  if (!l || !r) LOG_E("report of request %lld: findings cannot be opened (wrong app key?)", request_id);
  out->f.findings_left = l ? l : "(These findings could not be read.)";
  out->f.findings_right = r ? r : "(These findings could not be read.)";
  out->f.birads = rs_get(rp, 0, "birads");
  out->f.density = rs_get(rp, 0, "density");
  out->f.recommendation = rs_get(rp, 0, "recommendation");
  out->f.first_recommendation = rs_get(rp, 0, "first_recommendation");
  const char *ahex = rs_get(rp, 0, "answers_hex");
  const char *ans = *ahex ? unseal(a, request_id, "answers", ahex) : rs_get(rp, 0, "answers");
  if (!ans) LOG_E("report of request %lld: answers cannot be opened (wrong app key?)", request_id);
  out->f.answers = ans ? ans : "(These answers could not be read.)";
  out->f.contradiction_reason = rs_get(rp, 0, "contradiction_reason");
  out->suspicion = rs_get(rp, 0, "suspicion_change");
  out->first_state = rs_get(rp, 0, "first_read_state");
  out->legacy_rules = out->is_signed && rs_ll(rp, 0, "concordance_rules") != 2;
  out->f.summary = rs_get(rp, 0, "summary");
  out->f.explanation = rs_get(rp, 0, "concordance_explanation");
  out->concordance = rs_get(rp, 0, "concordance");
  out->first_birads = rs_get(rp, 0, "first_birads");
  out->signed_at = rs_get(rp, 0, "signed_at");
  out->signed_by = rs_get(rp, 0, "signed_by");
  out->content_hash = rs_get(rp, 0, "content_hash");
  out->released_at = rs_get(rp, 0, "released_at");
  out->updated_at = rs_get(rp, 0, "updated_at");
}

enum err reports_load(struct arena *a, const struct actor *who, long long request_id, struct report_view *out) {
  memset(out, 0, sizeof *out);
  if (!who || (who->role != R_PATIENT && who->role != R_STAFF && who->role != R_REVIEWER)) return ERR_NOT_FOUND;
  enum err e = requests_access(who, request_id, RA_VIEW, &out->status, &out->patient_id);
  if (e != ERR_OK) return e;
  struct rowset rp;
  e = st_report_by_request(a, request_id, &rp);
  if (e == ERR_NOT_FOUND) {
    if (who->role == R_PATIENT) {
      audit_req(who, "report.view", request_id, out->patient_id, "denied", NULL);
      return ERR_NOT_FOUND;
    }
    return ERR_OK;
  }
  if (e != ERR_OK) return e;
  fill_view(a, request_id, &rp, out);
  if (who->role == R_PATIENT && !out->released) {
    audit_req(who, "report.view", request_id, out->patient_id, "denied", NULL);
    return ERR_NOT_FOUND;
  }
  if (who->role == R_STAFF && !out->is_signed) {
    /* staff see that a draft exists, not its content */
    out->f = (struct report_fields){"", "", "", "", "", "", "", "", "", ""};
    out->concordance = out->suspicion = out->first_state = "";
  }
  e = st_addenda(a, out->id, &out->addenda);
  if (e == ERR_OK) e = st_questions(a, out->id, &out->questions);
  if (e != ERR_OK) return e;
  return audit_req(who, "report.view", request_id, out->patient_id, "ok", NULL);
}

/* ---- the reviewer's forms (core/form.h) ---- */

enum { RF_LEFT, RF_RIGHT, RF_BIRADS, RF_DENSITY, RF_REC, RF_FIRST_REC, RF_ANSWERS, RF_SUMMARY, RF_EXPLANATION,
       RF_REASON, RF_N };
static const struct form_word density_words[] = {
    {"A", "A — almost entirely fatty"},
    {"B", "B — scattered fibroglandular density"},
    {"C", "C — heterogeneously dense"},
    {"D", "D — extremely dense"},
};
/* The report's fields; REQ is true in the signing spec (what a signed report needs). */
#define REPORT_FIELDS(REQ)                                                                                             \
  {                                                                                                                    \
    [RF_LEFT] = {.name = "findings_left", .type = FT_MULTILINE, .required = REQ, .max = 5000,                          \
                 .missing = "Write the findings for the left breast (\"No findings\" is fine).",                       \
                 .invalid = "Findings are limited to 5,000 characters of plain text."},                                \
    [RF_RIGHT] = {.name = "findings_right", .type = FT_MULTILINE, .required = REQ, .max = 5000,                        \
                  .missing = "Write the findings for the right breast (\"No findings\" is fine).",                     \
                  .invalid = "Findings are limited to 5,000 characters of plain text."},                               \
    [RF_BIRADS] = {.name = "birads", .type = FT_ENUM, .required = REQ, .vocab = BIRADS_WORDS, .n_vocab = BI_COUNT,     \
                   .missing = "Choose a BI-RADS category.", .invalid = "Choose a BI-RADS category."},                  \
    [RF_DENSITY] = {.name = "density", .type = FT_ENUM, .required = REQ, .vocab = density_words, .n_vocab = 4,         \
                    .missing = "Choose the breast density.", .invalid = "Choose a density from A to D."},              \
    [RF_REC] = {.name = "recommendation", .type = FT_ENUM, .required = REQ, .vocab = VOCAB_RECOMMENDATION_WORDS,                 \
                .n_vocab = REC_COUNT, .missing = "Choose a recommendation.", .invalid = "Choose a recommendation."},  \
    [RF_FIRST_REC] = {.name = "first_recommendation", .type = FT_ENUM, .vocab = VOCAB_RECOMMENDATION_WORDS, .n_vocab = REC_COUNT, \
                      .invalid = "Choose the first read's recommendation, or leave it to follow from its category."}, \
    [RF_ANSWERS] = {.name = "answers", .type = FT_MULTILINE, .max = 10000,                                             \
                    .invalid = "Answers are limited to 10,000 characters of plain text."},                             \
    [RF_SUMMARY] = {.name = "summary", .type = FT_MULTILINE, .required = REQ, .max = 5000,                             \
                    .missing = "Write a plain-language summary for the patient.",                                      \
                    .invalid = "The summary is limited to 5,000 characters of plain text."},                           \
    [RF_EXPLANATION] = {.name = "explanation", .type = FT_MULTILINE, .max = 3000,                                      \
                        .invalid = "The explanation is limited to 3,000 characters."},                                 \
    [RF_REASON] = {.name = "contradiction_reason", .type = FT_MULTILINE, .max = 2000,                                  \
                   .invalid = "The reason is limited to 2,000 characters of plain text."},                             \
  }
static const struct form_field draft_fields[RF_N] = REPORT_FIELDS(false);
static const struct form_field sign_fields[RF_N] = REPORT_FIELDS(true);

/* Signing: a category and a recommendation that point to different next steps need the reason. */
static void sign_check(const struct form_spec *spec, const struct form_value *v, struct form_errors *errs, void *ctx) {
  (void)spec;
  (void)ctx;
  if (form_error(errs, "birads") || form_error(errs, "recommendation")) return;
  if (birads_contradicts(birads_parse(v[RF_BIRADS].text), birads_rec_parse(v[RF_REC].text)) && !v[RF_REASON].present)
    form_error_add(errs, "contradiction_reason",
                   "BI-RADS category and recommendation point to different next steps. Write why (for example, the "
                   "patient's history), or change the category or the recommendation. Nothing was signed.");
}

const struct form_spec *reports_form(bool sign) {
  static const struct form_spec draft = {draft_fields, RF_N, NULL};
  static const struct form_spec signing = {sign_fields, RF_N, sign_check};
  return sign ? &signing : &draft;
}

static const struct form_field addendum_fields[] = {
    {.name = "question_id", .type = FT_ID, .invalid = "Choose one of the patient's questions, or none."},
    {.name = "body", .type = FT_MULTILINE, .required = true, .max = 10000,
     .missing = "Write the addendum (up to 10,000 characters).",
     .invalid = "Write the addendum (up to 10,000 characters)."},
};

const struct form_spec *reports_addendum_form(void) {
  static const struct form_spec spec = {addendum_fields, 2, NULL};
  return &spec;
}

static const struct form_field reply_fields[] = {
    {.name = "reply", .type = FT_MULTILINE, .required = true, .max = REQUESTS_MESSAGE_MAX,
     .missing = "Write the message to the patient (up to 5,000 characters). Nothing was sent.",
     .invalid = "Write the message to the patient (up to 5,000 characters). Nothing was sent."},
};
static const struct form_field note_fields[] = {
    {.name = "note", .type = FT_MULTILINE, .required = true, .max = REQUESTS_MESSAGE_MAX,
     .missing = "Write the note (up to 5,000 characters). Nothing was sent.",
     .invalid = "Write the note (up to 5,000 characters). Nothing was sent."},
};

const struct form_spec *reports_thread_form(bool internal) {
  static const struct form_spec reply = {reply_fields, 1, NULL};
  static const struct form_spec note = {note_fields, 1, NULL};
  return internal ? &note : &reply;
}

/* The parse's error map into the report's. */
static void errs_from(struct report_errors *errs, const struct form_errors *fe) {
  for (size_t i = 0; i < fe->n; i++) add_err(errs, fe->e[i].field, fe->e[i].message);
}

/* The credential as typed (a password may begin or end with a space): never trimmed, never echoed. */
static const char *credential_of(const struct form_pair *in, size_t n) {
  for (size_t i = 0; in && i < n; i++)
    if (strcmp(in[i].name, "credential") == 0) return in[i].value;
  return NULL;
}

/* ---- the verdict ---- */

/* The first read of request id and the verdict of fields f against it (the
 * one computation used by the preview and by signing). */
static enum err judge(struct arena *a, long long id, const struct report_fields *f, struct report_verdict *out) {
  struct rowset fr;
  enum err e = st_first_read(a, id, &fr);
  if (e != ERR_OK) return e;
  const char *typed = f->first_recommendation && *f->first_recommendation ? f->first_recommendation : "";
  enum birads b1 = BI_UNKNOWN;
  enum birads_rec r1 = REC_NONE;
  if (rs_bool(&fr, 0, "verified")) {
    out->state = FIRST_VERIFIED;
    b1 = birads_parse(rs_get(&fr, 0, "verified_birads"));
    r1 = birads_rec_parse(*typed ? typed : rs_get(&fr, 0, "verified_recommendation"));
  } else if (birads_valid(rs_get(&fr, 0, "patient_birads"))) {
    out->state = FIRST_UNVERIFIED;
    b1 = birads_parse(rs_get(&fr, 0, "patient_birads"));
    r1 = birads_rec_parse(typed);
  } else {
    out->state = FIRST_UNKNOWN;
    r1 = birads_rec_parse(typed);
  }
  enum birads b2 = birads_parse(f->birads);
  enum birads_rec r2 = birads_rec_parse(f->recommendation);
  out->first_birads = b1 == BI_UNKNOWN ? "" : birads_name(b1);
  /* the next step the verdict used: given, or implied by the category */
  out->first_rec = birads_rec_name(r1 != REC_NONE ? r1 : birads_implied_rec(b1));
  out->contradiction = birads_contradicts(b2, r2);
  if (b2 == BI_UNKNOWN && r2 == REC_NONE) {
    out->r = (struct conc_result){V_NO_VERDICT, SUSP_NONE, MG_NONE, MG_NONE, WHY_NOT_STATED};
    return ERR_OK;
  }
  out->r = concordance_judge(out->state, b1, r1, b2, r2);
  return ERR_OK;
}

enum err reports_preview(struct arena *a, const struct actor *who, long long request_id,
                         const struct report_fields *f, struct report_verdict *out) {
  memset(out, 0, sizeof *out);
  if (!who || who->role != R_REVIEWER) return ERR_NOT_FOUND;
  enum req_status st;
  long long patient = 0;
  enum err e = requests_access(who, request_id, RA_VIEW, &st, &patient);
  if (e != ERR_OK) return e;
  e = judge(a, request_id, f, out);
  if (e == ERR_OK) e = audit_req(who, "report.preview", request_id, patient, "ok", NULL);
  return e;
}

bool reports_stored_verdict(const struct report_view *v, struct conc_result *out) {
  enum verdict vd;
  enum first_state st;
  if (v->legacy_rules || !concordance_verdict_parse(v->concordance, &vd) ||
      !concordance_first_state_parse(v->first_state, &st))
    return false;
  /* the stored names are the judge's inputs: recompute rather than store
   * the managements twice */
  *out = concordance_judge(st, birads_parse(v->first_birads), birads_rec_parse(v->f.first_recommendation),
                           birads_parse(v->f.birads), birads_rec_parse(v->f.recommendation));
  return out->verdict == vd;
}

/* BLAKE2b-256 (hex, arena) over the signed content in canonical form. */
static const char *content_hash(struct arena *a, long long request_id, long long reviewer, const char *const *parts,
                                size_t n) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, 32);
  char head[96];
  int hl = snprintf(head, sizeof head, "secondop-report-v2\nrequest:%lld\nreviewer:%lld\n", request_id, reviewer);
  crypto_generichash_update(&st, (const unsigned char *)head, (size_t)hl);
  for (size_t i = 0; i < n; i++) {
    const char *p = parts[i] ? parts[i] : "";
    char len[32];
    int ll = snprintf(len, sizeof len, "%zu:", strlen(p));
    crypto_generichash_update(&st, (const unsigned char *)len, (size_t)ll);
    crypto_generichash_update(&st, (const unsigned char *)p, strlen(p));
    crypto_generichash_update(&st, (const unsigned char *)"\n", 1);
  }
  unsigned char out[32];
  crypto_generichash_final(&st, out, sizeof out);
  char *hex = arena_alloc(a, 65);
  if (hex) sodium_bin2hex(hex, 65, out, sizeof out);
  return hex;
}

struct save_ctx {
  struct arena *a;
  const struct actor *who;
  long long id, patient, report_id;
  const struct report_fields *f;
  bool sign;
  bool denied; /* out of the reviewer's reach, or no such request */
};

static enum err save_tx(void *p) {
  struct save_ctx *c = p;
  struct arena *a = c->a;
  enum req_status st;
  long long patient = 0;
  /* the one access check, on the row this statement locks: what it allows is what is saved */
  enum err e = requests_access_locked(c->who, c->id, RA_VIEW, &st, &patient, NULL);
  if (e == ERR_NOT_FOUND) c->denied = true;
  if (e != ERR_OK) return e;
  c->patient = patient;
  if (st != RS_IN_REVIEW) return ERR_CONFLICT;
  const struct report_fields *f = c->f;
  const char *lh = seal(a, c->id, "left", f->findings_left), *rh = seal(a, c->id, "right", f->findings_right);
  const char *ah = seal(a, c->id, "answers", f->answers);
  if (!lh || !rh || !ah) return ERR_INTERNAL;
  const char *reason = f->contradiction_reason ? f->contradiction_reason : "";
  struct report_verdict v;
  if (c->sign) {
    e = judge(a, c->id, f, &v);
    if (e != ERR_OK) return e;
    if (!v.contradiction) reason = ""; /* a reason only where it explains something */
  }
  e = st_report_save(a, c->id, c->who->user_id, lh, rh, f->birads ? f->birads : "", f->density ? f->density : "",
                     f->recommendation ? f->recommendation : "", ah, f->summary ? f->summary : "",
                     f->explanation ? f->explanation : "",
                     c->sign ? v.first_rec : f->first_recommendation ? f->first_recommendation : "", reason,
                     &c->report_id);
  if (e != ERR_OK) return e;
  if (!c->sign) return audit_req(c->who, "report.save_draft", c->id, patient, "ok", NULL);
  const char *verdict = concordance_verdict_name(v.r.verdict), *susp = concordance_suspicion_name(v.r.suspicion),
             *state = concordance_first_state_name(v.state);
  const char *parts[] = {f->findings_left, f->findings_right, f->birads,  f->density, f->recommendation,
                         f->answers,       f->summary,        v.first_birads, v.first_rec, verdict,
                         f->explanation,   susp,              state,      reason};
  const char *hash = content_hash(a, c->id, c->who->user_id, parts, sizeof parts / sizeof parts[0]);
  if (!hash) return ERR_INTERNAL;
  e = st_report_sign(a, c->report_id, v.first_birads, v.first_rec, verdict, susp, state, hash, c->who->user_id);
  if (e != ERR_OK) return e;
  e = requests_transition(c->who, c->id, RS_IN_REVIEW, RS_REPORT_READY, NULL, false);
  if (e != ERR_OK) return e;
  e = audit_req(c->who, "report.sign", c->id, patient, "ok",
                arena_printf(a, "{\"report\":%lld,\"concordance\":\"%s\",\"first_read\":\"%s\"}", c->report_id,
                             verdict, state));
  if (e == ERR_OK && concordance_unexpected(&v.r)) e = comm_task_open_tx(a, c->who, c->id, patient, c->report_id);
  if (e == ERR_OK) e = notify_staff(a, NK_REPORT, arena_printf(a, "/staff/requests/%lld", c->id));
  return e;
}

static enum err save(struct arena *a, const struct actor *who, long long id, const struct report_fields *f,
                     bool sign, const char *credential, struct report_errors *errs) {
  if (!who || who->role != R_REVIEWER) return ERR_NOT_FOUND;
  long long patient = 0;
  enum err e;
  if (sign) {
    /* the password is asked only of the assigned reviewer; its count of failures is kept outside the
     * transaction so that no rollback erases it. The decisive check is the one on the locked row. */
    e = requests_access_view_unaudited(who, id, &patient);
    if (e != ERR_OK) return e;
    e = reauth_checked(a, who, credential, "report.sign", id, patient,
                       "That password or code is not right. Nothing was signed.", errs);
    if (e != ERR_OK) return e;
  }
  /* one transaction: the access check on the locked row, the checks, the save and the audit rows */
  struct save_ctx c = {.a = a, .who = who, .id = id, .f = f, .sign = sign};
  e = id > 0 ? db_tx(save_tx, &c) : ERR_NOT_FOUND;
  if (e == ERR_NOT_FOUND && (c.denied || id <= 0)) requests_access_denied(who, id);
  if (e == ERR_CONFLICT) audit_req(who, sign ? "report.sign" : "report.save_draft", id, c.patient, "denied", NULL);
  return e;
}

enum err reports_submit(struct arena *a, const struct actor *who, long long request_id, bool sign,
                        const struct form_pair *in, size_t n, struct report_errors *errs) {
  memset(errs, 0, sizeof *errs);
  if (!who || who->role != R_REVIEWER) return ERR_NOT_FOUND;
  struct form_value v[RF_N];
  struct form_errors fe;
  if (!form_parse(a, reports_form(sign), in, n, NULL, NULL, v, &fe)) {
    errs_from(errs, &fe);
    return ERR_INVALID;
  }
  struct report_fields f = {.findings_left = v[RF_LEFT].text,
                            .findings_right = v[RF_RIGHT].text,
                            .birads = v[RF_BIRADS].text,
                            .density = v[RF_DENSITY].text,
                            .recommendation = v[RF_REC].text,
                            .first_recommendation = v[RF_FIRST_REC].text,
                            .answers = v[RF_ANSWERS].text,
                            .summary = v[RF_SUMMARY].text,
                            .explanation = v[RF_EXPLANATION].text,
                            .contradiction_reason = v[RF_REASON].text};
  return save(a, who, request_id, &f, sign, sign ? credential_of(in, n) : NULL, errs);
}

/* ---- addenda and questions ---- */

struct add_ctx {
  struct arena *a;
  const struct actor *who;
  long long id, question_id;
  const char *body;
  bool denied; /* out of the reviewer's reach, or no such request */
};

static enum err addendum_tx(void *p) {
  struct add_ctx *c = p;
  struct arena *a = c->a;
  long long patient = 0;
  /* the one access check, on the row this statement locks */
  enum err e = requests_access_locked(c->who, c->id, RA_VIEW, NULL, &patient, NULL);
  if (e == ERR_NOT_FOUND) c->denied = true;
  if (e != ERR_OK) return e;
  struct rowset rp, qs;
  e = st_report_by_request(a, c->id, &rp);
  if (e != ERR_OK) return e == ERR_NOT_FOUND ? ERR_CONFLICT : e;
  if (strcmp(rs_get(&rp, 0, "status"), "signed") != 0) return ERR_CONFLICT;
  long long report_id = rs_ll(&rp, 0, "id");
  if (c->question_id) {
    e = st_questions(a, report_id, &qs);
    if (e != ERR_OK) return e;
    bool found = false;
    for (size_t i = 0; i < qs.n; i++)
      if (rs_ll(&qs, i, "id") == c->question_id) {
        if (rs_ll(&qs, i, "addendum_id") != 0) return ERR_CONFLICT;
        found = true;
      }
    if (!found) return ERR_NOT_FOUND;
  }
  char qid[24];
  snprintf(qid, sizeof qid, "%lld", c->question_id);
  const char *parts[] = {rs_get(&rp, 0, "content_hash"), qid, c->body};
  const char *hash = content_hash(a, c->id, c->who->user_id, parts, 3);
  if (!hash) return ERR_INTERNAL;
  e = st_addendum_add(a, report_id, c->question_id, c->who->user_id, c->body, hash);
  if (e == ERR_OK) e = audit_req(c->who, "report.addendum", c->id, patient, "ok", NULL);
  if (e == ERR_OK && *rs_get(&rp, 0, "released_at"))
    e = notify_user(a, patient, NK_REPORT, arena_printf(a, "/requests/%lld/report", c->id));
  return e;
}

enum err reports_addendum_submit(struct arena *a, const struct actor *who, long long request_id,
                                 const struct form_pair *in, size_t n, struct report_errors *errs) {
  memset(errs, 0, sizeof *errs);
  if (!who || who->role != R_REVIEWER) return ERR_NOT_FOUND;
  struct form_value v[2];
  struct form_errors fe;
  if (!form_parse(a, reports_addendum_form(), in, n, NULL, NULL, v, &fe)) {
    errs_from(errs, &fe);
    return ERR_INVALID;
  }
  long long patient = 0;
  /* the password is asked only of the assigned reviewer (see save()); the decisive check is the one
   * on the row the transaction locks */
  enum err e = requests_access_view_unaudited(who, request_id, &patient);
  if (e != ERR_OK) return e;
  e = reauth_checked(a, who, credential_of(in, n), "report.addendum", request_id, patient,
                     "That password or code is not right. Nothing was added.", errs);
  if (e != ERR_OK) return e;
  struct add_ctx c = {a, who, request_id, v[0].num, v[1].text, false};
  e = db_tx(addendum_tx, &c);
  if (e == ERR_NOT_FOUND && c.denied) requests_access_denied(who, request_id);
  return e;
}

enum err reports_thread_submit(struct arena *a, const struct actor *who, long long request_id, bool internal,
                               const struct form_pair *in, size_t n, struct report_errors *errs) {
  memset(errs, 0, sizeof *errs);
  struct form_value v[1];
  struct form_errors fe;
  if (!form_parse(a, reports_thread_form(internal), in, n, NULL, NULL, v, &fe)) {
    errs_from(errs, &fe);
    return ERR_INVALID;
  }
  return requests_post_message(who, request_id, v[0].text, internal);
}

/* A question: at most 2,000 characters, no control characters but line breaks and tabs. */
static bool question_ok(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') return false;
  return form_chars(s) <= 2000;
}

struct ask_ctx {
  struct arena *a;
  const struct actor *who;
  long long id;
  const char *q;
};

static enum err ask_tx(void *p) {
  struct ask_ctx *c = p;
  struct arena *a = c->a;
  const char *status = NULL;
  long long patient = 0, reviewer = 0;
  enum err e = rqs_lock(a, c->id, &status, &patient, &reviewer);
  if (e != ERR_OK) return e;
  if (patient != c->who->user_id) return ERR_NOT_FOUND;
  struct rowset rp, qs;
  e = st_report_by_request(a, c->id, &rp);
  if (e != ERR_OK) return e;
  if (!*rs_get(&rp, 0, "released_at")) return ERR_NOT_FOUND;
  long long report_id = rs_ll(&rp, 0, "id");
  e = st_questions(a, report_id, &qs);
  if (e != ERR_OK) return e;
  if (qs.n >= REPORTS_MAX_QUESTIONS) return ERR_CONFLICT;
  e = st_question_add(a, report_id, patient, c->q);
  if (e == ERR_OK) e = audit_req(c->who, "report.question", c->id, patient, "ok", NULL);
  if (e == ERR_OK && reviewer) e = notify_user(a, reviewer, NK_MESSAGE, arena_printf(a, "/reviewer/cases/%lld", c->id));
  return e;
}

enum err reports_ask(struct arena *a, const struct actor *who, long long request_id, const char *question,
                     struct report_errors *errs) {
  if (!who || who->role != R_PATIENT) return ERR_NOT_FOUND;
  if (!question || !*question || !question_ok(question))
    add_err(errs, "question", "Write your question (up to 2,000 characters).");
  if (errs->n) return ERR_INVALID;
  struct ask_ctx c = {a, who, request_id, question};
  enum req_status st;
  long long patient = 0;
  enum err e = requests_access(who, request_id, RA_VIEW, &st, &patient);
  if (e != ERR_OK) return e;
  return db_tx(ask_tx, &c);
}

const char *reports_density_words(const char *d) {
  if (!d) return "";
  switch (d[0]) {
  case 'A': return "Almost entirely fatty.";
  case 'B': return "Scattered areas of dense tissue.";
  case 'C': return "Heterogeneously dense, which can hide small masses.";
  case 'D': return "Extremely dense, which lowers the sensitivity of a mammogram.";
  default: return "";
  }
}

int reports_seal_legacy_answers(void) {
  int rc = 0;
  for (;;) {
    struct arena *a = arena_new();
    if (!a) return -1;
    struct rowset rs;
    size_t n = 0;
    if (st_answers_plain(a, &rs) != ERR_OK) {
      rc = -1;
    } else {
      for (size_t i = 0; i < rs.n && rc == 0; i++) {
        const char *hex = seal(a, rs_ll(&rs, i, "request_id"), "answers", rs_get(&rs, i, "answers"));
        if (!hex || st_answers_seal(a, rs_ll(&rs, i, "id"), hex) != ERR_OK) rc = -1;
      }
      n = rs.n;
      if (rc == 0 && n) LOG_I("sealed the answers of %zu report%s stored before migration 0016", n, n == 1 ? "" : "s");
    }
    arena_free(a);
    if (rc != 0 || n < 500) break;
  }
  return rc;
}
