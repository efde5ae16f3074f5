/* doadmin /util /version: what the service is made of and where it keeps its state. */
#include "admin_internal.h"

#include <uv.h>

#include "transfer.h"
#include "version.h"

#define WIDTH 13 /* strlen("SchemaVersion") */

hr_t admin_version(const admin_sources_t *src, const caller_t *caller, char **report)
{
    jobs_activity_t activity;
    hr_t hr = admin_check_activity(src, caller, report, &activity);
    if (HR_FAILED(hr))
        return hr;
    text_t text = {0};
    admin_field(&text, WIDTH, "Service", "opendo DoSvc %s", OPENDO_VERSION);
    admin_field(&text, WIDTH, "SQLite", "%s", store_library_version());
    admin_field(&text, WIDTH, "HTTP", "%s", transfer_library_version());
    admin_field(&text, WIDTH, "libuv", "%s", uv_version_string());
    admin_field(&text, WIDTH, "DatabasePath", "%s", src->db_path);
    admin_field(&text, WIDTH, "SchemaVersion", "%d", activity.schema_version);
    admin_field(&text, WIDTH, "JobCount", "%llu", (unsigned long long)activity.job_count);
    admin_field(&text, WIDTH, "LogPath", "%s", src->log_path);
    return admin_finish(HR_OK, &text, report);
}
