# What an interpreter has: `python -c` this, with extra sys.path entries as JSON (probe.rs).
import json, sys
sys.path[:0] = json.loads(sys.argv[1])
out = {"python_version": sys.version.split()[0], "prefix": sys.prefix}
try:
    import openai_codex
    out["sdk_version"] = openai_codex.__version__
    out["sdk_file"] = openai_codex.__file__
except Exception as e:
    out["sdk_error"] = f"{type(e).__name__}: {e}"
try:
    from codex_cli_bin import bundled_codex_path
    out["codex_bin"] = str(bundled_codex_path())
except Exception as e:
    out["codex_error"] = f"{type(e).__name__}: {e}"
print(json.dumps(out))
