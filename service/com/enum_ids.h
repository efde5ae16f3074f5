/* The object behind the enumerators over a snapshot of ids (IEnumBackgroundCopyJobs of
 * EnumJobs, IEnumUnknown of EnumDownloads): Next makes the live object of each id. The
 * interface's vtable pointer is its first member, so an interface pointer of such an enumerator
 * is an enum_ids_t pointer; each enumerator's file gives the vtable and forwards to these. */
#ifndef OPENDO_ENUM_IDS_H
#define OPENDO_ENUM_IDS_H

#include <windows.h>

#include "enum_cursor.h"

typedef HRESULT (*enum_ids_make_fn)(const GUID *id, void **item);

typedef struct enum_ids {
    const void *vtbl;
    LONG refs;
    const IID *iid; /* the interface it answers besides IUnknown */
    enum_ids_make_fn make;
    enum_cursor_t cursor;
    GUID *ids;
} enum_ids_t;

/* Takes ownership of ids (malloc'ed), also on failure. */
HRESULT enum_ids_create(const void *vtbl, const IID *iid, enum_ids_make_fn make, GUID *ids, ULONG count,
                        void **out);
HRESULT enum_ids_query_interface(void *iface, REFIID riid, void **out);
ULONG enum_ids_add_ref(void *iface);
ULONG enum_ids_release(void *iface);
HRESULT enum_ids_next(void *iface, ULONG celt, void **items, ULONG *fetched);
HRESULT enum_ids_skip(void *iface, ULONG celt);
HRESULT enum_ids_reset(void *iface);
/* A copy of the snapshot that starts where this one is. */
HRESULT enum_ids_clone(void *iface, void **out);
HRESULT enum_ids_get_count(void *iface, ULONG *count);

#endif
