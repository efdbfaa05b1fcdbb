/* files.h - a component's `files` ([component.ID] files, exclude_files),
 * staged for the guest: the matching files are copied into
 * <manifest dir>/.weft/files/<ID>/, which the guest sees as "/".
 *
 * A string entry is a path or glob relative to the manifest's directory
 * (`*`, `?`, `[..]` within a name, `**` for any directories) and keeps its
 * relative path; a {source, destination} entry copies a file or a whole
 * directory to `destination`. `exclude_files` globs drop matches of
 * string entries. */
#ifndef WEFT_TRIGGER_FILES_H
#define WEFT_TRIGGER_FILES_H

#include "app/manifest.h"
#include "weft.h"

/* Stage component `c`'s files afresh. Sets *out to the staging directory
 * (caller frees), or NULL when the component has no files. */
int weft__files_stage(const weft__manifest_t *m,
                      const weft__manifest_component_t *c, char **out,
                      weft_error_t *err);

#endif
