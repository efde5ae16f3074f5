/* doadmin: a bitsadmin-compatible administration tool for the opendo service (DoSvc). It is a
 * plain client of the service's COM API (CLSID_DeliveryOptimization): everything it shows or
 * changes goes through IBackgroundCopyManager and the job interfaces, never the database.
 *
 * One switch runs per invocation. main.c holds the dispatch table (one entry per switch); a
 * switch is either a function of its own (`run`) or an operation on one job (`job_op`), whose
 * job main.c resolves from the first argument (a GUID or a display name) before calling it.
 * docs/admin-guide.md describes every switch, the output formats and the exit statuses. */
#ifndef OPENDO_TOOLS_DOADMIN_H
#define OPENDO_TOOLS_DOADMIN_H

#include <stddef.h>
#include <wchar.h>
#include <windows.h>

#include "deliveryoptimization.h"
#include "doerrors.h"

/* Exit statuses. */
enum {
    EXIT_OK = 0,
    EXIT_FAILED = 1,        /* the service refused or failed it; unknown or ambiguous job */
    EXIT_USAGE = 2,         /* unknown switch; missing, extra or malformed argument */
    EXIT_UNSUPPORTED = 3,   /* the switch is not supported by this service */
    EXIT_NO_SERVICE = 4,    /* the service cannot be reached */
    EXIT_INTERRUPTED = 130, /* Ctrl+C */
};

/* The options a switch may accept (after the switch, in any order). */
enum option_id {
    OPT_ALLUSERS,
    OPT_VERBOSE,
    OPT_DOWNLOAD,
    OPT_UPLOAD,
    OPT_UPLOAD_REPLY,
    OPT_PRIORITY, /* takes a value */
    OPT_ACLFLAGS, /* takes a value */
    OPT_REFRESH,  /* takes a value */
    OPT_JOB,      /* /log: takes a value */
    OPT_SINCE,    /* /log: takes a value */
    OPT_ERRORS,   /* /log */
    OPT_LINES,    /* /log: takes a value */
    OPT_VERSION,  /* /util */
    OPT_REPAIRSERVICE, /* /util */
    OPT_FORCE,    /* /util /repairservice */
    OPTION_COUNT
};
#define OPTION(id) (1u << (id))

/* What followed the switch on the command line. */
typedef struct {
    int argc; /* positional arguments */
    wchar_t **argv;
    unsigned present;                   /* OPTION() bits given */
    const wchar_t *value[OPTION_COUNT]; /* the values of the options that take one */
} invocation;

/* One run of doadmin. */
typedef struct {
    IBackgroundCopyManager *manager; /* connected before a switch that needs the service */
    int raw;                         /* /rawreturn: no banner, bare values, no decoration */
    wchar_t context[300];            /* "/resume myjob": the start of every error line */
} session;

typedef struct command command;

/* A getter: writes the job's value (which: command.property) into text; the service's answer. */
typedef HRESULT (*value_getter)(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size);
#define VALUE_TEXT_MAX 17000 /* the longest value: 16383 units of custom headers */

/* A switch that works on one job: the job given as its first argument, and the rest. */
typedef struct {
    session *s;
    const command *cmd;
    const invocation *inv;
    IBackgroundCopyJob5 *job;
    int argc; /* the arguments after the job */
    wchar_t **argv;
} job_call;

/* One entry of the dispatch table (main.c). */
struct command {
    const wchar_t *name;                                               /* "/getstate" */
    int (*run)(session *s, const command *cmd, const invocation *inv); /* a switch of its own */
    int (*job_op)(job_call *call); /* or an operation on one job */
    value_getter get;              /* for job_op op_get: the value it prints */
    int property;                  /* which job value a shared job_op or getter reads or writes */
    int min_args;                  /* positional arguments, the job included */
    int max_args;                  /* -1: no limit */
    int text_from;                 /* 0, or from which argument on (1: the first) the arguments
                                    * are free text that may start with '/'; other arguments
                                    * that look like a switch are refused as unknown options */
    unsigned options;              /* OPTION() bits accepted */
    int offline;                   /* runs without connecting to the service */
    const wchar_t *group;          /* heading in /help */
    const wchar_t *syntax;         /* arguments, as /help shows them */
    const wchar_t *summary;        /* one line for /help; for an unsupported switch, why */
};

extern const command commands[];
extern const size_t command_count;

/* ---- output.c: stdout/stderr, console (UTF-16) or redirected (UTF-8, CRLF) ---------------- */
void out_init(void);
int out_is_console(void);                                 /* stdout is a console */
void out_printf(const wchar_t *fmt, ...);                 /* to stdout, '\n' ends a line */
int out_value(const session *s, const wchar_t *fmt, ...); /* a bare value; returns EXIT_OK */
int out_done(const session *s, const wchar_t *fmt, ...);  /* a confirmation; none with /rawreturn */
void out_banner(const session *s);
int out_console_width(void);
void out_redraw_line(const wchar_t *text);         /* replaces the current console line */
void out_redraw_block(wchar_t **lines, int count); /* replaces the block drawn last time */
void session_context(session *s, const wchar_t *switch_name, const wchar_t *subject);
int fail(const session *s, int status, const wchar_t *fmt, ...); /* one stderr line */
int fail_hr(const session *s, HRESULT hr);
void hr_text(const session *s, HRESULT hr, wchar_t *buf, size_t size); /* "0x80D02003 - text" */
int interrupted(DWORD wait_ms); /* waits; whether Ctrl+C was pressed */

/* ---- values.c: parsing and naming values ----------------------------------------------- */
int parse_number(const wchar_t *text, UINT64 max, UINT64 *value); /* decimal or 0x hex */
int parse_ulong(const wchar_t *text, ULONG *value);
int parse_name(const wchar_t *text, const wchar_t *const *names, int count, int *index);
extern const wchar_t *const priority_names[4]; /* FOREGROUND HIGH NORMAL LOW */
extern const wchar_t *const proxy_usage_names[4];
int parse_acl_flags(const wchar_t *text, DWORD *flags);
void acl_flags_text(DWORD flags, wchar_t *buf, size_t size);
const wchar_t *state_caps(BG_JOB_STATE state); /* SUSPENDED, TRANSIENT_ERROR... */
/* TRANSIENT_ERROR -> Transient_Error (bitsadmin's /getstate and /getproxyusage words) */
void title_case(const wchar_t *caps, wchar_t *buf, size_t size);
const wchar_t *type_name(BG_JOB_TYPE type);
const wchar_t *enum_name(const wchar_t *const *names, int count, int value);
void time_text(FILETIME ft, wchar_t *buf, size_t size);         /* local "12/17/2002 1:21:17 PM" */
void bytes_total_text(UINT64 total, wchar_t *buf, size_t size); /* number or UNKNOWN */
void guid_text(const GUID *id, wchar_t buf[39]);
int parse_guid(const wchar_t *text, GUID *id);
wchar_t *text_join(wchar_t **parts, int count, const wchar_t *separator, int trailing);

/* ---- jobs.c: the service, finding jobs, their files --------------------------------------- */
int connect_service(session *s);
/* The service went away under a call (stopped or restarted: its proxies are dead). */
int service_gone(HRESULT hr);
/* After service_gone: a new manager (the service starts on demand) and, when job_id is given,
 * the job found again (it lives on in the service's database); tries for RECONNECT_MS. */
#define RECONNECT_MS 120000
#define RECONNECT_PAUSE_MS 500
HRESULT reconnect_service(session *s, const GUID *job_id, IBackgroundCopyJob5 **job);
typedef struct {
    IBackgroundCopyJob5 **jobs;
    ULONG count;
} job_list;
/* downloads.c: /list's lines of the IDOManager downloads; *listed counts them. */
HRESULT list_downloads(const session *s, ULONG *listed);
HRESULT list_jobs(const session *s, DWORD flags, job_list *list);
void job_list_free(job_list *list);
int find_job(session *s, const wchar_t *spec, IBackgroundCopyJob5 **job); /* reports failures */
int call_file_at(job_call *call, IBackgroundCopyFile3 **file);            /* argv[0] is the index */
HRESULT job_http_options(IBackgroundCopyJob5 *job, IBackgroundCopyJobHttpOptions **options);
void owner_text(const wchar_t *sid_text, wchar_t *buf, size_t size); /* DOMAIN\user, or the SID */

/* ---- report.c: the bitsadmin layouts of /list, /info and the error lines ------------------- */
typedef struct {
    wchar_t id[39];
    LPWSTR name;
    BG_JOB_STATE state;
    BG_JOB_PROGRESS progress;
} job_summary;
HRESULT job_summary_read(IBackgroundCopyJob5 *job, job_summary *summary);
void job_summary_free(job_summary *summary);
void job_summary_line(const job_summary *summary, wchar_t *buf, size_t size);
HRESULT print_job_info(IBackgroundCopyJob5 *job, int verbose);
/* The file lines, then "Listed N file(s)." */
HRESULT print_job_files(const session *s, IBackgroundCopyJob5 *job);
HRESULT print_job_error(IBackgroundCopyJob5 *job, HRESULT *code); /* the ERROR ... lines */
HRESULT read_notify_registered(IBackgroundCopyJob5 *job, int *registered);
void cmdline_text(LPCWSTR program, LPCWSTR parameters, wchar_t *buf, size_t size); /* or none */

/* ---- progress.c: progress a person can watch, or a script can parse -------------------- */
#define PROGRESS_SAMPLES 64
typedef struct {
    ULONGLONG ms[PROGRESS_SAMPLES]; /* a ring of (time, bytes) samples: the rate's window */
    UINT64 bytes[PROGRESS_SAMPLES];
    int first, count;
    double rate; /* bytes per second over the window */
    int shown;   /* a plain line was printed */
    BG_JOB_STATE shown_state;
    UINT64 shown_bytes;
    ULONG shown_files;
} progress_meter;
void progress_sample(progress_meter *meter, const job_summary *summary);
int progress_print_change(progress_meter *meter, const job_summary *summary);
void progress_bar_text(const progress_meter *meter, const job_summary *summary, int width,
                       wchar_t *buf, size_t size); /* fits width columns where it can */

/* ---- switches of their own ----------------------------------------------------------------- */
int run_help(session *s, const command *cmd, const invocation *inv);          /* help.c */
int run_examples(session *s, const command *cmd, const invocation *inv);      /* help.c */
int run_not_supported(session *s, const command *cmd, const invocation *inv); /* help.c */
int run_list(session *s, const command *cmd, const invocation *inv);          /* queue.c */
int run_reset(session *s, const command *cmd, const invocation *inv);         /* queue.c */
int run_monitor(session *s, const command *cmd, const invocation *inv);       /* queue.c */
int run_transfer(session *s, const command *cmd, const invocation *inv);      /* transfer.c */
int run_create(session *s, const command *cmd, const invocation *inv);        /* lifecycle.c */
/* diagnostics.c: the reports of the service's admin interface (IOpendoAdmin) */
int run_status(session *s, const command *cmd, const invocation *inv);
int run_why(session *s, const command *cmd, const invocation *inv);
int run_perfsnap(session *s, const command *cmd, const invocation *inv);
int run_config(session *s, const command *cmd, const invocation *inv);
int run_log(session *s, const command *cmd, const invocation *inv);
/* The service's admin interface; failures reported (EXIT_NO_SERVICE). */
int connect_admin(session *s, IOpendoAdmin **admin);
/* Prints a report of the admin interface, or why there is none (access denied: one line). */
int print_report(session *s, HRESULT hr, LPWSTR report);
/* util.c: /util /version, /util /repairservice [/force] */
int run_util(session *s, const command *cmd, const invocation *inv);
/* lifecycle.c, shared with /transfer; reports its failures */
int create_job(session *s, const wchar_t *name, const invocation *inv, GUID *id,
               IBackgroundCopyJob5 **job);
HRESULT add_file_pairs(IBackgroundCopyJob5 *job, wchar_t **pairs, int pair_count);

/* ---- operations on one job ----------------------------------------------------------------- */
/* lifecycle.c */
int op_addfile(job_call *call);
int op_addfileset(job_call *call);
int op_addfilewithranges(job_call *call);
int op_replaceremoteprefix(job_call *call);
int op_lifecycle(job_call *call); /* call->cmd->property: an ACTION_* id */
/* getters.c */
int op_info(job_call *call);
int op_listfiles(job_call *call);
int op_get(job_call *call); /* prints what call->cmd->get reads */
int op_geterror(job_call *call);
int op_gettemporaryname(job_call *call);
int op_getvalidationstate(job_call *call);
HRESULT get_number(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size); /* NUMBER_* */
HRESULT get_text(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size);   /* TEXT_* */
HRESULT get_state(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size);
HRESULT get_type(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size);
HRESULT get_progress(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size);
HRESULT get_time(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size); /* TIME_* */
HRESULT get_owner(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size);
HRESULT get_priority(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size);
HRESULT get_notify_interface(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size);
HRESULT get_notify_cmdline(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size);
HRESULT get_proxy(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size); /* PROXY_* */
HRESULT get_custom_headers(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size);
HRESULT get_security_flags(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size);
HRESULT get_acl_flags(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size);
/* setters.c */
int op_set_number(job_call *call); /* call->cmd->property: a NUMBER_* id */
int op_set_text(job_call *call);   /* call->cmd->property: a TEXT_* id */
int op_setpriority(job_call *call);
int op_setnotifycmdline(job_call *call);
int op_setproxysettings(job_call *call);
int op_setcredentials(job_call *call);
int op_removecredentials(job_call *call);
int op_setcustomheaders(job_call *call);
int op_setsecurityflags(job_call *call);
int op_setaclflag(job_call *call);
int op_setvalidationstate(job_call *call);

/* Job values that one getter and one setter share (command.property). */
enum {
    NUMBER_MIN_RETRY_DELAY,
    NUMBER_NO_PROGRESS_TIMEOUT,
    NUMBER_MAX_DOWNLOAD_TIME,
    NUMBER_NOTIFY_FLAGS,
    NUMBER_PEER_CACHING_FLAGS,
    NUMBER_ERROR_COUNT
};
enum { TEXT_DISPLAY_NAME, TEXT_DESCRIPTION };
enum { TIME_CREATION, TIME_MODIFICATION, TIME_COMPLETION };
enum {
    PROGRESS_BYTES_TOTAL,
    PROGRESS_BYTES_TRANSFERRED,
    PROGRESS_FILES_TOTAL,
    PROGRESS_FILES_TRANSFERRED
};
enum { ACTION_RESUME, ACTION_SUSPEND, ACTION_CANCEL, ACTION_COMPLETE, ACTION_TAKE_OWNERSHIP };
enum { PROXY_USAGE, PROXY_LIST, PROXY_BYPASS_LIST };

#endif
