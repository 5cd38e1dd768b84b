/* Caregivers: see caregivers.h. */
#include "core/caregivers.h"
#include "core/vocab.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/audit.h"
#include "core/form.h"
#include "core/password.h"
#include "core/requests.h"
#include "core/outbox.h"
#include "store/accounts.h"
#include "store/caregivers.h"
#include "store/db.h"
#include "store/requests.h"
#include "store/security.h"
#include "util/arena.h"
#include "util/log.h"

#define INVITES_PER_HOUR 10

static void add_error(struct acct_errors *errs, const char *field, const char *msg) {
  if (errs && errs->n < ACCT_MAX_ERRORS) {
    errs->e[errs->n].field = field;
    errs->e[errs->n].message = msg;
    errs->n++;
  }
}

static const char *const kinds[] = {"daughter", "son", "spouse", "parent", "other"};
static const char *const words[] = {"daughter", "son", "spouse or partner", "parent", NULL};

bool cg_relationship_ok(const char *relationship, const char *other) {
  if (!relationship) return false;
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    if (strcmp(relationship, kinds[i]) != 0) continue;
    if (words[i]) return true;
    /* "other": the patient's own word, short plain text */
    if (!other) return false;
    size_t n = strlen(other), chars = 0;
    bool any = false;
    for (const unsigned char *p = (const unsigned char *)other; *p; p++) {
      if (*p < 0x20 || *p == 0x7f) return false;
      if ((*p & 0xC0) != 0x80) chars++;
      if (*p != ' ') any = true;
    }
    return any && chars <= CG_OTHER_MAX && n <= CG_OTHER_MAX * 4;
  }
  return false;
}

const char *cg_relationship_words(const char *relationship, const char *other) {
  for (size_t i = 0; relationship && i < sizeof kinds / sizeof kinds[0]; i++)
    if (strcmp(relationship, kinds[i]) == 0) return words[i] ? words[i] : (other && *other ? other : "caregiver");
  return "caregiver";
}

static enum err audit_cg(struct arena *a, const struct actor *who, const char *action, long long link_id,
                         long long patient_id, const char *outcome, const char *detail) {
  struct audit_event ev = {action, "caregiver_link", arena_printf(a, "%lld", link_id), patient_id, outcome, detail};
  enum err e = audit_write(who, &ev);
  if (e != ERR_OK) LOG_W("audit row for %s could not be written", action);
  return e;
}

static void link_out(const struct st_cg_link *s, struct cg_link *o) {
  o->id = s->id;
  o->patient_id = s->patient_id;
  o->caregiver_id = s->caregiver_id;
  o->patient_name = s->patient_name;
  o->caregiver_name = s->caregiver_name;
  o->email = s->invited_email;
  o->relationship = cg_relationship_words(s->relationship, s->relationship_other);
  o->created_at = s->created_at;
  o->expires_at = s->expires_at;
  o->authority = cg_authority_words(s->authority);
  o->represents = strcmp(s->authority, "patient_invitation") != 0;
  o->accepted = s->accepted;
  o->expired = s->expired;
}

static enum err links_out(struct arena *a, const struct st_cg_link *s, size_t n, struct cg_link **out) {
  *out = arena_alloc(a, (n ? n : 1) * sizeof **out);
  if (!*out) return ERR_INTERNAL;
  for (size_t i = 0; i < n; i++) link_out(&s[i], &(*out)[i]);
  return ERR_OK;
}

static bool is_patient(const struct actor *who) { return who && who->user_id > 0 && who->role == ACCT_ROLE_PATIENT; }

enum err caregivers_invite(struct arena *a, const struct actor *who, const char *email, const char *relationship,
                           const char *other, struct acct_errors *errs) {
  if (!is_patient(who)) return ERR_NOT_FOUND;
  struct st_user me;
  enum err e = st_user_by_id(a, who->user_id, &me);
  if (e != ERR_OK) return e;
  if (!email || !acct_email_ok(email))
    add_error(errs, "email", "Please enter the e-mail address of the person you invite, like name@example.com.");
  else if (strcasecmp(email, me.email) == 0)
    add_error(errs, "email", "This is your own address. Enter the address of the person who will help you.");
  else if ((e = st_cg_live_by_email(a, who->user_id, email)) == ERR_OK)
    add_error(errs, "email", "This person already acts for you: they do not need another invitation.");
  else if (e != ERR_NOT_FOUND)
    return e;
  if (!relationship || !*relationship)
    add_error(errs, "relationship", "Please choose what this person is to you.");
  else if (strcmp(relationship, "other") == 0 && !cg_relationship_ok(relationship, other))
    add_error(errs, "relationship_other", "Please say in a few words what this person is to you (at most 60 characters).");
  else if (!cg_relationship_ok(relationship, other))
    add_error(errs, "relationship", "Please choose what this person is to you.");
  if (errs->n) return ERR_INVALID;
  if (strcmp(relationship, "other") != 0) other = "";
  long long for_user = 0, from_ip = 0;
  e = st_outbox_recent(a, "invitation", who->user_id, who->ip, &for_user, &from_ip);
  if (e != ERR_OK) return e;
  if (for_user >= INVITES_PER_HOUR) {
    audit_cg(a, who, "caregiver.invite", 0, who->user_id, "denied", "{\"reason\":\"rate limit\"}");
    return ERR_TOO_MANY;
  }
  char tok[ACCT_TOKEN_BUF];
  char *th = NULL;
  acct_token_new(a, tok, &th);
  if (!th) return ERR_INTERNAL;
  long long now = acct_now(), id = 0;
  char *link = outbox_link(a, arena_printf(a, "/caregivers/accept?token=%s", tok));
  sodium_memzero(tok, sizeof tok);
  if (!link) return ERR_INTERNAL;
  e = db_simple("BEGIN");
  if (e != ERR_OK) return e;
  e = st_cg_invite(a, who->user_id, email, relationship, other, th, now, now + CG_INVITE_TTL, &id);
  /* no name and no health data: the page behind the link says who invited them */
  if (e == ERR_OK)
    e = outbox_enqueue_kind(a, email, "You are invited to help someone on secondop",
                            arena_printf(a,
                                         "Hello,\n\nSomeone who uses secondop has invited you to help them with "
                                         "their account. To see who invited you and to accept, open this link "
                                         "(it works once, for 7 days):\n\n%s\n\nIf you were not expecting this, "
                                         "you can ignore this message.\n",
                                         link),
                            "invitation", who->user_id, who->ip);
  if (e == ERR_OK)
    e = audit_cg(a, who, "caregiver.invite", id, who->user_id, "ok",
                 arena_printf(a, "{\"relationship\":\"%s\"}", relationship));
  if (e == ERR_OK) return db_simple("COMMIT");
  db_simple("ROLLBACK");
  return e;
}

enum err caregivers_invitation(struct arena *a, const char *token, struct cg_link *out) {
  char *th = acct_token_hash_hex(a, token);
  if (!th) return ERR_NOT_FOUND;
  struct st_cg_link s;
  enum err e = st_cg_peek(a, th, acct_now(), &s);
  if (e == ERR_OK) link_out(&s, out);
  return e;
}

enum err caregivers_accept(struct arena *a, const struct actor *who, const char *token) {
  if (!who || who->user_id <= 0) return ERR_NOT_FOUND;
  if (who->role != ACCT_ROLE_PATIENT) return ERR_FORBIDDEN;
  char *th = acct_token_hash_hex(a, token);
  if (!th) return ERR_NOT_FOUND;
  struct st_cg_link s;
  long long now = acct_now();
  enum err e = st_cg_peek(a, th, now, &s);
  if (e != ERR_OK) return e;
  if (s.patient_id == who->user_id) return ERR_CONFLICT;
  long long link_id = 0, patient_id = 0;
  e = db_simple("BEGIN");
  if (e != ERR_OK) return e;
  e = st_cg_accept(a, th, who->user_id, now, &link_id, &patient_id);
  if (e == ERR_OK)
    e = audit_cg(a, who, "caregiver.accept", link_id, patient_id, "ok",
                 arena_printf(a, "{\"relationship\":\"%s\"}", s.relationship));
  if (e == ERR_OK) return db_simple("COMMIT");
  db_simple("ROLLBACK");
  return e;
}

enum err caregivers_accept_new(struct arena *a, const struct actor *who, const char *token, const char *name,
                               const char *password, const char *time_zone, struct acct_errors *errs) {
  struct cg_link l;
  enum err e = caregivers_invitation(a, token, &l);
  if (e != ERR_OK) return e;
  long long id = 0;
  e = acct_create_from_link(a, who, name, l.email, password, time_zone, "caregiver_invitation", errs, &id);
  if (e != ERR_OK) return e;
  struct actor x = *who;
  x.user_id = id;
  x.role = ACCT_ROLE_PATIENT;
  return caregivers_accept(a, &x, token);
}

enum err caregivers_list(struct arena *a, const struct actor *who, struct cg_link **out, size_t *n) {
  *n = 0;
  if (!is_patient(who)) return ERR_NOT_FOUND;
  struct st_cg_link *s = NULL;
  enum err e = st_cg_list_patient(a, who->user_id, acct_now(), &s, n);
  return e == ERR_OK ? links_out(a, s, *n, out) : e;
}

enum err caregivers_patients(struct arena *a, const struct actor *who, struct cg_link **out, size_t *n) {
  *n = 0;
  if (!is_patient(who)) return ERR_NOT_FOUND;
  struct st_cg_link *s = NULL;
  enum err e = st_cg_list_caregiver(a, who->user_id, &s, n);
  return e == ERR_OK ? links_out(a, s, *n, out) : e;
}

enum err caregivers_revoke(struct arena *a, const struct actor *who, long long link_id) {
  if (!is_patient(who) || link_id <= 0) return ERR_NOT_FOUND;
  long long caregiver = 0;
  enum err e = db_simple("BEGIN");
  if (e != ERR_OK) return e;
  e = st_cg_revoke(a, link_id, who->user_id, acct_now(), &caregiver);
  if (e == ERR_OK)
    e = audit_cg(a, who, "caregiver.revoke", link_id, who->user_id, "ok",
                 arena_printf(a, "{\"caregiver\":%lld}", caregiver));
  if (e == ERR_OK) return db_simple("COMMIT");
  db_simple("ROLLBACK");
  if (e == ERR_NOT_FOUND) audit_cg(a, who, "caregiver.revoke", link_id, 0, "denied", NULL);
  return e;
}

bool caregivers_acts_for(long long caregiver_id, long long patient_id) {
  if (caregiver_id <= 0 || patient_id <= 0 || caregiver_id == patient_id) return false;
  struct arena *a = arena_new();
  if (!a) return false;
  struct st_cg_link s;
  bool yes = st_cg_live(a, patient_id, caregiver_id, &s) == ERR_OK;
  arena_free(a);
  return yes;
}

enum err caregivers_link(struct arena *a, long long patient_id, long long caregiver_id, struct cg_link *out) {
  struct st_cg_link s;
  enum err e = st_cg_live(a, patient_id, caregiver_id, &s);
  if (e == ERR_OK) link_out(&s, out);
  return e;
}

const char *caregivers_who(struct arena *a, long long patient_id, long long actor_id, long long reader_id) {
  if (actor_id <= 0) return NULL;
  if (actor_id == reader_id) return "You";
  struct st_cg_link s;
  if (st_cg_latest(a, patient_id, actor_id, &s) != ERR_OK) return NULL;
  const char *rel = cg_relationship_words(s.relationship, s.relationship_other);
  if (reader_id == patient_id) return arena_printf(a, "Your %s %s", rel, s.caregiver_name);
  return arena_printf(a, "%s's %s %s", s.patient_name, rel, s.caregiver_name);
}

static const char *action_words(struct arena *a, const struct st_cg_action *x) {
  const char *ref = *x->reference ? x->reference : "a request";
  if (strcmp(x->action, "document.upload") == 0)
    return *x->file_name ? arena_printf(a, "uploaded %s to %s", x->file_name, ref)
                         : arena_printf(a, "uploaded records to %s", ref);
  if (strcmp(x->action, "request.create") == 0) return "started a new request for you";
  if (strcmp(x->action, "authorization.sign") == 0) return arena_printf(a, "signed the authorization for %s", ref);
  if (strcmp(x->action, "authorization.revoke") == 0) return arena_printf(a, "revoked the authorization for %s", ref);
  if (strcmp(x->action, "request.submit") == 0) return arena_printf(a, "sent %s to the center", ref);
  if (strcmp(x->action, "document.delete") == 0) return arena_printf(a, "removed a file from %s", ref);
  if (strcmp(x->action, "document.download") == 0)
    return *x->file_name ? arena_printf(a, "downloaded %s from %s", x->file_name, ref)
                         : arena_printf(a, "downloaded a file from %s", ref);
  if (strcmp(x->action, "request.download_zip") == 0) return arena_printf(a, "downloaded the records of %s", ref);
  return arena_printf(a, "changed %s", ref);
}

enum err caregivers_actions(struct arena *a, const struct actor *who, size_t limit, struct cg_action **out,
                            size_t *n) {
  *n = 0;
  if (!is_patient(who)) return ERR_NOT_FOUND;
  struct st_cg_action *x = NULL;
  size_t k = 0;
  enum err e = st_cg_actions(a, who->user_id, (long long)limit, &x, &k);
  if (e != ERR_OK) return e;
  *out = arena_alloc(a, (k ? k : 1) * sizeof **out);
  if (!*out) return ERR_INTERNAL;
  size_t m = 0;
  for (size_t i = 0; i < k; i++) {
    const char *w = caregivers_who(a, who->user_id, x[i].actor_id, who->user_id);
    if (!w) continue; /* not a caregiver of hers (cannot happen: access needs a link) */
    (*out)[m].who = w;
    (*out)[m].what = action_words(a, &x[i]);
    (*out)[m].at = x[i].at;
    (*out)[m].request_id = x[i].request_id;
    m++;
  }
  *n = m;
  return ERR_OK;
}

enum err caregivers_signer(struct arena *a, long long authorization_id, struct cg_signer *out) {
  const char *authority = NULL;
  enum err e = st_cg_signer_get(a, authorization_id, &out->name, &out->relationship, &authority);
  if (e != ERR_OK) return e;
  out->authority = cg_authority_words(authority);
  return ERR_OK;
}

/* ---- representatives ---- */

static const char *const authorities[] = {"healthcare_poa", "legal_guardian", "parent_of_minor",
                                          "personal_representative"};
static const char *const authority_words[] = {"healthcare power of attorney", "legal guardian", "parent of a minor",
                                              "personal representative"};

bool cg_authority_ok(const char *x) {
  for (size_t i = 0; x && i < sizeof authorities / sizeof authorities[0]; i++)
    if (strcmp(x, authorities[i]) == 0) return true;
  return false;
}

const char *cg_authority_words(const char *x) {
  for (size_t i = 0; x && i < sizeof authorities / sizeof authorities[0]; i++)
    if (strcmp(x, authorities[i]) == 0) return authority_words[i];
  return "invited by the patient in the portal";
}

const char *cg_authority_state_words(enum cg_authority_state s) {
  switch (s) {
  case CGA_MISSING: return "no document yet: upload the document that gives you authority";
  case CGA_PENDING: return "document received: waiting for the center to check it";
  case CGA_VERIFIED: return "verified by the center";
  case CGA_REFUSED: return "not accepted by the center";
  case CGA_ENDED: return "ended by the center";
  case CGA_NONE: return "";
  }
  return "";
}

/* A plain name: 1-200 characters, no control characters, not only spaces. */
static bool person_name_ok(const char *n) {
  if (!n) return false;
  size_t chars = 0;
  bool any = false;
  for (const unsigned char *p = (const unsigned char *)n; *p; p++) {
    if (*p < 0x20 || *p == 0x7f) return false;
    if ((*p & 0xC0) != 0x80) chars++;
    if (*p != ' ') any = true;
  }
  return any && chars <= 200;
}

/* A real date in the past, written YYYY-MM-DD, from 1900 on. */
static bool past_date_ok(const char *d) {
  if (!d || !audit_date_valid(d) || strcmp(d, "1900-01-01") < 0) return false;
  time_t t = (time_t)acct_now();
  struct tm tm;
  char today[16];
  gmtime_r(&t, &tm);
  strftime(today, sizeof today, "%Y-%m-%d", &tm);
  return strcmp(d, today) <= 0;
}

enum err caregivers_represent(struct arena *a, const struct actor *who, const char *name, const char *dob,
                              const char *relationship, const char *other, const char *authority,
                              struct acct_errors *errs, long long *request_id) {
  if (!is_patient(who)) return ERR_NOT_FOUND;
  if (!person_name_ok(name)) add_error(errs, "name", "Please enter the full name of the person you act for.");
  if (!past_date_ok(dob)) add_error(errs, "dob", "Please enter their date of birth (year, month and day), not in the future.");
  if (!relationship || !*relationship)
    add_error(errs, "relationship", "Please choose what you are to this person.");
  else if (strcmp(relationship, "other") == 0 && !cg_relationship_ok(relationship, other))
    add_error(errs, "relationship_other", "Please say in a few words what you are to this person (at most 60 characters).");
  else if (!cg_relationship_ok(relationship, other))
    add_error(errs, "relationship", "Please choose what you are to this person.");
  if (!cg_authority_ok(authority)) add_error(errs, "authority", "Please choose what gives you the authority to act for them.");
  if (errs->n) return ERR_INVALID;
  if (strcmp(relationship, "other") != 0) other = "";
  struct st_user me;
  enum err e = st_user_by_id(a, who->user_id, &me);
  if (e != ERR_OK) return e;
  /* the placeholder's address: random, in the reserved .invalid domain (RFC 2606), never mailed */
  unsigned char rnd[16];
  char hx[33];
  randombytes_buf(rnd, sizeof rnd);
  sodium_bin2hex(hx, sizeof hx, rnd, sizeof rnd);
  const char *email = arena_printf(a, "represented-%s@invalid", hx);
  long long now = acct_now(), person = 0, link = 0, rid = 0;
  const char *ref = NULL;
  if (!email) return ERR_INTERNAL;
  e = db_simple("BEGIN");
  if (e != ERR_OK) return e;
  e = st_user_create(a, VOCAB_KEY_PATIENT, name, email, dob, NULL, false, now, &person);
  if (e == ERR_OK) e = st_user_set_active(a, person, false, now);
  if (e == ERR_OK) e = st_user_set_time_zone(a, person, *me.time_zone ? me.time_zone : "UTC");
  if (e == ERR_OK) e = st_cg_represent(a, person, who->user_id, me.email, relationship, other, authority, now, &link);
  if (e == ERR_OK) e = rqs_create(a, person, 0, &rid, &ref);
  if (e == ERR_OK)
    e = audit_cg(a, who, "caregiver.represent", link, person, "ok",
                 arena_printf(a, "{\"relationship\":\"%s\",\"authority\":\"%s\"}", relationship, authority));
  if (e == ERR_OK) {
    struct audit_event ev = {"request.create", "request", arena_printf(a, "%lld", rid), person, "ok",
                             "{\"by\":\"representative\"}"};
    e = audit_write(who, &ev);
  }
  if (e == ERR_OK) e = db_simple("COMMIT");
  else db_simple("ROLLBACK");
  if (e == ERR_OK) *request_id = rid;
  return e;
}

enum err caregivers_authority(struct arena *a, long long patient_id, struct cg_authority *out) {
  memset(out, 0, sizeof *out);
  struct st_cg_authority s;
  enum err e = st_cg_authority(a, patient_id, &s);
  if (e == ERR_NOT_FOUND) return ERR_OK; /* CGA_NONE */
  if (e != ERR_OK) return e;
  out->link_id = s.link_id;
  out->caregiver_id = s.caregiver_id;
  out->caregiver_name = s.caregiver_name;
  out->relationship = cg_relationship_words(s.relationship, s.relationship_other);
  out->authority = cg_authority_words(s.authority);
  out->document_id = s.newest_document_id;
  out->document_request_id = s.newest_request_id;
  out->reason = s.reason;
  out->decided_at = s.decided_at;
  if (s.ended) {
    out->state = CGA_ENDED; /* no live representation: the request cannot be accepted */
    out->reason = s.ended_reason;
  } else if (!s.newest_document_id) out->state = CGA_MISSING;
  else if (s.decided_document_id != s.newest_document_id || !*s.decision) out->state = CGA_PENDING;
  else out->state = strcmp(s.decision, "verified") == 0 ? CGA_VERIFIED : CGA_REFUSED;
  return ERR_OK;
}

enum err caregivers_authority_decide(struct arena *a, const struct actor *who, long long request_id,
                                     long long document_id, bool verify, const char *reason,
                                     struct acct_errors *errs) {
  if (!who || who->role != ACCT_ROLE_STAFF) return ERR_NOT_FOUND;
  enum req_status st;
  long long patient = 0;
  enum err e = requests_access(who, request_id, RA_EDIT, &st, &patient);
  if (e != ERR_OK) return e;
  struct cg_authority au;
  e = caregivers_authority(a, patient, &au);
  if (e != ERR_OK) return e;
  if (au.state == CGA_NONE || au.state == CGA_MISSING || au.state == CGA_ENDED) return ERR_NOT_FOUND;
  if (!reason) reason = "";
  if (!verify && (!person_name_ok(reason) || strlen(reason) > CG_AUTHORITY_REASON_MAX))
    add_error(errs, "authority_reason", "Please say why the document is not accepted: the representative reads it.");
  if (errs->n) return ERR_INVALID;
  if (document_id != au.document_id) return ERR_CONFLICT;
  e = db_simple("BEGIN");
  if (e != ERR_OK) return e;
  e = st_cg_authority_decide(a, au.link_id, document_id, verify ? "verified" : "refused", verify ? "" : reason,
                             who->user_id, acct_now());
  if (e == ERR_NOT_FOUND) e = ERR_CONFLICT; /* a newer document arrived meanwhile */
  if (e == ERR_OK)
    e = audit_cg(a, who, verify ? "caregiver.authority.verify" : "caregiver.authority.refuse", au.link_id, patient,
                 "ok", arena_printf(a, "{\"request_id\":%lld,\"document\":%lld}", request_id, document_id));
  if (e == ERR_OK) return db_simple("COMMIT");
  db_simple("ROLLBACK");
  return e;
}

/* ---- what a caregiver did to the records, on the request's timeline ---- */

enum err caregivers_records_event(const struct actor *who, long long request_id, long long patient_id, bool added,
                                  const char *file_name) {
  if (!is_patient(who) || who->user_id == patient_id || request_id <= 0) return ERR_OK; /* her own, or the center's */
  json_t *j = json_pack("{s:s}", "file", file_name ? file_name : "");
  char *detail = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (!detail) return ERR_INTERNAL;
  enum err e = rqs_event_add(request_id, NULL, NULL, added ? "records_added" : "records_removed", who->user_id, detail,
                             false);
  free(detail);
  return e;
}

const char *cg_records_event_words(struct arena *a, const char *kind, const char *detail) {
  bool added = strcmp(kind, "records_added") == 0;
  if (!added && strcmp(kind, "records_removed") != 0) return NULL;
  json_t *j = detail && *detail ? json_loads(detail, 0, NULL) : NULL;
  const char *f = json_string_value(json_object_get(j, "file"));
  const char *out = f && *f ? arena_printf(a, added ? "added %s to the records" : "removed %s from the records", f)
                    : added ? "added files to the records"
                            : "removed a file from the records";
  json_decref(j);
  return out;
}

/* A reason typed by staff: 1-1,000 characters, lines allowed, no other control characters, not blank. */
static bool reason_ok(const char *t) {
  if (!t) return false;
  size_t chars = 0;
  bool any = false;
  for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
    if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p == 0x7f) return false;
    if ((*p & 0xC0) != 0x80) chars++;
    if (*p > ' ') any = true;
  }
  return any && chars <= CG_AUTHORITY_REASON_MAX;
}

enum err caregivers_end_representation(struct arena *a, const struct actor *who, long long request_id,
                                       long long link_id, const char *reason, struct acct_errors *errs) {
  if (!who || who->role != ACCT_ROLE_STAFF) return ERR_NOT_FOUND;
  enum req_status st;
  long long patient = 0;
  enum err e = requests_access(who, request_id, RA_EDIT, &st, &patient);
  if (e != ERR_OK) return e;
  struct cg_authority au;
  e = caregivers_authority(a, patient, &au);
  if (e != ERR_OK) return e;
  if (au.state == CGA_NONE || au.state == CGA_ENDED) return ERR_NOT_FOUND;
  if (!reason) reason = "";
  if (!reason_ok(reason))
    add_error(errs, "end_reason", "Please say why this person no longer acts for the patient (at most 1,000 characters).");
  if (errs->n) return ERR_INVALID;
  if (link_id != au.link_id) return ERR_CONFLICT;
  e = db_simple("BEGIN");
  if (e != ERR_OK) return e;
  e = st_cg_end(a, link_id, who->user_id, reason, acct_now());
  if (e == ERR_NOT_FOUND) e = ERR_CONFLICT; /* ended meanwhile */
  /* the representative is told, in the same transaction; no name, no reason, no health data */
  struct st_user rep;
  if (e == ERR_OK) e = st_user_by_id(a, au.caregiver_id, &rep);
  if (e == ERR_OK) {
    char *link = outbox_link(a, "/requests");
    e = link ? outbox_enqueue_kind(a, rep.email, "Your authority to act for someone on secondop has ended",
                                   arena_printf(a,
                                                "Hello,\n\nThe center has ended your authority to act for someone "
                                                "on secondop. You can no longer see or change their requests.\n\n"
                                                "If you think this is a mistake, please contact the center. Your "
                                                "own account is not affected:\n\n%s\n",
                                                link),
                                   "notice", au.caregiver_id, "")
             : ERR_INTERNAL;
  }
  if (e == ERR_OK)
    e = audit_cg(a, who, "caregiver.end", link_id, patient, "ok",
                 arena_printf(a, "{\"request_id\":%lld,\"caregiver_id\":%lld}", request_id, au.caregiver_id));
  if (e == ERR_OK) return db_simple("COMMIT");
  db_simple("ROLLBACK");
  return e;
}

/* ---- the forms (the one form layer, core/form.h) ---- */

static const struct form_word relationship_vocab[] = {
    {"daughter", "daughter"}, {"son", "son"}, {"spouse", "spouse or partner"}, {"parent", "parent"}, {"other", "other"}};
static const struct form_word authority_vocab[] = {{"healthcare_poa", "healthcare power of attorney"},
                                                   {"legal_guardian", "legal guardian"},
                                                   {"parent_of_minor", "parent of a minor"},
                                                   {"personal_representative", "personal representative"}};
#define NV(v) (sizeof v / sizeof v[0])

/* "other" needs the person's own word (relationship at index rel, the word at rel + 1). */
static void other_needs_words(const struct form_value *v, size_t rel, struct form_errors *errs, const char *msg) {
  if (form_error(errs, "relationship") || strcmp(v[rel].text, "other") != 0) return;
  if (!v[rel + 1].present) form_error_add(errs, "relationship_other", msg);
}

enum { INV_EMAIL, INV_REL, INV_OTHER, INV_N };
#define INV_OTHER_MSG "Please say in a few words what this person is to you (at most 60 characters)."
static const struct form_field invite_fields[] = {
    [INV_EMAIL] = {.name = "email", .type = FT_EMAIL, .required = true,
                   .missing = "Please enter the e-mail address of the person you invite, like name@example.com.",
                   .invalid = "Please enter the e-mail address of the person you invite, like name@example.com."},
    [INV_REL] = {.name = "relationship", .type = FT_ENUM, .required = true, .vocab = relationship_vocab,
                 .n_vocab = NV(relationship_vocab), .missing = "Please choose what this person is to you.",
                 .invalid = "Please choose what this person is to you."},
    [INV_OTHER] = {.name = "relationship_other", .type = FT_TEXT, .max = CG_OTHER_MAX, .invalid = INV_OTHER_MSG},
};
static void invite_check(const struct form_spec *s, const struct form_value *v, struct form_errors *e, void *ctx) {
  (void)s;
  (void)ctx;
  other_needs_words(v, INV_REL, e, INV_OTHER_MSG);
}
const struct form_spec *caregivers_invite_form(void) {
  static const struct form_spec spec = {invite_fields, INV_N, invite_check};
  return &spec;
}

enum { REP_NAME, REP_DOB, REP_REL, REP_OTHER, REP_AUTH, REP_N };
#define REP_OTHER_MSG "Please say in a few words what you are to this person (at most 60 characters)."
#define REP_DOB_MSG "Please enter their date of birth (year, month and day), not in the future."
static const struct form_field represent_fields[] = {
    [REP_NAME] = {.name = "name", .type = FT_TEXT, .required = true, .max = 200,
                  .missing = "Please enter the full name of the person you act for.",
                  .invalid = "Please enter the full name of the person you act for (at most 200 characters)."},
    [REP_DOB] = {.name = "dob", .type = FT_DATE, .required = true, .not_future = true, .missing = REP_DOB_MSG,
                 .invalid = REP_DOB_MSG, .future = REP_DOB_MSG},
    [REP_REL] = {.name = "relationship", .type = FT_ENUM, .required = true, .vocab = relationship_vocab,
                 .n_vocab = NV(relationship_vocab), .missing = "Please choose what you are to this person.",
                 .invalid = "Please choose what you are to this person."},
    [REP_OTHER] = {.name = "relationship_other", .type = FT_TEXT, .max = CG_OTHER_MAX, .invalid = REP_OTHER_MSG},
    [REP_AUTH] = {.name = "authority", .type = FT_ENUM, .required = true, .vocab = authority_vocab,
                  .n_vocab = NV(authority_vocab),
                  .missing = "Please choose what gives you the authority to act for them.",
                  .invalid = "Please choose what gives you the authority to act for them."},
};
static void represent_check(const struct form_spec *s, const struct form_value *v, struct form_errors *e, void *ctx) {
  (void)s;
  (void)ctx;
  other_needs_words(v, REP_REL, e, REP_OTHER_MSG);
}
const struct form_spec *caregivers_represent_form(void) {
  static const struct form_spec spec = {represent_fields, REP_N, represent_check};
  return &spec;
}

/* The password is secret: never echoed; the domain receives it as typed (not trimmed). */
static const struct form_field accept_fields[] = {
    {.name = "name", .type = FT_TEXT, .required = true, .max = 200, .missing = "Please enter your full name.",
     .invalid = "Please enter your full name (at most 200 characters)."},
    {.name = "password", .type = FT_TEXT, .required = true, .secret = true, .missing = "Please choose a password.",
     .invalid = "Please choose a password on one line."},
    {.name = "time_zone", .type = FT_TEXT, .max = 64, .invalid = "Please choose your time zone from the list."},
};
/* The password policy of sign-up (core/password.h), so a short password is said with a missing name. */
static void accept_check(const struct form_spec *s, const struct form_value *v, struct form_errors *e, void *ctx) {
  (void)s;
  (void)ctx;
  if (form_error(e, "password") || !v[1].present) return;
  char *n = pw_normalize(v[1].text, strlen(v[1].text));
  enum pw_verdict pv = n ? pw_check(n, PW_MIN_LEN_PASSWORD_ONLY, NULL, v[0].present ? v[0].text : NULL) : PW_NOT_UTF8;
  pw_free(n);
  if (pv != PW_OK) form_error_add(e, "password", pw_verdict_message_len(pv, PW_MIN_LEN_PASSWORD_ONLY));
}
const struct form_spec *caregivers_accept_form(void) {
  static const struct form_spec spec = {accept_fields, NV(accept_fields), accept_check};
  return &spec;
}

static const struct form_word decision_vocab[] = {{"verify", "verify"}, {"refuse", "do not accept"}};
enum { AU_DOC, AU_DECISION, AU_REASON, AU_N };
static const struct form_field authority_fields[] = {
    [AU_DOC] = {.name = "document", .type = FT_ID, .required = true,
                .missing = "The form is missing the document. Please reload the page.",
                .invalid = "The form is missing the document. Please reload the page."},
    [AU_DECISION] = {.name = "decision", .type = FT_ENUM, .required = true, .vocab = decision_vocab,
                     .n_vocab = NV(decision_vocab), .missing = "Choose whether the document is accepted or not.",
                     .invalid = "Choose whether the document is accepted or not."},
    [AU_REASON] = {.name = "reason", .type = FT_MULTILINE, .max = CG_AUTHORITY_REASON_MAX,
                   .invalid = "Please say why the document is not accepted, in at most 1,000 characters."},
};
static void authority_check(const struct form_spec *s, const struct form_value *v, struct form_errors *e, void *ctx) {
  (void)s;
  (void)ctx;
  if (!form_error(e, "decision") && strcmp(v[AU_DECISION].text, "refuse") == 0 && !v[AU_REASON].present)
    form_error_add(e, "reason", "Please say why the document is not accepted: the representative reads it.");
}
const struct form_spec *caregivers_authority_form(void) {
  static const struct form_spec spec = {authority_fields, AU_N, authority_check};
  return &spec;
}

#define END_MSG "Please say why this person no longer acts for the patient (at most 1,000 characters)."
static const struct form_field end_fields[] = {
    {.name = "link", .type = FT_ID, .required = true,
     .missing = "The form is missing who acts for the patient. Please reload the page.",
     .invalid = "The form is missing who acts for the patient. Please reload the page."},
    {.name = "end_reason", .type = FT_MULTILINE, .required = true, .max = CG_AUTHORITY_REASON_MAX, .missing = END_MSG,
     .invalid = END_MSG},
};
const struct form_spec *caregivers_end_form(void) {
  static const struct form_spec spec = {end_fields, NV(end_fields), NULL};
  return &spec;
}
