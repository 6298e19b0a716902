# A cold scenario run: `python -c` this, with the job file as its argument (scenario.rs).
import gc, importlib, json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    job = json.load(f)
sys.path[:0] = job["paths"]
try:
    importlib.import_module(job["module"]).record(job["output"], **job["kwargs"])
except SystemExit:
    raise
except BaseException as e:
    e = e.with_traceback(e.__traceback__.tb_next)
    sys.excepthook(type(e), e, e.__traceback__)
    sys.exit(1)
