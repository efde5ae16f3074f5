/* Fuzz target: the remote and local file names a client gives AddFile / SetRemoteName
 * (file_check_remote_name, file_check_local_name) and the temporary name derived from an
 * accepted local name. The input is the name itself (made NUL-terminated). Each answer must be
 * one the API documents; an accepted http(s) URL must be one libcurl can parse. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_input.h"
#include "jobs_internal.h"

static void check_remote(const char *name)
{
    hr_t hr = file_check_remote_name(name);
    FUZZ_REQUIRE(hr == HR_OK || hr == HR_E_INVALIDARG);
    if (hr != HR_OK || (strncasecmp(name, "http://", 7) && strncasecmp(name, "https://", 8)))
        return;
    CURLU *url = curl_url();
    FUZZ_REQUIRE(url && curl_url_set(url, CURLUPART_URL, name, 0) == CURLUE_OK);
    curl_url_cleanup(url);
}

static void check_local(const char *name)
{
    hr_t hr = file_check_local_name(name);
    FUZZ_REQUIRE(hr == HR_OK || hr == HR_E_INVALIDARG);
    if (hr != HR_OK)
        return;
    static const store_guid_t job = {.bytes = {0x78, 0x56, 0x34, 0x12}};
    char *temp = NULL;
    FUZZ_REQUIRE(file_temp_name(name, &job, 7, &temp) == HR_OK && temp);
    FUZZ_REQUIRE(strstr(temp, "~opendo-12345678-7.tmp") != NULL);
    free(temp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *name = fuzz_text(data, size);
    check_remote(name);
    check_local(name);
    free(name);
    return 0;
}
