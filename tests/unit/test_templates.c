/* Proves that every value rendered through our templates is HTML-escaped
 * (ClearSilver 0.10.5 escapes nothing unless told to) and that the layout
 * and error page render. */
#include <ClearSilver.h>
#include <stdlib.h>
#include <string.h>

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

int main(void) {
  NEOERR *err = nerr_init();
  if (err) nerr_ignore(&err);
  const char *share = getenv("SECONDOP_SHARE_DIR");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/templates", share ? share : ".");
  T_CHECK(templates_load(dir) > 0);
  T_RUN(hostile_value_is_escaped);
  T_RUN(attribute_values_are_escaped);
  T_RUN(missing_template_fails_cleanly);
  templates_free();
  return t_done();
}
