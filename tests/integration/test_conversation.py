"""A real conversation (issue 15, item 2): staff and the assigned reviewer
answer the patient in the request's thread; internal notes ("staff and
reviewers only") reach staff and the assigned reviewer, never the patient;
each side sees unread counts; every notice says only "log in", with no
clinical word.

Run: SECONDOP_BIN=$PWD/build-test/secondop /usr/bin/python3 tests/integration/run.py test_conversation
"""
import re

import harness
from accounts_helpers import login, make_user, outbox_messages
from test_triage import add_specialist, new_request

# Words that must never appear in a notice e-mail (plus the texts written).
CLINICAL = ("bi-rads", "birads", "mammogra", "biopsy", "malignan", "cancer", "tumou", "tumor", "lesion",
            "calcification", "mass", "density", "pathology", "finding", "diagnos", "tomosynthesis")


def thread_of(html):
    """The messages section of a page (patient, staff or reviewer)."""
    m = re.search(r'<section[^>]*id="(?:messages-section|thread)".*?</section>', html, re.S)
    assert m, "no messages section on the page"
    return m.group(0)


class ConversationTest(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient = make_user(cls.server, "patient", name="Jane Doe")
        cls.other_patient = make_user(cls.server, "patient", name="Olga Other")
        cls.staff = make_user(cls.server, "staff", name="Sam Staff")
        cls.reviewer = make_user(cls.server, "reviewer", name="Rita Account")
        cls.other_reviewer = make_user(cls.server, "reviewer", name="Dr. Otto Other")
        cls.spec = add_specialist(cls.server, cls.reviewer["id"], "Dr. Rita Reader")
        cls.p, cls.s, cls.rv, cls.orv, cls.op = (cls.server.client() for _ in range(5))
        login(cls.p, cls.patient)
        login(cls.s, cls.staff)
        login(cls.rv, cls.reviewer)
        login(cls.orv, cls.other_reviewer)
        login(cls.op, cls.other_patient)

    def new_case(self):
        rid, ref = new_request(self, self.patient["id"], "accepted", reviewer_id=self.reviewer["id"],
                               specialist_id=self.spec)
        return rid, ref

    def staff_act(self, rid, action, **form):
        self.s.get("/staff/requests/%d" % rid)
        return self.s.post("/staff/requests/%d/%s" % (rid, action), dict(form, **{"from": "accepted"}))

    def outbox_since(self, n_before):
        return outbox_messages(self.server)[n_before:]

    def assert_clean_notice(self, msg, *texts):
        body = (msg["subject"] + "\n" + msg["body"]).lower()
        for w in CLINICAL:
            self.assertNotIn(w, body, "a notice carries %r: %s" % (w, msg["body"]))
        for t in texts:
            self.assertNotIn(t.lower(), body, "a notice carries the message text")

    def test_who_sees_what_in_every_role(self):
        rid, _ = self.new_case()
        # the patient asks
        self.p.get("/requests/%d" % rid)
        r = self.p.post("/requests/%d/messages" % rid, {"body": "When will my report be ready?"})
        self.assertEqual(r.status, 303, r.text[:300])
        # staff answer the patient, and write an internal note
        r = self.staff_act(rid, "reply", reply="Within seven days. Dr. Reader has your images.")
        self.assertEqual(r.status, 303, r.text[:300])
        r = self.staff_act(rid, "note", note="SECRET-STAFF-NOTE: call the first facility")
        self.assertEqual(r.status, 303, r.text[:300])
        # the assigned reviewer answers and writes a note too
        self.rv.get("/reviewer/cases/%d" % rid)
        r = self.rv.post("/reviewer/cases/%d/reply" % rid, {"reply": "I will read them on Monday."})
        self.assertEqual(r.status, 303, r.text[:300])
        r = self.rv.post("/reviewer/cases/%d/note" % rid, {"note": "SECRET-REVIEWER-NOTE: priors needed"})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(self.sql("SELECT count(*) FROM messages WHERE request_id = %s AND internal", rid)[0][0], 2)

        # the patient: the question and both answers, never a note (the whole page, not just the thread)
        page = self.p.get("/requests/%d" % rid)
        self.assertEqual(page.status, 200)
        t = thread_of(page.text)
        self.assertIn("When will my report be ready?", t)
        self.assertIn("Within seven days. Dr. Reader has your images.", t)
        self.assertIn("I will read them on Monday.", t)
        self.assertIn("your reviewing radiologist", t)
        # the reviewer writes in the directory's name (add_specialist linked "Dr. Rita Reader")
        self.assertIn("Dr. Rita Reader (your reviewing radiologist)", t)
        for secret in ("SECRET-STAFF-NOTE", "SECRET-REVIEWER-NOTE", "call the first facility", "priors needed",
                       "internal note"):
            self.assertNotIn(secret, page.text)
        # staff: everything, notes marked
        page = self.s.get("/staff/requests/%d" % rid)
        t = thread_of(page.text)
        for text in ("When will my report be ready?", "Within seven days.", "I will read them on Monday.",
                     "SECRET-STAFF-NOTE", "SECRET-REVIEWER-NOTE"):
            self.assertIn(text, t)
        self.assertEqual(t.count("internal note, never shown to the patient"), 2)
        # the assigned reviewer: the patient's message and the notes
        page = self.rv.get("/reviewer/cases/%d" % rid)
        self.assertEqual(page.status, 200)
        t = thread_of(page.text)
        for text in ("When will my report be ready?", "Within seven days.", "SECRET-STAFF-NOTE", "SECRET-REVIEWER-NOTE"):
            self.assertIn(text, t)
        # another reviewer, another patient: nothing at all
        self.assertEqual(self.orv.get("/reviewer/cases/%d" % rid).status, 404)
        self.orv.get("/reviewer/cases")
        r = self.orv.post("/reviewer/cases/%d/reply" % rid, {"reply": "Not my case"})
        self.assertEqual(r.status, 404)
        self.assertEqual(self.op.get("/requests/%d" % rid).status, 404)
        self.assertEqual(self.sql("SELECT count(*) FROM messages WHERE request_id = %s", rid)[0][0], 5)
        # a patient cannot write an internal note through any door
        self.assertEqual(self.p.post("/staff/requests/%d/note" % rid, {"note": "x", "from": "accepted"}).status, 403)
        self.assertEqual(self.p.post("/reviewer/cases/%d/note" % rid, {"note": "x"}).status, 403)

    def test_unread_counts_on_each_side(self):
        rid, ref = self.new_case()
        self.p.get("/requests/%d" % rid)
        self.p.post("/requests/%d/messages" % rid, {"body": "First question"})
        self.p.post("/requests/%d/messages" % rid, {"body": "Second question"})
        # staff queue and the reviewer's worklist count the patient's unread messages
        q = self.s.get("/staff/queue?q=%s" % ref)
        self.assertEqual(q.status, 200)
        self.assertRegex(q.text, r'href="/staff/requests/%d#thread-h">2 new messages from the patient</a>' % rid)
        w = self.rv.get("/reviewer/cases")
        self.assertIn('href="/reviewer/cases/%d#thread-h">2 new messages from the patient</a>' % rid, w.text)
        # the reviewer opens the case: marked new once, then read for the center
        page = self.rv.get("/reviewer/cases/%d" % rid)
        self.assertIn('<span class="badge unread">2 new</span>', page.text)
        self.assertEqual(thread_of(page.text).count('<strong class="badge unread">new</strong>'), 2)
        page = self.rv.get("/reviewer/cases/%d" % rid)
        self.assertNotIn("badge unread", thread_of(page.text))
        q = self.s.get("/staff/queue?q=%s" % ref)
        self.assertNotIn("new message", q.text)
        # staff answer: the patient's dashboard counts it, the status page marks it, then it is read
        self.staff_act(rid, "reply", reply="We are on it.")
        d = self.p.get("/requests")
        self.assertIn('href="/requests/%d#messages">1 new message from the center</a>' % rid, d.text)
        page = self.p.get("/requests/%d" % rid)
        t = thread_of(page.text)
        self.assertIn('<span class="badge unread">1 new</span>', t)
        self.assertEqual(t.count('<strong class="badge unread">new</strong>'), 1)
        d = self.p.get("/requests")
        self.assertNotIn('href="/requests/%d#messages"' % rid, d.text)
        # an internal note never counts for anyone and never marks the patient's view
        self.staff_act(rid, "note", note="just for us")
        d = self.p.get("/requests")
        self.assertNotIn('href="/requests/%d#messages"' % rid, d.text)

    def test_notices_say_log_in_and_nothing_clinical(self):
        rid, ref = new_request(self, self.patient["id"], "accepted", birads="4", biopsy=True,
                               reviewer_id=self.reviewer["id"], specialist_id=self.spec,
                               exam_types=("screening_mammogram", "tomosynthesis"))
        n0 = len(outbox_messages(self.server))
        self.p.get("/requests/%d" % rid)
        question = "Is the BI-RADS 4 mass on my mammogram cancer?"
        self.p.post("/requests/%d/messages" % rid, {"body": question})
        new = self.outbox_since(n0)
        to = {m["to"] for m in new}
        self.assertIn(self.staff["email"], to)
        self.assertIn(self.reviewer["email"], to)
        self.assertNotIn(self.other_reviewer["email"], to)
        self.assertNotIn(self.patient["email"], to)
        for m in new:
            self.assert_clean_notice(m, question)
            self.assertIn("/requests/%d" % rid if m["to"] == self.patient["email"] else "#thread-h", m["body"])
        n1 = len(outbox_messages(self.server))
        answer = "The biopsy pathology shows a benign finding."
        self.staff_act(rid, "reply", reply=answer)
        new = self.outbox_since(n1)
        self.assertEqual([m["to"] for m in new], [self.patient["email"]])
        self.assert_clean_notice(new[0], answer)
        self.assertIn("/requests/%d#messages" % rid, new[0]["body"])
        # an internal note never e-mails the patient
        n2 = len(outbox_messages(self.server))
        self.staff_act(rid, "note", note="pathology pending")
        self.assertNotIn(self.patient["email"], [m["to"] for m in self.outbox_since(n2)])

    def test_empty_or_long_messages_reshow_the_form(self):
        rid, _ = self.new_case()
        before = self.sql("SELECT count(*) FROM messages WHERE request_id = %s", rid)[0][0]
        # the patient: 422, the error next to the field, the text typed kept
        self.p.get("/requests/%d" % rid)
        r = self.p.post("/requests/%d/messages" % rid, {"body": "   "})
        self.assertEqual(r.status, 422)
        self.assertIn('id="body-error"', r.text)
        self.assertIn("Please write a message before sending.", r.text)
        self.assertIn('aria-describedby="body-error"', r.text)
        self.assertIn("Messages with the center", r.text)  # the page, not a bare error
        long_text = "a<b" * 1700
        r = self.p.post("/requests/%d/messages" % rid, {"body": long_text})
        self.assertEqual(r.status, 422)
        self.assertIn("5,000 characters", r.text)
        self.assertIn("a&lt;b" * 1700, r.text)  # echoed, escaped
        # staff and reviewer: the same
        r = self.staff_act(rid, "reply", reply=" \n ")
        self.assertEqual(r.status, 422)
        self.assertIn('id="reply-error"', r.text)
        self.rv.get("/reviewer/cases/%d" % rid)
        r = self.rv.post("/reviewer/cases/%d/reply" % rid, {"reply": ""})
        self.assertEqual(r.status, 422)
        self.assertIn('id="reply-error"', r.text)
        self.assertIn("Nothing was sent.", r.text)
        r = self.rv.post("/reviewer/cases/%d/note" % rid, {"note": "x" * 5001})
        self.assertEqual(r.status, 422)
        self.assertIn('id="note-error"', r.text)
        self.assertIn("x" * 5001, r.text)
        self.assertEqual(self.sql("SELECT count(*) FROM messages WHERE request_id = %s", rid)[0][0], before)

    def test_a_reply_typed_on_a_stale_page_is_still_sent(self):
        rid, _ = self.new_case()
        self.s.get("/staff/requests/%d" % rid)
        # the page said "triage"; the request has moved on to accepted meanwhile
        r = self.s.post("/staff/requests/%d/reply" % rid, {"reply": "Sent from an old page", "from": "triage"})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(self.sql("SELECT count(*) FROM messages WHERE request_id = %s AND NOT internal", rid)[0][0], 1)

    def test_a_draft_has_no_thread(self):
        rid, _ = new_request(self, self.patient["id"], "draft")
        self.p.get("/requests")
        r = self.p.post("/requests/%d/messages" % rid, {"body": "hello"})
        self.assertEqual(r.status, 409)
        self.assertEqual(self.sql("SELECT count(*) FROM messages WHERE request_id = %s", rid)[0][0], 0)
