/* A request as staff see it, and the staff actions on it:
 *   GET  /staff/requests/{id}            answers, checklist, records with
 *        intake warnings, authorization, coverage, timeline, thread and
 *        internal notes, the report's state, and the actions this state offers
 *   POST /staff/requests/{id}/{action}   one action (core/center.h); a
 *        forged or stale action is refused (409/403) and nothing changes
 *   GET  /requests/{id}/consultation.ics the consultation in a calendar file
 *        (the owner patient, or staff) */
#include <ClearSilver.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/caregivers.h"
#include "core/vocab.h"
#include "core/center.h"
#include "core/checklist.h"
#include "core/records.h"
#include "core/reports.h"
#include "core/requests.h"
#include "core/triage.h"
#include "http/actor.h"
#include "http/reply.h"
#include "routes/center_view.h"
#include "routes/pacs_view.h"
#include "routes/first_read_view.h"
#include "routes/form_view.h"
#include "routes/report_view.h"
#include "routes/staff_communication.h"
#include "routes/identity_view.h"
#include "routes/routes.h"
#include "store/requests.h"
#include "util/arena.h"
#include "util/tz.h"

/* The checklist label of a document kind the staff asked for ("pathology_report"
 * → "Pathology report of your biopsy"), from the same rules the patient sees;
 * "other" and unknown keys get plain words. Static strings. */
static const char *missing_label(const char *key) {
  struct checklist_input in = {.newest_image_date = "", .today = ""};
  struct checklist_item items[CHECKLIST_ITEMS];
  size_t n = checklist_build(&in, items);
  for (size_t i = 0; i < n; i++)
    if (strcmp(items[i].key, key) == 0) return items[i].label;
  return cv_kind_label(key);
}

/* Plain words for an event kind other than a status change. */
static const char *kind_label(const char *kind) {
  static const char *const map[][2] = {
      {"note", "Note"},
      {"records_letter", "Records request letter prepared"},
      {"records_extension", "Records deadline extended"},
      {"authorization_signed", "Authorization signed"},
      {"authorization_revoked", "Authorization revoked"},
      {"third_opinion", "Started as a further opinion on an earlier request"},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(map[i][0], kind) == 0) return map[i][1];
  return kind;
}

/* The specialist (and reviewer account) of an assignment event, by id: from
 * the assignable list, else the request's assigned specialist; arena string. */
static const char *specialist_words(struct arena *a, const struct center_case *cc, long long sid) {
  for (size_t i = 0; i < cc->assignable.n; i++)
    if (rs_ll(&cc->assignable, i, "id") == sid)
      return arena_printf(a, "%s (reviewer account: %s)", rs_get(&cc->assignable, i, "full_name"),
                          rs_get(&cc->assignable, i, "reviewer_name"));
  if (rs_ll(&cc->req, 0, "assigned_specialist_id") == sid && *rs_get(&cc->req, 0, "assigned_specialist"))
    return arena_printf(a, "%s (reviewer account: %s)", rs_get(&cc->req, 0, "assigned_specialist"),
                        rs_get(&cc->req, 0, "assigned_reviewer"));
  return "a specialist who is no longer listed";
}

/* A scalar JSON value as text (arena); NULL for arrays, objects and null. */
static const char *scalar_text(struct arena *a, json_t *v) {
  if (json_is_string(v)) return json_string_value(v);
  if (json_is_integer(v)) return arena_printf(a, "%lld", (long long)json_integer_value(v));
  if (json_is_real(v)) return arena_printf(a, "%g", json_real_value(v));
  if (json_is_boolean(v)) return json_is_true(v) ? "yes" : "no";
  return NULL;
}

/* "Send to our PACS" events (core/pacs.c) as one sentence under Events.i.Detail.what:
 * "12 images of the request sent to Riverside PACS", "… done: 12 stored, 0 not stored", "…
 * failed: <reason>". 1 when j was such an event. */
static int pacs_event_words(HDF *hdf, struct arena *a, json_t *j, size_t i) {
  const char *ev = json_string_value(json_object_get(j, "event"));
  const char *dest = json_string_value(json_object_get(j, "destination"));
  if (!ev || !dest || strncmp(ev, "pacs_send", 9) != 0) return 0;
  long long n = (long long)json_integer_value(json_object_get(j, "instances"));
  const char *what;
  if (strcmp(ev, "pacs_send") == 0) {
    const char *scope = json_string_value(json_object_get(j, "scope"));
    what = arena_printf(a, "Sending %lld image%s of %s to %s (PACS)", n, n == 1 ? "" : "s",
                        scope && strcmp(scope, "study") == 0 ? "one study" : "the request", dest);
  } else if (strcmp(ev, "pacs_send_done") == 0) {
    long long ok = (long long)json_integer_value(json_object_get(j, "stored"));
    long long bad = (long long)json_integer_value(json_object_get(j, "failed"));
    what = arena_printf(a, "Sending to %s (PACS) is done: %lld of %lld stored%s", dest, ok, n,
                        bad ? arena_printf(a, ", %lld not stored", bad) : "");
  } else if (strcmp(ev, "pacs_send_stopped") == 0) {
    const char *reason = json_string_value(json_object_get(j, "reason"));
    long long ok = (long long)json_integer_value(json_object_get(j, "stored"));
    what = arena_printf(a, "Sending to %s (PACS) was stopped (%lld of %lld stored before): %s", dest, ok, n,
                        reason ? reason : "no reason given");
  } else {
    const char *reason = json_string_value(json_object_get(j, "reason"));
    what = arena_printf(a, "Sending to %s (PACS) failed: %s", dest, reason ? reason : "no reason given");
  }
  if (what) cv_set(hdf, what, "Events.%zu.Detail.what", i);
  return 1;
}

/* Turns event i's detail JSON into plain values under Events.i.Detail (the
 * template shows them as words, escaped): Missing.N (checklist labels),
 * message, reason, what, reviewer, consult, documents, Other.N.name/value
 * for keys without a rule. Malformed JSON shows nothing. */
static void event_detail(HDF *hdf, struct arena *a, const struct center_case *cc, size_t i) {
  const char *text = rs_get(&cc->events, i, "detail");
  cv_set(hdf, kind_label(rs_get(&cc->events, i, "kind")), "Events.%zu.kind_label", i);
  if (!*text) return;
  json_t *j = json_loads(text, 0, NULL);
  if (!json_is_object(j)) {
    json_decref(j);
    return;
  }
  if (pacs_event_words(hdf, a, j, i)) {
    json_decref(j);
    return;
  }
  const char *key;
  json_t *v;
  size_t other = 0;
  const char *date = NULL, *hour = NULL, *place = NULL, *starts = NULL;
  json_object_foreach(j, key, v) {
    const char *s = scalar_text(a, v);
    if (strcmp(key, "missing") == 0 && json_is_array(v)) {
      size_t k;
      json_t *item;
      json_array_foreach(v, k, item) {
        if (json_is_string(item)) cv_set(hdf, missing_label(json_string_value(item)), "Events.%zu.Detail.Missing.%zu", i, k);
      }
    } else if ((strcmp(key, "message") == 0 || strcmp(key, "reason") == 0) && s) {
      if (*s) cv_set(hdf, s, "Events.%zu.Detail.%s", i, key);
    } else if (strcmp(key, "event") == 0 && s) {
      cv_set(hdf,
             strcmp(s, "reviewer_assigned") == 0  ? "Reviewer assigned"
             : strcmp(s, "report_released") == 0  ? "Report released to the patient"
             : strcmp(s, "coverage_checked") == 0 ? "Coverage checked"
             : strcmp(s, "first_read_corrected") == 0 ? "First read corrected from the uploaded report"
             : strcmp(s, "first_read_confirmed") == 0 ? "First read confirmed from the uploaded report"
             : strcmp(s, "communication_task_opened") == 0
                 ? "Significant unexpected finding: the referring physician must be reached before release"
             : strcmp(s, "physician_reached") == 0 ? "Referring physician reached"
                                                  : s,
             "Events.%zu.Detail.what", i);
    } else if (strcmp(key, "specialist") == 0 && json_is_integer(v)) {
      cv_set(hdf, specialist_words(a, cc, (long long)json_integer_value(v)), "Events.%zu.Detail.reviewer", i);
    } else if (strcmp(key, "starts_at") == 0 && s) {
      starts = s; /* the instant: shown in the reader's zone instead of the date and time as typed */
    } else if (strcmp(key, "zone") == 0) {
      /* the zone the date and time were typed in: starts_at says it all */
    } else if (strcmp(key, "date") == 0 && s) {
      date = s;
    } else if (strcmp(key, "time") == 0 && s) {
      hour = s;
    } else if (strcmp(key, "place") == 0 && s) {
      place = s;
    } else if (strcmp(key, "documents") == 0 && json_is_integer(v)) {
      cv_set(hdf, arena_printf(a, "%lld", (long long)json_integer_value(v)), "Events.%zu.Detail.documents", i);
    } else if (strcmp(key, "type") == 0 || strcmp(key, "parent") == 0) {
      /* the request type and the parent id add nothing for staff */
    } else if (s) {
      char *name = arena_strdup(a, key);
      for (char *p = name; p && *p; p++)
        if (*p == '_') *p = ' ';
      cv_set(hdf, name, "Events.%zu.Detail.Other.%zu.name", i, other);
      cv_set(hdf, s, "Events.%zu.Detail.Other.%zu.value", i, other);
      other++;
    }
  }
  if (starts) {
    date = cv_when(a, starts);
    hour = NULL;
  }
  if (date || hour || place)
    cv_set(hdf,
           arena_printf(a, "%s%s%s%s%s", date ? date : "", date && hour ? " at " : "", hour ? hour : "",
                        place && *place && (date || hour) ? ", " : "", place ? place : ""),
           "Events.%zu.Detail.consult", i);
  json_decref(j);
}

/* Loads and shows the page; status 200, or 422 when errs carry form errors,
 * or `status` when given (a refused action, with `problem` at the top). An
 * action's typed values are echoed from its spec (Form.Action names it). */
static void show_as(struct req *r, long long id, const struct center_errors *errs, const char *done, int status,
                    const struct form_spec *spec, const char *action, const char *problem) {
  struct actor who = actor_from_req(r);
  struct arena *a = r->arena;
  struct center_case cc;
  enum err e = center_case_load(a, &who, id, &cc);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  HDF *hdf = req_hdf(r);
  if (!hdf) return reply_error(r, ERR_INTERNAL, NULL);
  const struct rowset *q = &cc.req;
  hdf_set_value(hdf, "Page.Title", arena_printf(a, "Request %s", rs_get(q, 0, "reference")));
  hdf_set_value(hdf, "Page.Name", "staff-request");
  cv_row(hdf, "Case", q, 0);
  hdf_set_value(hdf, "Case.status_label", cv_status_label(rs_get(q, 0, "status")));
  hdf_set_value(hdf, "Case.priority_label", triage_priority_label((enum triage_priority)rs_ll(q, 0, "priority")));
  rv_birads(hdf, rs_get(q, 0, "birads"), "Case");
  /* questions are joined with the unit separator */
  const char *qs = rs_get(q, 0, "questions");
  size_t qi = 0;
  while (*qs) {
    size_t n = strcspn(qs, "\x1f");
    cv_set(hdf, arena_strndup(a, qs, n), "Case.Questions.%zu", qi++);
    qs += n;
    if (*qs) qs++;
  }
  const char *types = rs_get(q, 0, "exam_types");
  hdf_set_value(hdf, "Case.exam_types_text", *types ? cv_exam_types_words(a, types) : "not given");
  cv_rows(hdf, "Events", &cc.events);
  cv_rows(hdf, "Documents", &cc.documents);
  for (size_t i = 0; i < cc.documents.n; i++)
    cv_set(hdf, cv_kind_label(rs_get(&cc.documents, i, "kind")), "Documents.%zu.kind_label", i);
  cv_rows(hdf, "Studies", &cc.studies);
  cv_date_words(hdf, a, "Studies", "study_date", cc.studies.n);
  if (cc.consult.n) cv_row(hdf, "Consult", &cc.consult, 0);
  cv_rows(hdf, "Assignable", &cc.assignable);
  /* the specialist preselected: what was posted, else the one assigned, else the patient's choice */
  {
    const char *posted = errs && errs->n ? req_form(r, "specialist") : NULL;
    long long assigned_sid = rs_ll(q, 0, "assigned_specialist_id");
    hdf_set_value(hdf, "AssignSelected",
                  posted ? posted : arena_printf(a, "%lld", assigned_sid > 0 ? assigned_sid : rs_ll(q, 0, "specialist_id")));
  }
  /* the patient's choice, assignable in one click when linked to a reviewer account */
  for (size_t i = 0; i < cc.assignable.n; i++)
    if (rs_ll(&cc.assignable, i, "id") == rs_ll(q, 0, "specialist_id") && rs_ll(q, 0, "specialist_id") > 0)
      hdf_set_value(hdf, "Case.ChosenAssignable", "1");
  for (size_t i = 0; i < cc.events.n; i++) {
    cv_set(hdf, cv_status_label(rs_get(&cc.events, i, "to_status")), "Events.%zu.to_label", i);
    /* a caregiver's action names both people: "María Rivera's daughter Ana Rivera" (core/caregivers.h) */
    long long actor = rs_ll(&cc.events, i, "actor_id");
    const char *both = strcmp(rs_get(&cc.events, i, "actor_role"), VOCAB_KEY_PATIENT) == 0 && actor != rs_ll(q, 0, "patient_id")
                           ? caregivers_who(a, rs_ll(q, 0, "patient_id"), actor, who.user_id)
                           : NULL;
    if (both) cv_set(hdf, both, "Events.%zu.actor", i);
    event_detail(hdf, a, &cc, i);
    /* a caregiver's upload or removal is one sentence naming both people */
    const char *rec = cg_records_event_words(a, rs_get(&cc.events, i, "kind"), rs_get(&cc.events, i, "detail"));
    if (rec && both) {
      cv_set(hdf, arena_printf(a, "%s %s", both, rec), "Events.%zu.kind_label", i);
      hdf_remove_tree(hdf, arena_printf(a, "Events.%zu.actor", i));
      hdf_remove_tree(hdf, arena_printf(a, "Events.%zu.detail", i));
    }
  }
  /* the checklist from the same rules the patient sees */
  struct rqs_row row;
  if (rqs_get(a, id, &row) == ERR_OK) {
    struct checklist_item items[CHECKLIST_ITEMS];
    size_t n = 0;
    if (requests_checklist(a, &row, items, &n) == ERR_OK) {
      for (size_t i = 0; i < n; i++) {
        cv_set(hdf, items[i].key, "Checklist.%zu.key", i);
        cv_set(hdf, items[i].label, "Checklist.%zu.label", i);
        cv_set(hdf, items[i].note, "Checklist.%zu.note", i);
        cv_set(hdf, items[i].need == CL_REQUIRED ? "required" : items[i].need == CL_SUGGESTED ? "suggested" : "not needed",
               "Checklist.%zu.need", i);
        cv_set(hdf, items[i].state == CL_DONE ? "done" : items[i].state == CL_MISSING ? "missing" : "attention",
               "Checklist.%zu.state", i);
      }
      /* not under Checklist: the template iterates its children */
      hdf_set_int_value(hdf, "ChecklistMissing", (int)checklist_missing(items, n));
    }
  }
  /* intake warnings of the records feature */
  struct records_view rv;
  if ((e = records_view_load(a, &who, id, &rv)) != ERR_OK) return reply_error(r, e, NULL); /* never silently unchecked */
  /* whose images: the one identity rule, every file, per series (core/identity.c) */
  identity_view_hdf(hdf, a, &rv.identity);
  for (size_t i = 0; i < cc.studies.n; i++) {
    const char *names = "";
    enum identity_verdict worst;
    identity_view_people(a, &rv.identity, rs_ll(&cc.studies, i, "id"), 0, identity_pn_display, identity_date_words,
                         &names, NULL, &worst);
    cv_set(hdf, names, "Studies.%zu.patient_name", i);
    cv_set(hdf, "", "Studies.%zu.patient_birth_date", i);
    cv_set(hdf, worst == ID_DIFFERENT ? "1" : "0", "Studies.%zu.wrong_patient", i);
  }
  /* uploads not kept, and those still being checked: the center sees them too */
  {
    size_t nf = 0, nc = 0;
    for (size_t i = 0; i < rv.n_pending; i++) {
      const struct upload_row *u = &rv.pending[i];
      if (strcmp(u->state, "failed") == 0) {
        if (u->virus_name && *u->virus_name) continue; /* quarantined: shown with the scanner's warning */
        cv_set(hdf, u->filename, "Records.Failed.%zu.name", nf);
        cv_set(hdf, *u->failure ? u->failure : "it did not finish correctly", "Records.Failed.%zu.reason", nf);
        nf++;
      } else if (strcmp(u->state, "checking") == 0 || strcmp(u->state, "finalizing") == 0) {
        cv_set(hdf, u->filename, "Records.Checking.%zu.name", nc++);
      }
    }
  }
  for (size_t i = 0; i < rv.n_warnings; i++) {
    cv_set(hdf, rv.warnings[i], "Warnings.%zu.text", i);
    cv_set(hdf, strstr(rv.warnings[i], "someone else") ? "1" : "0", "Warnings.%zu.wrong_patient", i);
  }
  hdf_set_value(hdf, "Records.Summary", rv.summary);
  /* the thread, internal notes marked, the patient's unread messages flagged */
  struct rqs_message *msgs = NULL;
  size_t nm = 0;
  if (requests_thread(a, &who, id, &msgs, &nm) == ERR_OK) {
    cv_thread(hdf, msgs, nm, who.user_id);
    cv_thread_people(hdf, a, msgs, nm, rs_ll(q, 0, "patient_id"), who.user_id);
  }
  hdf_set_int_value(hdf, "Report.Exists", cc.has_report);
  hdf_set_int_value(hdf, "Report.Signed", cc.report_signed);
  hdf_set_int_value(hdf, "Report.Released", cc.report_released);
  bool assigned = rs_ll(q, 0, "assigned_reviewer_id") > 0;
  for (int c = 0; c < CA_COUNT; c++)
    cv_set(hdf,
           center_action_offered((enum center_action)c, cc.status, assigned, cc.report_signed, cc.report_released) ? "1"
                                                                                                                   : "0",
           "Offer.%s", center_action_name((enum center_action)c));
  hdf_set_value(hdf, "Offer.askinfo", hdf_get_value(hdf, "Offer.ask-info", "0"));
  /* who signed the authorization in force, when not the patient (core/caregivers.h) */
  struct rqs_authorization cur;
  int cur_found = 0;
  struct cg_signer sg;
  if (rqs_auth_current(a, id, &cur, &cur_found) == ERR_OK && cur_found && caregivers_signer(a, cur.id, &sg) == ERR_OK) {
    hdf_set_value(hdf, "Auth.SignerRelationship", sg.relationship);
    hdf_set_value(hdf, "Auth.SignerAuthority", sg.authority);
  }
  /* someone acts for the patient on stated authority: staff check the document before accepting (core/caregivers.h) */
  struct cg_authority au;
  if (caregivers_authority(a, rs_ll(q, 0, "patient_id"), &au) == ERR_OK && au.state != CGA_NONE) {
    hdf_set_value(hdf, "Authority.Name", au.caregiver_name);
    hdf_set_value(hdf, "Authority.Relationship", au.relationship);
    hdf_set_value(hdf, "Authority.Kind", au.authority);
    hdf_set_value(hdf, "Authority.State", au.state == CGA_VERIFIED ? "verified" : au.state == CGA_REFUSED ? "refused"
                                          : au.state == CGA_PENDING  ? "pending"
                                          : au.state == CGA_ENDED    ? "ended" : "missing");
    cv_set(hdf, arena_printf(a, "%lld", au.link_id), "Authority.Link");
    hdf_set_value(hdf, "Authority.Reason", au.reason);
    if (au.document_id) {
      cv_set(hdf, arena_printf(a, "%lld", au.document_id), "Authority.Document");
      cv_set(hdf, arena_printf(a, "%lld", au.document_request_id), "Authority.DocumentRequest");
    }
    if (au.state != CGA_VERIFIED && strcmp(hdf_get_value(hdf, "Offer.accept", "0"), "1") == 0) {
      hdf_set_value(hdf, "Offer.accept", "0");
      hdf_set_value(hdf, "Authority.BlocksAccept", "1");
    }
  }
  /* the first read (core/first_read.h); its errors are the fr_* fields */
  bool fr_errs = errs && errs->n && strncmp(errs->e[0].field, "fr_", 3) == 0;
  fr_view(hdf, r, q, arena_printf(a, "/staff/requests/%lld/first-read", id), fr_errs ? errs : NULL);
  if (done) hdf_set_value(hdf, "Flash.Kind", "ok");
  if (done) hdf_set_value(hdf, "Flash.Message", done);
  if (problem) {
    hdf_set_value(hdf, "Flash.Kind", "error");
    hdf_set_value(hdf, "Flash.Message", problem);
  }
  if (errs && errs->n) {
    for (size_t i = 0; i < errs->n; i++) cv_set(hdf, errs->e[i].message, "Form.Errors.%s", errs->e[i].field);
    hdf_set_int_value(hdf, "Form.ErrorCount", (int)errs->n);
    if (spec) {
      fv_fill(r, hdf, spec, NULL); /* the one echo of the form layer (secrets never) */
      hdf_set_value(hdf, "Form.Action", action);
    } else {
      for (size_t i = 0; i < r->form.n; i++)
        if (strcmp(r->form.items[i].name, "csrf") != 0)
          cv_set(hdf, r->form.items[i].value, "Form.Values.%s", r->form.items[i].name);
    }
  }
  comm_view_request(r, hdf, id);
  enum err pe = pacs_case_hdf(r, hdf, id); /* "Send to our PACS" and its progress */
  if (pe != ERR_OK) return reply_error(r, pe, NULL);
  reply_page(r, status ? status : errs && errs->n ? 422 : 200, "staff_request.cs");
}

static void show(struct req *r, long long id, const struct center_errors *errs, const char *done) {
  show_as(r, id, errs, done, 0, NULL, NULL, NULL);
}

/* The page after a refused action c: its fields echoed, errs next to them. */
static void show_form(struct req *r, long long id, const struct center_errors *errs, enum center_action c, int status,
                      const char *problem) {
  show_as(r, id, errs, NULL, status, center_action_form(c), center_action_name(c), problem);
}

void staff_request_show(struct req *r, long long id, const struct center_errors *errs, const char *done) {
  show(r, id, errs, done);
}

void staff_request_show_form(struct req *r, long long id, const struct center_errors *errs,
                             const struct form_spec *spec, const char *action, int status, const char *problem) {
  show_as(r, id, errs, NULL, status, spec, action, problem);
}

static const char *done_message(enum center_action c) {
  switch (c) {
  case CA_CLAIM: return "You claimed this request; it is now in triage.";
  case CA_ASK_INFO: return "The patient was asked for the missing information.";
  case CA_RESUME: return "The request is back in triage.";
  case CA_ACCEPT: return "The request is accepted.";
  case CA_ASSIGN: return "The reviewer is assigned and was told by e-mail.";
  case CA_SCHEDULE: return "The consultation is scheduled; the patient can download it for their calendar.";
  case CA_START: return "The review has started.";
  case CA_DECLINE: return "The request is declined; the patient sees your reason.";
  case CA_RELEASE: return "The report is released to the patient.";
  case CA_CLOSE: return "The request is closed.";
  case CA_COVERAGE: return "Coverage saved.";
  case CA_NOTE: return "Internal note added. The patient never sees it.";
  case CA_REPLY: return "Your message is sent. The patient gets an e-mail asking them to log in to read it.";
  case CA_COUNT: break;
  }
  return "Done.";
}

/* POST /staff/requests/{id}/first-read: confirm or correct the first read. */
static void first_read_post(struct req *r, long long id) {
  struct actor who = actor_from_req(r);
  const struct form_pair *in = fv_pairs(r);
  if (!in) return reply_error(r, ERR_INTERNAL, NULL);
  char today[16];
  tz_format(today, sizeof today, (int64_t)time(NULL), req_tz(r), TZ_DATE);
  struct center_errors errs = {0};
  enum err e = first_read_submit(r->arena, &who, id, in, r->form.n, today, &errs);
  if (e == ERR_INVALID) return show(r, id, &errs, NULL);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, arena_printf(r->arena, "/staff/requests/%lld?done=first-read#first-read", id));
}

static void request_page(struct req *r) {
  long long id = cv_param_id(r, "id");
  if (!id) return reply_error(r, ERR_NOT_FOUND, NULL);
  const char *done = req_query(r, "done");
  enum center_action c;
  if (done && strcmp(done, "first-read") == 0)
    return show(r, id, NULL, "The first read is saved as verified. Triage now uses these values.");
  if (done && strcmp(done, "pacs") == 0)
    return show(r, id, NULL, "The images are queued for the PACS. Their progress shows below.");
  if (done && strcmp(done, "communication") == 0)
    return show(r, id, NULL, "The call to the referring physician is recorded. The report can now be released.");
  if (done && strcmp(done, "authority-verified") == 0)
    return show(r, id, NULL, "The representative's authority is verified. The request can now be accepted.");
  if (done && strcmp(done, "authority-refused") == 0)
    return show(r, id, NULL, "The document is not accepted. The representative sees your reason.");
  if (done && strcmp(done, "authority-ended") == 0)
    return show(r, id, NULL, "This person no longer acts for the patient. They lost access at once.");
  show(r, id, NULL, done && center_action_parse(done, &c) ? done_message(c) : NULL);
}

static void request_action(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = cv_param_id(r, "id");
  enum center_action c;
  if (id && req_param(r, "action") && strcmp(req_param(r, "action"), "first-read") == 0) return first_read_post(r, id);
  if (!id || !center_action_parse(req_param(r, "action"), &c)) return reply_error(r, ERR_NOT_FOUND, NULL);
  enum req_status from;
  const char *from_s = req_form(r, "from");
  if (!from_s || !req_status_parse(from_s, &from))
    return reply_error(r, ERR_BAD_REQUEST, "The form is missing the request's state. Please reload the page.");
  const struct form_pair *pairs = fv_pairs(r);
  if (!pairs) return reply_error(r, ERR_INTERNAL, NULL);
  char today[16];
  tz_format(today, sizeof today, (int64_t)time(NULL), req_tz(r), TZ_DATE);
  struct center_errors errs = {0};
  enum err e = center_act_submit(r->arena, &who, id, c, from, pairs, r->form.n, today, req_tz(r), &errs);
  if (e == ERR_INVALID) return show_form(r, id, &errs, c, 422, NULL);
  if (e == ERR_AUTHORITY_PENDING) {
    errs.n = 1;
    errs.e[0].field = "authority_reason";
    errs.e[0].message = "Verify the representative's authority document before accepting the request. Nothing was changed.";
    return show(r, id, &errs, NULL);
  }
  /* the page as it is now, with what happened said at the top: never a dead end */
  if (e == ERR_CONFLICT)
    return show_form(r, id, NULL, c, 409,
                     "This action is not possible in the request's current state (it changed meanwhile, or was "
                     "not offered). Nothing was changed. The page below shows the request as it is now.");
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_redirect(r, arena_printf(r->arena, "/staff/requests/%lld?done=%s", id, center_action_name(c)));
}

static void consultation_ics(struct req *r) {
  struct actor who = actor_from_req(r);
  long long id = cv_param_id(r, "id");
  const char *ics = NULL;
  enum err e = id ? center_consult_ics(r->arena, &who, id, &ics) : ERR_NOT_FOUND;
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_bytes(r, 200, "text/calendar; charset=utf-8", ics, strlen(ics));
  reply_header(r, "Content-Disposition", "attachment; filename=\"consultation.ics\"");
}

const struct route staff_requests_routes[] = {
    {"GET", "/staff/requests/{id}", request_page, ROLE_STAFF, 0, BODY_NONE, 0, NULL, "staff-request"},
    {"POST", "/staff/requests/{id}/{action}", request_action, ROLE_STAFF, 0, BODY_FORM, 0, NULL, "staff-action"},
    {"GET", "/requests/{id}/consultation.ics", consultation_ics, ROLE_PATIENT | ROLE_STAFF, 0, BODY_NONE, 0, NULL,
     "consultation-ics"},
    {0},
};
