/* GUID helpers for the portable core (GUIDs kept in Windows memory order). */
#ifndef OPENDO_GUID_H
#define OPENDO_GUID_H

#include "store.h"

#define GUID_STRING_SIZE 39 /* "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" + NUL */

/* Formats as Windows does: upper-case, braces. buf must hold GUID_STRING_SIZE bytes. */
void guid_format(const store_guid_t *guid, char buf[GUID_STRING_SIZE]);
/* Parses the braced form (case-insensitive); returns 0 on success, -1 on malformed input. */
int guid_parse(const char *text, store_guid_t *out);
/* A new random (version 4) GUID; returns 0 on success. */
int guid_generate(store_guid_t *out);
int guid_is_null(const store_guid_t *guid);

#endif
