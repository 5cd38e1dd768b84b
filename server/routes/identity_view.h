/* The identity check as page data, the same on the patient's records page,
 * the staff request page and the reviewer's case page
 * (templates/_identity.cs shows it). */
#ifndef SECONDOP_IDENTITY_VIEW_H
#define SECONDOP_IDENTITY_VIEW_H
#include <ClearSilver.h>

#include "core/identity.h"

struct arena;

/* Puts a report under Identity.*: Checked ("1" when there are images),
 * Verdict (match|probably|different), Headline, Files, Other, Unsure,
 * Account, and Flagged.N.{Where, Summary, Verdict, People.K.{Text, Verdict}}
 * for each series that is not a plain match (no cap: one entry per series,
 * one line per distinct name and date of birth). Strings are escaped by the
 * template. */
void identity_view_hdf(HDF *hdf, struct arena *a, const struct identity_report *rep);

/* The people the images of one study (series_id 0) or one series name, for
 * a table cell: names and dates of birth as shown by name_fn/date_fn, with
 * counts when there is more than one ("DOE, JANE (209 images); SMITH, JANE
 * (3 images)"). births NULL: each name carries its date of birth instead
 * ("DOE, JANE, born 1 January 1970"). *worst gets the worst verdict. Arena
 * strings; "" when the study or series has no images. */
void identity_view_people(struct arena *a, const struct identity_report *rep, long long study_id, long long series_id,
                          const char *(*name_fn)(struct arena *, const char *),
                          const char *(*date_fn)(struct arena *, const char *), const char **names,
                          const char **births, enum identity_verdict *worst);
#endif
