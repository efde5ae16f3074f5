/* Shared declarations of the Windows service (dosvc.exe). The COM objects are thin adapters:
 * they check arguments, establish the caller and call the portable core (engine/jobs.h). */
#ifndef OPENDO_DOSVC_H
#define OPENDO_DOSVC_H

#include <windows.h>
#include <objbase.h>

#include "deliveryoptimization.h"
#include "jobs.h"

#define DOSVC_SERVICE_NAME L"DoSvc"
#define DOSVC_DISPLAY_NAME L"Delivery Optimization (opendo)"
#define DOSVC_DESCRIPTION L"Downloads files in the background for applications (opendo)."
/* The AppID shares the class id, a common convention for single-class local servers. */
#define DOSVC_APPID_STRING L"{5B99FA76-721C-423C-ADAC-56D03C8A8007}"

/* The one job manager of the process, opened by service start-up. */
extern jobs_t *dosvc_jobs;

/* service/service_control.c: SCM glue. */
int service_dispatch(void);
int service_run_console(void);

/* service/registration.c: install/uninstall the service and its COM registration. */
int registration_install(void);
int registration_uninstall(void);

/* service/server.c: data directory, store, class registration (shared by SCM and console). */
HRESULT server_start(void);
void server_stop(void);

/* service/caller.c: who is calling this COM method. */
HRESULT caller_identify(caller_t *caller);

/* service/strings.c: text conversions between COM (UTF-16) and the core (UTF-8). */
char *utf8_from_wide(LPCWSTR text); /* malloc'ed; NULL on failure */
HRESULT cotaskmem_from_utf8(const char *text, LPWSTR *out);

/* COM objects, one per file, named after the interface they implement. */
HRESULT class_factory_register(DWORD *cookie);
HRESULT background_copy_manager_create(REFIID riid, void **out);
HRESULT background_copy_job_create(const GUID *id, IBackgroundCopyJob **out);
/* Takes ownership of ids (malloc'ed array). */
HRESULT enum_background_copy_jobs_create(GUID *ids, ULONG count, IEnumBackgroundCopyJobs **out);

#endif
