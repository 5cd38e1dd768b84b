/* Escaping by construction, over every template in templates/.
 *
 * 1. Lint: no template prints data through a ClearSilver construct that skips
 *    the global HTML escaping (alt:, uvar:, name:, lvar:, evar:, linclude:,
 *    escape:), except the entries of the allow-list below; a value printed at
 *    the start of an href/src/action attribute goes through url_validate()
 *    (HTML escaping does not stop "javascript:").
 * 2. Render: every page is rendered with every HDF path that any template
 *    reads (derived from the template text: var/if/each/with/loop/call/def,
 *    loop aliases resolved, two children per loop) set to each hostile value,
 *    and no hostile value may come out unescaped. */
#include <ClearSilver.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/reply.h"
#include "t.h"

/* Unescaped constructs admitted anyway: file, command, expression, and why.
 * Only values the code produced itself may be listed here, never data a
 * person typed. Empty today: nothing needs it. A stale entry (no longer in
 * the template) fails the lint too, so the list cannot rot. */
static const struct allowed {
  const char *file, *cmd, *expr, *reason;
} allow_list[] = {
    {NULL, NULL, NULL, NULL},
};

static const char *const forbidden_cmds[] = {"alt", "uvar", "name", "lvar", "evar", "linclude", "escape"};

static const char *const hostile[] = {
    "<meta http-equiv=\"refresh\" content=\"0;url=http://evil.example/\">",
    "\"><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
};

/* ---- small string set ---- */

struct strset {
  char **v;
  size_t n, cap;
};

static bool ss_has(const struct strset *s, const char *x) {
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->v[i], x) == 0) return true;
  return false;
}

static bool ss_add(struct strset *s, const char *x) {
  if (ss_has(s, x)) return false;
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 16;
    s->v = realloc(s->v, s->cap * sizeof *s->v);
    if (!s->v) abort();
  }
  s->v[s->n++] = strdup(x);
  return true;
}

static void ss_free(struct strset *s) {
  for (size_t i = 0; i < s->n; i++) free(s->v[i]);
  free(s->v);
  memset(s, 0, sizeof *s);
}

/* ---- templates as text ---- */

struct tfile {
  char name[128];
  char *text;
};
static struct tfile files[128];
static size_t nfiles;

static void load_files(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) && nfiles < sizeof files / sizeof files[0]) {
    size_t nl = strlen(e->d_name);
    if (nl < 4 || strcmp(e->d_name + nl - 3, ".cs") != 0 || nl >= sizeof files[0].name) continue;
    char path[4096];
    snprintf(path, sizeof path, "%.3000s/%.255s", dir, e->d_name);
    FILE *f = fopen(path, "rb");
    if (!f) continue;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)sz + 1);
    size_t got = fread(text, 1, (size_t)sz, f);
    text[got] = '\0';
    fclose(f);
    strcpy(files[nfiles].name, e->d_name);
    files[nfiles++].text = text;
  }
  closedir(d);
}

/* One ClearSilver tag: command ("var", "/each", "#"…) and the expression. */
struct tag {
  char cmd[32];
  char expr[1024];
  const char *start; /* "<?cs" in the file text */
};

/* Finds the next tag at or after *pos; false at the end. */
static bool next_tag(const char **pos, struct tag *t) {
  const char *s = strstr(*pos, "<?cs");
  if (!s) return false;
  const char *end = strstr(s, "?>");
  if (!end) return false;
  t->start = s;
  const char *p = s + 4;
  while (*p == ' ' || *p == '\t' || *p == '\n') p++;
  size_t n = 0;
  if (*p == '#') {
    t->cmd[n++] = *p++;
  } else {
    while (p < end && *p != ':' && *p != ' ' && *p != '\n' && n + 1 < sizeof t->cmd) t->cmd[n++] = *p++;
  }
  t->cmd[n] = '\0';
  if (*p == ':') p++;
  const char *e = end;
  while (e > p && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t')) e--;
  while (p < e && (*p == ' ' || *p == '\t')) p++;
  size_t len = (size_t)(e - p);
  if (len >= sizeof t->expr) len = sizeof t->expr - 1;
  memcpy(t->expr, p, len);
  t->expr[len] = '\0';
  *pos = end + 2;
  return true;
}

/* ---- deriving HDF paths from the template text ---- */

/* A name bound by each/with/loop/def: what it stands for. Entries starting
 * with '"' are string literals (macro arguments like "email"). */
struct binding {
  char name[64];
  struct strset exp;
  int block; /* 0 each, 1 with, 2 loop, 3 def */
};

struct macro {
  char name[64];
  int nparams;
  char params[8][64];
  struct strset args[8];
};

/* every def: in templates/; more than this fails the run (never drops one silently: a
 * dropped macro's arguments would go unchecked) */
static struct macro macros[512];
static size_t nmacros;
static struct strset paths;
static bool grew;

static struct macro *macro_find(const char *name) {
  for (size_t i = 0; i < nmacros; i++)
    if (strcmp(macros[i].name, name) == 0) return &macros[i];
  return NULL;
}

static struct binding stack[64];
static int depth;

static const struct binding *lookup(const char *name, size_t len) {
  for (int i = depth - 1; i >= 0; i--)
    if (strlen(stack[i].name) == len && strncmp(stack[i].name, name, len) == 0) return &stack[i];
  return NULL;
}

static bool is_ident(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static void trim(char *s) {
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
  size_t k = 0;
  while (s[k] == ' ' || s[k] == '\t') k++;
  memmove(s, s + k, n - k + 1);
}

/* Expands brackets in a path whose head is already resolved: A[x].b with x
 * a literal or a name bound to literals. Adds every full path to out. */
static void expand_brackets(const char *p, struct strset *out) {
  const char *lb = strchr(p, '[');
  if (!lb) {
    for (const char *c = p; *c; c++)
      if (!is_ident(*c) && *c != '.') return;
    ss_add(out, p);
    return;
  }
  const char *rb = strchr(lb, ']');
  if (!rb) return;
  char inner[128];
  size_t il = (size_t)(rb - lb - 1);
  if (il >= sizeof inner) return;
  memcpy(inner, lb + 1, il);
  inner[il] = '\0';
  trim(inner);
  struct strset keys = {0};
  if (inner[0] == '"' && inner[strlen(inner) - 1] == '"' && !strchr(inner + 1, '"')) {
    inner[strlen(inner) - 1] = '\0';
    ss_add(&keys, inner + 1);
  } else if (inner[0] >= '0' && inner[0] <= '9') {
    ss_add(&keys, inner);
  } else {
    const struct binding *b = lookup(inner, strlen(inner));
    if (b)
      for (size_t i = 0; i < b->exp.n; i++)
        if (b->exp.v[i][0] == '"') ss_add(&keys, b->exp.v[i] + 1);
  }
  for (size_t i = 0; i < keys.n; i++) {
    char buf[512];
    snprintf(buf, sizeof buf, "%.*s.%s%s", (int)(lb - p), p, keys.v[i], rb + 1);
    expand_brackets(buf, out);
  }
  ss_free(&keys);
}

/* What a path token stands for: HDF paths, or literals ("\"x"). */
static void resolve(const char *tok, struct strset *out) {
  size_t hl = strcspn(tok, ".[");
  const struct binding *b = lookup(tok, hl);
  if (!b) {
    expand_brackets(tok, out);
    return;
  }
  for (size_t i = 0; i < b->exp.n; i++) {
    const char *e = b->exp.v[i];
    if (e[0] == '"') {
      if (!tok[hl]) ss_add(out, e);
      continue;
    }
    char buf[512];
    snprintf(buf, sizeof buf, "%s%s", e, tok + hl);
    expand_brackets(buf, out);
  }
}

/* Every path token of an expression, resolved into the global set. */
static void collect_expr(const char *x) {
  const char *p = x;
  while (*p) {
    if (*p == '"') {
      const char *q = strchr(p + 1, '"');
      p = q ? q + 1 : p + strlen(p);
      continue;
    }
    if (*p == '#' || (*p >= '0' && *p <= '9')) {
      p++;
      while (is_ident(*p)) p++;
      continue;
    }
    if (!is_ident(*p)) {
      p++;
      continue;
    }
    const char *s = p;
    int br = 0;
    while (*p && (is_ident(*p) || *p == '.' || *p == '[' || (br && *p != '\0'))) {
      if (*p == '[') br++;
      if (*p == ']') {
        if (!br) break;
        br--;
        p++;
        if (!br && *p != '.' && *p != '[') break;
        continue;
      }
      p++;
    }
    const char *q = p;
    while (*q == ' ') q++;
    if (*q == '(') continue; /* a function name */
    char tok[512];
    size_t n = (size_t)(p - s);
    if (n >= sizeof tok) continue;
    memcpy(tok, s, n);
    tok[n] = '\0';
    struct strset got = {0};
    resolve(tok, &got);
    for (size_t i = 0; i < got.n; i++)
      if (got.v[i][0] != '"' && ss_add(&paths, got.v[i])) grew = true;
    ss_free(&got);
  }
}

/* "name(a, b)" → name and the top-level arguments. Returns the count. */
static int split_call(const char *expr, char *name, size_t nsz, char args[8][256]) {
  memset(args, 0, 8 * 256);
  const char *lp = strchr(expr, '(');
  if (!lp || (size_t)(lp - expr) >= nsz) return -1;
  memcpy(name, expr, (size_t)(lp - expr));
  name[lp - expr] = '\0';
  trim(name);
  int n = 0, level = 0;
  bool quoted = false;
  size_t k = 0;
  for (const char *p = lp + 1; *p; p++) {
    if (*p == '"') quoted = !quoted;
    if (!quoted && *p == '(') level++;
    if (!quoted && *p == ')' && level-- == 0) break;
    if (!quoted && level == 0 && *p == ',') {
      if (n < 8) args[n][k] = '\0';
      n++;
      k = 0;
      continue;
    }
    if (n < 8 && k + 1 < 256) args[n][k++] = *p;
  }
  if (n < 8) args[n][k] = '\0';
  if (n < 8) trim(args[n]);
  for (int i = 0; i < n && i < 8; i++) trim(args[i]);
  if (n == 0 && args[0][0] == '\0') return 0;
  return n + 1 > 8 ? 8 : n + 1;
}

static void push(const char *name, int block) {
  if (depth >= (int)(sizeof stack / sizeof stack[0])) abort();
  struct binding *b = &stack[depth++];
  memset(b, 0, sizeof *b);
  if (snprintf(b->name, sizeof b->name, "%s", name) >= (int)sizeof b->name) abort();
  b->block = block;
}

static void pop(int block) {
  while (depth > 0) {
    struct binding *b = &stack[--depth];
    int k = b->block;
    ss_free(&b->exp);
    if (k == block) return;
  }
}

static void scan_file(const struct tfile *f) {
  const char *pos = f->text;
  struct tag t;
  depth = 0;
  while (next_tag(&pos, &t)) {
    if (strcmp(t.cmd, "each") == 0 || strcmp(t.cmd, "with") == 0 || strcmp(t.cmd, "loop") == 0) {
      char *eq = strchr(t.expr, '=');
      if (!eq) continue;
      char name[64];
      size_t nl = (size_t)(eq - t.expr);
      if (nl >= sizeof name) continue;
      memcpy(name, t.expr, nl);
      name[nl] = '\0';
      trim(name);
      int block = t.cmd[0] == 'e' ? 0 : t.cmd[0] == 'w' ? 1 : 2;
      struct strset src = {0};
      if (block != 2) {
        char rhs[512];
        snprintf(rhs, sizeof rhs, "%s", eq + 1);
        trim(rhs);
        collect_expr(rhs);
        resolve(rhs, &src);
      } else {
        collect_expr(eq + 1);
      }
      push(name, block);
      struct binding *b = &stack[depth - 1];
      if (block == 2) ss_add(&b->exp, "\"0");
      for (size_t i = 0; i < src.n; i++) {
        if (src.v[i][0] == '"') continue;
        if (block == 1) {
          ss_add(&b->exp, src.v[i]);
        } else {
          char child[512];
          snprintf(child, sizeof child, "%s.0", src.v[i]);
          ss_add(&b->exp, child);
          snprintf(child, sizeof child, "%s.1", src.v[i]);
          ss_add(&b->exp, child);
        }
      }
      ss_free(&src);
    } else if (strcmp(t.cmd, "/each") == 0) {
      pop(0);
    } else if (strcmp(t.cmd, "/with") == 0) {
      pop(1);
    } else if (strcmp(t.cmd, "/loop") == 0) {
      pop(2);
    } else if (strcmp(t.cmd, "def") == 0) {
      char name[64], args[8][256];
      int n = split_call(t.expr, name, sizeof name, args);
      struct macro *m = macro_find(name);
      push("\1", 3); /* marks the start of this def's parameters */
      for (int i = 0; m && i < n; i++) {
        push(args[i], 3);
        for (size_t k = 0; k < m->args[i].n; k++) ss_add(&stack[depth - 1].exp, m->args[i].v[k]);
      }
    } else if (strcmp(t.cmd, "/def") == 0) {
      while (depth > 0 && !(stack[depth - 1].block == 3 && stack[depth - 1].name[0] == '\1')) {
        ss_free(&stack[--depth].exp);
      }
      if (depth > 0) depth--;
    } else if (strcmp(t.cmd, "call") == 0) {
      char name[64], args[8][256];
      int n = split_call(t.expr, name, sizeof name, args);
      struct macro *m = macro_find(name);
      for (int i = 0; m && i < n && i < m->nparams; i++) {
        if (args[i][0] == '"') {
          char lit[256];
          snprintf(lit, sizeof lit, "%.255s", args[i]);
          size_t l = strlen(lit);
          if (l > 1 && lit[l - 1] == '"') lit[l - 1] = '\0';
          if (ss_add(&m->args[i], lit)) grew = true;
          continue;
        }
        collect_expr(args[i]);
        struct strset got = {0};
        resolve(args[i], &got);
        for (size_t k = 0; k < got.n; k++)
          if (ss_add(&m->args[i], got.v[k])) grew = true;
        ss_free(&got);
      }
    } else if (strcmp(t.cmd, "set") == 0) {
      char *eq = strchr(t.expr, '=');
      if (eq) collect_expr(eq + 1);
    } else if (strcmp(t.cmd, "include") == 0 || t.cmd[0] == '#' || t.cmd[0] == '/' ||
               strcmp(t.cmd, "else") == 0) {
      /* nothing read */
    } else {
      collect_expr(t.expr); /* var, if, elif, and the forbidden ones too */
    }
  }
  while (depth > 0) ss_free(&stack[--depth].exp);
}

static void derive_paths(void) {
  for (size_t i = 0; i < nfiles; i++) {
    const char *pos = files[i].text;
    struct tag t;
    while (next_tag(&pos, &t)) {
      if (strcmp(t.cmd, "def") != 0) continue;
      if (nmacros >= sizeof macros / sizeof macros[0]) {
        fprintf(stderr, "  more than %zu macros in templates/: raise the limit in %s\n", nmacros, __FILE__);
        abort();
      }
      struct macro *m = &macros[nmacros++];
      char args[8][256];
      m->nparams = split_call(t.expr, m->name, sizeof m->name, args);
      for (int k = 0; k < m->nparams; k++) snprintf(m->params[k], sizeof m->params[k], "%.63s", args[k]);
    }
  }
  /* macro arguments flow through nested calls: repeat until nothing new */
  for (int pass = 0; pass < 8; pass++) {
    grew = false;
    for (size_t i = 0; i < nfiles; i++) scan_file(&files[i]);
    if (!grew) break;
  }
}

/* ---- the tests ---- */

static bool is_page(const struct tfile *f) { return strstr(f->text, "<?cs def:content() ?>") != NULL; }

static const struct allowed *allowed(const char *file, const char *cmd, const char *expr) {
  for (size_t i = 0; allow_list[i].file; i++)
    if (strcmp(allow_list[i].file, file) == 0 && strcmp(allow_list[i].cmd, cmd) == 0 &&
        strcmp(allow_list[i].expr, expr) == 0)
      return &allow_list[i];
  return NULL;
}

/* True when the text before a tag opens a URL attribute: href=" src=" … */
static bool url_attribute_before(const char *text, const char *tag) {
  static const char *const attrs[] = {"href=\"", "src=\"", "action=\"", "formaction=\"", "poster=\"",
                                      "href='",  "src='",  "action='",  "formaction='"};
  for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
    size_t n = strlen(attrs[i]);
    if ((size_t)(tag - text) >= n && strncmp(tag - n, attrs[i], n) == 0) return true;
  }
  return false;
}

/* True when a tag sits inside an HTML start tag but outside a quoted
 * attribute value (<input value=<?cs var:X ?>>): HTML escaping does not stop
 * a space from starting a new attribute there. ClearSilver tags met on the
 * way back are skipped whole. */
static bool in_unquoted_attribute(const char *text, const char *tag) {
  int quotes = 0;
  for (const char *p = tag; p > text;) {
    p--;
    if (*p == '>' && p > text && p[-1] == '?') {
      while (p > text && strncmp(p, "<?cs", 4) != 0) p--;
      continue;
    }
    if (*p == '>') return false;
    if (*p == '<') return quotes % 2 == 0;
    if (*p == '"') quotes++;
  }
  return false;
}

static bool lint_bad(const char *text, const struct tag *t) {
  for (size_t k = 0; k < sizeof forbidden_cmds / sizeof forbidden_cmds[0]; k++)
    if (strcmp(t->cmd, forbidden_cmds[k]) == 0) return true;
  if (strcmp(t->cmd, "var") == 0 && url_attribute_before(text, t->start) && strncmp(t->expr, "url_validate(", 13) != 0)
    return true;
  if (strcmp(t->cmd, "var") == 0 && in_unquoted_attribute(text, t->start)) return true;
  return false;
}

static void lint_no_unescaped_constructs(void) {
  T_CHECK(nfiles > 40);
  size_t used[sizeof allow_list / sizeof allow_list[0]] = {0};
  for (size_t i = 0; i < nfiles; i++) {
    const char *pos = files[i].text;
    struct tag t;
    while (next_tag(&pos, &t)) {
      if (!lint_bad(files[i].text, &t)) continue;
      const struct allowed *a = allowed(files[i].name, t.cmd, t.expr);
      if (a) {
        used[a - allow_list]++;
        continue;
      }
      fprintf(stderr, "  %s: unescaped or unvalidated output <?cs %s:%s ?>\n", files[i].name, t.cmd, t.expr);
      T_CHECK(!"unescaped construct outside the allow-list");
    }
    /* no data inside a script or style element (escaping there is not HTML escaping) */
    for (const char *s = files[i].text; (s = strstr(s, "<script")); s++) {
      const char *close = strstr(s, "</script>");
      const char *tag = strstr(s, "<?cs");
      if (close && tag && tag < close) {
        fprintf(stderr, "  %s: template data inside <script>\n", files[i].name);
        T_CHECK(!"template data inside <script>");
      }
    }
    T_CHECK(strstr(files[i].text, "style=\"") == NULL);
  }
  for (size_t i = 0; allow_list[i].file; i++)
    if (!used[i]) {
      fprintf(stderr, "  allow-list entry no longer used: %s %s:%s\n", allow_list[i].file, allow_list[i].cmd,
              allow_list[i].expr);
      T_CHECK(!"stale allow-list entry");
    }
}

/* The lint catches what it claims to: a template with each forbidden
 * construct is reported (checked on text, not files). */
static void lint_detects_forbidden_constructs(void) {
  static const char *const samples[] = {
      "<p><?cs alt:Case.reason ?>none<?cs /alt ?></p>", "<p><?cs uvar:Case.reason ?></p>",
      "<p><?cs name:Case ?></p>",  "<p><?cs lvar:Case.reason ?></p>",
      "<p><?cs evar:Case.reason ?></p>", "<?cs escape: \"none\" ?><?cs var:X ?><?cs /escape ?>",
      "<a href=\"<?cs var:Case.link ?>\">x</a>", "<input value=<?cs var:Form.Values.x ?>>",
      "<td class=<?cs var:c.State ?>>x</td>",
  };
  for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
    const char *pos = samples[i];
    struct tag t;
    bool bad = false;
    while (next_tag(&pos, &t)) bad = bad || lint_bad(samples[i], &t);
    if (!bad) fprintf(stderr, "  not caught: %s\n", samples[i]);
    T_CHECK(bad);
  }
  /* and passes what is safe */
  static const char *const fine[] = {
      "<p><?cs var:Case.reason ?></p>", "<input value=\"<?cs var:Form.Values.x ?>\">",
      "<a href=\"/requests/<?cs var:Request.Id ?>?q=<?cs var:url_escape(Q) ?>\">x</a>",
      "<body<?cs if:User.IdleSeconds ?> data-idle=\"<?cs var:User.IdleSeconds ?>\"<?cs /if ?>>",
      "<a href=\"<?cs var:url_validate(Message.Link) ?>\">x</a>",
  };
  for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
    const char *pos = fine[i];
    struct tag t;
    bool bad = false;
    while (next_tag(&pos, &t)) bad = bad || lint_bad(fine[i], &t);
    if (bad) fprintf(stderr, "  refused although safe: %s\n", fine[i]);
    T_CHECK(!bad);
  }
}

static void paths_cover_the_known_patient_text(void) {
  /* spot checks that the derivation reaches loops, macros and brackets */
  static const char *const want[] = {
      "Case.exam_facility", "Case.records_contact", "Case.reason", "Case.prior_exam_dates",
      "Studies.0.description", "Studies.1.description", "Review.Facility", "Letter.Facility",
      "Form.Errors.password", "Form.Values.password", "Page.Title", "Flash.Message",
      "Queue.Rows.1.specialist", "Report.answers", "Compare.1.Name",
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    if (!ss_has(&paths, want[i])) fprintf(stderr, "  path not derived: %s\n", want[i]);
    T_CHECK(ss_has(&paths, want[i]));
  }
  T_CHECK(paths.n > 500);
}

/* True when "javascript:" starts the value of a URL-taking attribute. */
static bool javascript_in_url_attribute(const char *html) {
  static const char *const attrs[] = {"href", "src", "action", "formaction", "poster", "data", "srcset", "background"};
  for (const char *s = html; (s = strstr(s, "javascript:")); s++) {
    const char *p = s;
    if (p > html && (p[-1] == '"' || p[-1] == '\'')) p--;
    if (p == html || p[-1] != '=') continue;
    const char *e = p - 1, *b = e;
    while (b > html && (is_ident(b[-1]) || b[-1] == '-' || b[-1] == ':')) b--;
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
      if ((size_t)(e - b) == strlen(attrs[i]) && strncasecmp(b, attrs[i], (size_t)(e - b)) == 0) return true;
  }
  return false;
}

static void every_page_escapes_every_value(void) {
  size_t pages = 0;
  for (size_t i = 0; i < nfiles; i++) {
    if (!is_page(&files[i])) continue;
    pages++;
    for (size_t h = 0; h < sizeof hostile / sizeof hostile[0]; h++) {
      HDF *hdf = NULL;
      hdf_init(&hdf);
      for (size_t k = 0; k < paths.n; k++)
        if (strncmp(paths.v[k], "Config.", 7) != 0) hdf_set_value(hdf, paths.v[k], hostile[h]);
      char *html = render_template(hdf, files[i].name);
      if (!html) fprintf(stderr, "  %s did not render with hostile value %zu\n", files[i].name, h);
      T_CHECK(html != NULL);
      if (html) {
        bool ok = true;
        switch (h) {
        case 0:
          ok = strstr(html, "<meta http-equiv") == NULL && strstr(html, "&lt;meta http-equiv=&quot;refresh&quot;") != NULL;
          break;
        case 1:
          ok = strstr(html, "<img src=x") == NULL && strstr(html, "\"><img") == NULL;
          ok = ok && strstr(html, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;") != NULL;
          break;
        case 2:
          ok = !javascript_in_url_attribute(html) && strstr(html, "javascript:alert(1)") != NULL;
          break;
        }
        if (!ok) fprintf(stderr, "  %s: hostile value %zu came out unescaped (or not at all)\n", files[i].name, h);
        T_CHECK(ok);
      }
      free(html);
      hdf_destroy(&hdf);
    }
  }
  T_CHECK(pages > 40);
}

/* Every non-page template (layout, macros) is included by some page, so the
 * page renders above cover it. */
static void partials_are_rendered_through_pages(void) {
  for (size_t i = 0; i < nfiles; i++) {
    if (is_page(&files[i])) continue;
    char inc[160];
    snprintf(inc, sizeof inc, "<?cs include:\"%.127s\" ?>", files[i].name);
    bool found = false;
    for (size_t k = 0; k < nfiles && !found; k++) found = is_page(&files[k]) && strstr(files[k].text, inc);
    if (!found) fprintf(stderr, "  %s is not included by any page\n", files[i].name);
    T_CHECK(found);
  }
}

/* url_validate keeps our own relative links and escapes them once; it turns
 * a javascript: URL into "#". */
static void url_validate_in_attributes(void) {
  HDF *hdf = NULL;
  hdf_init(&hdf);
  hdf_set_value(hdf, "Page.Title", "t");
  hdf_set_value(hdf, "Message.Title", "t");
  hdf_set_value(hdf, "Message.Link", "/requests?page=2&q=a");
  char *html = render_template(hdf, "message.cs");
  T_CHECK(html && strstr(html, "href=\"/requests?page=2&amp;q=a\""));
  free(html);
  hdf_set_value(hdf, "Message.Link", "javascript:alert(1)");
  html = render_template(hdf, "message.cs");
  T_CHECK(html && strstr(html, "javascript:") == NULL && strstr(html, "href=\"#\""));
  free(html);
  hdf_destroy(&hdf);
}

/* A BI-RADS 0 is a real category: the alt:-free form prints it. */
static void zero_is_printed_not_hidden(void) {
  HDF *hdf = NULL;
  hdf_init(&hdf);
  hdf_set_value(hdf, "Page.Title", "t");
  hdf_set_value(hdf, "Case.BiradsLabel", "BI-RADS 0");
  hdf_set_value(hdf, "Case.exam_facility", "");
  char *html = render_template(hdf, "staff_request.cs");
  T_CHECK(html != NULL);
  if (html) {
    T_CHECK(strstr(html, "<dd id=\"case-first-birads\">BI-RADS 0 — ") != NULL);
    T_CHECK(strstr(html, "<dd>not given, ") != NULL);
  }
  free(html);
  hdf_destroy(&hdf);
}

int main(void) {
  NEOERR *err = nerr_init();
  if (err) nerr_ignore(&err);
  const char *share = getenv("SECONDOP_SHARE_DIR");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/templates", share ? share : ".");
  T_CHECK(templates_load(dir) > 0);
  load_files(dir);
  derive_paths();
  T_RUN(lint_no_unescaped_constructs);
  T_RUN(lint_detects_forbidden_constructs);
  T_RUN(paths_cover_the_known_patient_text);
  T_RUN(partials_are_rendered_through_pages);
  T_RUN(every_page_escapes_every_value);
  T_RUN(url_validate_in_attributes);
  T_RUN(zero_is_printed_not_hidden);
  ss_free(&paths);
  for (size_t i = 0; i < nmacros; i++)
    for (int k = 0; k < 8; k++) ss_free(&macros[i].args[k]);
  for (size_t i = 0; i < nfiles; i++) free(files[i].text);
  templates_free();
  return t_done();
}
