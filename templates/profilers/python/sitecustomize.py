# perfgate's profiling agent for Python. perfgate puts this directory first on PYTHONPATH for
# the service it starts for a profiled trial (and only then), so every Python process of the
# service (a gunicorn master and its forked workers, uvicorn's workers) imports it at start.
# It stays idle until perfgate writes "start" into the control file; then SIGPROF fires every
# `interval` of the process's CPU time (setitimer ITIMER_PROF) and the handler counts the main
# thread's Python stack, until "stop", when the counts are written next to the control file as
# JSON. Frames are (qualified name, file, first line of the function). It never prints.
# The sitecustomize this file shadows (Debian ships one) is run afterwards.
import os


def _perfgate_agent():
    directory = os.environ.get("PERFGATE_PROFILE_DIR")
    if not directory:
        return
    import json
    import signal
    import threading
    import time

    control = os.path.join(directory, "control")
    state = {"on": False, "stacks": {}, "seen": "", "interval": 0.001, "pid": os.getpid()}

    def write(path, text):
        try:
            with open(path + ".tmp", "w") as f:
                f.write(text)
            os.replace(path + ".tmp", path)
        except OSError:
            pass

    def sample(signum, frame):
        if not state["on"]:
            return
        stack = []
        while frame is not None:
            code = frame.f_code
            stack.append((getattr(code, "co_qualname", code.co_name), code.co_filename, code.co_firstlineno))
            frame = frame.f_back
        key = tuple(reversed(stack))
        stacks = state["stacks"]
        stacks[key] = stacks.get(key, 0) + 1

    def finish():
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        state["on"] = False
        frames = {}
        samples = []
        for stack, count in state["stacks"].items():
            samples.append({"stack": [frames.setdefault(f, len(frames)) for f in stack], "count": count})
        out = {
            "pid": os.getpid(),
            "intervalUs": int(state["interval"] * 1e6),
            "frames": [list(f) for f in frames],
            "samples": samples,
        }
        write(os.path.join(directory, "python-%d.json" % os.getpid()), json.dumps(out))

    def poll():
        while True:
            time.sleep(0.05)
            if state["pid"] != os.getpid():
                return  # a forked child runs its own poller
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
                state["on"] = True
                signal.setitimer(signal.ITIMER_PROF, state["interval"], state["interval"])
            elif words[0] == "stop" and state["on"]:
                finish()

    def begin():
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
