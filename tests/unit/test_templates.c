/* Proves that every value rendered through our templates is HTML-escaped
 * (ClearSilver 0.10.5 escapes nothing unless told to), that the layout
 * and error page render, and that a parsed template kept for the next render
 * (reply.c) gives each render its own values, escaped, with nothing left
 * behind by the one before. */
#include <ClearSilver.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/reply.h"
#include "t.h"

static void hostile_value_is_escaped(void) {
  HDF *hdf = NULL;
  hdf_init(&hdf);
  hdf_set_value(hdf, "Error.Message", "<script>alert(\"x\")</script>'&");
  hdf_set_value(hdf, "Page.Title", "<b>title</b>");
  hdf_set_int_value(hdf, "Error.Status", 400);
  char *html = render_template(hdf, "error.cs");
  T_CHECK(html != NULL);
  if (html) {
    T_CHECK(strstr(html, "<script>alert") == NULL);
    T_CHECK(strstr(html, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&amp;") != NULL);
    T_CHECK(strstr(html, "<title>&lt;b&gt;title&lt;/b&gt; · secondop</title>") != NULL);
    T_CHECK(strstr(html, "<script src=\"/static/js/app.js\" defer></script>") != NULL);
  }
  free(html);
  hdf_destroy(&hdf);
}

static void attribute_values_are_escaped(void) {
  HDF *hdf = NULL;
  hdf_init(&hdf);
  hdf_set_value(hdf, "User.Name", "x");
  hdf_set_value(hdf, "Csrf.Token", "\"><img src=x onerror=alert(1)>");
  char *html = render_template(hdf, "index.cs");
  T_CHECK(html != NULL);
  if (html) {
    T_CHECK(strstr(html, "<img src=x") == NULL);
    T_CHECK(strstr(html, "value=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\"") != NULL);
    T_CHECK(strstr(html, "A second opinion on your mammogram") != NULL);
  }
  free(html);
  hdf_destroy(&hdf);
}

static void missing_template_fails_cleanly(void) {
  HDF *hdf = NULL;
  hdf_init(&hdf);
  T_CHECK(render_template(hdf, "no-such-template.cs") == NULL);
  hdf_destroy(&hdf);
}

/* A template that writes with set: (into the page's data and through an each:
 * local), calls a macro with an argument (a local) and shows values that need
 * escaping; rendered twice from one parsed tree with different data. */
static const char reuse_cs[] =
    "<?cs def:show(v) ?>(<?cs var:v ?>)<?cs /def ?>"
    "<?cs if:Seen.Mark == \"1\" ?>LEAKED-MARK<?cs /if ?>"
    "<?cs each:item = Items ?>[<?cs var:item ?>]<?cs set:item = \"changed\" ?><?cs /each ?>"
    "|<?cs call:show(Who) ?>|<?cs var:Prior ?>|<?cs var:item ?>|<?cs var:v ?>|"
    "<?cs set:Seen.Mark = \"1\" ?><?cs set:Prior = Who ?>";

static char *render_reuse(const char *who, const char *item0, const char *item1, HDF **keep) {
  HDF *hdf = NULL;
  hdf_init(&hdf);
  hdf_set_value(hdf, "Who", who);
  hdf_set_value(hdf, "Items.0", item0);
  if (item1) hdf_set_value(hdf, "Items.1", item1);
  char *html = render_template(hdf, "t_reuse.cs");
  if (keep)
    *keep = hdf;
  else
    hdf_destroy(&hdf);
  return html;
}

static void kept_tree_renders_each_its_own(void) {
  unsigned long parsed = templates_parse_count();
  HDF *first = NULL;
  char *a = render_reuse("<b>Ann & co</b>", "x<1", "y\"2", &first);
  char *b = render_reuse("Bea's", "z>3", NULL, NULL);
  char *c = render_reuse("Cy", "w", NULL, NULL);
  T_CHECK(a && b && c);
  /* parsed once, reused twice */
  T_CHECK(templates_parse_count() == parsed + 1);
  if (a) T_CHECK(strcmp(a, "[x&lt;1][y&quot;2]|(&lt;b&gt;Ann &amp; co&lt;/b&gt;)||||") == 0);
  /* the second render: its own values, escaped; no set:, local or macro argument of the first */
  if (b) T_CHECK(strcmp(b, "[z&gt;3]|(Bea&#39;s)||||") == 0);
  if (c) T_CHECK(strcmp(c, "[w]|(Cy)||||") == 0);
  if (b) T_CHECK(strstr(b, "LEAKED") == NULL && strstr(b, "Ann") == NULL && strstr(b, "changed") == NULL);
  /* set: wrote into the first render's own data, through the local too */
  T_CHECK(first && strcmp(hdf_get_value(first, "Seen.Mark", ""), "1") == 0);
  T_CHECK(first && strcmp(hdf_get_value(first, "Items.0", ""), "changed") == 0);
  T_CHECK(first && strcmp(hdf_get_value(first, "Prior", ""), "<b>Ann & co</b>") == 0);
  /* a render of the same data again shows what its own set: left, and only that */
  char *again = first ? render_template(first, "t_reuse.cs") : NULL;
  if (again)
    T_CHECK(strcmp(again, "LEAKED-MARK[changed][changed]|(&lt;b&gt;Ann &amp; co&lt;/b&gt;)|&lt;b&gt;Ann &amp; co&lt;/b&gt;|||") == 0);
  T_CHECK(templates_parse_count() == parsed + 1);
  free(a);
  free(b);
  free(c);
  free(again);
  hdf_destroy(&first);
}

/* Renders of one page from several threads at once each get their own tree. */
#include <pthread.h>
static void *render_many(void *arg) {
  const char *who = arg;
  char want[128];
  snprintf(want, sizeof want, "[%s]|(%s)||||", who, who);
  for (int i = 0; i < 200; i++) {
    char *h = render_reuse(who, who, NULL, NULL);
    if (!h || strcmp(h, want) != 0) {
      free(h);
      return (void *)1;
    }
    free(h);
  }
  return NULL;
}

static void kept_trees_are_not_shared_between_threads(void) {
  static const char *const who[4] = {"one", "two", "three", "four"};
  pthread_t th[4];
  for (int i = 0; i < 4; i++) T_CHECK(pthread_create(&th[i], NULL, render_many, (void *)who[i]) == 0);
  for (int i = 0; i < 4; i++) {
    void *bad = (void *)1;
    pthread_join(th[i], &bad);
    T_CHECK(bad == NULL);
  }
}

/* A kept tree was parsed against an HDF without the page's data, so a
 * template may include files by literal name only and never use evar: or
 * lvar: (both read the data while parsing). Every shipped template is read. */
static char g_tdir[4096];
static void templates_parse_nothing_from_the_data(void) {
  DIR *d = opendir(g_tdir);
  T_CHECK(d != NULL);
  if (!d) return;
  int files = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t nl = strlen(e->d_name);
    if (nl < 4 || strcmp(e->d_name + nl - 3, ".cs") != 0) continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", g_tdir, e->d_name);
    FILE *f = fopen(path, "r");
    T_CHECK(f != NULL);
    if (!f) continue;
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    files++;
    for (const char *at = text; (at = strstr(at, "<?cs")); at += 4) {
      const char *c = at + 4;
      while (*c == ' ' || *c == '\t' || *c == '\n') c++;
      int bad = strncmp(c, "evar:", 5) == 0 || strncmp(c, "lvar:", 5) == 0;
      if (strncmp(c, "include:", 8) == 0 || strncmp(c, "linclude:", 9) == 0) {
        const char *q = strchr(c, ':') + 1;
        while (*q == ' ') q++;
        bad = *q != '"';
      }
      if (bad) printf("# %s: %.40s\n", e->d_name, at);
      T_CHECK(!bad);
    }
  }
  closedir(d);
  T_CHECK(files > 40);
}

int main(void) {
  NEOERR *err = nerr_init();
  if (err) nerr_ignore(&err);
  const char *share = getenv("SECONDOP_SHARE_DIR");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/templates", share ? share : ".");
  T_CHECK(templates_load(dir) > 0);
  snprintf(g_tdir, sizeof g_tdir, "%s", dir);
  T_RUN(templates_parse_nothing_from_the_data);
  T_RUN(hostile_value_is_escaped);
  T_RUN(attribute_values_are_escaped);
  T_RUN(missing_template_fails_cleanly);
  /* a template of the test's own, in a folder of its own */
  char tdir[] = "/tmp/sop-tmpl-XXXXXX";
  char tpath[sizeof tdir + 16];
  T_CHECK(mkdtemp(tdir) != NULL);
  snprintf(tpath, sizeof tpath, "%s/t_reuse.cs", tdir);
  FILE *f = fopen(tpath, "w");
  T_CHECK(f != NULL);
  if (f) {
    fputs(reuse_cs, f);
    fclose(f);
  }
  T_CHECK(templates_load(tdir) > 0);
  unlink(tpath);
  rmdir(tdir);
  T_RUN(kept_tree_renders_each_its_own);
  T_RUN(kept_trees_are_not_shared_between_threads);
  templates_free();
  return t_done();
}
