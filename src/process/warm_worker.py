# The warm worker: `python -c` this, with its paths and preloads as arguments (warm.rs).
import gc, importlib, json, os, sys
paths, preload = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.path[:0] = paths
for name in preload:
    importlib.import_module(name)
# The preloaded objects move to the permanent generation: a child's
# collections then never walk them, and their pages stay shared instead of
# being copied on the first collection (the cost of a fork after a big import).
gc.freeze()
channel = os.dup(1)
os.dup2(os.open(os.devnull, os.O_RDWR), 1)

def say(message):
    # One write of a line shorter than PIPE_BUF: the lines of keepers
    # writing at once never interleave.
    os.write(channel, (json.dumps(message) + "\n").encode())

def scenario(job, go):
    os.read(go, 1)
    os.close(go)
    log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.close(channel)
    os.chdir(job["cwd"])
    os.environ.clear()
    os.environ.update(job["env"])
    if "tempfile" in sys.modules:
        sys.modules["tempfile"].tempdir = None
    code = 0
    try:
        importlib.import_module(job["module"]).record(job["output"], **job["kwargs"])
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException as e:
        # The traceback starts in the scenario, not in this worker.
        e = e.with_traceback(e.__traceback__.tb_next)
        sys.excepthook(type(e), e, e.__traceback__)
        code = 1
    sys.exit(code)

def reap():
    # Whatever children have ended, without waiting for the others.
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass

def adopted():
    me = str(os.getpid())
    pids = []
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces.
        if stat[stat.rindex(")") + 2:].split()[1] == me:
            pids.append(int(name))
    return pids

def keep(job):
    go, release = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(release)
        scenario(job, go)
    os.close(go)
    os.setpgid(pid, pid)
    import signal, time
    linux = sys.platform == "linux"
    if linux:
        import ctypes
        PR_SET_CHILD_SUBREAPER = 36
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    # The child starts once its keeper adopts what it leaves behind.
    os.close(release)
    say({"job": job["id"], "pid": pid})
    _, status = os.waitpid(pid, 0)
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    while linux:
        left = adopted()
        for p in left:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        reap()
        if not left:
            break
        time.sleep(0.005)
    say({"job": job["id"], "status": os.waitstatus_to_exitcode(status)})
    os._exit(0)

say({"ready": True})
for line in sys.stdin:
    job = json.loads(line)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.fork() == 0:
        # A keeper ends here, whatever happens: it never goes on to serve.
        # (A scenario's child leaves by its SystemExit, as a cold run does.)
        try:
            keep(job)
        except SystemExit:
            raise
        except BaseException:
            sys.excepthook(*sys.exc_info())
        os._exit(1)
    # A keeper that ended has said what there is to say.
    reap()
