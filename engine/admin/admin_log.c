/* doadmin /log: the service's history, read back for administrators only. */
#include "admin_internal.h"

#include <string.h>

/* A UTC time of the log's form, or a prefix of it: "2026-12-07T02:00:00.000Z". */
static int is_time_prefix(const char *since)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    size_t len = strlen(since);
    if (!len || len >= sizeof shape)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (shape[i] == 'd' ? since[i] < '0' || since[i] > '9' : since[i] != shape[i])
            return 0;
    return 1;
}

hr_t admin_read_log(const caller_t *caller, const log_query_t *query, char **text)
{
    hr_t hr = admin_check(caller, text);
    if (HR_FAILED(hr))
        return hr;
    if (!query || query->max_lines > LOG_MAX_READ_LINES || (query->since && !is_time_prefix(query->since)))
        return HR_E_INVALIDARG;
    int rc = log_read(query, text);
    return rc == 0 ? HR_OK : rc == LOG_READ_NOT_OPEN ? DO_E_NO_SERVICE : HR_E_OUTOFMEMORY;
}
