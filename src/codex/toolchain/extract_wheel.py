# Copies the one */bin/codex of a wheel: `python -c` this WHEEL DEST (codex.rs).
import shutil, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = [n for n in z.namelist() if n.endswith("/bin/codex")]
if len(names) != 1:
    sys.exit(f"expected one */bin/codex in the wheel, found {names}")
with z.open(names[0]) as src, open(sys.argv[2], "wb") as out:
    shutil.copyfileobj(src, out, 1 << 20)
