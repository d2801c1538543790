# perfgate's profiling agent for Python. perfgate puts this directory first on PYTHONPATH for
# the service it starts for a profiled trial (and only then), so every Python process of the
# service (a gunicorn master and its forked workers, uvicorn's workers) imports it at start.
# It stays idle until perfgate writes "start" into the control file; then SIGPROF fires every
# `interval` of the process's CPU time, whichever thread spent it (setitimer ITIMER_PROF), and
# the handler charges that CPU to the threads that spent it: each thread's CPU time since the last
# sample (/proc/self/task/TID/schedstat, ns) goes to the Python stack it is at now
# (sys._current_frames()), so a request served in a thread pool (FastAPI's sync routes, gunicorn's
# gthread workers) is seen where it runs, not as the main thread's event loop waiting. Until
# "stop", when the weights (in sampling intervals) are written next to the control file as JSON.
# Frames are (qualified name, file, first line of the function). It never prints.
# Beside the CPU samples it keeps a wall-clock view, for where requests wait: every 10 ms its
# poller thread counts every other thread's stack (running or blocked: `time.sleep`, a socket
# read, a lock) and every pending asyncio task's chain of awaits (a task suspended in
# `await asyncio.sleep(…)` or on a database driver's future), each under a root frame that says
# which it is.
# The sitecustomize this file shadows (Debian ships one) is run afterwards.
import os


def _perfgate_agent():
    directory = os.environ.get("PERFGATE_PROFILE_DIR")
    if not directory:
        return
    import json
    import signal
    import sys
    import threading
    import time

    control = os.path.join(directory, "control")
    state = {"on": False, "stacks": {}, "walls": {}, "seen": "", "interval": 0.001, "pid": os.getpid(), "poller": None}
    # Per thread (native id): an open schedstat file and the CPU time (ns) last read from it.
    clocks = {}
    active = threading._active  # ident -> Thread; read without its lock (a signal handler must not wait)
    main = threading.main_thread().ident
    # A forked child's main thread keeps its parent's native_id in threading's record: ask the OS.
    main_native = getattr(threading, "get_native_id", lambda: None)()

    def native_of(ident, thread):
        return main_native if ident == main else getattr(thread, "native_id", None)

    def cpu_ns(native):
        entry = clocks.get(native)
        try:
            if entry is None:
                fd = os.open("/proc/self/task/%d/schedstat" % native, os.O_RDONLY)
                entry = clocks[native] = [fd, None]
            now = int(os.pread(entry[0], 64, 0).split()[0])
        except (OSError, ValueError, IndexError):
            return None, None
        before = entry[1]
        entry[1] = now
        return now, before

    def forget_clocks():
        for fd, _ in list(clocks.values()):
            try:
                os.close(fd)
            except OSError:
                pass
        clocks.clear()

    def write(path, text):
        try:
            with open(path + ".tmp", "w") as f:
                f.write(text)
            os.replace(path + ".tmp", path)
        except OSError:
            pass

    BLOCKING_FILES = ("/threading.py", "/queue.py", "/selectors.py")
    # Where a thread hands the GIL over in a system call once its work is done: a pool thread
    # waking the event loop through its self-pipe (asyncio's call_soon_threadsafe). The handler
    # below runs in the main thread when it gets the GIL, and it gets it at exactly these calls.
    HANDOVER_FUNCTIONS = ("_write_to_self",)
    running = {}  # native id -> the frame a thread was last seen running in (not blocked)

    def handing_over(f):
        code = f.f_code
        return code.co_filename.endswith(BLOCKING_FILES) or code.co_name in HANDOVER_FUNCTIONS

    def count(frame, weight):
        stack = []
        while frame is not None:
            code = frame.f_code
            stack.append((getattr(code, "co_qualname", code.co_name), code.co_filename, code.co_firstlineno))
            frame = frame.f_back
        key = tuple(reversed(stack))
        stacks = state["stacks"]
        stacks[key] = stacks.get(key, 0) + weight

    def sample(signum, frame):
        if not state["on"]:
            return
        interval_ns = state["interval"] * 1e9
        current = sys._current_frames()
        while frame is not None and frame.f_code.co_filename == __file__:
            frame = frame.f_back  # a handler run inside another one's call: charge what it interrupted
        current[main] = frame  # the main thread is here, not in this handler
        charged = False
        for ident, f in current.items():
            if ident == state["poller"]:
                continue
            native = native_of(ident, active.get(ident))
            if native is None or f is None:
                continue
            now, before = cpu_ns(native)
            if now is None or before is None or now <= before:
                continue
            # A thread found blocked (waiting for its next job, a lock, a select) or handing the
            # GIL over spent that CPU before it got there: charge it to where it was last seen
            # running. The main thread too: woken from its select by the signal's wakeup fd
            # (asyncio sets one), it would otherwise charge the event loop's work to `select`.
            if handing_over(f):
                if native in running:
                    f = running[native]
            else:
                running[native] = f
            count(f, (now - before) / interval_ns)
            charged = True
        if not charged and not clocks:
            count(frame, 1)  # no per-thread CPU time here: the main thread's stack, as before

    WALL_S = 0.01
    THREAD_ROOT = ("(thread)", "", 0)
    TASK_ROOT = ("(asyncio task, awaiting)", "", 0)

    def frame_key(f):
        code = f.f_code
        return (getattr(code, "co_qualname", code.co_name), code.co_filename, code.co_firstlineno)

    def pending_tasks():
        tasks = sys.modules.get("asyncio.tasks")
        if tasks is None:
            return []
        sets = [getattr(tasks, n, None) for n in ("_all_tasks", "_scheduled_tasks")]
        out = []
        for s_ in sets:
            if s_ is None:
                continue
            for _ in range(3):
                try:
                    out.extend(list(s_))
                    break
                except RuntimeError:
                    continue  # changed size while copied
        eager = getattr(tasks, "_eager_tasks", None)
        if eager:
            out.extend(list(eager))
        return out

    def await_chain(task):
        chain = []
        coro = task.get_coro() if hasattr(task, "get_coro") else getattr(task, "_coro", None)
        while coro is not None and len(chain) < 64:
            f = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None) or getattr(coro, "ag_frame", None)
            if f is None:
                break
            chain.append(frame_key(f))
            coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
        return chain

    def wall_sample():
        walls = state["walls"]
        me = threading.get_ident()
        for ident, f in sys._current_frames().items():
            if ident == me:
                continue
            stack = []
            while f is not None:
                stack.append(frame_key(f))
                f = f.f_back
            stack.append(THREAD_ROOT)
            key = tuple(reversed(stack))
            walls[key] = walls.get(key, 0) + 1
        for task in pending_tasks():
            try:
                if task.done():
                    continue
                coro = task.get_coro() if hasattr(task, "get_coro") else None
                if coro is not None and getattr(coro, "cr_running", False):
                    continue  # on the loop's thread now: counted with that thread's stack
                chain = await_chain(task)
            except Exception:
                continue
            if chain:
                key = (TASK_ROOT,) + tuple(chain)
                walls[key] = walls.get(key, 0) + 1

    def encode(counts):
        frames = {}
        samples = []
        for stack, weight in counts:
            samples.append({"stack": [frames.setdefault(f, len(frames)) for f in stack], "count": round(weight, 3)})
        return [list(f) for f in frames], samples

    def finish():
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        state["on"] = False
        sys.setswitchinterval(state.get("switch", 0.005))
        running.clear()
        # One C call copies the counts: a handler already running cannot change them under the loop.
        frames, samples = encode(list(state["stacks"].items()))
        wall_frames, wall_samples = encode(list(state["walls"].items()))
        out = {
            "pid": os.getpid(),
            "intervalUs": int(state["interval"] * 1e6),
            "frames": frames,
            "samples": samples,
            "wall": {"intervalUs": int(WALL_S * 1e6), "frames": wall_frames, "samples": wall_samples},
        }
        write(os.path.join(directory, "python-%d.json" % os.getpid()), json.dumps(out))

    def poll():
        state["poller"] = threading.get_ident()
        tick = 0
        while True:
            time.sleep(WALL_S if state["on"] else 0.05)
            if state["pid"] != os.getpid():
                return  # a forked child runs its own poller
            if state["on"]:
                try:
                    wall_sample()
                except Exception:
                    pass
                tick += 1
                if tick % 5:
                    continue  # the control file every 50 ms
            try:
                with open(control) as f:
                    text = f.read()
            except OSError:
                continue
            if text == state["seen"]:
                continue
            state["seen"] = text
            words = text.split()
            if not words:
                continue
            if words[0] == "start" and not state["on"]:
                state["interval"] = (int(words[1]) if len(words) > 1 else 1000) / 1e6
                state["stacks"] = {}
                state["walls"] = {}
                running.clear()
                forget_clocks()  # threads of an earlier trial may be gone
                for ident, thread in list(active.items()):
                    if native_of(ident, thread) is not None:
                        cpu_ns(native_of(ident, thread))  # each thread's CPU time from here
                # The handler runs in the main thread once it holds the GIL: with the default 5 ms
                # switch interval a pool thread would run on and be seen only where it next blocks
                # (waiting for its next request). A short interval hands the GIL over while the
                # thread is still where it spent the time; the profiler's cost shows what it costs.
                state["switch"] = sys.getswitchinterval()
                sys.setswitchinterval(min(state["switch"], state["interval"] / 5))
                state["on"] = True
                signal.setitimer(signal.ITIMER_PROF, state["interval"], state["interval"])
            elif words[0] == "stop" and state["on"]:
                finish()

    def begin():
        nonlocal main, main_native
        main = threading.main_thread().ident
        main_native = getattr(threading, "get_native_id", lambda: None)()
        forget_clocks()  # a forked child's threads are its own
        state["pid"] = os.getpid()
        state["on"] = False
        state["stacks"] = {}
        try:
            with open(control) as f:
                state["seen"] = f.read()  # a command written before this process began is not for it
        except OSError:
            state["seen"] = ""
        write(os.path.join(directory, "python-%d.ready" % os.getpid()), str(os.getpid()))
        threading.Thread(target=poll, name="perfgate-profiler", daemon=True).start()

    try:
        signal.signal(signal.SIGPROF, sample)
    except (ValueError, OSError):
        return
    begin()
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=begin)


try:
    _perfgate_agent()
except Exception:
    pass


def _perfgate_chain():
    # Run the sitecustomize this one shadows, if any.
    import importlib.machinery
    import importlib.util
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    path = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec and spec.origin and os.path.abspath(spec.origin) != os.path.abspath(__file__):
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)


try:
    _perfgate_chain()
except Exception:
    pass
