/* Shared declarations of the Windows service (dosvc.exe). The COM objects are thin adapters:
 * they check arguments, establish the caller and call the portable core (engine/jobs/jobs.h). */
#ifndef OPENDO_DOSVC_H
#define OPENDO_DOSVC_H

#include <stddef.h>
#include <windows.h>
#include <objbase.h>

#include "admin.h"
#include "bits_classes.h"
#include "deliveryoptimization.h"
#include "downloads.h"
#include "jobs.h"
#include "settings.h"

#define DOSVC_SERVICE_NAME L"DoSvc"
/* The second service dosvc.exe hosts, in the same process, once a prefix is switched to it. */
#define BITS_SERVICE_NAME L"BITS"
#define DOSVC_DISPLAY_NAME L"Delivery Optimization (opendo)"
#define DOSVC_DESCRIPTION L"Downloads files in the background for applications (opendo)."
/* The AppID shares the class id, a common convention for single-class local servers. */
#define DOSVC_APPID_STRING L"{5B99FA76-721C-423C-ADAC-56D03C8A8007}"
/* opendo's administration class (IOpendoAdmin), served by the same service and AppID. */
#define DOSVC_ADMIN_CLSID_STRING L"{6DA97CEB-34DE-4ADA-8415-25444291C60D}"
/* The event log source the service's log lines are copied to (Application log). */
#define DOSVC_EVENT_SOURCE L"opendo"

/* The API a COM object speaks, fixed by the class it came from: the DO classes
 * (DeliveryOptimization: DO_E_* codes) or the BITS classes (BackgroundCopyManager and its
 * versioned CLSIDs, served once a prefix makes opendo its BITS service: BG_E_* codes, BITS
 * limits and interfaces). What differs between the two is decided in one place,
 * service/com/api_personality.c (docs/bits.md). */
typedef enum api_personality { API_DO, API_BITS } api_personality_t;
/* The result of a call as the object's API reports it (the core speaks DO). */
HRESULT api_result(api_personality_t api, HRESULT hr);
/* GetProtocol's code for an error tied to no file. */
HRESULT api_no_protocol(api_personality_t api);
/* The API of a job's kind (STORE_KIND_BITS: API_BITS), and the kind of job an API makes. */
api_personality_t api_of_kind(int32_t kind);
int32_t api_job_kind(api_personality_t api);
/* Whether an object of api may answer QueryInterface for riid (the interfaces only one API has);
 * every QueryInterface of the manager, job and file objects asks this first. */
int api_offers(api_personality_t api, REFIID riid);
/* The ten BITS classes (BackgroundCopyManager, 1_5 ... 10_3), oldest first. */
extern const CLSID *const bits_classes[BITS_CLASS_COUNT];

/* The one job manager of the process, opened by service start-up. */
extern jobs_t *dosvc_jobs;
/* What the admin reports read (service/host/server.c), and the settings (service/host/settings.c). */
extern admin_sources_t dosvc_admin_sources;

/* The IUnknown methods of an object's secondary vtable (interface `type`, held in `member` of
 * `object_t`): they forward to the object's main methods main##_query_interface/_add_ref/_release,
 * which take the object's primary interface `iface`. */
#define COM_SECONDARY_OF(object_t, member, iface_ptr) \
    ((object_t *)((char *)(iface_ptr) - offsetof(object_t, member)))
#define COM_FORWARD_IUNKNOWN(prefix, type, object_t, member, main)                                  \
    static HRESULT STDMETHODCALLTYPE prefix##_query_interface(type *iface, REFIID riid, void **out) \
    {                                                                                              \
        return main##_query_interface(&COM_SECONDARY_OF(object_t, member, iface)->iface, riid, out); \
    }                                                                                              \
    static ULONG STDMETHODCALLTYPE prefix##_add_ref(type *iface)                                   \
    {                                                                                              \
        return main##_add_ref(&COM_SECONDARY_OF(object_t, member, iface)->iface);                  \
    }                                                                                              \
    static ULONG STDMETHODCALLTYPE prefix##_release(type *iface)                                   \
    {                                                                                              \
        return main##_release(&COM_SECONDARY_OF(object_t, member, iface)->iface);                  \
    }

/* service/host/service_control.c: SCM glue for the two services of the process (DoSvc, BITS). */
int service_dispatch(void);
/* The DO classes (and with bits the BITS classes) without the SCM, until Ctrl+C. */
int service_run_console(int bits);

/* service/host/bits_relay.c: DoSvc's process serves the BITS classes while the BITS service
 * (a process of its own under Wine) runs. The host side runs in DoSvc's process; the guest side
 * in the BITS service, whose thread holds *running between attach and detach. */
HRESULT bits_relay_host_start(void);
void bits_relay_host_stop(void);
HRESULT bits_relay_guest_attach(HANDLE *host_process, HANDLE *running);
void bits_relay_guest_detach(HANDLE host_process, HANDLE running);

/* service/host/registration.c: install/uninstall the service and its COM registration (a full
 * uninstall also gives BITS back when the prefix was switched); helpers shared with
 * registration_bits.c. */
int registration_install(void);
int registration_uninstall(void);
int registration_fail(const char *what, DWORD error); /* says so on stderr; returns 1 */
DWORD registration_set_string(HKEY root, LPCWSTR key, LPCWSTR name, LPCWSTR value);
/* The path of a file next to dosvc.exe. */
DWORD registration_sibling_path(LPCWSTR name, WCHAR *out, DWORD size);
/* The services' command line: dosvc.exe's path, quoted. */
DWORD registration_service_command(WCHAR *command, size_t size);
/* Stops a running service and waits (up to 10 s) until it has stopped. */
void registration_stop_service(SC_HANDLE service);

/* service/host/registration_bits.c: `install --bits` makes opendo the prefix's BITS service
 * (after saving Wine's registration once), `uninstall --bits` restores Wine's exactly;
 * switched: whether the switch was asked for (HKLM\Software\opendo\BITS). */
int registration_install_bits(void);
int registration_uninstall_bits(void);
int registration_bits_switched(void);

/* service/host/registry_snapshot.c: registry keys (with everything below them) or single values
 * below HKLM saved as one slot of a snapshot key each, and put back exactly (also their absence). */
DWORD snapshot_save_key(HKEY snapshot, LPCWSTR slot, LPCWSTR path);
DWORD snapshot_save_value(HKEY snapshot, LPCWSTR slot, LPCWSTR path, LPCWSTR name);
DWORD snapshot_restore(HKEY snapshot, LPCWSTR slot);

/* service/host/server.c: the class objects of one API, on the calling thread (joined to the
 * MTA); the first start also starts the core (data directory, log, store, engine), the last
 * stop stops it. Shared by the SCM path and the console mode. */
HRESULT server_start(api_personality_t api);
void server_stop(api_personality_t api);
/* service/com/com_pins.c: keeps the RPC registration of every interface the service exposes for the
 * process's life (a Wine 8 unregistration race would otherwise hang the service). */
void com_pins_hold(void);

/* service/host/settings.c: the registry values of engine/settings' table and the DO policies,
 * read (and the log's size limits applied) once the log is open, published in
 * dosvc_admin_sources.settings; read again when their keys change (settings_watch_start). */
void settings_load(void);
void settings_apply_limits(jobs_t *jobs);
/* The bandwidth caps and the cache hosts, once transfers are enabled. */
void settings_apply_transfers(jobs_t *jobs);
/* The BITS policy JobInactivityTimeout, in days. */
uint32_t settings_bits_job_inactivity_days(void);
uint32_t settings_max_background_transfers(void);
/* Re-reads and re-applies the settings whenever HKLM\SOFTWARE\opendo or the DO policy key
 * changes, until settings_watch_stop. */
void settings_watch_start(jobs_t *jobs);
void settings_watch_stop(void);
/* service/host/policies.c: the cache hosts the policies give (DOCacheHost, DHCP option 235 per
 * DOCacheHostSource, none on a VPN per DODisallowCacheServerDownloadsOnVPN); writes
 * s->cache_host_note. */
void policies_cache_policy(settings_t *s, cache_policy_t *policy);

/* service/security/file_ops.c: the job manager's file operations (rename onto the local name, delete a
 * temp file), run while impersonating the calling client (E_ACCESSDENIED if that fails). */
extern const jobs_file_ops_t dosvc_file_ops;
/* The directory whose files are the service's own (stream spools): removed as the service. */
void file_ops_own_directory(const char *dir);

/* service/host/event_log.c: every log line also to the event log (best-effort). */
void event_log_start(void);
void event_log_stop(void);

/* service/host/maintenance.c: the expiry of every kind of job (DO's 30 days, BITS's
 * JobInactivityTimeout), at start-up and hourly. */
HRESULT maintenance_start(void);
void maintenance_stop(void);

/* service/security/caller.c: who is calling this COM method. */
HRESULT caller_identify(caller_t *caller);
/* Impersonates the calling client (COM, else RPC under Wine); undo with caller_revert. */
HRESULT caller_impersonate(int *used_rpc);
void caller_revert(int used_rpc);
/* A token's user SID as text; whether its enabled groups include BUILTIN\Administrators. */
HRESULT token_user_sid(HANDLE token, char *sid_text, size_t size);
int token_is_admin(HANDLE token);

/* service/com/strings.c: text conversions between COM (UTF-16) and the core (UTF-8). */
char *utf8_from_wide(LPCWSTR text); /* malloc'ed; NULL on failure */
WCHAR *wide_from_utf8(const char *text); /* malloc'ed; NULL on failure */
HRESULT cotaskmem_from_utf8(const char *text, LPWSTR *out);

/* COM objects, one per file, named after the interface they implement. */
/* The class objects of one API (all or none registered): API_DO DeliveryOptimization and
 * OpendoAdmin, API_BITS the ten BITS classes (BackgroundCopyManager ... 10_3). */
HRESULT class_factories_register(api_personality_t api);
void class_factories_revoke(api_personality_t api);
HRESULT background_copy_manager_create(REFIID riid, void **out);
/* The manager object of the BITS classes (API_BITS). */
HRESULT background_copy_manager_create_bits(REFIID riid, void **out);
/* IOpendoAdmin: the diagnostics of doadmin, for administrators only. */
HRESULT opendo_admin_create(REFIID riid, void **out);
/* The job object of job id, whose kind gives api (api_of_kind): the codes it reports and the
 * interfaces it answers. */
/* The job (id) as the calling client sees it, in api's codes: access checked, a final job refused
 * (store_job_clear it). Shared by the job object's parts (background_copy_job.c). */
HRESULT job_load_as_caller(const GUID *id, api_personality_t api, store_job_t *job);
/* The job checked as above, then answer: for slots opendo does not implement, and before work on
 * the caller's files. */
HRESULT job_answer_after_check(const GUID *id, api_personality_t api, HRESULT answer);
HRESULT background_copy_job_create(const GUID *id, api_personality_t api, IBackgroundCopyJob **out);
/* Takes ownership of ids (malloc'ed array): jobs of api. */
HRESULT enum_background_copy_jobs_create(api_personality_t api, GUID *ids, ULONG count,
                                         IEnumBackgroundCopyJobs **out);
/* A file of a job of api, by index; answers IBackgroundCopyFile..File5, IDeliveryOptimizationFile/2. */
HRESULT background_copy_file_create(const GUID *job_id, api_personality_t api, ULONG index, REFIID riid,
                                    void **out);
/* The files of a job of api as they are when EnumFiles is called (count is the snapshot). */
HRESULT enum_background_copy_files_create(const GUID *job_id, api_personality_t api, ULONG count,
                                          IEnumBackgroundCopyFiles **out);

/* service/notify/notify_registry.c: the jobs' callback sinks (SetNotifyInterface, and objects activated
 * from a NOTIFICATION_CLSID), in memory only. Getters AddRef. */
HRESULT notify_registry_set(const GUID *job, IUnknown *callback);
IUnknown *notify_registry_get(const GUID *job);
IUnknown *notify_registry_get_activated(const GUID *job);
HRESULT notify_registry_keep_activated(const GUID *job, IUnknown *object);
void notify_registry_drop(const GUID *job, IUnknown *object);

/* service/notify/job_events.c: the core's events (jobs_set_event_sink) queued to the thread pool and
 * delivered as client callbacks; see docs/scheduler.md. */
HRESULT job_events_start(void);
void job_events_stop(void);
/* A sink was registered or a notify command line set: a job already TRANSFERRED or in ERROR
 * gets its callback (or its program runs) now, as BITS does. */
void job_events_notification_set(const GUID *job);
/* Delivers event again after delay_s seconds (a callback or command line that failed). */
void job_events_retry(const GUID *job, jobs_event_t event, uint32_t delay_s);

/* service/notify/notify_delivery.c: one event of a job to its sink (registered interface, else the
 * NOTIFICATION_CLSID's object) or, for TRANSFERRED/ERROR, its notify command line. S_OK when
 * delivered or when there is nobody to tell; a failure means "try again later". */
HRESULT notify_deliver(const store_job_t *job, jobs_event_t event, uint32_t file_index);
/* A call to a client failed because the client's object is gone (its process ended, the object
 * was released): its proxy can never work again. */
int client_disconnected(HRESULT hr);

/* service/security/owner_session.c: acting for a job's owner outside of any call from that owner. */
/* Starts the job's notify command line as the owner (never as the service for another user). */
HRESULT owner_run_program(const store_job_t *job, HANDLE *process);
/* CoCreateInstance(CLSCTX_LOCAL_SERVER) of clsid, the activation made as the owner. */
HRESULT owner_activate(const store_job_t *job, REFCLSID clsid, REFIID riid, void **out);

/* service/security/secrets.c: DPAPI-encrypts a password (blob is LocalFree'd; NULL password → no blob). */
HRESULT secret_protect(LPCWSTR password, BYTE **blob, DWORD *size);
char *secret_reveal(void *ctx, const void *secret, size_t size);

/* service/com/background_copy_error.c: the error object of a job in ERROR or TRANSIENT_ERROR. */
HRESULT background_copy_error_create(const store_job_t *job, IBackgroundCopyError **out);

/* service/security/local_path.c: file-system checks made with the caller's identity. */
/* A local name the caller can use: absolute, its directory exists, and the caller may create a
 * file there (E_ACCESSDENIED otherwise). Checked while impersonating the caller. */
HRESULT local_path_check(LPCWSTR path);
/* A remote name that is a local or UNC path or a file:// URL: may the caller open it for reading?
 * E_ACCESSDENIED when the caller may not (or cannot be impersonated); S_OK for an http(s) URL and
 * for a source that does not exist (yet): the transfer says so then, as before. */
HRESULT local_source_check(LPCWSTR remote);
/* Before a download's first Start: the file must not exist (ERROR_FILE_EXISTS), and missing
 * directories are created; both as the caller. */
HRESULT local_path_prepare(LPCWSTR path);

/* ---- the download API (IDOManager, engine/downloads/downloads.h) ------------------------------- */

/* service/com/do_manager.c: the manager object's IDOManager interface; its IUnknown methods go
 * to outer, the object's primary interface. */
typedef struct do_manager_part {
    IDOManager iface;
    IUnknown *outer;
} do_manager_part_t;
void do_manager_init(do_manager_part_t *part, IUnknown *outer);
/* ---- the BITS-only interfaces (docs/bits.md) ----------------------------------------------------- */

/* service/com/bits_peer_cache_administration.c: the BITS manager object's
 * IBitsPeerCacheAdministration (peer caching off: every method S_FALSE); its IUnknown methods go
 * to outer. */
typedef struct bits_peer_cache_part {
    IBitsPeerCacheAdministration iface;
    IUnknown *outer;
} bits_peer_cache_part_t;
void bits_peer_cache_init(bits_peer_cache_part_t *part, IUnknown *outer);
/* service/com/enum_bits_peer_cache.c: an empty IEnumBitsPeerCacheRecords or IEnumBitsPeers
 * (riid), whose methods answer S_FALSE. */
HRESULT enum_bits_peer_cache_create(REFIID riid, void **out);

/* service/com/job_http_options.c: the job object's IBackgroundCopyJobHttpOptions..3 (2 and 3
 * for BITS jobs only: api_offers); its IUnknown methods go to outer. */
typedef struct job_http_options_part {
    IBackgroundCopyJobHttpOptions3 iface;
    IUnknown *outer;
    const GUID *job_id; /* the job object's */
    api_personality_t api; /* the job's: the codes its results are reported in */
} job_http_options_part_t;
void job_http_options_init(job_http_options_part_t *part, IUnknown *outer, const GUID *job_id,
                           api_personality_t api);
/* service/notify/certificate_callbacks.c: the jobs' server certificate callbacks, in memory only
 * (the job stores whether it has one). Set: access, BG_E_READ_ONLY_WHEN_JOB_ACTIVE unless
 * SUSPENDED/ERROR/TRANSFERRED, E_NOINTERFACE for an object that is no callback; NULL removes;
 * clears the job's accepted certificates. */
HRESULT certificate_callbacks_set(const caller_t *caller, const GUID *job, IUnknown *object);
/* The job ended: its callback is released. */
void certificate_callbacks_drop(const GUID *job);
/* What the service keeps in memory for a job that ended (Cancel, Complete, expiry): its callback
 * sink, its server certificate callback and its helper token (background_copy_job.c). */
void job_memory_forget(const GUID *job);
/* What the transfer hands to the job's callback: the server ("host:port"), its encoded
 * certificate and a serialized store of the certificates it sent. */
typedef struct certificate_check {
    const char *server;
    const BYTE *cert;
    DWORD cert_length, encoding;
    const BYTE *store;
    DWORD store_length;
} certificate_check_t;
/* On the transfer engine's thread, after the system's check passed (tls_verify_peer): S_OK when
 * the job has no callback, or it accepts (cached per job: not asked again for the same server
 * and certificate); the callback's HRESULT (transient, context 8) when it refuses;
 * BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED (not transient) when it cannot be reached, or
 * when the job had one before the service restarted and its client has not registered it again. */
HRESULT certificate_callbacks_check(const GUID *job, uint32_t file_index, const certificate_check_t *check,
                                    int *transient, int32_t *context);

/* service/com/bits_token_options.c: the job object's IBitsTokenOptions (BITS jobs only); its
 * IUnknown methods go to outer. */
typedef struct bits_token_options_part {
    IBitsTokenOptions iface;
    IUnknown *outer;
    const GUID *job_id; /* the job object's */
} bits_token_options_part_t;
void bits_token_options_init(bits_token_options_part_t *part, IUnknown *outer, const GUID *job_id);
/* service/security/helper_tokens.c: the jobs' helper tokens, in the service's memory only. */
/* Captures the calling client's impersonation token for job (its flags as they are now):
 * CO_E_FAILEDTOIMPERSONATE when the client cannot be impersonated, E_ACCESSDENIED when a
 * caller who is no administrator hands over a token with the Administrators group enabled. */
HRESULT helper_tokens_capture(const caller_t *caller, const GUID *job, uint32_t flags);
/* Keeps the flags the tokens are used for in step with the job's (SetHelperTokenFlags). */
void helper_tokens_set_flags(const GUID *job, uint32_t flags);
void helper_tokens_clear(const GUID *job);
/* The token's user SID (CoTaskMem), or NULL when the job has no token; S_OK both ways. */
HRESULT helper_tokens_sid(const GUID *job, LPWSTR *sid);
/* jobs_file_ops_t.has_helper_token. */
int helper_tokens_has(void *ctx, const store_guid_t *job);
/* For a local-file operation of job: impersonates its helper token when its flags include
 * BG_TOKEN_LOCAL_FILE (1: undo with RevertToSelf), else 0 and nothing done. */
int helper_tokens_impersonate_for_files(const GUID *job);

/* service/com/do_download.c: the IDODownload object of a download id. */
HRESULT do_download_create(const GUID *id, IDODownload **out);
/* service/com/enum_downloads.c: IEnumUnknown over IDODownload objects (takes ownership of ids). */
HRESULT enum_downloads_create(GUID *ids, ULONG count, IEnumUnknown **out);
/* service/notify/download_sinks.c: the pointers a download's client handed over (NULL clears;
 * in memory only), each with its user's bookkeeping; get AddRefs and copies the marks. */
typedef enum download_sink_kind {
    DOWNLOAD_SINK_CALLBACK, /* IDODownloadStatusCallback */
    DOWNLOAD_SINK_STREAM,   /* IStream */
    DOWNLOAD_SINK_KINDS
} download_sink_kind_t;
typedef struct download_sink_marks {
    int32_t state;       /* callbacks: the state of the last call (-1: none yet) */
    uint32_t generation; /* streams: of the bytes written */
    uint64_t time_ms;    /* callbacks: when the last call was made */
    uint64_t bytes;      /* callbacks: BytesTransferred of the last call; streams: bytes written */
} download_sink_marks_t;
HRESULT download_sinks_set(const GUID *id, download_sink_kind_t kind, IUnknown *pointer);
IUnknown *download_sinks_get(const GUID *id, download_sink_kind_t kind, download_sink_marks_t *marks);
/* Records marks, unless the pointer was replaced meanwhile. */
void download_sinks_mark(const GUID *id, download_sink_kind_t kind, IUnknown *pointer,
                         const download_sink_marks_t *marks);
void download_sinks_clear(void);
/* service/notify/download_callbacks.c: on a pool thread, for an event of download id: 1 when
 * id has a callback (the call is made, or skipped by CallbackFreqSeconds/Percent), else 0. */
int download_callbacks_deliver(const GUID *id);
/* service/notify/download_streams.c: writes a stream download's new bytes to its client, on
 * the download's event lane; 1 when id has a stream. */
int download_streams_pump(const GUID *id);
/* GetStatus as the client sees it: a stream download is Transferring, with the bytes it has
 * written to the client, until the client has all of them. */
HRESULT download_status_for_client(const caller_t *caller, const GUID *id, download_status_t *status);

#endif
