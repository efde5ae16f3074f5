/* Fuzz target: the text form of a set of byte ranges as the store keeps it for on-demand files
 * (range_set_parse; a damaged row holds anything). Accepted text is a normal set whose own text
 * form reads back the same. */
#include "range_checks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    range_set_t set = {0};
    hr_t hr = range_set_parse(text, &set);
    FUZZ_REQUIRE(hr == HR_OK || hr == HR_E_INVALIDARG);
    if (hr == HR_OK) {
        require_normal(&set);
        require_text_round_trip(&set);
    } else {
        FUZZ_REQUIRE(!set.items && !set.count);
    }
    range_set_free(&set);
    free(text);
    return 0;
}
