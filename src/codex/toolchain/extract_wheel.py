# Copies the codex package of a wheel, the directory whose bin/codex is the binary: `python -c` this WHEEL DEST (codex.rs).
import os, shutil, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
roots = [n[: -len("bin/codex")] for n in z.namelist() if n.endswith("/bin/codex")]
if len(roots) != 1:
    sys.exit(f"expected one */bin/codex in the wheel, found {roots}")
root, dest = roots[0], sys.argv[2]
for info in z.infolist():
    name = info.filename
    rel = name[len(root):]
    # The package's Python wrapper is pip's to install, not codex's.
    if not name.startswith(root) or info.is_dir() or rel.endswith(".py") or "__pycache__" in rel:
        continue
    target = os.path.join(dest, rel)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with z.open(info) as src, open(target, "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
    mode = (info.external_attr >> 16) & 0o777
    os.chmod(target, mode or 0o644)
