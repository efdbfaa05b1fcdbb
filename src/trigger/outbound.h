/* outbound.h - outbound HTTP (fermyon:spin/http `send-request`) through
 * libcurl, allowed only to the hosts of the component's
 * `allowed_outbound_hosts`.
 *
 * An allowed host is `scheme://host[:port]`: `*` may stand for the scheme,
 * the port, the whole host or its leading labels (`*.example.com`), and
 * "{{ var }}" templates are expanded from the app's variables. Without a
 * port the scheme's default is meant. A request elsewhere gets
 * `destination-not-allowed`, and one line on stderr naming the component
 * and the URL. */
#ifndef WEFT_TRIGGER_OUTBOUND_H
#define WEFT_TRIGGER_OUTBOUND_H

#include <stdbool.h>
#include <stdint.h>

#include "app/manifest.h"
#include "trigger/variables.h"
#include "weft.h"

typedef struct weft__allowed_hosts weft__allowed_hosts_t;

/* Parse component `c`'s allowed_outbound_hosts, templates expanded with
 * `vars` (both borrowed for the call) into *out (free with
 * weft__allowed_hosts_free). An entry that is not a valid pattern is
 * WEFT_EINVAL naming the manifest's file:line. */
int weft__allowed_hosts_new(const weft__manifest_component_t *c,
                            const weft__vars_t *vars,
                            weft__allowed_hosts_t **out, weft_error_t *err);
void weft__allowed_hosts_free(weft__allowed_hosts_t *a);
/* Whether `url` (absolute) may be requested; false for a URL libcurl
 * cannot parse. Thread-safe. */
bool weft__allowed_hosts_allow(const weft__allowed_hosts_t *a,
                               const char *url);

/* Define fermyon:spin/http#send-request on `linker` (bound to a world that
 * imports it) for component `c`: `vars` and `c` borrowed for the linker's
 * life. Request timeout 30 s; response bodies up to 64 MiB; redirects are
 * returned, not followed. Returns 0; WEFT_EINVAL for a bad
 * allowed_outbound_hosts entry (checked first, whatever the world);
 * WEFT_ENOTFOUND when the world does not import send-request (the caller
 * skips it); WEFT_ENOMEM or WEFT_EIO. See docs/internals/outbound-http.md.
 */
int weft__outbound_define(weft_linker_t *linker, const weft__vars_t *vars,
                          const weft__manifest_component_t *c,
                          weft_error_t *err);

#endif
