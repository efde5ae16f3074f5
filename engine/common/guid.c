#include "guid.h"

#include <stdio.h>
#include <string.h>
#include <uv.h>

/* Byte positions of each printed hex pair, in printing order. Data1..Data3 are little-endian. */
static const int guid_print_order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

void guid_format(const store_guid_t *guid, char buf[GUID_STRING_SIZE])
{
    char *p = buf;
    *p++ = '{';
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        p += sprintf(p, "%02X", guid->bytes[guid_print_order[i]]);
    }
    *p++ = '}';
    *p = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int guid_parse(const char *text, store_guid_t *out)
{
    if (!text || strlen(text) != GUID_STRING_SIZE - 1 || text[0] != '{' || text[37] != '}')
        return -1;
    const char *p = text + 1;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            if (*p++ != '-')
                return -1;
        }
        int hi = hex_value(p[0]), lo = hex_value(p[1]);
        if (hi < 0 || lo < 0)
            return -1;
        out->bytes[guid_print_order[i]] = (uint8_t)(hi << 4 | lo);
        p += 2;
    }
    return 0;
}

int guid_generate(store_guid_t *out)
{
    if (uv_random(NULL, NULL, out->bytes, sizeof out->bytes, 0, NULL) != 0)
        return -1;
    out->bytes[7] = (uint8_t)((out->bytes[7] & 0x0F) | 0x40); /* version 4 (Data3 high nibble) */
    out->bytes[8] = (uint8_t)((out->bytes[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    return 0;
}

int guid_is_null(const store_guid_t *guid)
{
    static const store_guid_t null_guid;
    return memcmp(guid, &null_guid, sizeof *guid) == 0;
}
