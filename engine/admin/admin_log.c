/* doadmin /log: the service's history, read back for administrators only. */
#include "admin_internal.h"

hr_t admin_read_log(const caller_t *caller, const log_query_t *query, char **text)
{
    hr_t hr = admin_check(caller, text);
    if (HR_FAILED(hr))
        return hr;
    if (!query)
        return HR_E_INVALIDARG;
    int rc = log_read(query, text);
    return rc == 0 ? HR_OK : rc == LOG_READ_NOT_OPEN ? DO_E_NO_SERVICE : HR_E_OUTOFMEMORY;
}
