/* main.c: doadmin's command line. Global options, then one switch from the table below, its
 * options and its arguments:
 *   doadmin [/rawreturn] [/wrap | /nowrap] /switch [options] [arguments]
 * A new switch is one entry in `commands` (a `run` function, or a `job_op` for a switch whose
 * first argument is a job) and its function in a file of its own. main checks the argument
 * count and the options, connects to the service and resolves the job before the switch runs. */
#include "doadmin.h"

#include <stdlib.h>
#include <wctype.h>

#define GENERAL L"General"
#define QUEUE L"The queue"
#define LIFECYCLE L"Jobs and their files"
#define INFO L"Job information"
#define SETTINGS L"Job settings"
#define DIAGNOSTICS L"Diagnostics (administrators only)"
#define UNSUPPORTED L"Not supported by this service"

#define JOB_GET(n, getter, prop, text)                                                          \
    { .name = n, .job_op = op_get, .get = getter, .property = prop, .min_args = 1,              \
      .max_args = 1, .group = INFO, .syntax = L"<job>", .summary = text }
#define JOB_SET_FROM(n, op, prop, syn, min, max, text_from_arg, text)                          \
    { .name = n, .job_op = op, .property = prop, .min_args = min, .max_args = max,              \
      .text_from = text_from_arg, .group = SETTINGS, .syntax = syn, .summary = text }
#define JOB_SET(n, op, prop, syn, min, max, text)                                               \
    JOB_SET_FROM(n, op, prop, syn, min, max, 0, text)
/* A setter whose values after the job are free text: they may start with '/'. */
#define JOB_SET_TEXT(n, op, prop, syn, min, max, text)                                          \
    JOB_SET_FROM(n, op, prop, syn, min, max, 2, text)
#define ACTION(n, prop, text)                                                                   \
    { .name = n, .job_op = op_lifecycle, .property = prop, .min_args = 1, .max_args = 1,        \
      .group = LIFECYCLE, .syntax = L"<job>", .summary = text }
#define NOT_SUPPORTED(n, why)                                                                   \
    { .name = n, .run = run_not_supported, .max_args = -1, .text_from = 1, .offline = 1,        \
      .group = UNSUPPORTED, .syntax = L"", .summary = why }

#define WHY_REPLY                                                                               \
    L"upload-reply jobs do not exist here (CreateJob answers E_NOTIMPL for upload types)"
#define WHY_CERTIFICATE L"transfers present no client certificate (these methods answer E_NOTIMPL)"
#define WHY_HTTP_METHOD L"there is no IBackgroundCopyJobHttpOptions2: every download is a GET"
#define WHY_HELPER_TOKEN L"there is no IBitsTokenOptions (helper tokens)"
#define WHY_PEERS L"there are no peers and no shared cache (DownloadMode simple)"

#define SECONDS L"<job> <seconds>"

const command commands[] = {
    { .name = L"/help", .run = run_help, .offline = 1, .group = GENERAL, .syntax = L"",
      .summary = L"Lists every switch." },
    { .name = L"/?", .run = run_help, .offline = 1, .group = GENERAL, .syntax = L"",
      .summary = L"Same as /help." },
    { .name = L"/examples", .run = run_examples, .offline = 1, .group = GENERAL, .syntax = L"",
      .summary = L"Shows examples." },

    { .name = L"/list", .run = run_list, .options = OPTION(OPT_ALLUSERS) | OPTION(OPT_VERBOSE),
      .group = QUEUE, .syntax = L"[/allusers] [/verbose]", .summary = L"Lists the jobs." },
    { .name = L"/monitor", .run = run_monitor,
      .options = OPTION(OPT_ALLUSERS) | OPTION(OPT_REFRESH), .group = QUEUE,
      .syntax = L"[/allusers] [/refresh <seconds>]",
      .summary = L"Shows the jobs until Ctrl+C (every 5 s by default)." },
    { .name = L"/reset", .run = run_reset, .options = OPTION(OPT_ALLUSERS), .group = QUEUE,
      .syntax = L"[/allusers]", .summary = L"Cancels every job." },
    { .name = L"/transfer", .run = run_transfer, .min_args = 3, .max_args = -1,
      .options = OPTION(OPT_DOWNLOAD) | OPTION(OPT_UPLOAD) | OPTION(OPT_PRIORITY) |
                 OPTION(OPT_ACLFLAGS),
      .group = QUEUE,
      .syntax = L"<name> [/download] [/priority <p>] [/aclflags <ogds>] <remote> <local> "
                L"[<remote> <local>...]",
      .summary = L"Downloads the files in a new job, with progress, then completes it." },

    { .name = L"/create", .run = run_create, .min_args = 1, .max_args = 1,
      .options = OPTION(OPT_DOWNLOAD) | OPTION(OPT_UPLOAD) | OPTION(OPT_UPLOAD_REPLY),
      .group = LIFECYCLE, .syntax = L"[/download] <name>",
      .summary = L"Creates a job (SUSPENDED)." },
    { .name = L"/addfile", .job_op = op_addfile, .min_args = 3, .max_args = 3, .group = LIFECYCLE,
      .syntax = L"<job> <remote> <local>", .summary = L"Adds a file." },
    { .name = L"/addfileset", .job_op = op_addfileset, .min_args = 2, .max_args = 2,
      .group = LIFECYCLE, .syntax = L"<job> <listfile>",
      .summary = L"Adds the files of a list file (\"remote local\" lines, # comments)." },
    { .name = L"/addfilewithranges", .job_op = op_addfilewithranges, .min_args = 4,
      .max_args = 4, .group = LIFECYCLE,
      .syntax = L"<job> <remote> <local> <offset:length|eof>[,...]",
      .summary = L"Adds a file of which only these ranges download." },
    { .name = L"/replaceremoteprefix", .job_op = op_replaceremoteprefix, .min_args = 3,
      .max_args = 3, .group = LIFECYCLE, .syntax = L"<job> <old> <new>",
      .summary = L"Changes the start of the files' remote names." },
    ACTION(L"/resume", ACTION_RESUME, L"Queues the job for transfer."),
    ACTION(L"/suspend", ACTION_SUSPEND, L"Suspends the job."),
    ACTION(L"/cancel", ACTION_CANCEL, L"Cancels the job; its files are deleted."),
    ACTION(L"/complete", ACTION_COMPLETE, L"Completes the job: its files take their names."),
    ACTION(L"/takeownership", ACTION_TAKE_OWNERSHIP,
           L"Makes you the job's owner (administrators)."),

    { .name = L"/info", .job_op = op_info, .min_args = 1, .max_args = 1,
      .options = OPTION(OPT_VERBOSE), .group = INFO, .syntax = L"<job> [/verbose]",
      .summary = L"Shows the job (every property with /verbose)." },
    { .name = L"/listfiles", .job_op = op_listfiles, .min_args = 1, .max_args = 1, .group = INFO,
      .syntax = L"<job>", .summary = L"Lists the job's files." },
    JOB_GET(L"/getstate", get_state, 0, L"Queued, Transferring, Transferred, Suspended, Error..."),
    JOB_GET(L"/gettype", get_type, 0, L"DOWNLOAD."),
    JOB_GET(L"/getbytestotal", get_progress, PROGRESS_BYTES_TOTAL,
            L"Bytes to transfer, or UNKNOWN."),
    JOB_GET(L"/getbytestransferred", get_progress, PROGRESS_BYTES_TRANSFERRED,
            L"Bytes transferred."),
    JOB_GET(L"/getfilestotal", get_progress, PROGRESS_FILES_TOTAL, L"Number of files."),
    JOB_GET(L"/getfilestransferred", get_progress, PROGRESS_FILES_TRANSFERRED,
            L"Files transferred."),
    JOB_GET(L"/getcreationtime", get_time, TIME_CREATION, L"When the job was created."),
    JOB_GET(L"/getmodificationtime", get_time, TIME_MODIFICATION, L"When the job last changed."),
    JOB_GET(L"/getcompletiontime", get_time, TIME_COMPLETION,
            L"When the job transferred, or UNKNOWN."),
    JOB_GET(L"/getdisplayname", get_text, TEXT_DISPLAY_NAME, L"The display name."),
    JOB_GET(L"/getdescription", get_text, TEXT_DESCRIPTION, L"The description."),
    { .name = L"/geterror", .job_op = op_geterror, .min_args = 1, .max_args = 1, .group = INFO,
      .syntax = L"<job>", .summary = L"The job's error: file, code and context." },
    JOB_GET(L"/geterrorcount", get_number, NUMBER_ERROR_COUNT, L"How many errors the job had."),
    JOB_GET(L"/getowner", get_owner, 0, L"The owner, DOMAIN\\user (or the SID)."),
    JOB_GET(L"/getpriority", get_priority, 0, L"FOREGROUND, HIGH, NORMAL or LOW."),
    JOB_GET(L"/getminretrydelay", get_number, NUMBER_MIN_RETRY_DELAY,
            L"Seconds between retries."),
    JOB_GET(L"/getnoprogresstimeout", get_number, NUMBER_NO_PROGRESS_TIMEOUT,
            L"Seconds without progress before the job fails."),
    JOB_GET(L"/getmaxdownloadtime", get_number, NUMBER_MAX_DOWNLOAD_TIME,
            L"Seconds the download may take."),
    JOB_GET(L"/getnotifyflags", get_number, NUMBER_NOTIFY_FLAGS, L"The notification flags."),
    JOB_GET(L"/getnotifyinterface", get_notify_interface, 0, L"REGISTERED or UNREGISTERED."),
    JOB_GET(L"/getnotifycmdline", get_notify_cmdline, 0,
            L"The notification command line, or none."),
    JOB_GET(L"/getproxyusage", get_proxy, PROXY_USAGE,
            L"Preconfig, No_Proxy, Override or Autodetect."),
    JOB_GET(L"/getproxylist", get_proxy, PROXY_LIST, L"The proxy list, or NULL."),
    JOB_GET(L"/getproxybypasslist", get_proxy, PROXY_BYPASS_LIST,
            L"The proxy bypass list, or NULL."),
    JOB_GET(L"/getcustomheaders", get_custom_headers, 0, L"The custom HTTP headers, or NULL."),
    JOB_GET(L"/getsecurityflags", get_security_flags, 0, L"The HTTP security flags."),
    JOB_GET(L"/getaclflags", get_acl_flags, 0, L"The ACL flags: o, g, d, s, or none."),
    JOB_GET(L"/getpeercachingflags", get_number, NUMBER_PEER_CACHING_FLAGS,
            L"The peer caching flags."),
    { .name = L"/gettemporaryname", .job_op = op_gettemporaryname, .min_args = 2, .max_args = 2,
      .group = INFO, .syntax = L"<job> <file_index>", .summary = L"A file's temporary name." },
    { .name = L"/getvalidationstate", .job_op = op_getvalidationstate, .min_args = 2,
      .max_args = 2, .group = INFO, .syntax = L"<job> <file_index>",
      .summary = L"A file's validation state: TRUE or FALSE." },

    JOB_SET_TEXT(L"/setdisplayname", op_set_text, TEXT_DISPLAY_NAME, L"<job> <name>", 2, 2,
            L"Sets the display name."),
    JOB_SET_TEXT(L"/setdescription", op_set_text, TEXT_DESCRIPTION, L"<job> <text>", 2, 2,
            L"Sets the description."),
    JOB_SET(L"/setpriority", op_setpriority, 0, L"<job> <FOREGROUND|HIGH|NORMAL|LOW>", 2, 2,
            L"Sets the priority."),
    JOB_SET(L"/setminretrydelay", op_set_number, NUMBER_MIN_RETRY_DELAY, SECONDS, 2, 2,
            L"Sets the delay between retries."),
    JOB_SET(L"/setnoprogresstimeout", op_set_number, NUMBER_NO_PROGRESS_TIMEOUT, SECONDS, 2, 2,
            L"Sets how long the job may make no progress."),
    JOB_SET(L"/setmaxdownloadtime", op_set_number, NUMBER_MAX_DOWNLOAD_TIME, SECONDS, 2, 2,
            L"Sets how long the download may take (0: no limit)."),
    JOB_SET(L"/setnotifyflags", op_set_number, NUMBER_NOTIFY_FLAGS, L"<job> <flags>", 2, 2,
            L"Sets the notification flags (1 transferred, 2 error, 4 none, 8 modification)."),
    JOB_SET_TEXT(L"/setnotifycmdline", op_setnotifycmdline, 0,
            L"<job> <program|NULL> [<parameters|NULL>]", 2, 3,
            L"Sets the program run when the job transfers or fails."),
    JOB_SET(L"/setproxysettings", op_setproxysettings, 0,
            L"<job> <PRECONFIG|NO_PROXY|AUTODETECT|OVERRIDE> [<list> [<bypass>]]", 2, 4,
            L"Sets the proxy usage (OVERRIDE takes a list; NULL for none)."),
    JOB_SET(L"/setcredentials", op_setcredentials, 0,
            L"<job> <SERVER|PROXY> <BASIC|DIGEST|NTLM|NEGOTIATE|PASSPORT> <user> <password>",
            5, 5, L"Sets credentials for the server or the proxy."),
    JOB_SET(L"/removecredentials", op_removecredentials, 0, L"<job> <SERVER|PROXY> <scheme>", 3,
            3, L"Removes credentials."),
    JOB_SET_TEXT(L"/setcustomheaders", op_setcustomheaders, 0, L"<job> <header|NULL> [<header>...]", 2,
            -1, L"Sets the custom HTTP headers (\"Name: value\" each; NULL removes them)."),
    JOB_SET(L"/setsecurityflags", op_setsecurityflags, 0, L"<job> <flags>", 2, 2,
            L"Sets the HTTP security flags."),
    JOB_SET(L"/setaclflag", op_setaclflag, 0, L"<job> <O|G|D|S...>", 2, 2,
            L"Sets which ACL parts the files keep."),
    JOB_SET(L"/setaclflags", op_setaclflag, 0, L"<job> <O|G|D|S...>", 2, 2,
            L"Same as /setaclflag."),
    JOB_SET(L"/setpeercachingflags", op_set_number, NUMBER_PEER_CACHING_FLAGS, L"<job> <flags>",
            2, 2, L"Sets the peer caching flags (stored; no peers here)."),
    JOB_SET(L"/setvalidationstate", op_setvalidationstate, 0, L"<job> <file_index> <TRUE|FALSE>",
            3, 3, L"Sets a file's validation state."),

    { .name = L"/status", .run = run_status, .max_args = 1, .group = DIAGNOSTICS,
      .syntax = L"[<job>]",
      .summary = L"Get-DeliveryOptimizationStatus: one block per file (of every job, or of one)." },
    { .name = L"/why", .run = run_why, .min_args = 1, .max_args = 1, .group = DIAGNOSTICS,
      .syntax = L"<job>", .summary = L"What the job waits for, in plain words, and what to do." },
    { .name = L"/perfsnap", .run = run_perfsnap, .group = DIAGNOSTICS, .syntax = L"",
      .summary = L"Service-wide totals and live figures (Get-DeliveryOptimizationPerfSnap)." },
    { .name = L"/config", .run = run_config, .group = DIAGNOSTICS, .syntax = L"",
      .summary = L"Every effective setting and where it came from (Get-DOConfig)." },
    { .name = L"/log", .run = run_log, .group = DIAGNOSTICS,
      .options = OPTION(OPT_JOB) | OPTION(OPT_SINCE) | OPTION(OPT_ERRORS) | OPTION(OPT_LINES),
      .syntax = L"[/job <job>] [/since <time|age>] [/errors] [/lines <n>]",
      .summary = L"The service's history, newest last (200 lines by default)." },
    { .name = L"/util", .run = run_util, .offline = 1, .group = DIAGNOSTICS,
      .options = OPTION(OPT_VERSION) | OPTION(OPT_REPAIRSERVICE) | OPTION(OPT_FORCE),
      .syntax = L"/version | /repairservice [/force]",
      .summary = L"The installation's health and versions; or its repair (dosvc install)." },

    NOT_SUPPORTED(L"/getreplydata", WHY_REPLY),
    NOT_SUPPORTED(L"/getreplyfilename", WHY_REPLY),
    NOT_SUPPORTED(L"/getreplyprogress", WHY_REPLY),
    NOT_SUPPORTED(L"/setreplyfilename", WHY_REPLY),
    NOT_SUPPORTED(L"/getclientcertificate", WHY_CERTIFICATE),
    NOT_SUPPORTED(L"/setclientcertificatebyid", WHY_CERTIFICATE),
    NOT_SUPPORTED(L"/setclientcertificatebyname", WHY_CERTIFICATE),
    NOT_SUPPORTED(L"/removeclientcertificate", WHY_CERTIFICATE),
    NOT_SUPPORTED(L"/gethttpmethod", WHY_HTTP_METHOD),
    NOT_SUPPORTED(L"/sethttpmethod", WHY_HTTP_METHOD),
    NOT_SUPPORTED(L"/makecustomheaderswriteonly", L"there is no IBackgroundCopyJobHttpOptions3"),
    NOT_SUPPORTED(L"/gethelpertokenflags", WHY_HELPER_TOKEN),
    NOT_SUPPORTED(L"/gethelpertokensid", WHY_HELPER_TOKEN),
    NOT_SUPPORTED(L"/sethelpertoken", WHY_HELPER_TOKEN),
    NOT_SUPPORTED(L"/sethelpertokenflags", WHY_HELPER_TOKEN),
    NOT_SUPPORTED(L"/cache", WHY_PEERS),
    NOT_SUPPORTED(L"/peercaching", WHY_PEERS),
    NOT_SUPPORTED(L"/peers", WHY_PEERS),
};
const size_t command_count = ARRAYSIZE(commands);

static const struct {
    const wchar_t *name;
    int takes_value;
} option_specs[OPTION_COUNT] = {
    [OPT_ALLUSERS] = { L"/allusers", 0 },   [OPT_VERBOSE] = { L"/verbose", 0 },
    [OPT_DOWNLOAD] = { L"/download", 0 },   [OPT_UPLOAD] = { L"/upload", 0 },
    [OPT_UPLOAD_REPLY] = { L"/upload-reply", 0 }, [OPT_PRIORITY] = { L"/priority", 1 },
    [OPT_ACLFLAGS] = { L"/aclflags", 1 },   [OPT_REFRESH] = { L"/refresh", 1 },
    [OPT_JOB] = { L"/job", 1 },             [OPT_SINCE] = { L"/since", 1 },
    [OPT_ERRORS] = { L"/errors", 0 },       [OPT_LINES] = { L"/lines", 1 },
    [OPT_VERSION] = { L"/version", 0 },     [OPT_REPAIRSERVICE] = { L"/repairservice", 0 },
    [OPT_FORCE] = { L"/force", 0 },
};

static const command *find_command(const wchar_t *name)
{
    for (size_t i = 0; i < command_count; i++)
        if (_wcsicmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

/* The option that arg names among those cmd accepts; -1 when it is a plain argument. */
static int accepted_option(const command *cmd, const wchar_t *arg)
{
    for (int id = 0; id < OPTION_COUNT; id++)
        if ((cmd->options & OPTION(id)) && _wcsicmp(arg, option_specs[id].name) == 0)
            return id;
    return -1;
}

/* "/word": a slash, then letters, digits, '-' or '?' (a switch or option, maybe misspelled). */
static int looks_like_switch(const wchar_t *arg)
{
    if (arg[0] != L'/' || !arg[1])
        return 0;
    for (const wchar_t *c = arg + 1; *c; c++)
        if (!iswalnum(*c) && *c != L'-' && *c != L'?')
            return 0;
    return 1;
}

/* Whether the positional argument at index (0: the first) looks like a switch where it may not. */
static int is_switch_like_argument(const command *cmd, int index, const wchar_t *arg)
{
    int free_text = cmd->text_from > 0 && index + 1 >= cmd->text_from;
    return !free_text && looks_like_switch(arg);
}

static int usage_error(const session *s, const command *cmd, const wchar_t *problem,
                       const wchar_t *arg)
{
    return fail(s, EXIT_USAGE,
                arg ? L"%ls '%ls'; usage: doadmin %ls %ls" : L"%ls%ls; usage: doadmin %ls %ls",
                problem, arg ? arg : L"", cmd->name, cmd->syntax);
}

/* Splits the words after the switch into options and positional arguments; checks both. */
static int parse_invocation(const session *s, const command *cmd, int argc, wchar_t **argv,
                            invocation *inv)
{
    memset(inv, 0, sizeof *inv);
    if (!(inv->argv = calloc((size_t)argc + 1, sizeof *inv->argv)))
        return fail_hr(s, E_OUTOFMEMORY);
    for (int i = 0; i < argc; i++) {
        int id = accepted_option(cmd, argv[i]);
        if (id < 0 && is_switch_like_argument(cmd, inv->argc, argv[i]))
            return usage_error(s, cmd, L"unknown option", argv[i]);
        if (id < 0) {
            inv->argv[inv->argc++] = argv[i];
            continue;
        }
        if (inv->present & OPTION(id))
            return usage_error(s, cmd, L"option given twice:", argv[i]);
        inv->present |= OPTION(id);
        if (option_specs[id].takes_value && (i + 1 == argc || looks_like_switch(argv[i + 1])))
            return usage_error(s, cmd, L"missing value after", argv[i]);
        if (option_specs[id].takes_value)
            inv->value[id] = argv[++i];
    }
    if (inv->argc < cmd->min_args)
        return usage_error(s, cmd, L"missing argument", NULL);
    if (cmd->max_args >= 0 && inv->argc > cmd->max_args)
        return usage_error(s, cmd, L"unexpected argument", inv->argv[cmd->max_args]);
    return EXIT_OK;
}

static int run_job_switch(session *s, const command *cmd, const invocation *inv)
{
    job_call call = { s, cmd, inv, NULL, inv->argc - 1, inv->argv + 1 };
    int status = find_job(s, inv->argv[0], &call.job);
    if (status != EXIT_OK)
        return status;
    status = cmd->job_op(&call);
    IBackgroundCopyJob5_Release(call.job);
    return status;
}

static int run_switch(session *s, const command *cmd, int argc, wchar_t **argv)
{
    invocation inv;
    int status = parse_invocation(s, cmd, argc, argv, &inv);
    if (status == EXIT_OK && cmd->min_args > 0) /* the job (or the new job's name) */
        session_context(s, cmd->name, inv.argv[0]);
    if (status == EXIT_OK && !cmd->offline)
        status = connect_service(s);
    if (status == EXIT_OK)
        status = cmd->job_op ? run_job_switch(s, cmd, &inv) : cmd->run(s, cmd, &inv);
    free(inv.argv);
    return status;
}

int wmain(int argc, wchar_t **argv)
{
    session s;
    int first = 1;
    memset(&s, 0, sizeof s);
    out_init();
    /* Global options come first; /wrap and /nowrap are accepted and change nothing: doadmin
     * never breaks lines itself (a console wraps them, a file keeps them whole). */
    for (; first < argc; first++) {
        if (_wcsicmp(argv[first], L"/rawreturn") == 0)
            s.raw = 1;
        else if (_wcsicmp(argv[first], L"/wrap") != 0 && _wcsicmp(argv[first], L"/nowrap") != 0)
            break;
    }
    out_banner(&s);
    const command *cmd = first < argc ? find_command(argv[first]) : find_command(L"/help");
    if (!cmd)
        return fail(&s, EXIT_USAGE,
                    L"unknown switch '%ls'; usage: doadmin [/rawreturn] [/wrap | /nowrap] "
                    L"<switch> [options] [arguments]; doadmin /? lists the switches",
                    argv[first]);
    session_context(&s, cmd->name, NULL);
    if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
        return fail(&s, EXIT_FAILED, L"COM cannot be initialised");
    int rest = first < argc ? argc - first - 1 : 0; /* the words after the switch */
    int status = run_switch(&s, cmd, rest, argv + first + 1);
    if (s.manager)
        IBackgroundCopyManager_Release(s.manager);
    CoUninitialize();
    return status;
}
